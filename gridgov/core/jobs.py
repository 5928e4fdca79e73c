"""The registry of job recoveries: work a dead process left unfinished (an import claimed by a worker
that died, jobs queued while no worker ran) is picked up again by the jobs loop of ``gridgov serve`` (with
Celery: beat's ``gridgov.core.run_recoveries``). Periodic jobs that only need to look whether they are due
(the suggester's retraining) register here too.

Each app registers its recovery from its ``AppConfig.ready`` (``register_recovery("ledger_imports", fn)``),
so core runs them without knowing the apps, as it runs the deadline sweeps (``core.deadlines``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

log = logging.getLogger("gridgov.jobs")

RECOVERIES: dict[str, Callable[[], object]] = {}


def register_recovery(name: str, fn: Callable[[], object]) -> None:
    """Run ``fn()`` in every round of the jobs loop; registering a name again replaces its function."""
    RECOVERIES[name] = fn


def run_recoveries() -> dict[str, object]:
    """Run every registered recovery; one failing does not stop the others. Returns each one's result
    (``{"error": …}`` for a failure)."""
    out: dict[str, object] = {}
    for name, fn in RECOVERIES.items():
        try:
            out[name] = fn()
        except Exception as exc:  # the next round retries; the rest must still run
            log.exception("%s recovery failed", name)
            out[name] = {"error": str(exc)}
    return out
