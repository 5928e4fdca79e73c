from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PointsConfig(AppConfig):
    name = "gridgov.points"
    label = "points"
    verbose_name = _("志愿服务与积分")
