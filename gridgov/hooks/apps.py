from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HooksConfig(AppConfig):
    name = "gridgov.hooks"
    label = "hooks"
    verbose_name = _("外部推送")
