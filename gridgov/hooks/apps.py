from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HooksConfig(AppConfig):
    name = "gridgov.hooks"
    label = "hooks"
    verbose_name = _("外部推送")

    def ready(self) -> None:
        from gridgov.hooks import channel, fanout, subjects

        subjects.register()  # how cases, orders, wishes and projects are told (core.events.describe)
        fanout.register()  # the listener of every workflow step
        channel.register()  # the outbox channel "webhook"
