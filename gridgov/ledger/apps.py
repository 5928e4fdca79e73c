from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LedgerConfig(AppConfig):
    name = "gridgov.ledger"
    label = "ledger"
    verbose_name = _("人地物组织台账")
