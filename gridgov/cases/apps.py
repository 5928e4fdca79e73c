from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "gridgov.cases"
    label = "cases"
    verbose_name = _("事件办理")

    def ready(self) -> None:
        from gridgov.cases import (
            elements,
            receivers,  # noqa: F401  (connects the calendar signal)
            residents,
            selectors,
            sla,  # noqa: F401  (registers the case deadline sweep)
            sms,
        )
        from gridgov.cases.models import Case
        from gridgov.core import uploads

        uploads.register_owner(Case, selectors.case_files_visible)
        elements.register()
        sms.register()  # residents who reported by phone hear of their case's key steps by SMS
        residents.register()  # residents signing in by code: their earlier reports, their binding
