"""Celery tasks of the ledger: thin wrappers around :mod:`gridgov.ledger.imports`. Without Redis the
import runs on a daemon thread instead (see :func:`gridgov.ledger.imports.ledger_import_start`)."""

from __future__ import annotations

from gridgov.celery import app


@app.task(name="gridgov.ledger.import_run")
def ledger_import_task(job_id: int) -> str | None:
    from gridgov.ledger.imports import ledger_import_run

    job = ledger_import_run(job_id=job_id)
    return job.state if job is not None else None


@app.task(name="gridgov.ledger.import_recover")
def ledger_import_recover_task() -> list[int]:
    from gridgov.ledger.imports import ledger_import_recover

    return ledger_import_recover()
