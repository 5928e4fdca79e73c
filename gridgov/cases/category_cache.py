"""The active categories by code, kept in each process for intake.

Every intake needs its category, and categories change rarely (in admin). Each process keeps the rows of
the active categories in memory and hands out a fresh ``Category`` built from them, so no instance is
shared between requests. Saving or deleting a category (``post_save`` / ``post_delete``, connected in
``gridgov.cases.receivers``) moves ``CategoryVersion`` and drops this process's copy at once and again when
the transaction commits; other processes notice the new version on their next intake after
``RECHECK_SECONDS`` (one cheap primary-key read, at most once per interval), the same scheme as the point →
grid lookup in ``gridgov.areas.lookup``. ``QuerySet.update()`` sends no signal: code that changes
categories that way must call :func:`bump_version`.

The copy also holds each category's attributes (``CategoryAttribute``, inherited down the tree), which
intake checks and Open311 publishes; saving or deleting an attribute moves the version the same way.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from django.db import transaction

RECHECK_SECONDS = 1.0


@dataclass(frozen=True)
class Attribute:
    """One attribute a category asks for (``CategoryAttribute``), as the cache keeps it."""

    code: str
    datatype: str
    label: str
    description: str
    required: bool
    order: int
    values: tuple[tuple[str, str], ...]  # (key, name) of a list type's choices


@dataclass(frozen=True)
class _Rows:
    version: int
    fields: list[str]
    by_code: dict[str, tuple]
    # by category id: its own attributes and those of its ancestors (the nearest definition of a code wins)
    attributes: dict[int, tuple[Attribute, ...]] = field(default_factory=dict)
    # ids of the active categories that have active sub-categories
    parents: frozenset[int] = frozenset()


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
    by_code = {row[code]: row for row in rows}
    pk, parent = fields.index("id"), fields.index("parent_id")
    return _Rows(
        version=version,
        fields=fields,
        by_code=by_code,
        attributes=_load_attributes([row[pk] for row in by_code.values()]),
        parents=frozenset(row[parent] for row in by_code.values() if row[parent] is not None),
    )


def _load_attributes(category_ids: list[int]) -> dict[int, tuple[Attribute, ...]]:
    """Each active category's attributes, inherited down the tree: a parent's attribute applies to its
    sub-categories unless they define the same code themselves."""
    from gridgov.cases.models import Category, CategoryAttribute

    own: dict[int, list[Attribute]] = {}
    for cid, *values in CategoryAttribute.objects.order_by().values_list(
        "category_id", "code", "datatype", "label", "description", "required", "order", "values"
    ):
        choices = tuple(
            (str(v.get("key", "")), str(v.get("name", ""))) for v in (values[-1] or []) if isinstance(v, dict)
        )
        own.setdefault(cid, []).append(Attribute(*values[:-1], values=choices))
    if not own:
        return {}
    parents = dict(Category.objects.order_by().values_list("id", "parent_id"))
    result: dict[int, tuple[Attribute, ...]] = {}
    for cid in category_ids:
        chain, node, seen = [], cid, set()
        while node is not None and node not in seen:
            seen.add(node)
            chain.append(node)
            node = parents.get(node)
        merged: dict[str, Attribute] = {}
        for node in reversed(chain):  # the root first, so a nearer definition replaces a farther one
            merged.update({a.code: a for a in own.get(node, ())})
        if merged:
            result[cid] = tuple(sorted(merged.values(), key=lambda a: (a.order, a.code)))
    return result


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


def attributes_of(category_id: int) -> tuple[Attribute, ...]:
    """The attributes a report of this active category may carry (its own and its ancestors')."""
    return _get_rows().attributes.get(category_id, ())


def has_active_children(category_id: int) -> bool:
    """Whether an active category has active sub-categories (then reports go to those)."""
    return category_id in _get_rows().parents


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
