"""The figures of a generated period report (日反馈、周例会、月研判; docs/dashboards.md "Reports").

``compile_report`` gathers everything a report shows into plain JSON (numbers, codes and the stored names of
areas, units and categories), kept with the report: a report reads later exactly as it was generated. The
labels are not stored: ``presenters`` gives each section its headings in the reader's language, and the web
page, the workbook and the PDF are drawn from the same sections.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db.models import Count, Q
from django.utils import timezone

from gridgov.areas.models import Area
from gridgov.assessment.models import Round, RoundState
from gridgov.assessment.selectors import kept_rows
from gridgov.cases.kpis import case_conditions
from gridgov.cases.models import OPEN_STATES, Case, Sla
from gridgov.core import elements
from gridgov.core.elements import Basis, Grouping, prefix_q
from gridgov.core.periods import Period
from gridgov.core.replica import replica_reads
from gridgov.dashboards import selectors
from gridgov.dashboards.models import Hotspot

OVERDUE_LIST = 50
# The case rates of the period (numerator, denominator), as docs/kpi.md defines them.
RATES = {
    "response_rate": ("responded_on_time", "dispatched"),
    "resolution_rate": ("resolved", "accepted"),
    "satisfaction_rate": ("satisfied", "rated"),
    "on_time_closure_rate": ("closed_on_time", "due"),
    "closure_rate": ("closed", "accepted"),
}
SERVICES = (
    "orders.placed",
    "orders.delivered",
    "orders.delivered_on_time",
    "wishes.posted",
    "wishes.fulfilled",
    "projects.completed",
    "points.volunteer_hours",
)


def _iso(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat(timespec="minutes")
    return value.isoformat()


def _rate(numerator: int, denominator: int) -> dict:
    return {
        "numerator": numerator,
        "denominator": denominator,
        "rate": round(100 * numerator / denominator, 1) if denominator else None,
    }


def kpis(code: str, period: Period, now: datetime) -> dict:
    """The case rates of the cases reported in the period (the KPI definitions, docs/kpi.md)."""
    names = sorted({f"cases.{n}" for pair in RATES.values() for n in pair})
    counted = elements.count(names, Grouping.areas([code], len(code)), period, Basis(now))
    value = {name.split(".", 1)[1]: counted[name].get(code, 0) for name in names}
    return {key: _rate(value[n], value[d]) for key, (n, d) in RATES.items()}


def unit_performance(code: str, period: Period, now: datetime, limit: int = 15) -> list[dict]:
    """Per lead unit, of the area's cases reported in the period: dispatched, claimed on time, closed, closed
    on time of those due, and the open cases overdue now."""
    conditions = case_conditions(period.cutoff(now))
    wanted = ("dispatched", "responded_on_time", "closed", "closed_on_time", "due", "satisfied", "rated")
    rows = (
        Case.objects.filter(
            prefix_q("area_code", code),
            reported_at__gte=period.begin,
            reported_at__lt=period.finish,
            lead_unit__isnull=False,
            historical=False,
        )
        .values("lead_unit_id", "lead_unit__name")
        .annotate(
            **{name: Count("pk", filter=conditions[name]) for name in wanted},
            overdue_now=Count("pk", filter=Q(state__in=OPEN_STATES, sla=Sla.OVERDUE)),
        )
    )
    out = [
        {
            "name": r["lead_unit__name"],
            "dispatched": r["dispatched"],
            "closed": r["closed"],
            "overdue_now": r["overdue_now"],
            "response_rate": _rate(r["responded_on_time"], r["dispatched"])["rate"],
            "on_time_closure_rate": _rate(r["closed_on_time"], r["due"])["rate"],
            "satisfaction_rate": _rate(r["satisfied"], r["rated"])["rate"],
        }
        for r in rows
    ]
    out.sort(key=lambda r: (-r["overdue_now"], -r["dispatched"], r["name"]))
    return out[:limit]


def overdue_cases(code: str, now: datetime, limit: int = OVERDUE_LIST) -> dict:
    """The open overdue cases of the area at generation, longest overdue first, with who owns them."""
    qs = Case.objects.filter(prefix_q("area_code", code), state__in=OPEN_STATES, sla=Sla.OVERDUE)
    rows = qs.select_related("category", "area", "lead_unit").order_by("resolution_due", "reported_at", "pk")
    listed = []
    for case in rows[:limit]:
        due = case.resolution_due or case.response_due
        listed.append(
            {
                "ref": case.ref,
                "category": case.category.name,
                "area": case.area.name,
                "unit": case.lead_unit.name if case.lead_unit_id else "",
                "state": case.state,
                "due": _iso(due),
                "days_over": max((now - due).days, 0) if due else None,
            }
        )
    return {"count": qs.count(), "rows": listed}


def hotspot_rows(code: str) -> list[dict]:
    rows = (
        Hotspot.objects.filter(prefix_q("area_code", code))
        .exclude(state=Hotspot.State.QUIET)
        .select_related("category", "area")
        .order_by("-count", "-last_at", "pk")[:20]
    )
    return [
        {
            key: _iso(value) if isinstance(value, datetime | date) else value
            for key, value in selectors.hotspot_row(h).items()
            if key not in ("url", "state_label")  # labels are the reader's, never stored
        }
        for h in rows
    ]


def ranking_rows(code: str, period: Period, limit: int = 5) -> list[dict]:
    """The latest published rounds (at most three schemes) over or within the area, ended by the period's end."""
    prefixes = [code[:n] for n in (6, 9, 12, 15) if n <= len(code)]
    rounds = (
        Round.objects.filter(state=RoundState.PUBLISHED, end__lte=period.end)
        .filter(Q(scheme__area_code__in=prefixes) | prefix_q("scheme__area_code", code))
        .select_related("scheme")
        .order_by("-end", "-id")
    )
    out, seen = [], set()
    for rnd in rounds[:50]:
        if rnd.scheme_id in seen:
            continue
        seen.add(rnd.scheme_id)
        rows = [{"rank": r["rank"], "name": r["name"], "total": r["total"]} for r in kept_rows(rnd)]
        out.append(
            {
                "scheme": rnd.scheme.name,
                "period": rnd.period,
                "top": rows[:limit],
                "bottom": rows[-limit:] if len(rows) > limit else [],
            }
        )
        if len(out) == 3:
            break
    return out


def services(code: str, period: Period, now: datetime) -> dict:
    counted = elements.count(SERVICES, Grouping.areas([code], len(code)), period, Basis(now))
    return {name.replace(".", "_"): float(counted[name].get(code, 0)) for name in SERVICES}


@replica_reads
def compile_report(area: Area, kind: str, period: Period, *, now: datetime) -> dict:
    code = area.code
    previous = period.previous()
    today = timezone.localdate(now)
    stock_day = selectors.latest_stock_day(min(period.end, today))
    if period.end < today - timedelta(days=1) and stock_day < period.end:
        stock_day = selectors.latest_stock_day(period.end)
    counts, before = selectors.category_counts(code, period.start, period.end), None
    before = selectors.category_counts(code, previous.start, previous.end)
    visits = selectors.visits(area, now=now, period=period, must=True)
    return {
        "kind": kind,
        "area": {"code": code, "name": area.name, "level": area.level},
        "period": {"key": period.key, "start": _iso(period.start), "end": _iso(period.end)},
        "previous_period": {"key": previous.key, "start": _iso(previous.start), "end": _iso(previous.end)},
        "generated_at": _iso(now),
        "totals": selectors.totals(code, period.start, period.end),
        "previous": selectors.totals(code, previous.start, previous.end),
        "stock_day": _iso(stock_day),
        "stock": selectors.stock(code, stock_day) if selectors.stock_kept(stock_day) else None,
        "kpis": kpis(code, period, now),
        "trend": [
            {**row, "day": _iso(row["day"])} for row in selectors.daily(code, period.start, period.end)
        ],
        "categories": selectors.ranked_categories(counts, previous=before, limit=10),
        "children": [
            {k: v for k, v in row.items() if k not in ("url", "overdue_url", "level_label")}
            for row in selectors.child_rows(area, period.start, period.end, stock_day)
        ],
        "units": unit_performance(code, period, now),
        "overdue": overdue_cases(code, now),
        "hotspots": hotspot_rows(code),
        "rankings": ranking_rows(code, period),
        "visits": {k: v for k, v in visits.items() if k != "period"},
        "services": services(code, period, now),
    }
