"""Celery task of the history import: a thin wrapper around :func:`gridgov.assist.history.history_import_run`
(without Redis the job runs on a daemon thread instead). Imported by ``AssistConfig.ready`` so a worker
knows it."""

from __future__ import annotations

from gridgov.celery import app


@app.task(name="gridgov.assist.history_import_run")
def history_import_task(job_id: int) -> str | None:
    from gridgov.assist.history import history_import_run

    job = history_import_run(job_id)
    return job.state if job is not None else None
