"""Daily reference numbers (``610302-20261121-000123``, ``FW-20261121-000007``, ``XY-…``).

Each series keeps a counter row per day (and key); the next number is taken in one upsert statement
(``INSERT … ON CONFLICT DO UPDATE … RETURNING``; SQLite has had both since 3.35), so two writers can never
get the same number and the row is locked only for that statement. The caller chooses the transaction:
inside its own (a refused write leaves no gap) or autocommit before it (the counter is not held for the
whole write; a failed write leaves a gap).
"""

from __future__ import annotations

from datetime import date

from django.db import connection, models


def next_daily_number(counter: type[models.Model], day: date, **key) -> int:
    """Increment and return ``counter``'s ``last`` for ``day`` and ``key`` (its unique columns)."""
    table = connection.ops.quote_name(counter._meta.db_table)
    columns = [*key, "day"]
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    marks = ", ".join(["%s"] * len(columns))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({names}, last) VALUES ({marks}, 1) "
            f"ON CONFLICT ({names}) DO UPDATE SET last = {table}.last + 1 RETURNING last",
            [*key.values(), day],
        )
        (last,) = cursor.fetchone()
    return last


def next_ref(counter: type[models.Model], prefix: str, day: date, **key) -> str:
    """The next reference number of ``prefix``'s series for ``day``: ``<prefix>-<yyyymmdd>-<6 digits>``."""
    return f"{prefix}-{day:%Y%m%d}-{next_daily_number(counter, day, **key):06d}"
