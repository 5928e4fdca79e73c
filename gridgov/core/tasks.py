"""Celery tasks of the shared machinery (thin wrappers)."""

from __future__ import annotations

from datetime import datetime

from gridgov.celery import app


@app.task(name="gridgov.core.deadline_sweep")
def deadline_sweep_task(at: str | None = None) -> dict:
    from gridgov.core.deadlines import run_sweeps

    return run_sweeps(datetime.fromisoformat(at) if at else None)


@app.task(name="gridgov.core.recompute_provisional")
def recompute_provisional_task(year: int) -> dict:
    from gridgov.core.deadlines import recompute_provisional

    return recompute_provisional(year)


@app.task(name="gridgov.core.deliver_outbox")
def deliver_outbox_task() -> dict:
    from gridgov.core.outbox import deliver_all

    return deliver_all()


@app.task(name="gridgov.core.run_recoveries")
def run_recoveries_task() -> dict:
    """With Celery, beat runs what the jobs loop of ``gridgov serve`` runs otherwise: every app's
    recovery and periodic job (``core.jobs``)."""
    from gridgov.core.jobs import run_recoveries

    return {name: str(result)[:200] for name, result in run_recoveries().items()}
