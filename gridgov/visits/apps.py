from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VisitsConfig(AppConfig):
    name = "gridgov.visits"
    label = "visits"
    verbose_name = _("入户走访")

    def ready(self) -> None:
        from gridgov.core import uploads
        from gridgov.visits import selectors
        from gridgov.visits.models import Visit

        uploads.register_owner(Visit, selectors.visit_files_visible)
