"""The standard indicators every district starts with (installed by migration ``0002``; districts add their
own). The seven case KPIs of docs/kpi.md come first, in per cent (factor 100), with the numerator and
denominator of docs/kpi.md, so a ranking reads the same figures as the KPI page. Names and descriptions are
Simplified Chinese data (the district"s own catalogue), as the category names are."""

from __future__ import annotations

# (code, name, numerator, denominator, factor, unit, direction, good, poor, description)
# fmt: off
STANDARD: tuple[tuple, ...] = (
    ("response_rate", "响应率", "cases.responded_on_time", "cases.dispatched", 100, "%", "higher", 95, 85,
     "首次派遣在响应时限内签收的事件 ÷ 已派遣事件（docs/kpi.md）"),
    ("resolution_rate", "解决率", "cases.resolved", "cases.accepted", 100, "%", "higher", 90, 75,
     "目前处于已处置、已核实或已结案的事件 ÷ 已受理事件"),
    ("satisfaction_rate", "满意率", "cases.satisfied", "cases.rated", 100, "%", "higher", 95, 85,
     "评价为满意或基本满意 ÷ 有评价的事件"),
    ("on_time_closure_rate", "按期结案率", "cases.closed_on_time", "cases.due", 100, "%", "higher", 90, 75,
     "在处置时限内处置并结案的事件 ÷ 到期的事件"),
    ("closure_rate", "结案率", "cases.closed", "cases.accepted", 100, "%", "higher", 90, 70,
     "已结案事件 ÷ 已受理事件"),
    ("rework_rate", "返工率", "cases.reworked", "cases.resolved_ever", 100, "%", "lower", 5, 15,
     "返工过的事件 ÷ 至少处置过一次的事件"),
    ("extension_rate", "延期率", "cases.extended", "cases.dispatched", 100, "%", "lower", 5, 15,
     "批准过延期的事件 ÷ 已派遣事件"),
    ("whistle_report_rate", "吹哨按时报到率", "cases.whistle_answered", "cases.whistle_calls", 100, "%", "higher", 95, 80,
     "在报到时限内报到的被召集单位 ÷ 全部吹哨报到"),
    ("overdue_count", "超时未办结事件数", "cases.overdue", "", 1, "件", "lower", 0, 5,
     "目前超时未办结的事件（本期上报）"),
    ("visit_coverage", "入户走访覆盖率", "visits.households_visited", "visits.households", 100, "%", "higher", 90, 60,
     "本期走访到的户 ÷ 在册户"),
    ("must_visit_rate", "重点人群按时走访率", "visits.must_visit_on_time", "visits.must_visit", 100, "%", "higher", 95, 80,
     "按规则应走访并按时走访的重点户 ÷ 应走访的重点户"),
    ("wish_rate", "微心愿按时实现率", "wishes.fulfilled_in_time", "wishes.posted", 100, "%", "higher", 90, 60,
     "按时实现的微心愿 ÷ 本期发布的微心愿"),
    ("order_on_time_rate", "服务按时完成率", "orders.delivered_on_time", "orders.delivered", 100, "%", "higher", 95, 80,
     "按时完成的服务单 ÷ 已完成的服务单"),
    ("order_satisfaction_rate", "服务满意率", "orders.satisfied", "orders.rated", 100, "%", "higher", 95, 85,
     "评价为满意或基本满意的服务单 ÷ 有评价的服务单"),
    ("project_on_schedule_rate", "项目按期完成率", "projects.completed_on_schedule", "projects.completed", 100, "%", "higher", 90, 70,
     "按期完成的项目 ÷ 本期完成的项目"),
    ("dual_report_rate", "双报到履责率", "projects.units_compliant", "projects.units_registered", 100, "%", "higher", 90, 60,
     "达到双报到履责要求的报到单位 ÷ 报到单位"),
    ("contact_coverage", "党员包联户覆盖率", "party.households_with_contact", "visits.households", 100, "%", "higher", 95, 80,
     "有包联党员或网格员的在册户 ÷ 在册户"),
    ("volunteer_hours", "志愿服务时长", "points.volunteer_hours", "", 1, "小时", "higher", None, None,
     "本期志愿服务认定的时长"),
)
# fmt: on


def install(model=None) -> int:
    """Add the standard indicators that are missing (by code); returns how many were added. The migration
    passes its historical model; the demo and the tests call it with the current one."""
    from decimal import Decimal

    if model is None:
        from gridgov.assessment.models import Indicator as model  # noqa: N813
    added = 0
    for code, name, numerator, denominator, factor, unit, direction, good, poor, description in STANDARD:
        _row, created = model.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "numerator": numerator,
                "denominator": denominator,
                "factor": Decimal(factor),
                "unit": unit,
                "direction": direction,
                "good": None if good is None else Decimal(good),
                "poor": None if poor is None else Decimal(poor),
                "description": description,
            },
        )
        added += created
    return added
