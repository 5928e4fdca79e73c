"""Ledger import (台账导入): the actions behind the upload page, ``POST /api/v1/imports``, the background job
and ``gridgov import_ledger``. Three modules: :mod:`.jobs` (the job's lifecycle), :mod:`.engine` (checking
and bulk writing) and :mod:`.importers` (one class per kind of row).

:func:`ledger_import_create` stores the upload (checked by content, see :mod:`gridgov.ledger.excel`) and
queues an :class:`ImportJob`; :func:`ledger_import_run` claims the job atomically (``UPDATE … WHERE
state = 'queued'``, so a second start does nothing) and runs it in two phases:

1. **Check** every row in one streaming pass: the field rules of :mod:`gridgov.ledger.rules`, then the
   cross-row rules (references must exist inside the job's area, duplicate keys within the file, tags must
   be active and fit the target) against maps preloaded once. Valid rows are kept as compact records;
   invalid ones as (row, column, value, reason) errors. Progress is written every batch.
2. **Write** in one transaction with ``bulk_create`` and a set-based ``UPDATE … FROM (VALUES …)`` in
   batches. Nothing is written when the mode is all-or-nothing and any row failed.

Re-importing updates, never duplicates: residents are matched by the keyed hash of their ID number (under
every configured key, so it works during a key rotation), else by (household, name); buildings by code;
households by (building, unit, room); organisations by credit code, else by (name, grid). A blank cell
never overwrites a stored value. Tags in the file are added, never removed. One audit entry per job.
"""

from gridgov.ledger.imports.engine import Importer, Outcome, fast_insert, fast_update
from gridgov.ledger.imports.importers import IMPORTERS
from gridgov.ledger.imports.jobs import (
    error_report_path,
    ledger_import_create,
    ledger_import_recover,
    ledger_import_run,
    ledger_import_start,
    rejected_rows_path,
)

__all__ = [
    "IMPORTERS",
    "Importer",
    "Outcome",
    "error_report_path",
    "fast_insert",
    "fast_update",
    "ledger_import_create",
    "ledger_import_recover",
    "ledger_import_run",
    "ledger_import_start",
    "rejected_rows_path",
]
