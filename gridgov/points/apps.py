from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PointsConfig(AppConfig):
    name = "gridgov.points"
    label = "points"
    verbose_name = _("志愿服务与积分")

    def ready(self) -> None:
        from gridgov.points import (
            elements,
            sweep,  # noqa: F401  (registers the reminder and expiry sweep)
        )

        elements.register()
