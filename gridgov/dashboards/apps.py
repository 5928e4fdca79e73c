from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardsConfig(AppConfig):
    name = "gridgov.dashboards"
    label = "dashboards"
    verbose_name = _("指挥中心")

    def ready(self) -> None:
        from gridgov.dashboards import sweep  # noqa: F401  (registers the figures, hot spot and report sweep)
