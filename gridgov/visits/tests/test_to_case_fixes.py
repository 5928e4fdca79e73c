"""Issue 13, visit → case: possible duplicates are shown before a case is made (link instead, or confirm a
new one); the point can be moved off the household's building, with its own address; the worker can be
the contact instead of the head of household."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from gridgov.cases.actions import case_report
from gridgov.cases.models import Case
from gridgov.core.errors import DomainError
from gridgov.visits.actions import visit_link_case, visit_to_case
from gridgov.visits.tests.conftest import T0, record

PROBLEM = "3号楼外墙瓷砖脱落，砸到楼下自行车"


@pytest.fixture
def visit(world):
    return record(world, world.h1, T0 - timedelta(hours=2), problems=PROBLEM)


@pytest.fixture
def earlier(world):
    """A resident had already reported the same wall, a few metres away."""
    return case_report(
        by=world.resident,
        category_code="property_service",
        description="外墙瓷砖脱落，砸到自行车了，很危险",
        lng=107.0101,
        lat=34.0101,
    ).case


def test_possible_duplicates_are_shown_before_creating_and_the_visit_can_join_one(
    client, world, visit, earlier
):
    client.force_login(world.worker)
    page = client.get(f"/visits/{visit.pk}/").content.decode()
    assert 'id="visit-duplicates"' in page and f'href="/cases/{earlier.ref}/"' in page
    # submitting the form does not make a case yet: the duplicates are shown, a new case needs confirming
    form = {"category": "property_service", "description": PROBLEM, "lng": "107.01", "lat": "34.01"}
    response = client.post(f"/visits/{visit.pk}/case/", form)
    assert response.status_code == 200
    body = response.content.decode()
    assert '<input type="hidden" name="confirm" value="1">' in body and earlier.ref in body
    assert not visit.cases.exists() and Case.objects.count() == 1
    # same problem: the visit is linked to the case already reported, none is made
    response = client.post(f"/visits/{visit.pk}/case/link/", {"case": earlier.ref})
    assert response.status_code == 302
    assert list(visit.cases.all()) == [earlier] and Case.objects.count() == 1
    assert earlier.events.filter(action="visit_linked", data__visit=visit.pk).exists()
    assert "关联走访" in client.get(f"/cases/{earlier.ref}/").content.decode()


def test_a_new_case_is_made_once_the_worker_confirms(client, world, visit, earlier):
    client.force_login(world.worker)
    form = {"category": "property_service", "description": PROBLEM, "lng": "107.01", "lat": "34.01"}
    response = client.post(f"/visits/{visit.pk}/case/", {**form, "confirm": "1"})
    assert response.status_code == 302
    case = visit.cases.get()
    assert case.pk != earlier.pk and case.description == PROBLEM


def test_link_refuses_a_finished_or_invisible_case(world, visit, earlier):
    with pytest.raises(DomainError) as info:
        visit_link_case(by=world.worker, visit=visit, ref="610302-20261123-999999")
    assert info.value.status == 404 and info.value.field == "case"
    Case.objects.filter(pk=earlier.pk).update(state="closed")
    with pytest.raises(DomainError) as info:
        visit_link_case(by=world.worker, visit=visit, ref=earlier.ref)
    assert info.value.status == 409 and not visit.cases.exists()


def test_the_point_can_move_off_the_building_with_its_own_address(world, visit):
    # about 110 m north of the household's building: another building
    with pytest.raises(DomainError) as info:
        visit_to_case(by=world.worker, visit=visit, category_code="property_service", lng=107.01, lat=34.011)
    assert info.value.field == "address" and not visit.cases.exists()
    case = visit_to_case(
        by=world.worker,
        visit=visit,
        category_code="property_service",
        lng=107.01,
        lat=34.011,
        address="姜谭路 12 号 3号楼东侧",
    ).case
    assert (case.lng, case.lat) == (107.01, 34.011)
    assert case.address == "姜谭路 12 号 3号楼东侧"


def test_at_the_building_the_address_is_the_households_unless_given(world, visit):
    case = visit_to_case(
        by=world.worker, visit=visit, category_code="property_service", lng=107.01, lat=34.01
    ).case
    assert case.address == "姜谭路 12 号 A号楼1单元101室"


def test_the_worker_can_be_the_contact_instead_of_the_head(world, visit):
    case = visit_to_case(
        by=world.worker, visit=visit, category_code="property_service", contact="worker"
    ).case
    assert case.reporter_phone == "13800000005" and case.reporter_name != "王建国"
    with pytest.raises(DomainError) as info:
        visit_to_case(
            by=world.worker, visit=record(world, world.h2, T0), category_code="x", contact="neighbour"
        )
    assert info.value.field == "contact"


def test_the_page_shows_the_pin_map_address_and_contact_and_errors_on_address(client, world, visit):
    client.force_login(world.worker)
    page = client.get(f"/visits/{visit.pk}/").content.decode()
    assert 'id="case-pin-map"' in page and "visits/case-pin.js" in page
    assert re.search(r'name="address"[^>]*value="姜谭路 12 号 A号楼1单元101室"', page)
    assert 'name="contact" value="worker"' in page
    form = {
        "category": "property_service",
        "description": PROBLEM,
        "lng": "107.01",
        "lat": "34.011",
        "confirm": "1",
    }
    response = client.post(f"/visits/{visit.pk}/case/", {**form, "address": "姜谭路 12 号 A号楼1单元101室"})
    assert response.status_code == 400 and 'id="err-address"' in response.content.decode()
    assert not visit.cases.exists()
