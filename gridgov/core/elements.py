"""Data elements (数据项): the named counts that assessment indicators, dashboards and reports are built from.

Each app registers a :class:`Source` from its ``AppConfig.ready``: the elements it can count and two
functions — ``count`` answers every requested element of the source for a :class:`Grouping` and a
:class:`~gridgov.core.periods.Period` in one grouped query (a few where the rows live in different tables),
and ``rows`` answers the rows behind one element for one group (the drill-down). Elements count what
was *done for people* — cases handled, households visited, wishes fulfilled — never activity: an element
that counts sign-ins, time online, check-ins, photos or distance walked is refused at registration
(national rules against 指尖上的形式主义; ``ACTIVITY_WORDS``).

The registry sits in core so that every app can register without importing the assessment module, which
sits above them all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.models import CharField, Count, Q, QuerySet
from django.db.models.functions import Substr

from gridgov.core.periods import Period

AREA, UNIT = "area", "unit"

# No element may count activity instead of outcomes (the national 减负 rules): these words in an element's
# name refuse it at registration, and a test walks the registry for them as well.
ACTIVITY_WORDS = (
    "signin",
    "sign_in",
    "login",
    "logon",
    "online",
    "checkin",
    "check_in",
    "clock_in",
    "attendance_app",
    "photo",
    "picture",
    "distance",
    "walked",
    "steps",
    "track",
    "location_report",
)

Key = str | int | None
Value = int | Decimal


def prefix_q(field_name: str, prefix: str) -> Q:
    """``field`` starts with ``prefix``, as the range [prefix, prefix + 1) for digit codes (an index range
    under any collation; decision 1), else ``startswith``."""
    upper = str(int(prefix) + 1).zfill(len(prefix)) if prefix.isdigit() else ""
    if len(upper) != len(prefix):
        return Q(**{f"{field_name}__startswith": prefix})
    return Q(**{f"{field_name}__gte": prefix, f"{field_name}__lt": upper})


@dataclass(frozen=True)
class Grouping:
    """Which rows count and how they are grouped.

    ``area``: rows whose area code lies under one of ``roots``, grouped by the first ``length`` characters of
    the code (12: by community, 15: by grid; a row located above that level has a shorter key and belongs
    to no group of the pool). ``unit``: rows of the units ``units``, grouped by unit id."""

    kind: str
    roots: tuple[str, ...] = ()
    length: int = 0
    units: tuple[int, ...] = ()

    @classmethod
    def areas(cls, roots: Iterable[str], length: int) -> Grouping:
        return cls(AREA, tuple(sorted(set(roots))), length)

    @classmethod
    def of_units(cls, units: Iterable[int]) -> Grouping:
        return cls(UNIT, units=tuple(sorted(set(units))))

    def area_q(self, field_name: str) -> Q:
        """Rows of the pool's areas, on an area-code column."""
        q = Q(pk__in=[])
        for root in self.roots:
            q |= prefix_q(field_name, root)
        return q

    def area_key(self, field_name: str):
        return Substr(field_name, 1, self.length, output_field=CharField())

    def key_q(self, field_name: str, key: Key) -> Q:
        """The rows of one group, on an area-code column (area pools) or a unit id column (unit pools)."""
        if self.kind == AREA:
            key = str(key or "")
            if len(key) != self.length or not any(key.startswith(r) for r in self.roots):
                return Q(pk__in=[])
            return prefix_q(field_name, key)
        return Q(**{field_name: key}) if key in self.units else Q(pk__in=[])


@dataclass(frozen=True)
class Basis:
    """What a count is read against: ``now`` (deadlines not reached by now are not due yet) and the rows
    excluded by decision (assessment exemptions), as model label → ids."""

    now: datetime
    excluded: Mapping[str, frozenset[int]] = field(default_factory=dict)

    def excluded_ids(self, model_label: str) -> frozenset[int]:
        return self.excluded.get(model_label, frozenset())


@dataclass(frozen=True)
class Element:
    name: str  # "<app>.<count>", e.g. "cases.closed_on_time"
    label: Any  # lazy translatable
    help: Any  # the definition in words, lazy translatable
    model: str  # label of the rows counted, e.g. "cases.Case": what the drill-down lists
    kinds: frozenset[str] = frozenset({AREA})  # the groupings it can be counted by
    stock: bool = False  # counted as the rows stand now, not the rows of the period (e.g. households)


CountFn = Callable[[Sequence[str], Grouping, Period, Basis], dict[str, dict[Key, Value]]]
RowsFn = Callable[[str, Grouping, Key, Period, Basis], QuerySet]


@dataclass(frozen=True)
class Source:
    """The elements one app counts together and how."""

    app: str
    elements: tuple[Element, ...]
    count: CountFn
    rows: RowsFn
    # A row of the drill-down as {"ref", "url", "title", "state", "at"}: what a person needs to find it,
    # never personal data (an address label, a case number, a category — no names or phones).
    describe: Callable[[Any], dict] | None = None


def asked(names: Iterable[str], counts: Iterable[str]) -> list[str]:
    """The counts asked of a source (``<app>.<count>`` names) that it knows, without the app, in order."""
    known = set(counts)
    return [short for short in (name.split(".", 1)[1] for name in names) if short in known]


def counted(conditions: Mapping[str, Q], wanted: Iterable[str]) -> dict[str, Count]:
    """``COUNT(id) FILTER (WHERE condition)`` for each wanted count."""
    return {n: Count("pk", filter=conditions[n]) for n in wanted}


def grouped(
    qs: QuerySet, key, aggregates: Mapping[str, Any], app: str, out: dict[str, dict[Key, Value]] | None = None
) -> dict[str, dict[Key, Value]]:
    """One grouped statement: every aggregate per ``key`` (an expression: an area-code prefix or a unit id),
    added to ``out`` as ``{"<app>.<count>": {key: value}}`` (a sum over no rows is 0). The body of almost
    every source's ``count``."""
    out = {} if out is None else out
    for row in qs.order_by().values(key=key).annotate(**aggregates):
        for name in aggregates:
            out.setdefault(f"{app}.{name}", {})[row["key"]] = row[name] or 0
    return out


_SOURCES: dict[str, Source] = {}
_ELEMENTS: dict[str, tuple[Element, Source]] = {}


def _is_activity(name: str) -> bool:
    compact = name.lower()
    return any(word in compact for word in ACTIVITY_WORDS)


def register(source: Source) -> None:
    """Register (or replace, on a reload) an app's source; refuses an activity element."""
    for element in source.elements:
        if not element.name.startswith(source.app + "."):
            raise ImproperlyConfigured(f"element {element.name} must be named {source.app}.<count>")
        if _is_activity(element.name):
            raise ImproperlyConfigured(f"element {element.name} counts activity, not outcomes")
    old = _SOURCES.get(source.app)
    if old is not None:
        for element in old.elements:
            _ELEMENTS.pop(element.name, None)
    _SOURCES[source.app] = source
    for element in source.elements:
        _ELEMENTS[element.name] = (element, source)


def elements() -> list[Element]:
    return [element for element, _source in _ELEMENTS.values()]


def element(name: str) -> Element | None:
    found = _ELEMENTS.get(name)
    return found[0] if found else None


def source_of(name: str) -> Source | None:
    found = _ELEMENTS.get(name)
    return found[1] if found else None


def count(
    names: Iterable[str], grouping: Grouping, period: Period, basis: Basis
) -> dict[str, dict[Key, Value]]:
    """Every named element for every group: one call per source (one grouped query each). Groups without
    rows are absent (read them as 0). Unknown names raise ``KeyError``."""
    by_source: dict[str, list[str]] = {}
    for name in dict.fromkeys(names):
        _element, source = _ELEMENTS[name]
        by_source.setdefault(source.app, []).append(name)
    out: dict[str, dict[Key, Value]] = {}
    for app, wanted in by_source.items():
        answer = _SOURCES[app].count(wanted, grouping, period, basis)
        for name in wanted:
            out[name] = {k: v for k, v in answer.get(name, {}).items() if v}
    return out


def rows(name: str, grouping: Grouping, key: Key, period: Period, basis: Basis) -> QuerySet:
    """The rows counted by element ``name`` for the group ``key`` (unscoped: the caller checks who may see
    the group)."""
    _element, source = _ELEMENTS[name]
    return source.rows(name, grouping, key, period, basis)


def describe(name: str, row) -> dict:
    _element, source = _ELEMENTS[name]
    if source.describe:
        return source.describe(row)
    url = getattr(row, "get_absolute_url", None)
    return {"ref": str(row.pk), "url": url() if url else "", "title": str(row), "state": "", "at": None}
