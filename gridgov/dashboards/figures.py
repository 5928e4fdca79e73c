"""The roll-up behind the dashboards (docs/dashboards.md, "Figures").

A district sees 250,000 cases a year: counting them for every landing page does not scale, so the command
centre reads rows kept per area and day:

* ``DayFigure`` — the *flows* of a day: the case timeline's events of that local day (reported, accepted,
  dispatched, closed, became overdue, …), counted under the case's grid and category, for the grid, its
  community, street and district (the three upper levels also per category). The timeline is append-only,
  so a past day's figures never change; each refresh recomputes today and every day since the last day it
  made final.
* ``StockFigure`` — the *stocks*: the open cases (overdue, in warning, whistle report-ins waiting) as the
  refresh finds them, written for today and replaced by each refresh of the day, so the last refresh of a
  day leaves what was open at its end (per area, and above the grids per category and per lead unit).

Both are computed with a few grouped statements per day and written in one transaction per day (delete the
day's rows, insert the new ones), so a reader sees a day's old figures or its new ones, never half.
"""

from __future__ import annotations

import time as clock
from collections import defaultdict
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Min, Q
from django.db.models.functions import Length
from django.utils import timezone

from gridgov.areas.models import Area
from gridgov.cases.models import OPEN_STATES, CaseEvent, Rating, Sla, WhistleCall
from gridgov.cases.models import Case as CaseRow
from gridgov.core import elements
from gridgov.core.elements import Basis, Grouping
from gridgov.core.periods import Period
from gridgov.dashboards.models import FLOWS, STOCKS, DayFigure, FiguresMark, GridMonth, StockFigure

# timeline action → the flow it counts
ACTION_FLOW = {
    "report": "reported",
    "accept": "accepted",
    "dispatch": "dispatched",
    "close": "closed",
    "overdue": "overdue",
    "warning": "warned",
    "escalate": "escalated",
    "reopen": "reopened",
    "whistle": "whistled",
    "rate": "rated",
}
STOCK_DAYS_KEPT = 8  # days a community's or grid's open-case counts are kept (streets and districts: always)
KEPT = ""  # the area code of a day's marker row of open cases: the whole installation
LEVELS = (6, 9, 12, 15)  # district, street, community, grid (a micro-grid counts in its grid)
GRID = 15


def day_bounds(day: date) -> tuple[datetime, datetime]:
    tz = timezone.get_default_timezone()
    return datetime.combine(day, time.min, tzinfo=tz), datetime.combine(
        day + timedelta(days=1), time.min, tzinfo=tz
    )


def parent_of(code: str) -> str:
    return code[:-3] if len(code) > 6 else ""


def _levels(code: str) -> list[str]:
    return [code[:n] for n in LEVELS if len(code) >= n]


def _spread(rows, names: tuple[str, ...], *, by_category: bool = True, extra: str | None = None) -> dict:
    """Counts per (grid code, category, extra key) → counts per (area code, category or None, extra or None)
    for every level; the grid level keeps only the area's whole."""
    out: dict[tuple, list[int]] = defaultdict(lambda: [0] * len(names))
    for row in rows:
        code, category = row["code"] or "", row.get("cat")
        other = row.get(extra) if extra else None
        values = [row[n] or 0 for n in names]
        for area in _levels(code):
            keys = [(area, None, None)]
            if len(area) < GRID:
                if by_category and category is not None:
                    keys.append((area, category, None))
                if other is not None:
                    keys.append((area, None, other))
            for key in keys:
                totals = out[key]
                for i, v in enumerate(values):
                    totals[i] += v
    return out


def day_flows(day: date) -> dict:
    """The flows of one local day per (area code, category, None), from the timeline."""
    begin, finish = day_bounds(day)
    counted = CaseEvent.objects.filter(at__gte=begin, at__lt=finish, action__in=ACTION_FLOW)
    rows = (
        counted.order_by()
        .values("action", code=F("case__area_code"), cat=F("case__category_id"))
        .annotate(
            n=Count("pk"),
            on_time=Count(
                "pk",
                filter=Q(
                    action="close",
                    case__resolved_at__isnull=False,
                    case__resolved_at__lte=F("case__resolution_due"),
                ),
            ),
            satisfied=Count("pk", filter=Q(action="rate", case__rating__in=[Rating.SATISFIED, Rating.BASIC])),
        )
    )
    per_row = []
    for row in rows:
        values = dict.fromkeys(FLOWS, 0)
        values[ACTION_FLOW[row["action"]]] = row["n"]
        values["closed_on_time"] = row["on_time"]
        values["satisfied"] = row["satisfied"]
        per_row.append({"code": row["code"], "cat": row["cat"], **values})
    return _spread(per_row, FLOWS)


def stocks_now() -> dict:
    """The open cases now per (area code, category or None, unit or None)."""
    rows = (
        CaseRow.objects.filter(state__in=OPEN_STATES)
        .order_by()
        .values(code=F("area_code"), cat=F("category_id"), by_unit=F("lead_unit_id"))
        .annotate(
            open=Count("pk"),
            overdue=Count("pk", filter=Q(sla=Sla.OVERDUE)),
            warning=Count("pk", filter=Q(sla=Sla.WARNING)),
        )
    )
    waiting = (
        WhistleCall.objects.filter(reported_at__isnull=True, whistle__case__state__in=OPEN_STATES)
        .order_by()
        .values(code=F("whistle__case__area_code"), cat=F("whistle__case__category_id"), by_unit=F("unit_id"))
        .annotate(whistle_waiting=Count("pk"))
    )
    per_row = [{**row, "whistle_waiting": 0} for row in rows]
    per_row += [{**row, "open": 0, "overdue": 0, "warning": 0} for row in waiting]
    return _spread(per_row, STOCKS, by_category=False, extra="by_unit")


def _write(model, day: date, figures: dict, names: tuple[str, ...], *, unit: bool = False) -> int:
    objs = []
    for (code, category, other), values in figures.items():
        if not any(values):
            continue
        fields = dict(zip(names, values, strict=True))
        if unit:
            fields["unit_id"] = other
        objs.append(
            model(day=day, area_code=code, parent_code=parent_of(code), category_id=category, **fields)
        )
    if unit:  # the day's marker: the whole installation's row, written even when nothing is open
        whole = [
            sum(
                v[i]
                for (code, category, other), v in figures.items()
                if len(code) == 6 and not category and not other
            )
            for i in range(len(names))
        ]
        objs.append(model(day=day, area_code=KEPT, parent_code="", **dict(zip(names, whole, strict=True))))
    model.objects.filter(day=day).delete()
    model.objects.bulk_create(objs, batch_size=2000)
    return len(objs)


def first_event_day() -> date | None:
    first = CaseEvent.objects.aggregate(first=Min("at"))["first"]
    return timezone.localdate(first) if first else None


def refresh(now: datetime | None = None, *, since: date | None = None) -> dict:
    """Recompute the flows of every day not yet final (or from ``since``) up to today and today's stocks;
    days before today become final. Returns what was done (days, rows, seconds)."""
    started = clock.monotonic()
    now = now or timezone.now()
    today = timezone.localdate(now)
    mark, _created = FiguresMark.objects.get_or_create(key="cases")
    if since is None:
        if mark.final_through is not None:
            since = min(mark.final_through + timedelta(days=1), today)
        else:
            backfill = int(getattr(settings, "FIGURES_BACKFILL_DAYS", 400))
            since = max(first_event_day() or today, today - timedelta(days=backfill))
    since = min(since, today)
    days = rows = 0
    day = since
    while day <= today:
        with transaction.atomic():
            FiguresMark.objects.select_for_update().filter(pk=mark.pk).first()  # two refreshes queue here
            rows += _write(DayFigure, day, day_flows(day), FLOWS)
        days += 1
        day += timedelta(days=1)
    with transaction.atomic():
        FiguresMark.objects.select_for_update().filter(pk=mark.pk).first()
        stock_rows = _write(StockFigure, today, stocks_now(), STOCKS, unit=True)
        # communities' and grids' open cases are read for today, yesterday and a week ago only
        old = StockFigure.objects.filter(day__lt=today - timedelta(days=STOCK_DAYS_KEPT))
        old.alias(length=Length("area_code")).filter(length__gte=12).delete()
    first_of_day = mark.refreshed_at is None or timezone.localdate(mark.refreshed_at) != today
    months = [count_month(month, now) for month in months_to_count(today, first_of_day)]
    with transaction.atomic():
        seconds = round(clock.monotonic() - started, 3)
        FiguresMark.objects.filter(pk=mark.pk).update(
            final_through=today - timedelta(days=1), refreshed_at=now, seconds=seconds
        )
    return {
        "days": days,
        "since": since.isoformat(),
        "rows": rows,
        "stock_rows": stock_rows,
        "grid_months": len(months),
        "seconds": seconds,
    }


# ---------------------------------------------------------------- a month's case elements per grid


def case_element_names() -> list[str]:
    return [e.name for e in elements.elements() if e.name.startswith("cases.")]


def count_month(month: date, now: datetime) -> int:
    """Count every case element of every grid for the cases reported in ``month`` and keep them (replacing
    the month's earlier count): one grouped statement per table for the whole installation."""
    period = Period.of("month", month)
    roots = list(Area.objects.filter(level="district", is_active=True).values_list("code", flat=True))
    names = case_element_names()
    counted = elements.count(names, Grouping.areas(roots, GRID), period, Basis(now)) if roots else {}
    per_grid: dict[str, dict] = defaultdict(dict)
    for name, by_grid in counted.items():
        for code, value in by_grid.items():
            if code and len(code) == GRID:
                per_grid[code][name] = int(value)
    rows = [
        GridMonth(month=period.start, area_code=code, values=values, counted_at=now)
        for code, values in per_grid.items()
    ]
    rows.append(GridMonth(month=period.start, area_code=KEPT, values={}, counted_at=now))
    with transaction.atomic():
        GridMonth.objects.filter(month=period.start).delete()
        GridMonth.objects.bulk_create(rows, batch_size=2000)
    return len(rows) - 1


def months_to_count(today: date, first_of_day: bool) -> list[date]:
    """The current and the previous month; on the day's first refresh also every month kept."""
    current = today.replace(day=1)
    previous = (current - timedelta(days=1)).replace(day=1)
    months = {current, previous}
    if first_of_day:
        months |= set(GridMonth.objects.filter(area_code=KEPT).values_list("month", flat=True))
    return sorted(months)
