"""The case data elements (SPEC M11 over M5): the counts of docs/kpi.md, by area or by lead unit, for any
period, counted in one grouped statement (plus one for the whistle report-ins). The conditions are the KPIs'
own (``kpis.case_conditions``), so an indicator built from these answers exactly as ``case_kpis`` does.

A case excluded by an assessment exemption (``Basis.excluded["cases.Case"]``) is left out of every count
and of its drill-down; a whistle report-in follows its case.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from gridgov.cases.kpis import EXCLUDED_STATES, case_conditions
from gridgov.cases.models import Case, WhistleCall
from gridgov.core import elements as registry
from gridgov.core.elements import AREA, UNIT, Basis, Element, Grouping, Key, Source, asked, counted, grouped
from gridgov.core.periods import Period

CASE = "cases.Case"
BOTH = frozenset({AREA, UNIT})

# (count, label, definition) — the conditions are kpis.case_conditions (docs/kpi.md).
_CASE_COUNTS = (
    ("reported", _("上报事件数"), _("本期上报的全部事件（含不予受理、合并）")),
    ("rejected", _("不予受理数"), _("本期上报、不予受理的事件")),
    ("merged", _("合并数"), _("本期上报、被合并到其他事件的重复事件")),
    ("accepted", _("受理数"), _("本期上报并已受理的事件（不含不予受理、合并）")),
    ("dispatched", _("派遣数"), _("本期上报并已派遣的事件")),
    ("responded_on_time", _("按时签收数"), _("首次派遣在响应时限内签收的事件")),
    ("resolved", _("已解决数"), _("目前处于已处置、已核实或已结案的事件")),
    ("resolved_ever", _("曾处置数"), _("至少处置过一次的事件（含返工、重办的）")),
    ("rated", _("已评价数"), _("有居民评价的事件")),
    ("satisfied", _("满意数"), _("评价为满意或基本满意的事件")),
    ("due", _("到期数"), _("处置时限在期末（或当前）前已到，或已结案的事件")),
    ("closed_on_time", _("按期结案数"), _("已结案且在处置时限内处置的事件")),
    ("closed", _("结案数"), _("已结案的事件")),
    ("reworked", _("返工数"), _("返工过的事件")),
    ("reopened", _("重办数"), _("居民不满意而重办过的事件")),
    ("extended", _("延期数"), _("批准过延期的事件")),
    ("overdue", _("超时数"), _("目前超时未办结的事件")),
    ("escalated", _("升级数"), _("升级处置过的事件（人工或自动）")),
)
_CALL_COUNTS = (
    ("whistle_calls", _("吹哨报到数"), _("本期事件上的吹哨报到（每个被召集单位一次）")),
    ("whistle_answered", _("按时报到数"), _("在报到时限内报到的吹哨报到")),
    ("whistle_missed", _("未按时报到数"), _("超过报到时限未报到的吹哨报到")),
)
CASE_COUNTS = tuple(name for name, _label, _help in _CASE_COUNTS)
CALL_COUNTS = tuple(name for name, _label, _help in _CALL_COUNTS)


def _conditions(period: Period, basis: Basis) -> dict[str, Q]:
    conditions = case_conditions(period.cutoff(basis.now))
    conditions["reopened"] = ~Q(state__in=EXCLUDED_STATES) & Q(reopen_count__gt=0)
    return {name: q if q is not None else Q() for name, q in conditions.items()}


def _call_conditions() -> dict[str, Q]:
    return {
        "whistle_calls": Q(),
        "whistle_answered": Q(reported_at__isnull=False, reported_at__lte=F("whistle__report_due")),
        "whistle_missed": Q(missed_at__isnull=False),
    }


def _cases(grouping: Grouping, period: Period, basis: Basis, path: str = "") -> tuple[Q, frozenset[int]]:
    # historical cases (brought in from an old system) are not current work: no figure counts them
    q = Q(**{f"{path}reported_at__gte": period.begin, f"{path}reported_at__lt": period.finish})
    q &= Q(**{f"{path}historical": False})
    if grouping.kind == AREA:
        q &= grouping.area_q(f"{path}area_code")
    return q, basis.excluded_ids(CASE)


def count(
    names: Sequence[str], grouping: Grouping, period: Period, basis: Basis
) -> dict[str, dict[Key, int]]:
    out: dict[str, dict[Key, int]] = {}
    case_names, call_names = asked(names, CASE_COUNTS), asked(names, CALL_COUNTS)
    if case_names:
        q, excluded = _cases(grouping, period, basis)
        cases = Case.objects.filter(q)
        if excluded:
            cases = cases.exclude(pk__in=excluded)
        if grouping.kind == UNIT:
            cases, key = cases.filter(lead_unit_id__in=grouping.units), F("lead_unit_id")
        else:
            key = grouping.area_key("area_code")
        grouped(cases, key, counted(_conditions(period, basis), case_names), "cases", out)
    if call_names:
        q, excluded = _cases(grouping, period, basis, "whistle__case__")
        calls = WhistleCall.objects.filter(q, ~Q(whistle__case__state__in=EXCLUDED_STATES))
        if excluded:
            calls = calls.exclude(whistle__case_id__in=excluded)
        if grouping.kind == UNIT:  # a report-in belongs to the unit summoned
            calls, key = calls.filter(unit_id__in=grouping.units), F("unit_id")
        else:
            key = grouping.area_key("whistle__case__area_code")
        grouped(calls, key, counted(_call_conditions(), call_names), "cases", out)
    return out


def rows(name: str, grouping: Grouping, key: Key, period: Period, basis: Basis) -> QuerySet:
    count_name = name.split(".", 1)[1]
    if count_name in CALL_COUNTS:
        q, excluded = _cases(grouping, period, basis, "whistle__case__")
        calls = WhistleCall.objects.filter(
            q, ~Q(whistle__case__state__in=EXCLUDED_STATES), _call_conditions()[count_name]
        )
        calls = calls.exclude(whistle__case_id__in=excluded) if excluded else calls
        group = grouping.key_q("unit_id" if grouping.kind == UNIT else "whistle__case__area_code", key)
        return calls.filter(group).select_related("whistle__case", "unit").order_by("whistle__at", "pk")
    q, excluded = _cases(grouping, period, basis)
    cases = Case.objects.filter(q, _conditions(period, basis)[count_name])
    cases = cases.exclude(pk__in=excluded) if excluded else cases
    group = grouping.key_q("lead_unit_id" if grouping.kind == UNIT else "area_code", key)
    return cases.filter(group).select_related("category", "lead_unit").order_by("reported_at", "pk")


def describe(row) -> dict:
    if isinstance(row, WhistleCall):
        case = row.whistle.case
        return {
            "ref": case.ref,
            "url": case.get_absolute_url(),
            "title": str(row.unit),
            "state": _("已报到") if row.reported_at else _("未报到"),
            "at": row.whistle.report_due,
        }
    return {
        "ref": row.ref,
        "url": row.get_absolute_url(),
        "title": str(row.category),
        "state": row.get_state_display(),
        "at": row.reported_at,
    }


SOURCE = Source(
    app="cases",
    elements=tuple(
        Element(f"cases.{name}", label, help_text, CASE, BOTH) for name, label, help_text in _CASE_COUNTS
    )
    + tuple(
        Element(f"cases.{name}", label, help_text, "cases.WhistleCall", BOTH)
        for name, label, help_text in _CALL_COUNTS
    ),
    count=count,
    rows=rows,
    describe=describe,
)


def register() -> None:
    registry.register(SOURCE)
