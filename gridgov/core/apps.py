from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "gridgov.core"
    label = "core"
    verbose_name = _("基础")

    def ready(self) -> None:
        from gridgov.core import checks, signals  # noqa: F401  (system checks; the calendar receiver)
