from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def recover_imports() -> list[int]:
    """Imports left running by a dead process, and queued ones, run again (the jobs loop of ``serve``)."""
    # imported here, not at start-up: the import engine loads openpyxl
    from gridgov.ledger.imports import ledger_import_recover

    return ledger_import_recover()


class LedgerConfig(AppConfig):
    name = "gridgov.ledger"
    label = "ledger"
    verbose_name = _("人地物组织台账")

    def ready(self) -> None:
        from gridgov.core.jobs import register_recovery

        register_recovery("ledger_imports", recover_imports)
