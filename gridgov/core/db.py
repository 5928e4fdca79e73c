"""Database helpers that are not queries of one app."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

from django.db import connection, models, transaction
from django.db.models import signals

from gridgov.core.cleaners import refuse_text_over_limit


@contextmanager
def prepared_statements() -> Iterator[None]:
    """Statements run inside are prepared on the PostgreSQL server at first use and reused by the connection
    afterwards: parsed and planned once instead of on every request.

    Only for statements whose best plan does not depend on their values: inserts, the counter upsert, a
    lookup by a unique key. After five runs PostgreSQL may keep one generic plan for a prepared statement;
    for a report filtered on an area prefix and a date range that plan is several times slower than one
    made with the values (measured: the street KPIs' p95 went from 86 to 694 ms on the 3-million-case city),
    so nothing outside this block is prepared (the connection's ``prepare_threshold`` is ``None``).

    A no-op on SQLite, and on PostgreSQL with ``GRIDGOV_DB_PREPARE=off`` (values inlined on the client).
    """
    if connection.vendor != "postgresql" or not connection.settings_dict["OPTIONS"].get(
        "server_side_binding"
    ):
        yield
        return
    connection.ensure_connection()
    raw = connection.connection
    before = raw.prepare_threshold
    raw.prepare_threshold = 0
    try:
        yield
    finally:
        raw.prepare_threshold = before


def insert_together(parent: models.Model, *children: tuple[models.Model, tuple[str, ...]]) -> None:
    """Insert ``parent`` and its ``children`` as one write: all rows or none. Each child is given with the
    names of its foreign keys that point at ``parent`` (they take its new id; ``()`` for none). Afterwards
    every object has its ``pk``, as after ``save()``.

    On PostgreSQL this is one statement (``WITH p AS (INSERT … RETURNING id), … INSERT … (SELECT id FROM
    p) …``): one round trip instead of a ``BEGIN``, an ``INSERT`` per row and a ``COMMIT``, which is most of
    what an intake costs the server and the database. Values go through each field's ``pre_save`` and
    ``get_db_prep_save``, as in ``save()``; the models' own ``save()`` is not called, so it is used only
    for new rows whose ``save()`` adds nothing to an insert. Where a model has ``pre_save`` or
    ``post_save`` receivers (other than the text-limit check, made here for every row), or on SQLite (which has no ``INSERT`` in ``WITH``), the rows are saved one by
    one with ``save()`` in ``atomic()`` instead.
    """
    rows = [parent, *(child for child, _ in children)]
    for obj in rows:
        if obj.pk is not None:
            raise ValueError(f"insert_together inserts new rows only; {obj!r} has a primary key")
    for obj in rows:  # the check every save of a gridgov model gets (a pre_save receiver)
        refuse_text_over_limit(type(obj), obj)
    if connection.vendor != "postgresql" or any(
        _other_receivers(signals.pre_save, type(obj)) or signals.post_save.has_listeners(type(obj))
        for obj in rows
    ):
        with transaction.atomic():
            parent.save()
            _link(parent, children)
            for child, _ in children:
                child.save()
        return

    params: list = []
    names = ["p", *(f"c{n}" for n in range(len(children)))]
    entries = [(parent, ()), *children]
    parts = [
        f"{name} AS ({_insert_sql(obj, links, params)})"
        for name, (obj, links) in zip(names, entries, strict=True)
    ]
    qn = connection.ops.quote_name
    returned = ", ".join(
        f"(SELECT {qn(obj._meta.pk.column)} FROM {name})" for obj, name in zip(rows, names, strict=True)
    )
    # In autocommit the statement is its own transaction. Inside a caller's transaction it gets a savepoint,
    # so that a failure (a unique key taken) leaves the caller's transaction usable, as save() in atomic() does.
    with transaction.atomic() if connection.in_atomic_block else nullcontext(), connection.cursor() as cursor:
        cursor.execute(f"WITH {', '.join(parts)} SELECT {returned}", params)
        ids = cursor.fetchone()
    for obj, new_id in zip(rows, ids, strict=True):
        obj.pk = new_id
        obj._state.adding = False
        obj._state.db = connection.alias
    _link(parent, children)


def _other_receivers(signal, model: type[models.Model]) -> bool:
    """Whether ``signal`` has receivers for ``model`` besides the text-limit check (run here directly)."""
    sync, asynchronous = signal._live_receivers(model)
    return any(r is not refuse_text_over_limit for r in [*sync, *asynchronous])


def _link(parent: models.Model, children) -> None:
    """Point the children's links at the parent, now that it has its id."""
    for child, links in children:
        for name in links:
            setattr(child, name, parent)


def _insert_sql(obj: models.Model, links: tuple[str, ...], params: list) -> str:
    """``INSERT INTO t (…) VALUES (…) RETURNING id`` for a new ``obj``; the fields named in ``links`` take
    the id of the row inserted as ``p``. Appends the values to ``params``. Columns whose value is NULL are
    left out: a new case has two dozen empty timestamps, and with them the statement would pass psycopg's
    limit of 50 values for caching its parsed form (it would parse the text again on every intake)."""
    meta = obj._meta
    qn = connection.ops.quote_name
    columns, values = [], []
    for field in meta.local_concrete_fields:
        if field.generated or field is meta.auto_field:
            continue
        columns.append(qn(field.column))
        if field.name in links:
            values.append(f"(SELECT {qn(field.target_field.column)} FROM p)")
            continue
        value = field.get_db_prep_save(field.pre_save(obj, add=True), connection=connection)
        if value is None and not field.has_db_default():
            columns.pop()  # left out, the column is NULL all the same; fewer values to send and bind
            continue
        values.append("%s")
        params.append(value)
    return (
        f"INSERT INTO {qn(meta.db_table)} ({', '.join(columns)}) VALUES ({', '.join(values)}) "
        f"RETURNING {qn(meta.pk.column)}"
    )
