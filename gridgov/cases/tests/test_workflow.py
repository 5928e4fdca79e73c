"""Every transition of the case workflow and every refusal: role, scope, state, missing reason."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gridgov.cases import actions, selectors
from gridgov.cases.models import Case, CaseEvent, Dispatch, State
from gridgov.cases.workflow import TRANSITIONS, allowed_actions
from gridgov.core.errors import DomainError
from gridgov.core.models import AuditEntry
from gridgov.notify.models import Notification

from .conftest import IN_GRID_112, report

pytestmark = pytest.mark.django_db


def walk_to(world, state: str, ref: str | None = None) -> Case:
    """Drive a fresh case through the real actions up to ``state``."""
    case = Case.objects.get(ref=ref) if ref else report(world, by=world.resident).case
    path = [
        ("accepted", lambda r: actions.case_accept(ref=r, by=world.worker)),
        # the routing rule proposes unit A leading with unit B assisting
        ("dispatched", lambda r: actions.case_dispatch(ref=r, by=world.worker)),
        ("claimed", lambda r: actions.case_claim(ref=r, by=world.handler_a)),
        ("in_progress", lambda r: actions.case_start(ref=r, by=world.handler_a)),
        ("resolved", lambda r: actions.case_resolve(ref=r, by=world.handler_a, result="已清运")),
        ("verified", lambda r: actions.case_verify(ref=r, by=world.worker)),
        ("closed", lambda r: actions.case_close(ref=r, by=world.community)),
    ]
    order = ["reported"] + [target for target, _ in path]
    for target, step in path:
        if order.index(case.state) >= order.index(state):
            break
        if order.index(target) <= order.index(case.state):
            continue
        case = step(case.ref)
        assert case.state == target
    return case


def test_full_loop_writes_timeline_and_audit(world, clock):
    intake = report(world, by=world.resident)
    case = intake.case
    assert case.state == State.REPORTED and case.level == "grid" and case.area_code == "610302001001001"
    assert case.ref.startswith("610302-20261123-") and len(case.ref) == len("610302-20261123-000001")
    assert intake.rate_token
    walk_to(world, "dispatched", case.ref)
    case.refresh_from_db()
    assert case.lead_unit == world.unit_a
    assert case.response_due == case.dispatched_at + timedelta(hours=2)
    assert case.resolution_due == case.dispatched_at + timedelta(hours=24)
    clock.shift(timedelta(minutes=30))
    case = walk_to(world, "closed", case.ref)
    case = actions.case_rate(ref=case.ref, by=world.resident, rating="satisfied", comment="很快")
    assert case.rating == "satisfied" and case.rated_at is not None
    actions_seen = list(CaseEvent.objects.filter(case=case).values_list("action", flat=True))
    assert actions_seen == [
        "report",
        "accept",
        "dispatch",
        "claim",
        "start",
        "resolve",
        "verify",
        "close",
        "rate",
    ]
    assert AuditEntry.objects.filter(object_type="cases.case", object_id=case.ref).count() == len(
        actions_seen
    )
    # the unit got the dispatch notice; the reporter got the closing notice
    assert Notification.objects.filter(user=world.handler_a, kind="dispatch", case=case).exists()
    assert Notification.objects.filter(user=world.resident, kind="closed", case=case).exists()


def test_dispatch_uses_routing_rule_with_assist_units(world):
    case = walk_to(world, "accepted")
    proposed = selectors.propose_routing(case)
    assert proposed == (world.unit_a, [world.unit_b])
    case = actions.case_dispatch(ref=case.ref, by=world.worker)
    roles = {(d.unit.name, d.role) for d in case.dispatches.all()}
    assert roles == {("城管执法局", "lead"), ("住建局", "assist")}
    assert Notification.objects.filter(user=world.handler_b, kind="dispatch").exists()


def test_dispatcher_may_change_proposal(world):
    case = walk_to(world, "accepted")
    case = actions.case_dispatch(
        ref=case.ref, by=world.worker, lead_unit_id=world.unit_c.pk, assist_unit_ids=[world.unit_a.pk]
    )
    assert case.lead_unit == world.unit_c


@pytest.mark.parametrize(
    ("action", "kwargs", "state"),
    [
        ("case_claim", {}, "in_progress"),
        ("case_resolve", {"result": "x" * 5}, "claimed"),
        ("case_close", {}, "dispatched"),
        ("case_verify", {}, "in_progress"),
        ("case_accept", {}, "closed"),
    ],
)
def test_wrong_state_is_409_with_allowed_actions(world, action, kwargs, state):
    case = walk_to(world, state)
    actor = world.handler_a if action in ("case_claim", "case_resolve") else world.community
    with pytest.raises(DomainError) as info:
        getattr(actions, action)(ref=case.ref, by=actor, **kwargs)
    assert info.value.status == 409 and info.value.code == "wrong_state"
    assert info.value.extra["state"] == state
    expected = [t.action for t in TRANSITIONS if state in t.sources]
    assert set(info.value.extra["allowed_actions"]) <= set(expected)
    assert Case.objects.get(pk=case.pk).state == state


def test_wrong_role_is_403(world):
    case = walk_to(world, "accepted")
    with pytest.raises(DomainError) as info:
        actions.case_dispatch(ref=case.ref, by=world.handler_a, lead_unit_id=world.unit_a.pk)
    # the unit cannot see a case not dispatched to it: that is scope (404), not role
    assert info.value.status == 404
    case = walk_to(world, "dispatched", case.ref)
    with pytest.raises(DomainError) as info:
        actions.case_claim(ref=case.ref, by=world.handler_b)  # assist unit sees it but may not claim as lead
    assert info.value.status == 403
    with pytest.raises(DomainError) as info:
        actions.case_close(ref=walk_to(world, "verified", case.ref).ref, by=world.handler_a)
    assert info.value.status == 403


def test_wrong_scope_is_404_and_writes_nothing(world):
    case = walk_to(world, "reported")
    events = CaseEvent.objects.count()
    for user in (world.other_street, world.handler_c):
        with pytest.raises(DomainError) as info:
            actions.case_accept(ref=case.ref, by=user)
        assert info.value.status == 404 and info.value.code == "not_found"
    assert CaseEvent.objects.count() == events
    assert Case.objects.get(pk=case.pk).state == "reported"


@pytest.mark.parametrize(
    ("state", "call"),
    [
        ("reported", lambda w, r: actions.case_reject(ref=r, by=w.worker, reason="  ")),
        ("dispatched", lambda w, r: actions.case_return(ref=r, by=w.handler_a, reason="")),
        ("resolved", lambda w, r: actions.case_rework(ref=r, by=w.worker, reason="")),
        ("accepted", lambda w, r: actions.case_escalate(ref=r, by=w.worker, reason="")),
        ("in_progress", lambda w, r: actions.case_extend(ref=r, by=w.worker, amount=2, reason="")),
    ],
)
def test_missing_reason_is_400_naming_the_field(world, state, call):
    case = walk_to(world, state)
    with pytest.raises(DomainError) as info:
        call(world, case.ref)
    assert info.value.status == 400 and info.value.field == "reason"
    assert Case.objects.get(pk=case.pk).state == state


def test_reject_with_reason(world):
    case = walk_to(world, "reported")
    case = actions.case_reject(ref=case.ref, by=world.worker, reason="不属于本平台受理范围")
    assert case.state == "rejected"
    assert CaseEvent.objects.get(case=case, action="reject").note == "不属于本平台受理范围"


def test_return_goes_back_for_redispatch_and_counts(world):
    case = walk_to(world, "claimed")
    case = actions.case_return(ref=case.ref, by=world.handler_a, reason="不属于本单位职责")
    assert case.state == "accepted" and case.return_count == 1 and case.lead_unit is None
    assert case.response_due is None
    assert Notification.objects.filter(user=world.worker, kind="returned").exists()
    case = actions.case_dispatch(ref=case.ref, by=world.worker, lead_unit_id=world.unit_b.pk)
    assert case.dispatches.filter(round=2, unit=world.unit_b, role="lead").exists()
    assert case.dispatches.get(round=1, unit=world.unit_a).state == "returned"
    # the first unit no longer acts on it
    with pytest.raises(DomainError):
        actions.case_start(ref=case.ref, by=world.handler_a)


def test_rework_counts_and_notifies(world):
    case = walk_to(world, "resolved")
    case = actions.case_rework(ref=case.ref, by=world.worker, reason="现场仍有垃圾")
    assert case.state == "in_progress" and case.rework_count == 1
    assert Notification.objects.filter(user=world.handler_a, kind="rework").exists()
    actions.case_resolve(ref=case.ref, by=world.handler_a, result="已彻底清运")
    case = actions.case_rework(ref=case.ref, by=world.community, reason="还有")
    assert case.rework_count == 2


def test_merge_keeps_every_reporter_and_notifies(world):
    first = report(world, by=world.resident).case
    # the grid worker enters the second report for a resident and is shown the likely duplicate
    other = report(
        world,
        by=world.worker,
        reporter_name="赵女士",
        reporter_phone="13700002222",
        point=(107.0101, 34.0101),
    )
    assert other.duplicates == [first.ref]
    # an anonymous reporter is shown nothing of other people's cases
    assert report(world, by=None, point=(107.0102, 34.0102)).duplicates == []
    merged = actions.case_merge(ref=other.case.ref, by=world.worker, into=first.ref, reason="同一处垃圾")
    assert merged.state == "merged" and merged.merged_into == first
    phones = sorted(r.phone for r in first.reporters.all())
    assert phones == ["13700002222", "13912345678"]
    walk_to(world, "closed", first.ref)
    # the resident (a signed-in reporter) is told of the closure of the surviving case
    assert Notification.objects.filter(user=world.resident, kind="closed", case=first).exists()
    with pytest.raises(DomainError) as info:
        actions.case_merge(ref=first.ref, by=world.worker, into=first.ref, reason="同一处垃圾")
    assert info.value.field == "into"


def test_merge_notifies_signed_in_reporter_of_duplicate(world):
    first = report(world, by=None).case
    dup = report(world, by=world.resident).case
    actions.case_merge(ref=dup.ref, by=world.community, into=first.ref, reason="同一处垃圾")
    note = Notification.objects.get(user=world.resident, kind="merged")
    assert first.ref in note.body


def test_reopen_only_when_unsatisfied_within_window(world, clock):
    case = walk_to(world, "closed")
    with pytest.raises(DomainError) as info:
        actions.case_reopen(ref=case.ref, by=world.resident, reason="没解决")
    assert info.value.status == 409
    actions.case_rate(ref=case.ref, by=world.resident, rating="unsatisfied", comment="又堆上了")
    with pytest.raises(DomainError) as info:
        actions.case_rate(ref=case.ref, by=world.resident, rating="satisfied")
    assert info.value.code == "already_rated"
    case = actions.case_reopen(ref=case.ref, by=world.resident, reason="又堆上了")
    assert case.state == "accepted" and case.reopen_count == 1 and case.rating == ""
    case = walk_to(world, "closed", case.ref)
    actions.case_rate(ref=case.ref, by=world.resident, rating="unsatisfied")
    clock.shift(timedelta(days=8))  # the category's window is 7 days
    with pytest.raises(DomainError) as info:
        actions.case_reopen(ref=case.ref, by=world.resident, reason="还是没解决")
    assert info.value.code == "reopen_window_passed"


def test_rate_with_one_time_token_without_login(world):
    intake = report(world, by=None)
    walk_to(world, "closed", intake.case.ref)
    with pytest.raises(DomainError) as info:
        actions.case_rate(ref=intake.case.ref, token="wrong-token", rating="satisfied")
    assert info.value.status == 404
    case = actions.case_rate(ref=intake.case.ref, token=intake.rate_token, rating="basic")
    assert case.rating == "basic"
    with pytest.raises(DomainError) as info:
        actions.case_rate(ref=intake.case.ref, token=intake.rate_token, rating="satisfied")
    assert info.value.code == "already_rated"
    with pytest.raises(DomainError) as info:
        actions.case_rate(ref=intake.case.ref, token=intake.rate_token, rating="great")
    assert info.value.field == "rating"


def test_escalate_moves_up_one_level_to_that_command_centre(world):
    case = walk_to(world, "accepted")
    assert "escalate" in allowed_actions(world.worker, case)
    case = actions.case_escalate(ref=case.ref, by=world.worker, reason="网格无法解决")
    assert case.level == "community" and case.handling_area.code == "610302001001"
    assert Notification.objects.filter(user=world.community, kind="escalation").exists()
    # a grid worker no longer dispatches a community-level case
    assert "dispatch" not in allowed_actions(world.worker, case)
    with pytest.raises(DomainError) as info:
        actions.case_dispatch(ref=case.ref, by=world.worker, lead_unit_id=world.unit_a.pk)
    assert info.value.status == 403
    case = actions.case_escalate(ref=case.ref, by=world.community, reason="需街道协调")
    case = actions.case_escalate(ref=case.ref, by=world.street, reason="需区级部门")
    assert case.level == "district" and case.handling_area.code == "610302"
    with pytest.raises(DomainError) as info:
        actions.case_escalate(ref=case.ref, by=world.district, reason="再上报")
    assert info.value.status == 409
    assert case.escalation_count == 3


def test_whistle_summons_units_each_must_report(world):
    case = walk_to(world, "accepted")
    with pytest.raises(DomainError) as info:
        actions.case_whistle(
            ref=case.ref,
            by=world.community,
            unit_ids=[world.unit_a.pk, world.unit_b.pk],
            lead_unit_id=world.unit_a.pk,
        )
    assert info.value.status == 403  # only a street or the district blows the whistle
    case = actions.case_whistle(
        ref=case.ref,
        by=world.street,
        unit_ids=[world.unit_b.pk, world.unit_c.pk],
        lead_unit_id=world.unit_a.pk,
        report_hours=2,
        note="围墙倾斜",
    )
    assert case.state == "dispatched" and case.lead_unit == world.unit_a and case.level == "street"
    whistle = case.whistles.get()
    assert {c.unit.name for c in whistle.calls.all()} == {"城管执法局", "住建局", "某物业"}
    assert Notification.objects.filter(user=world.handler_c, kind="whistle").exists()
    actions.case_report_in(ref=case.ref, by=world.handler_b, note="已到场")
    with pytest.raises(DomainError) as info:
        actions.case_report_in(ref=case.ref, by=world.handler_b)
    assert info.value.status == 403  # already reported in
    assert whistle.calls.get(unit=world.unit_b).reported_at is not None


def test_extend_pushes_resolution_due_and_counts(world):
    case = walk_to(world, "in_progress")
    due = case.resolution_due
    case = actions.case_extend(ref=case.ref, by=world.worker, amount=12, reason="需采购材料")
    assert case.resolution_due == due + timedelta(hours=12) and case.extension_count == 1
    with pytest.raises(DomainError) as info:
        actions.case_extend(ref=case.ref, by=world.worker, amount=0, reason="x")
    assert info.value.field == "amount"


def test_candidate_units_first_claim_leads(world):
    case = walk_to(world, "accepted")
    case = actions.case_dispatch(
        ref=case.ref, by=world.worker, candidate_unit_ids=[world.unit_a.pk, world.unit_c.pk]
    )
    assert case.lead_unit is None
    assert "claim" in allowed_actions(world.handler_c, case)
    case = actions.case_claim(ref=case.ref, by=world.handler_c)
    assert case.lead_unit == world.unit_c and case.state == "claimed"
    assert case.dispatches.get(unit=world.unit_a).state == Dispatch.DState.WITHDRAWN
    with pytest.raises(DomainError) as info:
        actions.case_claim(ref=case.ref, by=world.handler_a)
    assert info.value.status == 409


def test_allowed_actions_by_role(world):
    case = walk_to(world, "dispatched")
    assert allowed_actions(world.handler_a, case) == ["claim", "return"]
    assert allowed_actions(world.handler_b, case) == []
    assert set(allowed_actions(world.worker, case)) == {"escalate", "extend"}
    assert set(allowed_actions(world.street, case)) == {"escalate", "whistle", "extend"}
    assert allowed_actions(world.resident, case) == []


def test_second_dispatch_is_409(world):
    case = walk_to(world, "dispatched")
    with pytest.raises(DomainError) as info:
        actions.case_dispatch(ref=case.ref, by=world.worker, lead_unit_id=world.unit_b.pk)
    assert info.value.status == 409


def test_staff_of_other_subtree_cannot_verify(world):
    case = walk_to(world, "resolved")
    with pytest.raises(DomainError) as info:
        actions.case_verify(ref=case.ref, by=world.other_street)
    assert info.value.status == 404


def test_whistle_on_case_in_progress_keeps_the_lead(world):
    case = walk_to(world, "in_progress")
    with pytest.raises(DomainError) as info:
        actions.case_whistle(
            ref=case.ref, by=world.street, unit_ids=[world.unit_b.pk], lead_unit_id=world.unit_b.pk
        )
    assert info.value.field in ("lead_unit_id", "unit_ids")
    case = actions.case_whistle(
        ref=case.ref,
        by=world.street,
        unit_ids=[world.unit_b.pk, world.unit_c.pk],
        lead_unit_id=world.unit_a.pk,
    )
    assert case.state == "in_progress" and case.lead_unit == world.unit_a
    assert case.dispatches.filter(role="assist").count() == 2


def test_grid_two(world):
    intake = report(world, by=world.resident, point=IN_GRID_112)
    assert intake.case.area_code == "610302001001002"
    with pytest.raises(DomainError) as info:
        actions.case_accept(ref=intake.case.ref, by=world.worker)  # the worker of grid 001
    assert info.value.status == 404
