"""The points sweep run as of an explicit ``now``: the day-before reminder once, expiry FIFO and once, and
the whole ledger still summing to zero after credits, redemptions, corrections and expiry."""

from __future__ import annotations

from datetime import timedelta

from gridgov.core.deadlines import SWEEPS, run_sweeps
from gridgov.core.timeline import timeline_of
from gridgov.notify.models import Notification
from gridgov.points import actions, selectors
from gridgov.points.actions import balance, volunteer_account
from gridgov.points.models import EntryKind, PointsEntry, PointsPolicy
from gridgov.points.sweep import months_before, points_sweep

from .conftest import COMMUNITY, T0, attended, make_reward, make_task


def test_the_sweep_is_registered():
    assert SWEEPS["points"] is points_sweep


def test_reminder_the_day_before_once(world):
    task = make_task(world, starts_in=timedelta(days=3))
    actions.signup_create(task_id=task.pk, by=world.vol)
    withdrawn = actions.signup_create(task_id=task.pk, by=world.vol2)
    actions.signup_withdraw(task_id=task.pk, by=world.vol2)
    assert points_sweep(task.remind_at - timedelta(minutes=1))["reminded"] == 0
    assert points_sweep(task.remind_at)["reminded"] == 1
    assert run_sweeps(task.remind_at + timedelta(hours=1))["points"]["reminded"] == 0
    notes = Notification.objects.filter(kind="task")
    assert [n.user for n in notes] == [world.vol] and "明天参加志愿服务" in notes[0].title
    assert withdrawn.volunteer not in [n.user for n in notes]
    assert [e.action for e in timeline_of(task)].count("remind") == 1
    result = points_sweep(task.starts_at)
    assert result["started"] == 1 and result["reminded"] == 0
    assert Notification.objects.filter(kind="task").count() == 1


def test_a_task_first_swept_after_its_start_gets_no_late_reminder(world):
    task = make_task(world, starts_in=timedelta(days=3))
    actions.signup_create(task_id=task.pk, by=world.vol)
    assert points_sweep(task.starts_at + timedelta(hours=1)) == {
        "reminded": 0,
        "started": 1,
        "expired_entries": 0,
        "expired_points": 0,
    }
    assert not Notification.objects.filter(kind="task").exists()


def test_months_before_keeps_the_end_of_month():
    assert months_before(T0.replace(month=3, day=31), 1).day == 28
    assert months_before(T0, 12).year == 2025 and months_before(T0, 12).month == 11


def test_expiry_is_fifo_once_and_the_ledger_balances(world, clock):
    PointsPolicy.objects.create(area=world.tree[COMMUNITY], expiry_months=12)
    first = make_task(world, points=30, title="垃圾分类督导")
    attended(world, first, world.vol, world.vol2, clock=clock)
    clock.move_to(first.starts_at + timedelta(days=100))
    second = make_task(world, points=20, title="文明交通劝导")
    attended(world, second, world.vol, clock=clock)
    reward = make_reward(world, cost=10, stock=10)
    actions.redeem(reward_id=reward.pk, by=world.vol)  # 10 of the first (oldest) 30 spent
    actions.redeem(reward_id=reward.pk, by=world.vol2, quantity=3)  # vol2 spends all 30
    grant = actions.points_grant(
        by=world.community, volunteer=world.vol2, area=COMMUNITY, amount=5, reason="补录"
    )
    actions.points_correct(entry_id=grant.pk, by=world.community, reason="登记错误")
    assert balance(volunteer_account(world.vol)) == 40

    first_due = months_before(T0, -12) + timedelta(days=3)  # after the first credit's anniversary
    assert points_sweep(first_due - timedelta(days=10))["expired_points"] == 0
    result = points_sweep(first_due)
    assert (result["expired_entries"], result["expired_points"]) == (
        1,
        20,
    )  # vol: 30 − 10 spent; vol2: none left
    expiry = PointsEntry.objects.get(kind=EntryKind.EXPIRY)
    assert expiry.expires.signup.task == first and expiry.debit == volunteer_account(world.vol)
    assert balance(volunteer_account(world.vol)) == 20
    assert points_sweep(first_due + timedelta(days=1))["expired_entries"] == 0  # once only
    # A year after the second credit, its 20 go too.
    result = points_sweep(first_due + timedelta(days=110))
    assert (result["expired_entries"], result["expired_points"]) == (1, 20)
    assert balance(volunteer_account(world.vol)) == 0
    assert points_sweep(first_due + timedelta(days=400))["expired_entries"] == 0
    assert selectors.sum_of_balances() == 0
    station = actions.station_account(COMMUNITY)
    assert balance(station) == 40 and balance(volunteer_account(world.vol2)) == 0
    assert balance(actions.pool_account(COMMUNITY)) == -(60 + 20 + 5 - 5) + 40


def test_no_policy_no_expiry(world, clock):
    task = make_task(world)
    attended(world, task, world.vol, clock=clock)
    PointsPolicy.objects.create(area=world.tree[COMMUNITY], expiry_months=None)
    assert points_sweep(T0 + timedelta(days=3000))["expired_entries"] == 0
