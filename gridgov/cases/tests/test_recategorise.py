"""改分类: a dispatcher changes the category of a case before it is dispatched."""

from __future__ import annotations

import pytest

from gridgov.cases import actions
from gridgov.cases.models import Case, CaseEvent, Category
from gridgov.core.errors import DomainError

from .conftest import build_world, report

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build_world()


@pytest.fixture
def lane():
    return Category.objects.create(code="blocked_lane", name="占道经营")


def test_recategorise_changes_the_category_and_keeps_both_codes_in_the_timeline(world, lane):
    case = report(world, by=world.resident).case
    actions.case_recategorise(ref=case.ref, by=world.street, category_code="blocked_lane", note="实为占道")
    case.refresh_from_db()
    assert case.category == lane
    assert case.state == "reported"
    step = CaseEvent.objects.get(case=case, action="recategorise")
    assert step.data == {"from": "litter", "to": "blocked_lane"}
    assert step.note == "实为占道"


def test_unknown_or_same_category_is_refused_on_the_category_field(world, lane):
    case = report(world, by=world.resident).case
    with pytest.raises(DomainError) as unknown:
        actions.case_recategorise(ref=case.ref, by=world.street, category_code="nope")
    assert unknown.value.field == "category"
    with pytest.raises(DomainError) as same:
        actions.case_recategorise(ref=case.ref, by=world.street, category_code="litter")
    assert same.value.field == "category"
    assert Case.objects.get(pk=case.pk).category.code == "litter"
    assert not CaseEvent.objects.filter(case=case, action="recategorise").exists()


def test_only_a_dispatcher_and_only_before_dispatch(world, lane):
    case = report(world, by=world.resident).case
    with pytest.raises(DomainError) as resident:
        actions.case_recategorise(ref=case.ref, by=world.resident, category_code="blocked_lane")
    assert resident.value.status in (403, 404)
    actions.case_accept(ref=case.ref, by=world.street)
    actions.case_dispatch(ref=case.ref, by=world.street, lead_unit_id=world.unit_a.pk)
    with pytest.raises(DomainError) as late:
        actions.case_recategorise(ref=case.ref, by=world.street, category_code="blocked_lane")
    assert late.value.status == 409


def test_the_page_form_and_the_api(client, world, lane):
    case = report(world, by=world.resident).case
    client.force_login(world.street)
    page = client.get(f"/cases/{case.ref}/?act=recategorise")
    assert 'name="category"' in page.content.decode()
    bad = client.post(f"/cases/{case.ref}/act/recategorise/", {"category": ""})
    assert bad.status_code == 400
    ok = client.post(f"/cases/{case.ref}/act/recategorise/", {"category": "blocked_lane"})
    assert ok.status_code == 302
    assert Case.objects.get(pk=case.pk).category == lane
