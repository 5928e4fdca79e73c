"""Races with real threads and real transactions (SQLite serialises writers; on PostgreSQL the account
row lock and the conditional stock UPDATE do the work): no overspent points, no negative stock, no place
taken twice, no task credit twice."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gridgov.cases.tests.test_concurrency import race
from gridgov.core.errors import DomainError
from gridgov.points import actions, selectors
from gridgov.points.actions import Mark, balance, volunteer_account
from gridgov.points.models import EntryKind, PointsEntry, Redemption, Reward, Signup
from gridgov.testing.api import ApiClient
from gridgov.testing.factories import make_user

from .conftest import COMMUNITY, build_world, make_reward, make_task

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world():
    return build_world()


def _outcome(call):
    try:
        call()
        return "ok"
    except DomainError as exc:
        return exc.code


def test_ten_parallel_redemptions_of_100_points_at_30_each_three_succeed(world):
    actions.points_grant(by=world.community, volunteer=world.vol, area=COMMUNITY, amount=100, reason="测试")
    reward = make_reward(world, cost=30, stock=50)
    client = ApiClient("vol")
    responses = race(
        *[lambda: client.post(f"/rewards/{reward.pk}/redeem", {"quantity": 1}) for _ in range(10)]
    )
    codes = sorted(r.status_code for r in responses)
    assert codes == [201] * 3 + [409] * 7, [r.content for r in responses]
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"insufficient_points"}
    assert balance(volunteer_account(world.vol)) == 10
    assert Reward.objects.get(pk=reward.pk).stock == 47
    assert Redemption.objects.count() == 3 and selectors.sum_of_balances() == 0


def test_six_volunteers_racing_for_the_last_two_items_two_get_them(world):
    reward = make_reward(world, cost=10, stock=2)
    people = [make_user(world.admin, f"v{i}", "volunteer") for i in range(6)]
    for person in people:
        actions.points_grant(by=world.community, volunteer=person, area=COMMUNITY, amount=10, reason="测试")
    results = race(*[lambda p=p: _outcome(lambda: actions.redeem(reward_id=reward.pk, by=p)) for p in people])
    assert sorted(results) == ["ok", "ok"] + ["out_of_stock"] * 4
    assert Reward.objects.get(pk=reward.pk).stock == 0
    assert sum(balance(volunteer_account(p)) for p in people) == 40
    assert Redemption.objects.count() == 2 and selectors.sum_of_balances() == 0


def test_parallel_signups_never_overbook(world):
    task = make_task(world, slots=2)
    people = [make_user(world.admin, f"s{i}", "volunteer") for i in range(5)]
    results = race(
        *[lambda p=p: _outcome(lambda: actions.signup_create(task_id=task.pk, by=p)) for p in people]
    )
    assert sorted(results) == ["ok", "ok"] + ["task_full"] * 3
    task.refresh_from_db()
    assert task.taken == 2 and task.state == "full" and Signup.objects.count() == 2


def test_one_volunteer_signing_up_twice_at_once_gets_one_place(world):
    task = make_task(world, slots=5)
    results = race(
        *[lambda: _outcome(lambda: actions.signup_create(task_id=task.pk, by=world.vol)) for _ in range(3)]
    )
    assert sorted(results) == ["already_signed_up", "already_signed_up", "ok"]
    task.refresh_from_db()
    assert task.taken == 1


def test_concurrent_attendance_confirmations_credit_once(world):
    task = make_task(world, points=25, starts_in=timedelta(seconds=2))
    signup = actions.signup_create(task_id=task.pk, by=world.vol)
    # Move the task into the past (the clock is real in threads) rather than waiting for it to start.
    type(task).objects.filter(pk=task.pk).update(
        starts_at=task.starts_at - timedelta(days=1), ends_at=task.ends_at - timedelta(days=1)
    )
    staff = [world.community, world.district, world.community, world.admin]
    results = race(
        *[
            lambda s=s: _outcome(
                lambda: actions.attendance_confirm(task_id=task.pk, by=s, marks=[Mark(signup.pk, True)])
            )
            for s in staff
        ]
    )
    assert results == ["ok"] * 4
    assert PointsEntry.objects.filter(kind=EntryKind.TASK, signup=signup).count() == 1
    assert balance(volunteer_account(world.vol)) == 25


def test_concurrent_corrections_reverse_once(world):
    entry = actions.points_grant(
        by=world.community, volunteer=world.vol, area=COMMUNITY, amount=40, reason="测试"
    )
    results = race(
        *[
            lambda: _outcome(
                lambda: actions.points_correct(entry_id=entry.pk, by=world.community, reason="重复")
            )
            for _ in range(3)
        ]
    )
    assert sorted(results) == ["already_reversed", "already_reversed", "ok"]
    assert balance(volunteer_account(world.vol)) == 0
