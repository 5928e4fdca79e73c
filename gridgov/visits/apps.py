from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VisitsConfig(AppConfig):
    name = "gridgov.visits"
    label = "visits"
    verbose_name = _("入户走访")

    def ready(self) -> None:
        from gridgov.ledger.sections import HouseholdSection, register_household_section
        from gridgov.visits.selectors import visits_of_household

        # The household page shows its visits with the cases their findings became.
        register_household_section(
            HouseholdSection(
                key="visits",
                title=_("走访记录与转办事件"),
                template="visits/_household_visits.html",
                context=lambda user, household: {"visits": list(visits_of_household(user, household)[:20])},
                order=10,
            )
        )

        from gridgov.core import uploads
        from gridgov.visits import elements, selectors
        from gridgov.visits.models import Visit

        uploads.register_owner(Visit, selectors.visit_files_visible)
        elements.register()
