"""The task workflow: every transition, every refusal (role 403, scope 404, state 409, reason 400), the
timeline and audit rows, places taken and given back."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gridgov.core.errors import DomainError
from gridgov.core.models import AuditEntry
from gridgov.core.timeline import timeline_of
from gridgov.notify.models import Notification
from gridgov.points import actions
from gridgov.points.models import SignupState, TaskState
from gridgov.points.workflow import MACHINE, STATE_LABELS, allowed_actions

from .conftest import GRID, OTHER_COMMUNITY, make_task


def refused(call, status: int, code: str | None = None, field: str | None = None) -> DomainError:
    with pytest.raises(DomainError) as info:
        call()
    exc = info.value
    assert exc.status == status, (exc.status, exc.code, exc.message)
    if code:
        assert exc.code == code
    if field:
        assert exc.field == field
    return exc


def test_staff_create_a_draft_and_publish_it(world):
    task = make_task(world, publish=False)
    assert task.state == TaskState.DRAFT and task.area_code == "610302001001"
    assert task.remind_at == task.starts_at - timedelta(days=1)
    assert allowed_actions(world.community, task) == ["publish", "cancel"]
    assert allowed_actions(world.vol, task) == []
    task = actions.task_act(task_id=task.pk, by=world.community, action="publish")
    assert task.state == TaskState.OPEN and task.published_at is not None
    steps = [(e.action, e.from_state, e.to_state) for e in timeline_of(task)]
    assert steps == [("create", "", "draft"), ("publish", "draft", "open")]
    assert AuditEntry.objects.filter(verb="volunteertask.publish", object_id=str(task.pk)).count() == 1


def test_grid_worker_publishes_in_their_grid_but_not_the_community(world):
    task = make_task(world, by=world.worker, area=GRID)
    assert task.state == TaskState.OPEN
    refused(lambda: make_task(world, by=world.worker), 404, "not_found", "area")


def test_volunteers_and_units_cannot_create_tasks(world):
    refused(lambda: make_task(world, by=world.vol), 403, "forbidden")
    refused(lambda: make_task(world, by=world.handler), 403, "forbidden")


def test_out_of_scope_staff_get_404_on_every_action(world):
    task = make_task(world, publish=False)
    for action in ("publish", "cancel", "close", "finish"):
        refused(lambda a=action: actions.task_act(task_id=task.pk, by=world.other_street, action=a), 404)
    refused(lambda: make_task(world, by=world.other_street), 404, field="area")


def test_volunteers_do_not_see_drafts(world):
    task = make_task(world, publish=False)
    refused(lambda: actions.signup_create(task_id=task.pk, by=world.vol), 404)


def test_bad_fields_are_named(world):
    refused(lambda: make_task(world, hours=0), 400, field="ends_at")
    refused(lambda: make_task(world, slots=0), 400, field="slots")
    refused(lambda: make_task(world, points=0), 400, field="points")
    refused(lambda: make_task(world, title=" "), 400, "required", "title")
    refused(lambda: make_task(world, by=world.district, area="610302001"), 400, field="area")  # a street
    start_late = make_task  # signup_due after the start
    from django.utils import timezone

    refused(lambda: start_late(world, signup_due=timezone.now() + timedelta(days=5)), 400, field="signup_due")


def test_wrong_state_is_409_with_allowed_actions(world):
    task = make_task(world)
    exc = refused(
        lambda: actions.task_act(task_id=task.pk, by=world.community, action="publish"), 409, "wrong_state"
    )
    assert exc.extra["allowed_actions"] == ["signup", "withdraw", "close", "cancel"]


def test_cancel_needs_a_reason_and_tells_the_signed_up(world):
    task = make_task(world)
    actions.signup_create(task_id=task.pk, by=world.vol)
    refused(
        lambda: actions.task_act(task_id=task.pk, by=world.community, action="cancel"),
        400,
        "required",
        "reason",
    )
    refused(
        lambda: actions.task_act(task_id=task.pk, by=world.vol, action="cancel", reason="x"), 403, "forbidden"
    )
    task = actions.task_act(task_id=task.pk, by=world.community, action="cancel", reason="暴雨预警")
    assert task.state == TaskState.CANCELLED and task.cancel_reason == "暴雨预警"
    note = Notification.objects.get(user=world.vol)
    assert note.kind == "task" and "暴雨预警" in note.body
    assert timeline_of(task)[-1].note == "暴雨预警"
    refused(lambda: actions.signup_create(task_id=task.pk, by=world.vol2), 409, "wrong_state")


def test_signup_fills_the_task_and_withdraw_reopens_it(world):
    task = make_task(world, slots=2)
    a = actions.signup_create(task_id=task.pk, by=world.vol)
    refused(lambda: actions.signup_create(task_id=task.pk, by=world.vol), 409, "already_signed_up")
    actions.signup_create(task_id=task.pk, by=world.resident)
    task.refresh_from_db()
    assert task.state == TaskState.FULL and task.taken == 2
    refused(lambda: actions.signup_create(task_id=task.pk, by=world.vol2), 409, "task_full")
    w = actions.signup_withdraw(task_id=task.pk, by=world.vol)
    assert w.pk == a.pk and w.state == SignupState.WITHDRAWN
    task.refresh_from_db()
    assert task.state == TaskState.OPEN and task.taken == 1
    refused(lambda: actions.signup_withdraw(task_id=task.pk, by=world.vol), 403, "forbidden")
    again = actions.signup_create(task_id=task.pk, by=world.vol)  # a new live sign-up after withdrawing
    assert again.pk != a.pk
    assert [e.action for e in timeline_of(task)][-4:] == ["signup", "signup", "withdraw", "signup"]


def test_staff_and_units_cannot_sign_up(world):
    task = make_task(world)
    refused(lambda: actions.signup_create(task_id=task.pk, by=world.community), 403, "forbidden")
    refused(lambda: actions.signup_create(task_id=task.pk, by=world.handler), 403, "forbidden")


def test_signups_close_at_signup_due_and_at_the_start(world, clock):
    from django.utils import timezone

    task = make_task(world, signup_due=timezone.now() + timedelta(days=1))
    actions.signup_create(task_id=task.pk, by=world.vol)
    clock.move_to(task.signup_due)
    refused(lambda: actions.signup_create(task_id=task.pk, by=world.vol2), 409, "not_allowed_now")
    actions.signup_withdraw(task_id=task.pk, by=world.vol)  # withdrawing is still fine before the start
    clock.move_to(task.starts_at)
    refused(lambda: actions.signup_create(task_id=task.pk, by=world.vol), 409, "not_allowed_now")


def test_withdraw_refused_once_started(world, clock):
    task = make_task(world)
    actions.signup_create(task_id=task.pk, by=world.vol)
    clock.move_to(task.starts_at + timedelta(minutes=1))
    refused(lambda: actions.signup_withdraw(task_id=task.pk, by=world.vol), 409, "not_allowed_now")


def test_close_and_finish(world, clock):
    task = make_task(world)
    task = actions.task_act(task_id=task.pk, by=world.community, action="close")
    assert task.state == TaskState.CLOSED
    refused(lambda: actions.signup_create(task_id=task.pk, by=world.vol), 409, "wrong_state")
    refused(
        lambda: actions.task_act(task_id=task.pk, by=world.community, action="finish"), 409, "not_allowed_now"
    )
    clock.move_to(task.ends_at)
    task = actions.task_act(task_id=task.pk, by=world.district, action="finish")
    assert task.state == TaskState.FINISHED and task.finished_at is not None
    refused(lambda: actions.task_act(task_id=task.pk, by=world.community, action="cancel", reason="x"), 409)


def test_admin_may_act_anywhere(world):
    task = make_task(world, area=OTHER_COMMUNITY, by=world.admin, publish=True)
    assert task.state == TaskState.OPEN


def test_only_drafts_are_edited(world):
    task = make_task(world, publish=False)
    task = actions.task_update(task_id=task.pk, by=world.community, slots=5, title="关爱独居老人探访")
    assert task.slots == 5 and task.title == "关爱独居老人探访"
    actions.task_act(task_id=task.pk, by=world.community, action="publish")
    refused(lambda: actions.task_update(task_id=task.pk, by=world.community, slots=1), 409, "wrong_state")


def test_state_table_reads_like_the_docs():
    rows = MACHINE.table(STATE_LABELS)
    assert ("cancel", "取消任务", "草稿、报名中、已满员、报名截止", "已取消", "staff") in rows
    assert ("signup", "报名", "报名中", "报名中 → 已满员 (报名占满最后一个名额时)", "volunteer") in rows
    assert ("withdraw", "取消报名", "报名中、已满员、报名截止", "已满员 → 报名中", "signed_up") in rows
