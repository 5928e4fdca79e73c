"""Tiers and the whistle (escalation and the whistle): escalation one level up, summoning units, their report-in."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.accounts.models import User
from gridgov.accounts.selectors import area_staff, unit_handlers
from gridgov.cases.actions.handling import dispatch_to, open_round
from gridgov.cases.actions.shared import ancestor, tell_case, units_of
from gridgov.cases.events import step as case_step
from gridgov.cases.models import (
    NEXT_LEVEL,
    Case,
    Dispatch,
    LimitUnit,
    State,
    Whistle,
    WhistleCall,
)
from gridgov.cases.workflow import MACHINE
from gridgov.core import cleaners
from gridgov.core.calendar import add_limit
from gridgov.core.cleaners import REASON_LIMIT, limit
from gridgov.core.errors import DomainError
from gridgov.notify.models import Kind

# ---------------------------------------------------------------- tiers, whistle, extension


def escalate(case: Case, by: User | None, reason, *, auto: bool = False) -> None:
    """Escalate: move ``case`` (locked by the caller) one level up to that level's command centre — by a
    dispatcher (checked), or by the sweep (``by=None``, ``auto``)."""
    with MACHINE.transition(case, "escalate", by=by, reason=reason, check=by is not None, fields=[]) as s:
        before_level = case.level
        case.level = NEXT_LEVEL[case.level]
        case.handling_area = ancestor(case, case.level)
        case.escalation_count += 1
        s.fields += ["level", "handling_area", "escalation_count"]
        if auto:
            case.auto_escalated_at = s.at
            s.fields.append("auto_escalated_at")
        s.data = {"from_level": before_level, "to_level": case.level, "auto": auto}
    why = reason if isinstance(reason, str) else gettext_lazy(reason.msgid)  # a sweep's message
    tell_case(
        area_staff(case.handling_area.code),
        Kind.ESCALATION,
        case,
        gettext_lazy("升级至%(area)s处置"),
        why,
        params={"area": case.handling_area.name},
    )


def case_escalate(*, ref: str, by: User, reason: str) -> Case:
    """Escalation by a dispatcher (reason required)."""
    reason = cleaners.text(reason, "reason", limit=REASON_LIMIT)
    with transaction.atomic():
        case = MACHINE.lock(by, ref=ref)
        escalate(case, by, reason)
    return case


def case_whistle(
    *,
    ref: str,
    by: User,
    unit_ids,
    lead_unit_id: int,
    report_hours: Decimal | float | None = None,
    note: str = "",
) -> Case:
    """The whistle: summon several units, naming the lead; each must report in within ``report_hours``."""
    hours = Decimal(str(report_hours if report_hours is not None else settings.WHISTLE_REPORT_HOURS))
    if hours <= 0 or hours > 72:
        raise DomainError("invalid", _("报到时限须在 0 到 72 小时之间"), "report_hours")
    note = cleaners.text(note, "note", limit=limit(Whistle, "note"))
    with transaction.atomic():
        case = MACHINE.lock(by, ref=ref)
        s = MACHINE.begin(case, "whistle", by=by, note=note)
        units = units_of(unit_ids, "unit_ids")
        lead = units_of([lead_unit_id], "lead_unit_id")[0]
        if lead.pk not in {u.pk for u in units}:
            units.insert(0, lead)
        if len(units) < 2:
            raise DomainError("invalid", _("吹哨至少召集两个单位"), "unit_ids")
        assists = [u for u in units if u.pk != lead.pk]
        now = s.at
        if case.state in (State.CLAIMED, State.IN_PROGRESS):
            if case.lead_unit_id != lead.pk:
                raise DomainError(
                    "invalid",
                    _("事件已由%(unit)s签收办理，牵头单位须为该单位") % {"unit": case.lead_unit},
                    "lead_unit_id",
                )
            rnd = case.dispatches.order_by("-round").values_list("round", flat=True).first() or 1
            have = set(case.dispatches.filter(round=rnd).values_list("unit_id", flat=True))
            Dispatch.objects.bulk_create(
                [
                    Dispatch(
                        case=case,
                        unit=u,
                        role=Dispatch.Role.ASSIST,
                        round=rnd,
                        dispatched_at=now,
                        dispatched_by=by,
                    )
                    for u in assists
                    if u.pk not in have
                ]
            )
        else:  # accepted or dispatched: the whistle is the dispatch
            rnd = open_round(case, by, now, lead, assists, [])
            dispatch_to(case, lead, now)
        whistler_level = by.area.level if by.area_id else "district"
        if whistler_level in ("street", "district") and (
            case.level in ("grid", "community") or whistler_level == "district" and case.level == "street"
        ):
            case.level = whistler_level
            case.handling_area = ancestor(case, whistler_level)
        whistle = Whistle.objects.create(
            case=case,
            by=by,
            at=now,
            lead_unit=lead,
            note=note,
            report_due=add_limit(now, hours, LimitUnit.URGENT_HOURS).due,
        )
        WhistleCall.objects.bulk_create([WhistleCall(whistle=whistle, unit=u) for u in units])
        s.data = {
            "lead_unit": lead.name,
            "units": [u.name for u in units],
            "report_due": whistle.report_due.isoformat(),
        }
        MACHINE.complete(case, s)
        tell_case(
            unit_handlers(u.pk for u in units),
            Kind.WHISTLE,
            case,
            gettext_lazy("吹哨报到"),
            gettext_lazy("牵头单位：%(lead)s；请于 %(due)s 前报到。%(note)s"),
            params={
                "lead": lead.name,
                "due": f"{timezone.localtime(whistle.report_due):%m-%d %H:%M}",
                "note": note,
            },
        )
    return case


def case_report_in(*, ref: str, by: User, note: str = "") -> Case:
    """Report-in: a summoned unit reports in (kept on the timeline as ``report_in``)."""
    note = cleaners.text(note, "note", limit=REASON_LIMIT)
    with transaction.atomic():
        case = MACHINE.lock(by, ref=ref)
        before = MACHINE.require(by, case, "report")
        now = timezone.now()
        calls = list(
            WhistleCall.objects.select_for_update().filter(
                whistle__case=case, unit_id=by.unit_id, reported_at__isnull=True
            )
        )
        for call in calls:
            call.reported_at, call.reported_by = now, by
            call.save(update_fields=["reported_at", "reported_by"])
        late = any(now > c.whistle.report_due for c in calls)
        case_step(case, by, "report_in", before, note, data={"unit": by.unit.name, "late": late})
    return case
