"""The project workflow: every transition, every refusal (role 403, scope 404, state 409 with the allowed
actions, missing reason 400), the timeline and audit rows, and the needs that move with the project."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gridgov.core.errors import DomainError
from gridgov.core.models import AuditEntry, TimelineEvent
from gridgov.notify.models import Notification
from gridgov.projects import actions
from gridgov.projects.models import Need, Project, ProjectEvaluation
from gridgov.projects.workflow import EVALUATION_DAYS, PROJECT

from .conftest import COMMUNITY_11, GRID_111, GRID_211, need, project


def steps(obj) -> list[str]:
    return list(
        TimelineEvent.objects.filter(subject=obj._meta.label_lower, subject_id=obj.pk)
        .order_by("id")
        .values_list("action", flat=True)
    )


def refused(status: int, fn, **kw) -> DomainError:
    with pytest.raises(DomainError) as exc:
        fn(**kw)
    assert exc.value.status == status, exc.value.as_dict()
    return exc.value


def test_claim_path_from_draft_to_closed(world, clock):
    n = need(world)
    p = project(world, needs=[n])
    n.refresh_from_db()
    assert p.state == "draft" and n.state == "planned"
    assert PROJECT.allowed_actions(world.community, p) == ["publish", "assign"]
    assert PROJECT.allowed_actions(world.handler, p) == []

    p = actions.project_publish(by=world.community, project=p)
    assert p.state == "open"
    assert Notification.objects.filter(user=world.handler, kind="project").exists()  # a partner in the area
    assert not Notification.objects.filter(user=world.handler_far).exists()

    p = actions.project_claim(by=world.handler, project=p)
    assert (p.state, p.owner_unit, p.claimed, p.is_secretary_project) == (
        "in_progress",
        world.unit,
        True,
        False,
    )
    assert p.due_at is not None and p.warn_at == p.due_at - timedelta(days=7)

    m1 = actions.milestone_add(by=world.handler, project=p, title="入户测量")
    m2 = actions.milestone_add(by=world.community, project=p, title="安装扶手")
    actions.milestone_done(by=world.handler, project=p, milestone_id=m1.pk)
    p.refresh_from_db()
    assert p.progress == 50
    refused(409, actions.milestone_done, by=world.handler, project=p, milestone_id=m1.pk)
    actions.milestone_done(by=world.handler, project=p, milestone_id=m2.pk, note="已全部安装")
    p.refresh_from_db()
    assert p.progress == 100

    err = refused(400, actions.project_complete, by=world.handler, project=p, summary="  ")
    assert err.field == "summary"
    p = actions.project_complete(by=world.handler, project=p, summary="3 栋楼加装扶手 48 处")
    n.refresh_from_db()
    assert p.state == "completed" and n.state == "met"
    assert steps(n) == ["record", "planned", "met"]

    ev = actions.project_evaluate(by=world.resident, project=p, score=5, comment="很方便")
    assert ev.rating == "satisfied"
    actions.project_evaluate(by=world.volunteer, project=p, rating="basic")
    assert ProjectEvaluation.objects.get(user=world.volunteer).score == 3
    err = refused(409, actions.project_evaluate, by=world.resident, project=p, score=4)
    assert err.code == "already_evaluated"

    err = refused(409, actions.project_close, by=world.community, project=p)
    assert err.code == "not_allowed_now"
    clock.shift(timedelta(days=EVALUATION_DAYS))
    p = actions.project_close(by=world.community, project=p)
    assert p.state == "closed"
    refused(409, actions.project_evaluate, by=world.resident2, project=p, score=4)
    assert steps(p) == [
        "create",
        "publish",
        "claim",
        "milestone_add",
        "milestone_add",
        "milestone",
        "milestone",
        "complete",
        "evaluate",
        "evaluate",
        "close",
    ]
    claim = AuditEntry.objects.get(verb="project.claim")
    assert claim.before == {"state": "open"} and claim.after["state"] == "in_progress"


def test_assign_to_a_secretary_makes_a_secretary_project(world):
    p = project(world)
    p = actions.project_assign(by=world.community, project=p, owner_user=world.secretary.pk)
    assert p.state == "in_progress" and p.is_secretary_project and p.owner_user == world.secretary
    assert Notification.objects.filter(user=world.secretary, kind="project").exists()
    # The secretary is also staff of the community, so may withdraw as well.
    assert PROJECT.allowed_actions(world.secretary, p) == ["return", "withdraw", "milestone", "complete"]
    refused(404, actions.project_complete, by=world.handler, project=p, summary="x")  # not their unit's
    refused(403, actions.project_complete, by=world.street, project=p, summary="x")  # staff, not the owner
    p = actions.project_set_progress(by=world.secretary, project=p, progress=40)
    assert p.progress == 40
    err = refused(400, actions.project_set_progress, by=world.secretary, project=p, progress=140)
    assert err.field == "progress"
    p = actions.project_complete(by=world.secretary, project=p, summary="书记牵头完成")
    assert p.state == "completed" and p.progress == 100


def test_assign_needs_an_owner_in_scope(world):
    p = project(world)
    err = refused(400, actions.project_assign, by=world.community, project=p)
    assert err.field == "owner_unit"
    err = refused(
        400, actions.project_assign, by=world.community, project=p, owner_user=world.other_street.pk
    )
    assert err.field == "owner_user"
    p = actions.project_assign(by=world.community, project=p, owner_unit=world.dept.pk)
    assert p.owner_unit == world.dept and not p.claimed


def test_return_and_withdraw_need_a_reason_and_clear_the_owner(world):
    p = actions.project_publish(by=world.community, project=project(world))
    p = actions.project_claim(by=world.handler, project=p)
    err = refused(400, actions.project_return, by=world.handler, project=p, reason="")
    assert err.field == "reason"
    refused(403, actions.project_return, by=world.community, project=p, reason="x")
    p = actions.project_return(by=world.handler, project=p, reason="本季度人手不足")
    assert p.state == "open" and p.owner_unit is None and p.due_at is None
    p = actions.project_claim(by=world.handler_b, project=p)
    err = refused(400, actions.project_withdraw, by=world.community, project=p, reason=" ")
    assert err.field == "reason"
    refused(403, actions.project_withdraw, by=world.handler_b, project=p, reason="x")
    p = actions.project_withdraw(by=world.community, project=p, reason="方案需调整")
    assert p.state == "draft" and p.owner_unit is None
    assert Notification.objects.filter(user=world.handler_b, title__startswith="项目已撤回").exists()
    ret = TimelineEvent.objects.get(subject="projects.project", subject_id=p.pk, action="return")
    assert ret.note == "本季度人手不足" and ret.from_state == "in_progress" and ret.to_state == "open"


def test_wrong_state_is_409_with_the_allowed_actions(world):
    p = project(world)
    refused(404, actions.project_claim, by=world.handler, project=p)  # a draft is not shown to units
    err = refused(409, actions.project_complete, by=world.community, project=p, summary="x")
    assert err.code == "wrong_state"
    assert err.extra == {"state": "draft", "allowed_actions": ["publish", "assign"]}
    refused(404, actions.project_evaluate, by=world.resident, project=p, score=5)  # residents see done ones
    p = actions.project_publish(by=world.community, project=p)
    refused(409, actions.project_publish, by=world.community, project=p)
    actions.project_claim(by=world.handler, project=p)
    err = refused(409, actions.project_claim, by=world.handler_b, project=p)
    assert err.extra["state"] == "in_progress"


def test_roles_and_scope(world):
    p = project(world)
    # Out of scope: 404 (another community, another street, a unit before publication, a resident).
    for who in (world.community2, world.other_street, world.worker2, world.handler, world.resident):
        refused(404, actions.project_publish, by=who, project=p)
    # A grid worker inside sees it but it is the community's (in scope: allowed for staff in scope).
    p = actions.project_publish(by=world.street, project=p)
    refused(404, actions.project_claim, by=world.handler_far, project=p)  # unit serving another street
    refused(403, actions.project_claim, by=world.community, project=p)  # staff do not claim, they assign
    p = actions.project_claim(by=world.handler2, project=p)  # any handler of the unit
    refused(404, actions.milestone_add, by=world.handler_b, project=p, title="x")  # not theirs, not open
    p = actions.project_complete(by=world.handler, project=p, summary="完成")
    refused(403, actions.project_evaluate, by=world.community, project=p, score=5)
    refused(403, actions.project_evaluate, by=world.handler, project=p, score=5)
    err = refused(400, actions.project_evaluate, by=world.resident, project=p, score=6)
    assert err.field == "score"


def test_create_checks_needs_resources_and_input(world):
    n = need(world)
    far = need(world, area=GRID_211, by=world.admin)
    err = refused(404, project, world=world, needs=[far])
    assert err.field == "needs"
    err = refused(400, project, world=world, title="")
    assert err.field == "title"
    err = refused(400, project, world=world, start_date="2026-12-01", end_date="2026-11-01")
    assert err.field == "end_date"
    refused(403, project, world=world, by=world.handler)
    refused(404, project, world=world, area="610302002001")
    project(world, needs=[n])
    err = refused(409, project, world=world, needs=[n])  # already planned
    assert err.code == "need_not_open"
    assert Project.objects.count() == 1


def test_need_close_and_reopen(world):
    n = need(world, area=GRID_111)
    err = refused(400, actions.need_close, by=world.worker, need=n, reason="")
    assert err.field == "reason"
    refused(404, actions.need_close, by=world.worker2, need=n, reason="x")
    refused(404, actions.need_close, by=world.handler, need=n, reason="x")
    n = actions.need_close(by=world.worker, need=n, reason="居民已自行解决")
    assert n.state == "closed" and n.close_reason == "居民已自行解决"
    err = refused(409, actions.need_close, by=world.worker, need=n, reason="x")
    assert err.extra["allowed_actions"] == ["reopen"]
    refused(409, actions.need_update, by=world.worker, need=n, title="新")
    n = actions.need_reopen(by=world.community, need=n)
    assert n.state == Need.State.OPEN
    assert steps(n) == ["record", "close", "reopen"]


def test_need_update_is_scoped_and_audited(world):
    n = need(world)
    n = actions.need_update(
        by=world.community, need=n, title="独居老人午餐配送", beneficiaries=12, urgency="urgent"
    )
    assert (n.title, n.beneficiaries, n.urgency) == ("独居老人午餐配送", 12, "urgent")
    entry = AuditEntry.objects.get(verb="need.update")
    assert entry.before["title"] == "独居老人助餐" and entry.after["beneficiaries"] == 12
    refused(404, actions.need_update, by=world.community, need=n, area="610302002001001")
    err = refused(400, actions.need_update, by=world.community, need=n, beneficiaries=0)
    assert err.field == "beneficiaries"
    err = refused(400, actions.need_update, by=world.community, need=n, state="met")
    assert err.field == "state"


def test_project_update_before_completion(world):
    p = project(world)
    p = actions.project_update(by=world.community, project=p, budget="12000.5", title="加装扶手（二期）")
    assert str(p.budget) == "12000.50" and p.title == "加装扶手（二期）"
    err = refused(400, actions.project_update, by=world.community, project=p, budget="abc")
    assert err.field == "budget"


def test_milestone_add_refusals(world):
    p = project(world)
    err = refused(400, actions.milestone_add, by=world.community, project=p, title="")
    assert err.field == "milestones"
    refused(404, actions.milestone_add, by=world.community2, project=p, title="x")
    p = actions.project_assign(by=world.community, project=p, owner_unit=world.unit.pk)
    actions.project_complete(by=world.handler, project=p, summary="完成")
    refused(409, actions.milestone_add, by=world.community, project=p, title="补充")
    assert p.area_code == COMMUNITY_11
