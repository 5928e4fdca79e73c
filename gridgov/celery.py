"""The Celery app for production (Redis broker from ``GRIDGOV_REDIS_URL``).

Without a Redis URL the embedded default runs the same task functions in-process (``task_always_eager``),
so nothing needs a broker on a single machine.
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")

app = Celery("gridgov")
_redis = os.environ.get("GRIDGOV_REDIS_URL", "")
app.conf.update(
    broker_url=_redis or "memory://",
    result_backend=None,
    task_always_eager=not _redis,
    task_ignore_result=True,
    timezone="Asia/Shanghai",
    task_acks_late=True,
    worker_prefetch_multiplier=1,
)
app.conf.beat_schedule = {
    "sla-sweep": {
        "task": "gridgov.core.deadline_sweep",
        "schedule": 60.0 * int(os.environ.get("GRIDGOV_SLA_SWEEP_MINUTES", "5")),
    },
    "outbox-deliver": {
        "task": "gridgov.core.deliver_outbox",
        "schedule": float(os.environ.get("GRIDGOV_OUTBOX_POLL_SECONDS", "1")) * 10,
    },
    # every app's recoveries (imports, trainings left by a dead process) and periodic jobs (core.jobs)
    "job-recoveries": {
        "task": "gridgov.core.run_recoveries",
        "schedule": 300.0,
    },
}
app.autodiscover_tasks()
