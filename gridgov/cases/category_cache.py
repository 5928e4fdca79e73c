"""The active categories by code, kept in each process for intake.

Every intake needs its category, and categories change rarely (in admin). Each process keeps the rows of
the active categories in memory and hands out a fresh ``Category`` built from them, so no instance is
shared between requests. Saving or deleting a category (``post_save`` / ``post_delete``, connected in
``gridgov.cases.receivers``) moves ``CategoryVersion`` and drops this process's copy at once and again when
the transaction commits; other processes notice the new version on their next intake after
``RECHECK_SECONDS`` (one cheap primary-key read, at most once per interval), the same scheme as the point →
grid lookup in ``gridgov.areas.lookup``. ``QuerySet.update()`` sends no signal: code that changes
categories that way must call :func:`bump_version`.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from django.db import transaction

RECHECK_SECONDS = 1.0


@dataclass(frozen=True)
class _Rows:
    version: int
    fields: list[str]
    by_code: dict[str, tuple]


_lock = threading.Lock()
_rows: _Rows | None = None
_checked_at = 0.0


def _current_version() -> int:
    from gridgov.cases.models import CategoryVersion

    return CategoryVersion.objects.filter(pk=1).values_list("version", flat=True).first() or 0


def _load(version: int) -> _Rows:
    from gridgov.cases.models import Category

    fields = [f.attname for f in Category._meta.concrete_fields]
    rows = Category.objects.filter(is_active=True).order_by().values_list(*fields)
    code = fields.index("code")
    return _Rows(version=version, fields=fields, by_code={row[code]: row for row in rows})


def _get_rows() -> _Rows:
    global _rows, _checked_at
    now = time.monotonic()
    rows = _rows
    if rows is not None and now - _checked_at < RECHECK_SECONDS:
        return rows
    with _lock:
        version = _current_version()
        if _rows is None or _rows.version != version:
            _rows = _load(version)
        _checked_at = now
        return _rows


def active_category(code: str):
    """The active category with this code, as a fresh instance, or None."""
    from gridgov.cases.models import Category

    rows = _get_rows()
    row = rows.by_code.get(code)
    return Category.from_db("default", rows.fields, row) if row is not None else None


def invalidate() -> None:
    """Drop this process's copy."""
    global _rows
    with _lock:
        _rows = None


def bump_version() -> None:
    from django.db.models import F

    from gridgov.cases.models import CategoryVersion

    updated = CategoryVersion.objects.filter(pk=1).update(version=F("version") + 1)
    if not updated:
        CategoryVersion.objects.get_or_create(pk=1, defaults={"version": 1})
    invalidate()
    # A request of this process may reload the old rows before the change commits; drop them again then.
    transaction.on_commit(invalidate)
