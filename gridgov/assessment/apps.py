from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentConfig(AppConfig):
    name = "gridgov.assessment"
    label = "assessment"
    verbose_name = _("考核评价")

    def ready(self) -> None:
        from gridgov.assessment import sweep  # noqa: F401  (registers the assessment sweep)
