"""Small per-process copies of rows every Open311 request reads and that change rarely: the districts
(jurisdictions) and the client applications by key prefix.

A copy is trusted for ``seconds`` and then read again; saving or deleting such a row in this process drops
it at once (receivers in ``apps.py``), other processes see the change within ``seconds``. So a revoked key
stops working in this process at once and in every other within :data:`APP_SECONDS` — the price of not
reading the application's row on every report.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

DISTRICT_SECONDS = 10.0
APP_SECONDS = 5.0

_lock = threading.Lock()
_entries: dict[Hashable, tuple[float, Any]] = {}


def get(key: Hashable, seconds: float, load: Callable[[], Any]) -> Any:
    """The copy of ``key`` if it is younger than ``seconds``, else ``load()`` (kept unless it is ``None``)."""
    now = time.monotonic()
    kept = _entries.get(key)
    if kept is not None and now - kept[0] < seconds:
        return kept[1]
    value = load()
    if value is not None:
        with _lock:
            _entries[key] = (now, value)
    return value


def drop(predicate: Callable[[Hashable], bool] | None = None) -> None:
    """Forget the copies whose key matches ``predicate`` (all of them without one)."""
    with _lock:
        for key in [k for k in _entries if predicate is None or predicate(k)]:
            del _entries[key]
