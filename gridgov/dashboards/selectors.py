"""Reads of the command centre (SPEC M12). Every function takes the reader first and answers only for an
area in the reader's scope (404 otherwise): staff and admins; units, residents and volunteers are refused
(403). Figures come from the roll-up (``figures``), the element sources (``core.elements``) and the
assessment module's kept rankings; the rows behind a figure come from the cases selector, so a click
lands on exactly the cases counted. docs/dashboards.md defines each figure."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from django.db import DEFAULT_DB_ALIAS
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.fields.json import KT
from django.db.models.functions import Substr
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from gridgov.areas.models import Area
from gridgov.areas.selectors import area_get_visible, area_path_visible, area_scope_roots
from gridgov.assessment.formula import parse
from gridgov.assessment.models import Indicator
from gridgov.assessment.scoring import as_decimal, indicator_value
from gridgov.assessment.selectors import kept_rows, rounds_published_for
from gridgov.cases.models import OPEN_STATES, Case, CaseEvent, Category, Sla, WhistleCall
from gridgov.cases.selectors import cases_visible_to
from gridgov.core import elements
from gridgov.core.elements import Basis, Grouping, prefix_q
from gridgov.core.errors import DomainError, NotFound
from gridgov.core.periods import Period
from gridgov.core.replica import replica_reads
from gridgov.core.scope import in_scope, is_staff
from gridgov.core.timeline import timeline_rows
from gridgov.dashboards import figures
from gridgov.dashboards.figures import ACTION_FLOW, GRID, KEPT, day_bounds
from gridgov.dashboards.models import (
    FLOWS,
    STOCKS,
    DayFigure,
    FiguresMark,
    GridMonth,
    Hotspot,
    Report,
    StockFigure,
)
from gridgov.dashboards.workflow import HOTSPOT, hotspot_visible
from gridgov.ledger.models import Resident
from gridgov.orders.models import OPEN_STATES as OPEN_ORDER_STATES
from gridgov.orders.models import Order
from gridgov.projects.models import Need, Project
from gridgov.wishes.models import State as WishState
from gridgov.wishes.models import Wish

TREND_DAYS = 30

# The landing page's tiles: (key, label, kind). A flow counts the day's events, a stock the open cases.
TILES = (
    ("reported", gettext_lazy("新上报"), "flow"),
    ("accepted", gettext_lazy("受理"), "flow"),
    ("overdue", gettext_lazy("超时未办结"), "stock"),
    ("warning", gettext_lazy("临期预警"), "stock"),
    ("escalated", gettext_lazy("升级处置"), "flow"),
    ("whistle_waiting", gettext_lazy("吹哨待报到"), "stock"),
    ("reopened", gettext_lazy("重办"), "flow"),
    ("closed", gettext_lazy("结案"), "flow"),
)
TILE_KINDS = {key: kind for key, _label, kind in TILES}
FLOW_ACTION = {flow: action for action, flow in ACTION_FLOW.items()}


# ---------------------------------------------------------------- who and where


def require_viewer(user) -> None:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        raise DomainError("unauthenticated", _("需要登录或有效的访问令牌"), status=401)
    if not is_staff(user):
        raise DomainError("forbidden", _("指挥中心只对工作人员开放"), status=403)


def area_for(user, code: str | None = None) -> Area:
    """The area a dashboard shows: ``code`` when it is in the reader's scope (404 otherwise), else the
    reader's own top area. Below a grid (a micro-grid) the grid is shown."""
    require_viewer(user)
    if not code:
        roots = sorted(area_scope_roots(user), key=lambda a: (len(a.code), a.code))
        if not roots:
            raise NotFound(_("您的账号没有管辖区域"), field="area")
        code = roots[0].code
    code = code[:GRID]
    try:
        return area_get_visible(user, code)
    except NotFound as exc:
        raise NotFound(exc.message, field="area") from None


def _place(area: Area) -> dict:
    return {
        "code": area.code,
        "name": area.name,
        "level": area.level,
        "level_label": area.get_level_display(),
    }


def as_of() -> datetime | None:
    return FiguresMark.objects.filter(key="cases").values_list("refreshed_at", flat=True).first()


# ---------------------------------------------------------------- the landing page


def _flows(code: str, start: date, end: date, *, field: str = "area_code") -> dict[date, dict]:
    rows = DayFigure.objects.filter(**{field: code}, category__isnull=True, day__gte=start, day__lte=end)
    out: dict[date, dict] = {}
    for row in rows.values("day", *FLOWS):
        out[row.pop("day")] = row
    return out


def _stocks(code: str, days: list[date]) -> dict[date, dict]:
    """The open cases kept for each of ``days`` (zeros on a day kept without any here; a day no refresh
    kept is absent)."""
    kept = set(StockFigure.objects.filter(area_code=KEPT, day__in=days).values_list("day", flat=True))
    rows = StockFigure.objects.filter(area_code=code, category__isnull=True, unit__isnull=True, day__in=days)
    found = {row.pop("day"): row for row in rows.values("day", *STOCKS)}
    return {day: found.get(day, dict.fromkeys(STOCKS, 0)) for day in kept}


def tiles(user, area: Area, *, now: datetime | None = None) -> list[dict]:
    """Today's figures beside yesterday's and the same day last week, each with the list behind it."""
    today = timezone.localdate(now or timezone.now())
    days = [today, today - timedelta(days=1), today - timedelta(days=7)]
    flows = _flows(area.code, days[2], today)
    stocks = _stocks(area.code, days)
    out = []
    for key, label, kind in TILES:
        source = flows if kind == "flow" else stocks
        values = [
            source.get(day, {}).get(key, 0) if (kind == "flow" or day in stocks) else None for day in days
        ]
        out.append(
            {
                "key": key,
                "label": str(label),
                "kind": kind,
                "today": values[0],
                "yesterday": values[1],
                "last_week": values[2],
                "url": figure_url(area.code, key, today if kind == "flow" else None),
            }
        )
    return out


def figure_url(code: str, figure: str, day: date | None = None) -> str:
    url = reverse("dashboards:cases", args=[code, figure])
    return f"{url}?day={day.isoformat()}" if day else url


def trend(area: Area, *, now: datetime | None = None, days: int = TREND_DAYS) -> list[dict]:
    today = timezone.localdate(now or timezone.now())
    return daily(area.code, today - timedelta(days=days - 1), today)


def daily(code: str, start: date, end: date) -> list[dict]:
    """The flows of each day of [start, end] (zeros on days without any)."""
    flows = _flows(code, start, end)
    zero = dict.fromkeys(FLOWS, 0)
    return [
        {"day": start + timedelta(days=i), **flows.get(start + timedelta(days=i), zero)}
        for i in range((end - start).days + 1)
    ]


def totals(code: str, start: date, end: date) -> dict:
    """The flows of [start, end] added up."""
    rows = DayFigure.objects.filter(area_code=code, category__isnull=True, day__gte=start, day__lte=end)
    summed = rows.aggregate(**{name: Sum(name) for name in FLOWS})
    return {name: summed[name] or 0 for name in FLOWS}


def category_counts(code: str, start: date, end: date) -> dict[int, int]:
    """Cases reported per category in [start, end] (category id → count)."""
    if len(code) < GRID:
        rows = (
            DayFigure.objects.filter(area_code=code, category__isnull=False, day__gte=start, day__lte=end)
            .values("category_id")
            .annotate(n=Sum("reported"))
        )
        return {row["category_id"]: row["n"] or 0 for row in rows if row["n"]}
    begin, _end = day_bounds(start)
    _begin, finish = day_bounds(end)
    rows = (  # a grid's few cases are counted directly
        Case.objects.filter(
            prefix_q("area_code", code), reported_at__gte=begin, reported_at__lt=finish, historical=False
        )
        .values("category_id")
        .annotate(n=Count("pk"))
    )
    return {row["category_id"]: row["n"] for row in rows}


def categories(
    area: Area, *, now: datetime | None = None, days: int = TREND_DAYS, limit: int = 10
) -> list[dict]:
    """The categories of the cases reported in the last ``days`` days, most first."""
    today = timezone.localdate(now or timezone.now())
    return ranked_categories(category_counts(area.code, today - timedelta(days=days - 1), today), limit=limit)


def ranked_categories(
    counts: dict[int, int], *, previous: dict[int, int] | None = None, limit: int = 10
) -> list[dict]:
    found = {
        pk: (code, name)
        for pk, code, name in Category.objects.filter(pk__in=counts).values_list("pk", "code", "name")
    }
    ranked = sorted((pk for pk, n in counts.items() if n), key=lambda pk: (-counts[pk], found[pk][1]))
    out = []
    for pk in ranked[:limit]:
        row = {"code": found[pk][0], "name": found[pk][1], "reported": counts[pk]}
        if previous is not None:
            row["previous"] = previous.get(pk, 0)
        out.append(row)
    return out


def children(area: Area, *, now: datetime | None = None, days: int = TREND_DAYS) -> list[dict]:
    """Each active child area: cases reported and closed in the last ``days`` days, open and overdue now."""
    today = timezone.localdate(now or timezone.now())
    return child_rows(area, today - timedelta(days=days - 1), today, latest_stock_day(today))


def child_rows(area: Area, start: date, end: date, stock_day: date) -> list[dict]:
    """Each active child area: flows of [start, end] and the open cases kept for ``stock_day``."""
    flows = (
        DayFigure.objects.filter(parent_code=area.code, category__isnull=True, day__gte=start, day__lte=end)
        .values("area_code")
        .annotate(**{name: Sum(name) for name in FLOWS})
    )
    flow = {row["area_code"]: row for row in flows}
    stock = {
        row["area_code"]: row
        for row in StockFigure.objects.filter(
            parent_code=area.code, category__isnull=True, unit__isnull=True, day=stock_day
        ).values("area_code", *STOCKS)
    }
    out = []
    for child in Area.objects.filter(parent=area, is_active=True).order_by("code"):
        f, s = flow.get(child.code, {}), stock.get(child.code, {})
        out.append(
            {
                **_place(child),
                **{name: f.get(name) or 0 for name in FLOWS},
                **{f"{name}_now" if name == "overdue" else name: s.get(name, 0) for name in STOCKS},
                "url": reverse("dashboards:area", args=[child.code]),
                "overdue_url": figure_url(child.code, "overdue"),
            }
        )
    return out


def latest_stock_day(today: date) -> date:
    """Today, or the last day stocks were kept for (before the first refresh of a day)."""
    day = (
        StockFigure.objects.filter(area_code=KEPT, day__lte=today)
        .order_by("-day")
        .values_list("day", flat=True)
    )
    return day.first() or today


def stock_kept(day: date) -> bool:
    """Whether a refresh kept the open cases for ``day``."""
    return StockFigure.objects.filter(area_code=KEPT, day=day).exists()


def stock(code: str, day: date) -> dict:
    row = (
        StockFigure.objects.filter(area_code=code, category__isnull=True, unit__isnull=True, day=day)
        .values(*STOCKS)
        .first()
    )
    return row or dict.fromkeys(STOCKS, 0)


def units(area: Area, *, now: datetime | None = None, limit: int = 10) -> list[dict]:
    """The lead units with most overdue open cases in the area (then most open)."""
    today = timezone.localdate(now or timezone.now())
    return unit_rows(area, latest_stock_day(today), limit=limit)


def unit_rows(area: Area, stock_day: date, *, limit: int = 10) -> list[dict]:
    if len(area.code) < GRID:
        rows = StockFigure.objects.filter(area_code=area.code, unit__isnull=False, day=stock_day).values(
            "unit_id", "unit__name", "open", "overdue"
        )
        found = [
            {"id": r["unit_id"], "name": r["unit__name"], "open": r["open"], "overdue": r["overdue"]}
            for r in rows
        ]
    else:
        rows = (
            Case.objects.filter(
                prefix_q("area_code", area.code), state__in=OPEN_STATES, lead_unit__isnull=False
            )
            .values("lead_unit_id", "lead_unit__name")
            .annotate(open=Count("pk"), overdue=Count("pk", filter=Q(sla=Sla.OVERDUE)))
        )
        found = [
            {
                "id": r["lead_unit_id"],
                "name": r["lead_unit__name"],
                "open": r["open"],
                "overdue": r["overdue"],
            }
            for r in rows
        ]
    found.sort(key=lambda r: (-r["overdue"], -r["open"], r["name"]))
    return found[:limit]


def visits(
    area: Area, *, now: datetime | None = None, period: Period | None = None, must: bool = False
) -> dict:
    """Visit coverage of ``period`` (default: this month; the visits elements, as the assessment counts
    them). ``must``: also the must-visit households visited on time — a heavier count, left to the reports."""
    now = now or timezone.now()
    period = period or Period.of("month", timezone.localdate(now))
    names = ["visits.households", "visits.households_visited"]
    if must:
        names += ["visits.must_visit", "visits.must_visit_on_time"]
    counted = elements.count(names, Grouping.areas([area.code], len(area.code)), period, Basis(now))
    values = {name.split(".", 1)[1]: counted[name].get(area.code, 0) for name in names}
    values["coverage"] = _percent(values["households_visited"], values["households"])
    if must:
        values["must_visit_rate"] = _percent(values["must_visit_on_time"], values["must_visit"])
    return {"period": period.key, **values}


def _percent(numerator: int, denominator: int) -> str | None:
    return as_decimal(Fraction(100 * numerator, denominator), Decimal("0.1")) if denominator else None


def in_flight(area: Area) -> dict:
    """Wishes, service orders, needs and projects under way in the area."""
    where = prefix_q("area_code", area.code)
    return {
        "wishes": Wish.objects.filter(where, state__in=[WishState.PUBLISHED, WishState.CLAIMED]).count(),
        "orders": Order.objects.filter(where, state__in=OPEN_ORDER_STATES).count(),
        "needs": Need.objects.filter(where, state__in=[Need.State.OPEN, Need.State.PLANNED]).count(),
        "projects": Project.objects.filter(
            where, state__in=[Project.State.OPEN, Project.State.IN_PROGRESS]
        ).count(),
    }


def rankings(user, area: Area, *, limit: int = 5) -> list[dict]:
    """The latest published assessment round of each scheme the reader may see, over this area: the first
    and last ``limit`` rows as kept."""
    out, seen = [], set()
    for rnd in rounds_published_for(user):
        scheme = rnd.scheme
        if scheme.pk in seen or not (
            scheme.area_code.startswith(area.code) or area.code.startswith(scheme.area_code)
        ):
            continue
        seen.add(scheme.pk)
        rows = kept_rows(rnd)
        out.append(
            {
                "round": rnd.pk,
                "scheme": scheme.name,
                "period": rnd.period,
                "url": rnd.get_absolute_url(),
                "top": [{"rank": r["rank"], "name": r["name"], "total": r["total"]} for r in rows[:limit]],
                "bottom": [{"rank": r["rank"], "name": r["name"], "total": r["total"]} for r in rows[-limit:]]
                if len(rows) > limit
                else [],
            }
        )
    return out[:3]


@replica_reads
def dashboard(user, code: str | None = None, *, now: datetime | None = None) -> dict:
    """Everything the landing page shows for one area."""
    now = now or timezone.now()
    area = area_for(user, code)
    return {
        "area": _place(area),
        "path": [_place(a) for a in area_path_visible(user, area)],
        "as_of": as_of(),
        "tiles": tiles(user, area, now=now),
        "trend": trend(area, now=now),
        "categories": categories(area, now=now),
        "children": children(area, now=now),
        "units": units(area, now=now),
        "visits": visits(area, now=now),
        "in_flight": in_flight(area),
        "rankings": rankings(user, area),
        "hotspots": [hotspot_row(h) for h in hotspots(user, area.code, limit=5)],
    }


# ---------------------------------------------------------------- the rows behind a figure


FIGURES = tuple(key for key, _label, _kind in TILES)


def figure_cases(
    user, code: str, figure: str, *, day: date | None = None, now: datetime | None = None
) -> QuerySet:
    """The cases behind one tile: for a flow, the cases of the area with that event on ``day`` (default
    today); for a stock, the area's open cases in that state now."""
    area = area_for(user, code)
    if figure not in TILE_KINDS:
        raise DomainError("invalid", _("没有这个统计项"), "figure")
    cases = cases_visible_to(user).filter(prefix_q("area_code", area.code))
    if TILE_KINDS[figure] == "stock":
        cases = cases.filter(state__in=OPEN_STATES)
        if figure == "overdue":
            cases = cases.filter(sla=Sla.OVERDUE)
        elif figure == "warning":
            cases = cases.filter(sla=Sla.WARNING)
        else:
            cases = cases.filter(
                pk__in=WhistleCall.objects.filter(reported_at__isnull=True).values("whistle__case_id")
            )
        return cases.select_related("category", "area", "lead_unit").order_by(
            "resolution_due", "reported_at", "pk"
        )
    day = day or timezone.localdate(now or timezone.now())
    begin, finish = day_bounds(day)
    events = CaseEvent.objects.filter(at__gte=begin, at__lt=finish, action=FLOW_ACTION[figure])
    return (
        cases.filter(pk__in=events.values("case_id"))
        .select_related("category", "area", "lead_unit")
        .order_by("-reported_at", "-pk")
    )


# ---------------------------------------------------------------- the grid map


@dataclass(frozen=True)
class MapIndicator:
    code: str
    name: str
    unit: str
    direction: str  # "higher" or "lower" is better
    good: str | None
    poor: str | None
    figure: str  # the tile whose cases a click on a grid opens


# Indicators of the map besides the assessment catalogue's: counted here, not in an element.
OPEN_OVERDUE = "open_overdue"
CASES_PER_1000 = "cases_per_1000"


def map_indicators() -> list[MapIndicator]:
    own = [
        MapIndicator(OPEN_OVERDUE, _("超时未办结事件数"), _("件"), "lower", "0", "5", "overdue"),
        MapIndicator(CASES_PER_1000, _("千人事件数"), _("件/千人"), "lower", None, None, "reported"),
    ]
    catalogue = [
        MapIndicator(
            ind.code,
            ind.name,
            ind.unit,
            ind.direction,
            None if ind.good is None else str(ind.good),
            None if ind.poor is None else str(ind.poor),
            "overdue",
        )
        for ind in Indicator.objects.filter(is_active=True).order_by("code")
    ]
    return own + catalogue


def map_indicator(code: str) -> MapIndicator:
    for ind in map_indicators():
        if ind.code == code:
            return ind
    raise DomainError("invalid", _("没有这个指标：%(code)s") % {"code": code[:40]}, "indicator")


def grids_under(area: Area) -> QuerySet[Area]:
    return _grids_of([area.code])


def _grids_of(roots: list[str]) -> QuerySet[Area]:
    within = Q(pk__in=[])
    for root in roots:
        within |= prefix_q("code", root)
    return Area.objects.filter(within, level="grid", is_active=True)


@replica_reads
def grid_values(
    user, code: str | None, indicator: str, period: str | None = None, *, now: datetime | None = None
) -> dict:
    """Every grid under the area with its value of ``indicator`` over ``period`` (default: this month)."""
    now = now or timezone.now()
    area = area_for(user, code)
    ind = map_indicator(indicator)
    per = Period.parse(period) if period else Period.of("month", timezone.localdate(now))
    return {
        "area": _place(area),
        "indicator": ind.__dict__,
        "period": {"key": per.key, "start": per.start, "end": per.end},
        "grids": colour([area.code], ind, per, now),
    }


def colour(roots: list[str], ind: MapIndicator, per: Period, now: datetime) -> list[dict]:
    """Each grid under ``roots`` (area codes) with its value of ``ind`` over ``per``: one grouped statement per
    table whatever the number of grids (an indicator of the catalogue through the data elements, open
    overdue cases from the roll-up, cases per 1,000 residents from the ledger)."""
    grids = dict(_grids_of(roots).values_list("code", "name"))
    within = Q(pk__in=[])
    for root in roots:
        within |= prefix_q("area_code", root)
    values: dict[str, Fraction | None] = {}
    if ind.code == OPEN_OVERDUE:
        rows = StockFigure.objects.filter(
            within, day=latest_stock_day(timezone.localdate(now)), category__isnull=True, unit__isnull=True
        ).values_list("area_code", "overdue")
        counted = {c: n for c, n in rows if len(c) == GRID}
        values = {c: Fraction(counted.get(c, 0)) for c in grids}
    elif ind.code == CASES_PER_1000:
        reported = (
            _month_counts(roots, ["cases.reported"], per, now)
            or elements.count(["cases.reported"], Grouping.areas(roots, GRID), per, Basis(now))
        )["cases.reported"]
        residents = dict(
            Resident.objects.filter(within, is_active=True)
            .annotate(grid=Substr("area_code", 1, GRID))
            .values("grid")
            .annotate(n=Count("pk"))
            .values_list("grid", "n")
        )
        for c in grids:
            values[c] = Fraction(1000 * reported.get(c, 0), residents[c]) if residents.get(c) else None
    else:
        row = Indicator.objects.get(code=ind.code)
        definition = {"numerator": row.numerator, "denominator": row.denominator, "factor": str(row.factor)}
        numerator, denominator = (
            parse(text, known=lambda _name: True) if text else None
            for text in (definition["numerator"], definition["denominator"])
        )
        names = list(dict.fromkeys([*numerator.names, *(denominator.names if denominator else ())]))
        counted = _month_counts(roots, names, per, now) or elements.count(
            names, Grouping.areas(roots, GRID), per, Basis(now)
        )
        evaluated: dict[tuple, Fraction | None] = {}  # grids with the same inputs share one evaluation
        for c in grids:  # the formulas are parsed once, not once per grid
            inputs = tuple(counted[name].get(c, 0) for name in names)
            if inputs not in evaluated:
                evaluated[inputs] = indicator_value(
                    definition, dict(zip(names, inputs, strict=True)), (numerator, denominator)
                )[2]
            values[c] = evaluated[inputs]
    return [
        {"code": c, "name": grids[c], "value": None if values.get(c) is None else round(float(values[c]), 4)}
        for c in sorted(grids)
    ]


def _month_counts(roots: list[str], names: list[str], per: Period, now: datetime) -> dict | None:
    """The case elements of a calendar month per grid as the refresh kept them (counted now when the month
    was never counted); ``None`` when the period is not a month or an element is not a case element."""
    if per.kind != "month" or not all(name.startswith("cases.") for name in names):
        return None
    kept_months = GridMonth.objects.all()
    if not kept_months.filter(month=per.start, area_code=KEPT).exists():
        figures.count_month(per.start, now)
        kept_months = GridMonth.objects.using(DEFAULT_DB_ALIAS)  # just written: not yet on a replica
    within = Q(pk__in=[])
    for root in roots:
        within |= prefix_q("area_code", root)
    counted: dict[str, dict[str, int]] = {name: {} for name in names}
    keys = {f"n{i}": KT(f"values__{name}") for i, name in enumerate(names)}  # only the keys needed, as text
    rows = kept_months.filter(within, month=per.start).exclude(area_code=KEPT).annotate(**keys)
    for row in rows.values_list("area_code", *keys):
        for name, value in zip(names, row[1:], strict=True):
            if value:
                counted[name][row[0]] = int(value)
    return counted


@replica_reads
def grid_shapes(user, code: str | None) -> dict:
    """The grids under the area as GeoJSON features (code, name; the boundary as stored)."""
    area = area_for(user, code)
    features = [
        {"type": "Feature", "properties": {"code": c, "name": n}, "geometry": b}
        for c, n, b in grids_under(area)
        .filter(boundary__isnull=False)
        .values_list("code", "name", "boundary")
    ]
    return {"type": "FeatureCollection", "features": features}


@replica_reads
def case_points(user, code: str | None, *, days: int = TREND_DAYS, now: datetime | None = None) -> dict:
    """Points of the area's open cases and of the cases reported in the last ``days`` days: the clusters
    and the heat layer. Only the number, category and place — nothing about the reporter."""
    area = area_for(user, code)
    now = now or timezone.now()
    since, _end = day_bounds(timezone.localdate(now) - timedelta(days=days - 1))
    rows = (
        cases_visible_to(user)
        .filter(prefix_q("area_code", area.code), lat__isnull=False, lng__isnull=False, historical=False)
        .filter(Q(state__in=OPEN_STATES) | Q(reported_at__gte=since))
        .values_list("ref", "lat", "lng", "sla", "state", "category__name")
    )
    points = [
        {
            "ref": ref,
            "lat": lat,
            "lng": lng,
            "overdue": sla == Sla.OVERDUE,
            "open": state in OPEN_STATES,
            "category": cat,
        }
        for ref, lat, lng, sla, state, cat in rows[:20000]
    ]
    return {"area": _place(area), "days": days, "points": points}


# ---------------------------------------------------------------- hot spots


def hotspots(
    user, code: str | None, *, state: str | None = None, limit: int | None = None
) -> QuerySet[Hotspot]:
    area = area_for(user, code)
    qs = Hotspot.objects.filter(prefix_q("area_code", area.code)).select_related("category", "area")
    qs = qs.filter(state=state) if state else qs.exclude(state=Hotspot.State.QUIET)
    qs = qs.order_by("-count", "-last_at", "pk")
    return qs[:limit] if limit else qs


def hotspot_get(user, pk) -> Hotspot:
    require_viewer(user)
    found = Hotspot.objects.filter(pk=pk).select_related("category", "area").first()
    if found is None or not hotspot_visible(user, found):
        raise HOTSPOT.not_found(pk, "hotspot")
    return found


def hotspot_timeline(h: Hotspot) -> list[dict]:
    """The problem's steps: found, quiet, found again, turned into a project or topic."""
    return timeline_rows(h, HOTSPOT.labels())


def _in_scope(user, code: str) -> bool:
    return in_scope(user, code)


def hotspot_row(h: Hotspot) -> dict:
    if h.count > h.previous_count:
        direction = "up"
    elif h.count < h.previous_count:
        direction = "down"
    else:
        direction = "flat"
    return {
        "id": h.pk,
        "category": h.category.name,
        "area": h.area.name,
        "area_code": h.area_code,
        "lat": h.lat,
        "lng": h.lng,
        "radius_m": h.radius_m,
        "count": h.count,
        "previous_count": h.previous_count,
        "trend": direction,
        "first_at": h.first_at,
        "last_at": h.last_at,
        "span_days": (h.last_at - h.first_at).days + 1,
        "state": h.state,
        "state_label": h.get_state_display(),
        "url": h.get_absolute_url(),
    }


def hotspot_cases(user, h: Hotspot) -> QuerySet[Case]:
    return (
        cases_visible_to(user)
        .filter(pk__in=h.case_ids)
        .select_related("category", "area", "lead_unit")
        .order_by("-reported_at")
    )


HOTSPOT_TEXT_READ = 500  # reports read for a problem's words, and of other categories around it


def hotspot_words(user, h: Hotspot) -> dict:
    """What the problem is in residents' words (docs/assist.md "Recurring problems by words"): the common
    words of its reports that ``user`` can see, and the reports of other categories around it, in its time
    span widened by its rule's window, alike in words (``HOTSPOT_TEXT_MIN_SIMILARITY``), each with why."""
    from django.conf import settings

    from gridgov.cases.kpis import EXCLUDED_STATES
    from gridgov.cases.selectors import case_text_profile
    from gridgov.core.text import clean
    from gridgov.dashboards import hotspots as spots
    from gridgov.dashboards.models import HotspotRule

    rule = (
        HotspotRule.objects.filter(category_id=h.category_id, is_active=True).first()
        or HotspotRule.objects.filter(category__isnull=True).first()
        or HotspotRule(category=None)
    )
    fields = ("pk", "lat", "lng", "reported_at", "description", "reporter_name")
    rows = list(
        cases_visible_to(user)
        .filter(pk__in=h.case_ids, lat__isnull=False, lng__isnull=False)
        .order_by("-reported_at")
        .values_list(*fields)[:HOTSPOT_TEXT_READ]
    )
    names = [r[5] for r in rows if r[5]]
    members = [
        spots.Said(pk, lat, lng, at, case_text_profile(text, names=names), clean(text, names))
        for pk, lat, lng, at, text, _n in rows
    ]
    window = timedelta(days=rule.window_days)
    reach = h.radius_m + rule.radius_m
    dlat = reach / spots.M_PER_DEG_LAT
    dlng = reach / (spots.M_PER_DEG_LNG_EQUATOR * max(math.cos(math.radians(h.lat)), 0.01))
    around = list(
        cases_visible_to(user)
        .filter(
            lat__range=(h.lat - dlat, h.lat + dlat),
            lng__range=(h.lng - dlng, h.lng + dlng),
            reported_at__gte=h.first_at - window,
            reported_at__lte=h.last_at + window,
        )
        .exclude(category_id=h.category_id)
        .exclude(state__in=EXCLUDED_STATES)
        .order_by("-reported_at")
        .values_list(*fields)[:HOTSPOT_TEXT_READ]
        if members
        else []
    )
    others = [
        spots.Said(
            pk, lat, lng, at, case_text_profile(text, names=[*names, name]), clean(text, [*names, name])
        )
        for pk, lat, lng, at, text, name in around
    ]
    found = spots.joined_by_words(members, others, rule.radius_m, settings.HOTSPOT_TEXT_MIN_SIMILARITY)
    cases = Case.objects.select_related("category").in_bulk([j.id for j in found])
    joined = [
        {
            "case": cases[j.id],
            "similarity": j.similarity,
            "words": j.words,
            "distance_m": round(j.distance_m),
            "reason": _("文字相似 %(similarity).2f（%(words)s），距本问题的事件 %(distance)s 米")
            % {
                "similarity": j.similarity,
                "words": pgettext("列举", "、").join(j.words),
                "distance": round(j.distance_m),
            },
        }
        for j in found
    ]
    words = [{"word": w, "count": n} for w, n in spots.common_phrases(members)]
    return {"reports": len(members), "words": words, "joined": joined}


# ---------------------------------------------------------------- reports


def reports(user, code: str | None, *, kind: str | None = None) -> QuerySet[Report]:
    area = area_for(user, code)
    qs = Report.objects.filter(area_code=area.code)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.select_related("area").order_by("-period_key", "-version")


def report_get(user, pk) -> Report:
    require_viewer(user)
    found = Report.objects.filter(pk=pk).select_related("area").first()
    if found is None or not _in_scope(user, found.area_code):
        raise NotFound(_("报告不存在或不在您的管辖范围内"), field="report")
    return found
