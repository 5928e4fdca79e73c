"""Eight residents ordering the last three places of a session at the same moment get exactly three
orders (real threads and transactions: SQLite serialises writers, PostgreSQL's conditional UPDATE waits on
the row); a retried order racing with itself makes one order."""

from __future__ import annotations

import pytest

from gridgov.cases.tests.test_concurrency import race
from gridgov.orders.models import Order, ServiceSchedule, ServiceSlot
from gridgov.testing.api import ApiClient
from gridgov.testing.factories import make_user

from .conftest import GRID, build_world

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(clock):  # noqa: ARG001
    return build_world()


def test_three_places_eight_orders_at_once(world):
    ServiceSchedule.objects.filter(item=world.consult).update(capacity=3)
    for i in range(8):
        make_user(world.admin, f"r{i}", "resident", phone=f"1391234{i:04d}")
    clients = [ApiClient(f"r{i}") for i in range(8)]
    body = {"item": world.consult.pk, "slot": "2026-11-25T14:00", "grid": GRID}
    responses = race(*[lambda c=c: c.post("/orders", body) for c in clients])
    codes = sorted(r.status_code for r in responses)
    assert codes == [201] * 3 + [409] * 5, [r.content for r in responses]
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"slot_full"}
    slot = ServiceSlot.objects.get()
    assert slot.taken == 3 and slot.capacity == 3
    assert Order.objects.count() == 3
    assert len({r.json()["ref"] for r in responses if r.status_code == 201}) == 3


def test_a_retried_order_racing_with_itself_is_one_order(world):
    clients = [ApiClient("resident") for _ in range(3)]
    body = {"item": world.consult.pk, "slot": "2026-11-25T14:00"}
    responses = race(
        *[lambda c=c: c.post("/orders", body, headers={"Idempotency-Key": "tap-1"}) for c in clients]
    )
    assert sorted(r.status_code for r in responses) == [200, 200, 201], [r.content for r in responses]
    assert len({r.json()["ref"] for r in responses}) == 1
    assert Order.objects.count() == 1 and ServiceSlot.objects.get().taken == 1
