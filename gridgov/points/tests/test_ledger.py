"""Attendance and the points ledger: credited once, balances derived and never negative, entries
append-only, corrections reverse once, redemptions take points and stock together, the ledger sums to 0."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from gridgov.core.models import AppendOnlyError, AuditEntry
from gridgov.core.timeline import timeline_of
from gridgov.notify.models import Notification
from gridgov.points import actions, selectors
from gridgov.points.actions import Mark, balance, volunteer_account
from gridgov.points.models import EntryKind, PointsEntry, Redemption, SignupState

from .conftest import OTHER_COMMUNITY, attended, make_reward, make_task
from .test_tasks import refused


def test_attendance_credits_points_once_even_when_retried(world, clock):
    task = make_task(world, points=15, hours=3)
    a = actions.signup_create(task_id=task.pk, by=world.vol)
    b = actions.signup_create(task_id=task.pk, by=world.vol2)
    refused(
        lambda: actions.attendance_confirm(task_id=task.pk, by=world.community, marks=[Mark(a.pk, True)]),
        409,
        "not_allowed_now",
    )
    clock.move_to(task.starts_at + timedelta(hours=1))
    marks = [Mark(a.pk, True), Mark(b.pk, False)]
    for _ in range(3):  # a retried submission changes nothing
        done = actions.attendance_confirm(task_id=task.pk, by=world.community, marks=marks)
        assert [s.state for s in done] == [SignupState.ATTENDED, SignupState.ABSENT]
    a.refresh_from_db()
    assert a.hours == Decimal("3.00") and a.confirmed_by == world.community
    assert PointsEntry.objects.filter(kind=EntryKind.TASK).count() == 1
    assert balance(volunteer_account(world.vol)) == 15
    assert balance(volunteer_account(world.vol2)) == 0
    assert balance(actions.pool_account(task.area_code)) == -15
    assert [e.action for e in timeline_of(task)].count("attend") == 2
    assert Notification.objects.filter(user=world.vol, kind="points").count() == 1
    # Changing a confirmed mark is refused (a correction reverses points instead).
    refused(
        lambda: actions.attendance_confirm(task_id=task.pk, by=world.community, marks=[Mark(b.pk, True)]),
        409,
        "already_confirmed",
        "signup_id",
    )


def test_the_database_refuses_a_second_task_credit_for_one_signup(world, clock):
    task = make_task(world)
    attended(world, task, world.vol, clock=clock)
    entry = PointsEntry.objects.get(kind=EntryKind.TASK)
    assert actions.credit_signup(entry.signup, task) is None  # the action's own retry path
    with pytest.raises(IntegrityError), transaction.atomic():
        PointsEntry.objects.create(
            at=entry.at,
            debit=entry.debit,
            credit=entry.credit,
            amount=5,
            kind="task",
            signup=entry.signup,
            area_code=entry.area_code,
        )
    assert PointsEntry.objects.filter(kind=EntryKind.TASK).count() == 1


def test_entered_hours_and_refusals_of_attendance(world, clock):
    task = make_task(world)
    s = actions.signup_create(task_id=task.pk, by=world.vol)
    clock.move_to(task.starts_at)
    refused(lambda: actions.attendance_confirm(task_id=task.pk, by=world.vol, marks=[Mark(s.pk, True)]), 403)
    refused(
        lambda: actions.attendance_confirm(task_id=task.pk, by=world.other_street, marks=[Mark(s.pk, True)]),
        404,
    )
    refused(
        lambda: actions.attendance_confirm(task_id=task.pk, by=world.community, marks=[]), 400, field="marks"
    )
    refused(
        lambda: actions.attendance_confirm(
            task_id=task.pk, by=world.community, marks=[Mark(s.pk + 99, True)]
        ),
        404,
        field="signup_id",
    )
    refused(
        lambda: actions.attendance_confirm(
            task_id=task.pk, by=world.community, marks=[Mark(s.pk, True, Decimal("-1"))]
        ),
        400,
        field="hours",
    )
    actions.attendance_confirm(task_id=task.pk, by=world.community, marks=[Mark(s.pk, True, Decimal("1.5"))])
    s.refresh_from_db()
    assert s.hours == Decimal("1.50") and selectors.hours_of(world.vol) == Decimal("1.50")


def test_entries_are_append_only(world, clock):
    task = make_task(world)
    attended(world, task, world.vol, clock=clock)
    entry = PointsEntry.objects.get()
    entry.amount = 1000
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        PointsEntry.objects.filter(pk=entry.pk).update(amount=1000)
    with pytest.raises(AppendOnlyError):
        PointsEntry.objects.all().delete()
    assert PointsEntry.objects.get().amount == 10


def test_redemption_takes_points_and_stock_together(world, clock):
    task = make_task(world, points=40)
    attended(world, task, world.vol, clock=clock)
    reward = make_reward(world, cost=30, stock=2)
    redemption = actions.redeem(reward_id=reward.pk, by=world.vol)  # self-service
    assert redemption.points == 30 and redemption.entry.kind == EntryKind.REDEMPTION
    assert balance(volunteer_account(world.vol)) == 10
    assert balance(actions.station_account(reward.area.code)) == 30
    reward.refresh_from_db()
    assert reward.stock == 1
    exc = refused(lambda: actions.redeem(reward_id=reward.pk, by=world.vol), 409, "insufficient_points")
    assert exc.extra == {"balance": 10, "needed": 30}
    reward.refresh_from_db()
    assert reward.stock == 1 and Redemption.objects.count() == 1
    assert AuditEntry.objects.filter(verb="points.redeem").count() == 1


def test_out_of_stock_takes_no_points(world, clock):
    task = make_task(world, points=100)
    attended(world, task, world.vol, clock=clock)
    reward = make_reward(world, cost=10, stock=1)
    refused(lambda: actions.redeem(reward_id=reward.pk, by=world.vol, quantity=2), 409, "out_of_stock")
    assert balance(volunteer_account(world.vol)) == 100 and not Redemption.objects.exists()
    refused(lambda: actions.redeem(reward_id=reward.pk, by=world.vol, quantity=0), 400, field="quantity")


def test_station_operator_redeems_for_a_volunteer(world, clock):
    task = make_task(world, points=50)
    attended(world, task, world.vol, clock=clock)
    reward = make_reward(world, cost=20, stock=5)
    r = actions.redeem(reward_id=reward.pk, by=world.community, volunteer=world.vol, quantity=2)
    assert r.by == world.community and r.points == 40 and balance(volunteer_account(world.vol)) == 10
    assert Notification.objects.filter(user=world.vol, kind="points", title__contains="兑换").count() == 1
    # Another street's staff do not see this station; a volunteer cannot redeem for someone else.
    refused(lambda: actions.redeem(reward_id=reward.pk, by=world.other_street, volunteer=world.vol), 404)
    refused(lambda: actions.redeem(reward_id=reward.pk, by=world.vol2, volunteer=world.vol), 403, "forbidden")
    refused(lambda: actions.redeem(reward_id=reward.pk, by=world.community), 400, field="volunteer")
    refused(
        lambda: actions.redeem(reward_id=reward.pk, by=world.community, volunteer=world.worker),
        400,
        field="volunteer",
    )


def test_inactive_rewards_are_hidden_from_volunteers(world):
    reward = make_reward(world)
    reward.is_active = False
    reward.save()
    refused(lambda: actions.redeem(reward_id=reward.pk, by=world.vol), 404)
    refused(
        lambda: actions.redeem(reward_id=reward.pk, by=world.community, volunteer=world.vol), 409, "inactive"
    )


def test_reward_refusals(world):
    refused(
        lambda: actions.reward_create(by=world.vol, area="610302001001", name="毛巾", cost=5, stock=1), 403
    )
    refused(
        lambda: actions.reward_create(by=world.community, area=OTHER_COMMUNITY, name="毛巾", cost=5, stock=1),
        404,
    )
    refused(
        lambda: actions.reward_create(by=world.community, area="610302001001", name="毛巾", cost=0, stock=1),
        400,
    )
    refused(
        lambda: actions.reward_create(by=world.community, area="610302001001", name="", cost=5, stock=1), 400
    )


def test_stock_never_below_zero_in_the_database(world):
    reward = make_reward(world, stock=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        type(reward).objects.filter(pk=reward.pk).update(stock=-1)


def test_correction_reverses_once_and_never_below_zero(world, clock):
    task = make_task(world, points=30)
    attended(world, task, world.vol, clock=clock)
    credit = PointsEntry.objects.get(kind=EntryKind.TASK)
    refused(
        lambda: actions.points_correct(entry_id=credit.pk, by=world.community, reason=""),
        400,
        "required",
        "reason",
    )
    refused(lambda: actions.points_correct(entry_id=credit.pk, by=world.other_street, reason="x"), 404)
    refused(lambda: actions.points_correct(entry_id=credit.pk, by=world.vol, reason="x"), 403)
    reward = make_reward(world, cost=25, stock=3)
    redemption = actions.redeem(reward_id=reward.pk, by=world.vol)
    # The volunteer has spent 25 of 30: reversing the credit would leave −25.
    refused(
        lambda: actions.points_correct(entry_id=credit.pk, by=world.community, reason="重复登记"),
        409,
        "insufficient_points",
    )
    # Reverse the redemption (returned goods), then the credit.
    back = actions.points_correct(entry_id=redemption.entry.pk, by=world.community, reason="物品退回")
    assert back.debit == redemption.entry.credit and back.credit == redemption.entry.debit
    refused(
        lambda: actions.points_correct(entry_id=redemption.entry.pk, by=world.community, reason="x"),
        409,
        "already_reversed",
    )
    refused(
        lambda: actions.points_correct(entry_id=back.pk, by=world.community, reason="x"),
        409,
        "not_reversible",
    )
    actions.points_correct(entry_id=credit.pk, by=world.community, reason="重复登记")
    assert balance(volunteer_account(world.vol)) == 0
    assert AuditEntry.objects.filter(verb="points.correct").count() == 2
    assert selectors.sum_of_balances() == 0


def test_grant(world):
    entry = actions.points_grant(
        by=world.community, volunteer=world.resident, area="610302001001", amount=8, reason="纸质登记补录"
    )
    assert entry.kind == EntryKind.GRANT and balance(volunteer_account(world.resident)) == 8
    refused(
        lambda: actions.points_grant(
            by=world.community, volunteer=world.vol, area="610302001001", amount=8, reason=""
        ),
        400,
    )
    refused(
        lambda: actions.points_grant(
            by=world.community, volunteer=world.worker, area="610302001001", amount=8, reason="x"
        ),
        400,
    )
    refused(
        lambda: actions.points_grant(
            by=world.community, volunteer=world.vol, area=OTHER_COMMUNITY, amount=8, reason="x"
        ),
        404,
    )


def test_history_and_summary(world, clock):
    task = make_task(world, points=20)
    attended(world, task, world.vol, world.vol2, clock=clock)
    reward = make_reward(world, cost=5, stock=9)
    actions.redeem(reward_id=reward.pk, by=world.vol, quantity=3)
    lines = selectors.history(volunteer_account(world.vol))
    assert [(line.change, line.balance) for line in lines] == [(-15, 5), (20, 20)]
    day = task.starts_at.date()
    s = selectors.summary(world.community, area=None, start=day, end=day)
    assert (s["area"], s["issued"], s["redeemed"], s["expired"], s["attendances"], s["volunteers"]) == (
        "610302001001",
        40,
        15,
        0,
        2,
        2,
    )
    rows = selectors.volunteers_of(world.community, area=None, start=day, end=day)
    assert {(r.user.username, r.tasks, r.points) for r in rows} == {("vol", 1, 20), ("vol2", 1, 20)}
    refused(lambda: selectors.summary(world.community, area="610302002", start=day, end=day), 404)
    refused(lambda: selectors.summary(world.vol, area=None, start=day, end=day), 403)
