"""Races, run with real threads and real transactions (SQLite serialises writers, PostgreSQL row locks)."""

from __future__ import annotations

import pytest

from gridgov.cases import actions
from gridgov.cases.models import Case, CaseEvent, Dispatch
from gridgov.testing.api import ApiClient
from gridgov.testing.concurrency import race

from .conftest import IN_GRID_111, report

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_units_claiming_the_same_dispatch_one_wins(world):
    case = report(world, by=world.resident).case
    actions.case_accept(ref=case.ref, by=world.worker)
    actions.case_dispatch(
        ref=case.ref, by=world.worker, candidate_unit_ids=[world.unit_a.pk, world.unit_c.pk]
    )
    a, c = ApiClient("ha"), ApiClient("hc")
    responses = race(lambda: a.post(f"/cases/{case.ref}/claim"), lambda: c.post(f"/cases/{case.ref}/claim"))
    assert sorted(r.status_code for r in responses) == [200, 409]
    loser = next(r for r in responses if r.status_code == 409).json()
    assert loser["code"] in ("wrong_state", "already_claimed")
    case.refresh_from_db()
    assert case.state == "claimed"
    assert Dispatch.objects.filter(case=case, state="claimed").count() == 1
    assert CaseEvent.objects.filter(case=case, action="claim").count() == 1


def test_two_handlers_of_one_unit_claim_once(world):
    case = report(world, by=world.resident).case
    actions.case_accept(ref=case.ref, by=world.worker)
    actions.case_dispatch(ref=case.ref, by=world.worker, lead_unit_id=world.unit_a.pk)
    one, two = ApiClient("ha"), ApiClient("ha2")
    responses = race(
        lambda: one.post(f"/cases/{case.ref}/claim"), lambda: two.post(f"/cases/{case.ref}/claim")
    )
    assert sorted(r.status_code for r in responses) == [200, 409]
    assert CaseEvent.objects.filter(case=case, action="claim").count() == 1


def test_retried_intake_at_the_same_moment_makes_one_case(world):
    body = {
        "category": "litter",
        "description": "井盖缺失很危险",
        "lng": IN_GRID_111[0],
        "lat": IN_GRID_111[1],
        "reporter_phone": "13800001111",
    }
    clients = [ApiClient() for _ in range(3)]
    responses = race(
        *[lambda c=c: c.post("/cases", body, headers={"Idempotency-Key": "same-key"}) for c in clients]
    )
    assert sorted(r.status_code for r in responses) == [200, 200, 201]
    assert len({r.json()["ref"] for r in responses}) == 1
    assert Case.objects.count() == 1


def test_simultaneous_intakes_get_consecutive_distinct_numbers(world):
    first = report(world).case.ref  # today's counter exists; the others race on the same row
    results = race(*[lambda: report(world).case.ref for _ in range(4)])
    day = first.rsplit("-", 1)[0]
    assert sorted(results) == [f"{day}-{n:06d}" for n in (2, 3, 4, 5)]
    assert Case.objects.count() == 5


def test_first_intakes_of_a_day_racing_to_create_the_counter_get_distinct_numbers(world):
    results = race(*[lambda: report(world).case.ref for _ in range(3)])
    assert sorted(r.rsplit("-", 1)[1] for r in results) == ["000001", "000002", "000003"]
