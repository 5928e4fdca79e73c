"""The deadline sweep (时限监控): marks warning (yellow) and overdue (red), escalates an overdue case once,
flags summoned units that missed their report-in, and notifies the handlers and their supervisors.

Each mark is recorded once: the ``*_warned_at`` / ``*_overdue_at`` / ``auto_escalated_at`` /
``missed_at`` columns are set in the same transaction as the timeline event, and the sweep only picks
rows where they are still empty — so running it again, or two sweeps at once, changes nothing twice.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy, gettext_noop

from gridgov.accounts.selectors import area_staff, unit_handlers
from gridgov.cases.actions import escalate, tell_case
from gridgov.cases.events import step
from gridgov.cases.models import NEXT_LEVEL, Case, WhistleCall
from gridgov.cases.workflow import RESOLUTION, RESPONSE
from gridgov.core.deadlines import Phase, register_sweep, sweep_phases
from gridgov.core.i18n import message
from gridgov.notify.models import Kind

SWEEP_REASON = gettext_noop("超时未办结，自动升级至上级指挥中心")


@dataclass
class SweepResult:
    warned: int = 0
    overdue: int = 0
    escalated: int = 0
    missed_reports: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


PHASES = (RESPONSE, RESOLUTION)


def _handlers(case: Case):
    if case.lead_unit_id:
        return unit_handlers([case.lead_unit_id])
    return unit_handlers(case.dispatches.filter(state="pending").values_list("unit_id", flat=True))


def _on_overdue(case: Case, phase: Phase, now: datetime) -> None:
    note = message(gettext_noop("%(what)s已超时"), what=phase.what)
    step(case, None, "overdue", case.state, note, data={"due": getattr(case, phase.due).isoformat()}, at=now)
    supervisors = area_staff(case.handling_area.code)
    title = gettext_lazy("%(what)s已超时")
    tell_case(_handlers(case) + supervisors, Kind.OVERDUE, case, title, params={"what": phase.what})
    if case.auto_escalated_at is None and case.level in NEXT_LEVEL:
        escalate(case, None, message(SWEEP_REASON), auto=True)
        case._escalated_now = True


def _on_warning(case: Case, phase: Phase, now: datetime) -> None:
    due = timezone.localtime(getattr(case, phase.due))
    note = message(gettext_noop("%(what)s时限将至（%(due)s）"), what=phase.what, due=f"{due:%m-%d %H:%M}")
    step(case, None, "warning", case.state, note, at=now)
    tell_case(
        _handlers(case),
        Kind.WARNING,
        case,
        gettext_lazy("%(what)s即将超时"),
        gettext_lazy("时限：%(due)s"),
        params={"what": phase.what, "due": f"{due:%Y-%m-%d %H:%M}"},
    )


@register_sweep("cases")
def _sweep(now: datetime) -> dict:
    return sla_sweep(now).as_dict()


def sla_sweep(now: datetime | None = None) -> SweepResult:
    now = now or timezone.now()
    result = SweepResult()
    escalated: list[int] = []

    def overdue(case, phase, at):
        _on_overdue(case, phase, at)
        if getattr(case, "_escalated_now", False):
            escalated.append(case.pk)

    counts = sweep_phases(
        Case,
        PHASES,
        now,
        on_overdue=overdue,
        on_warning=_on_warning,
        related=("category", "handling_area", "area"),
    )
    result.warned, result.overdue, result.escalated = counts.warned, counts.overdue, len(escalated)
    for call_id in WhistleCall.objects.filter(
        reported_at__isnull=True, missed_at__isnull=True, whistle__report_due__lte=now
    ).values_list("pk", flat=True):
        with transaction.atomic():
            call = (
                WhistleCall.objects.select_for_update(skip_locked=True)
                .filter(pk=call_id, reported_at__isnull=True, missed_at__isnull=True)
                .select_related("whistle__case__handling_area", "unit")
                .first()
            )
            if call is None:
                continue
            call.missed_at = now
            call.save(update_fields=["missed_at"])
            case = call.whistle.case
            note = message(gettext_noop("%(unit)s未按时报到"), unit=call.unit.name)
            step(case, None, "report_missed", case.state, note, data={"unit": call.unit.name}, at=now)
            tell_case(
                unit_handlers([call.unit_id]) + area_staff(case.handling_area.code),
                Kind.OVERDUE,
                case,
                gettext_lazy("%(unit)s未按时报到"),
                params={"unit": call.unit.name},
            )
            result.missed_reports += 1
    return result
