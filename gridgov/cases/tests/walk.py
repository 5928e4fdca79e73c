"""How the workflow contract walks cases (``gridgov.testing.contract``).

The street's command centre dispatches, verifies and closes (a street officer handles cases at every level
below it, also after a whistle raises the handling level to the street); 城管执法局 leads, 住建局 is summoned
by the whistle. The way to 处置反馈 (resolved) passes a whistle, so a summoned unit still has to report in
there."""

from __future__ import annotations

from gridgov.cases import actions
from gridgov.cases.models import Case, Category, State, WhistleCall
from gridgov.cases.workflow import MACHINE
from gridgov.testing.contract import Walker

from .conftest import build_world, report

S = State


def _new(world) -> Case:
    return report(world, by=world.resident).case


def _whistle(world, case: Case) -> None:
    actions.case_whistle(
        ref=case.ref,
        by=world.street,
        unit_ids=[world.unit_a.pk, world.unit_b.pk],
        lead_unit_id=world.unit_a.pk,
    )


def _perform(world, case: Case, action: str, branch: bool) -> None:  # noqa: ARG001 (no conditional targets)
    ref, chief, lead = case.ref, world.street, world.handler_a
    if action == "accept":
        actions.case_accept(ref=ref, by=chief)
    elif action == "reject":
        actions.case_reject(ref=ref, by=chief, reason="不属于受理范围")
    elif action == "merge":
        other = report(world, by=world.resident, description="同一处垃圾，邻居也报了").case
        actions.case_merge(ref=ref, by=chief, into=other.ref, reason="同一处垃圾")
    elif action == "recategorise":
        other, _ = Category.objects.get_or_create(code="blocked_lane", defaults={"name": "占道"})
        actions.case_recategorise(ref=ref, by=chief, category_code=other.code)
    elif action == "dispatch":
        actions.case_dispatch(ref=ref, by=chief, lead_unit_id=world.unit_a.pk)
    elif action == "claim":
        actions.case_claim(ref=ref, by=lead)
    elif action == "return":
        actions.case_return(ref=ref, by=lead, reason="不属于本单位职责")
    elif action == "start":
        actions.case_start(ref=ref, by=lead)
    elif action == "resolve":
        actions.case_resolve(ref=ref, by=lead, result="垃圾已清运，地面已冲洗")
    elif action == "verify":
        actions.case_verify(ref=ref, by=chief)
    elif action == "rework":
        actions.case_rework(ref=ref, by=chief, reason="仍有残留")
    elif action == "close":
        actions.case_close(ref=ref, by=chief)
    elif action == "rate":
        actions.case_rate(ref=ref, by=world.resident, rating="satisfied")
    elif action == "reopen":
        actions.case_rate(ref=ref, by=world.resident, rating="unsatisfied")
        actions.case_reopen(ref=ref, by=world.resident, reason="第二天又堆满了")
    elif action == "escalate":
        actions.case_escalate(ref=ref, by=chief, reason="涉及多个部门")
    elif action == "whistle":
        _whistle(world, case)
    elif action == "report":
        summoned = WhistleCall.objects.filter(whistle__case=case, unit=world.unit_b, reported_at=None)
        if not summoned.exists():
            _whistle(world, case)
        actions.case_report_in(ref=ref, by=world.handler_b)
    elif action == "extend":
        actions.case_extend(ref=ref, by=chief, amount=4, reason="需协调物业")
    else:
        raise AssertionError(f"no way to perform {action}")


WALKER = Walker(
    machine=MACHINE,
    world=build_world,
    new=_new,
    paths={
        S.REPORTED: (),
        S.ACCEPTED: ("accept",),
        S.DISPATCHED: ("accept", "dispatch"),
        S.CLAIMED: ("accept", "dispatch", "claim"),
        S.IN_PROGRESS: ("accept", "dispatch", "claim", "start"),
        S.RESOLVED: ("accept", "dispatch", "claim", "start", "whistle", "resolve"),
        S.VERIFIED: ("accept", "dispatch", "claim", "start", "resolve", "verify"),
        S.CLOSED: ("accept", "dispatch", "claim", "start", "resolve", "verify", "close"),
    },
    perform=_perform,
)
