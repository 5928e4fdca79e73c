"""``GET /units``: a dispatcher using the API lists the units it may dispatch to, and the routing proposal
for a case it can see."""

from __future__ import annotations

import pytest

from gridgov.testing.api import ApiClient

from .conftest import report

pytestmark = pytest.mark.django_db


def test_staff_list_the_active_units_and_the_proposal_for_a_case(world):
    case = report(world, by=world.resident).case
    world.unit_c.is_active = False
    world.unit_c.save(update_fields=["is_active"])
    answer = ApiClient("community").get(f"/units?case={case.ref}")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert {u["name"] for u in body["units"]} == {"城管执法局", "住建局"}  # not the inactive one
    assert body["proposal"]["case"] == case.ref
    assert body["proposal"]["lead"]["id"] == world.unit_a.pk
    assert [u["id"] for u in body["proposal"]["assists"]] == [world.unit_b.pk]
    assert ApiClient("community").get("/units").json()["proposal"] is None


def test_a_case_out_of_scope_is_404_and_non_staff_are_refused(world):
    case = report(world, by=world.resident).case
    assert ApiClient("street2").get(f"/units?case={case.ref}").status_code == 404
    assert ApiClient("resident").get("/units").status_code == 403
    assert ApiClient("ha").get("/units").status_code == 403
    assert ApiClient().get("/units").status_code == 401
