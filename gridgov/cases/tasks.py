"""Celery tasks: thin wrappers around the actions. In the embedded default (no Redis) Celery runs them
in-process (``task_always_eager``) and ``gridgov serve`` runs the sweep on a timer thread."""

from __future__ import annotations

from datetime import datetime

from gridgov.celery import app


@app.task(name="gridgov.cases.sla_sweep")
def sla_sweep_task(at: str | None = None) -> dict:
    from gridgov.cases.sla import sla_sweep

    return sla_sweep(datetime.fromisoformat(at) if at else None).as_dict()
