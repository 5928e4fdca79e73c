from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    name = "gridgov.notify"
    label = "notify"
    verbose_name = _("消息通知")

    def ready(self) -> None:
        from gridgov.notify import channels, checks  # noqa: F401  (checks: registers the system checks)

        channels.register()
