"""Reads that may come from a read replica (decision 46; docs/deploy.md "A read replica").

With ``GRIDGOV_READ_DATABASE_URL`` set, the database alias ``replica`` exists (a PostgreSQL streaming
standby, or any copy that follows the primary). Code that only reads and may see the primary's state a
moment late — dashboards, the grid map, report figures — wraps its reads in :func:`reading_replica`; the
router then sends them to the replica. Everything else, every write, and every read made inside a
transaction on the primary (which must see its own writes) stays on the primary. Without the setting,
nothing changes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"
_reading: ContextVar[bool] = ContextVar("gridgov_reading_replica", default=False)


def configured() -> bool:
    return REPLICA in settings.DATABASES


@contextmanager
def reading_replica() -> Iterator[None]:
    """Reads inside this block may come from the replica."""
    token = _reading.set(True)
    try:
        yield
    finally:
        _reading.reset(token)


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if _reading.get() and configured() and not connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return REPLICA
        return None

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS


def replica_reads(fn):
    """Decorate a read-only function: its reads may come from the replica (:func:`reading_replica`)."""
    from functools import wraps

    @wraps(fn)
    def wrapper(*args, **kwargs):
        with reading_replica():
            return fn(*args, **kwargs)

    return wrapper
