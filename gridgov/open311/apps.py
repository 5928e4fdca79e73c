from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Open311Config(AppConfig):
    name = "gridgov.open311"
    label = "open311"
    verbose_name = _("Open311 接口")

    def ready(self) -> None:
        from gridgov.core.inputs import REFUSERS
        from gridgov.open311 import receivers  # noqa: F401  (drops the per-process copies on changes)
        from gridgov.open311.views import input_refusal

        REFUSERS["/open311/"] = input_refusal
