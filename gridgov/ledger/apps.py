from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LedgerConfig(AppConfig):
    name = "gridgov.ledger"
    label = "ledger"
    verbose_name = _("人地物组织台账")

    def ready(self) -> None:
        from gridgov.core.jobs import register_recovery
        from gridgov.ledger.imports import ledger_import_recover

        # imports left running by a dead process, and queued ones, run again in the jobs loop
        register_recovery("ledger_imports", ledger_import_recover)
