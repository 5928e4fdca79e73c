"""The command centre's part of every sweep (``core.deadlines.register_sweep``; run by ``gridgov serve``'s
timer and by Celery beat): refresh the figures, find the recurring problems, generate the period reports
that are due."""

from __future__ import annotations

from datetime import datetime

from gridgov.core.deadlines import register_sweep
from gridgov.dashboards import actions


@register_sweep("dashboards")
def dashboards_sweep(now: datetime) -> dict:
    return actions.scheduled(now=now)
