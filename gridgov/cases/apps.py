from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "gridgov.cases"
    label = "cases"
    verbose_name = _("事件办理")

    def ready(self) -> None:
        from gridgov.cases import (
            receivers,  # noqa: F401  (connects the calendar signal)
            sla,  # noqa: F401  (registers the case deadline sweep)
        )
