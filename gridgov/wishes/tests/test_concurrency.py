"""Claims at the same moment, with real threads and real transactions (SQLite serialises writers,
PostgreSQL locks the wish row; the conditional UPDATE and the unique constraint hold on both)."""

from __future__ import annotations

import pytest

from gridgov.cases.tests.test_concurrency import race
from gridgov.testing.api import ApiClient
from gridgov.testing.factories import make_user
from gridgov.wishes import actions
from gridgov.wishes.models import State, Wish, WishClaim

from .conftest import make_world, submit

pytestmark = pytest.mark.django_db(transaction=True)


def _volunteers(world, n: int) -> list[ApiClient]:
    names = [f"vol{i}" for i in range(n)]
    for name in names:
        make_user(world.admin, name, "volunteer")
    return [ApiClient(name) for name in names]


def test_eight_volunteers_claim_a_single_claimant_wish_one_wins():
    world = make_world()
    wish = submit(world)
    actions.wish_publish(ref=wish.ref, by=world.community)
    clients = _volunteers(world, 8)
    responses = race(*[lambda c=c: c.post(f"/wishes/{wish.ref}/claim") for c in clients])
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] + [409] * 7, [r.content for r in responses]
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"already_claimed"}
    assert WishClaim.objects.filter(wish=wish).count() == 1
    wish = Wish.objects.get(pk=wish.pk)
    assert wish.claimants_count == 1 and wish.state == State.CLAIMED


def test_a_three_place_wish_gets_exactly_three_claimants():
    world = make_world()
    wish = submit(world)
    actions.wish_publish(ref=wish.ref, by=world.community, max_claimants=3)
    clients = _volunteers(world, 8)
    responses = race(*[lambda c=c: c.post(f"/wishes/{wish.ref}/claim") for c in clients])
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] * 3 + [409] * 5, [r.content for r in responses]
    assert WishClaim.objects.filter(wish=wish).count() == 3
    wish = Wish.objects.get(pk=wish.pk)
    assert wish.claimants_count == 3 and wish.state == State.CLAIMED
