"""One click from a visit to a need (需求清单): pre-filled from the visit and the household, exactly one need
per visit (also for simultaneous clicks), scoped, and shown on the visit page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from gridgov.cases.tests.test_concurrency import race
from gridgov.core.errors import DomainError
from gridgov.core.models import AuditEntry
from gridgov.projects.models import Need
from gridgov.services.models import ServiceCategory
from gridgov.testing.api import ApiClient
from gridgov.testing.factories import PASSWORD
from gridgov.visits.actions import visit_to_need
from gridgov.visits.tests.conftest import T0, record


@pytest.fixture
def meals(db):
    return ServiceCategory.objects.get_or_create(code="meals", defaults={"name": "助餐"})[0]


@pytest.fixture
def visit(world, meals):  # noqa: ARG001
    return record(
        world,
        world.h1,
        T0 - timedelta(hours=2),
        needs="老两口做饭困难，希望有助餐服务\n最好能送餐上门",
        problems="楼道声控灯坏了",
    )


def test_visit_becomes_a_prefilled_need_linked_to_the_visit(world, visit):
    result = visit_to_need(by=world.worker, visit=visit, category="meals")
    need = result.need
    assert result.created
    assert need.title == "老两口做饭困难，希望有助餐服务"
    assert need.description == "老两口做饭困难，希望有助餐服务\n最好能送餐上门"
    assert need.area_code == "610302001001001" == world.h1.area_code
    assert (need.source, need.source_id, need.state) == ("visit", visit.pk, "open")
    entry = AuditEntry.objects.get(verb="visits.visit.to_need")
    assert entry.after == {"need": need.pk, "category": "meals"}


def test_problems_are_used_without_needs_and_fields_can_be_edited(world, meals):  # noqa: ARG001
    visit = record(world, world.h2, T0 - timedelta(hours=1), problems="家里暖气不热")
    need = visit_to_need(
        by=world.worker, visit=visit, category="meals", title="暖气维修", urgency="urgent", beneficiaries=2
    ).need
    assert (need.title, need.description, need.urgency, need.beneficiaries) == (
        "暖气维修",
        "家里暖气不热",
        "urgent",
        2,
    )


def test_a_second_click_or_a_colleague_returns_the_same_need(world, visit):
    first = visit_to_need(by=world.worker, visit=visit, category="meals")
    again = visit_to_need(by=world.community, visit=visit, category="meals", title="别的")
    assert not again.created and again.need.pk == first.need.pk
    assert Need.objects.count() == 1 and AuditEntry.objects.filter(verb="visits.visit.to_need").count() == 1


def test_refusals(world, visit):
    with pytest.raises(DomainError) as exc:
        visit_to_need(by=world.worker2, visit=visit, category="meals")
    assert exc.value.status == 404
    for who in (world.resident, world.handler):
        with pytest.raises(DomainError) as exc:
            visit_to_need(by=who, visit=visit, category="meals")
        assert exc.value.status == 403
    with pytest.raises(DomainError) as exc:
        visit_to_need(by=world.worker, visit=visit, category="nope")
    assert exc.value.field == "category"
    assert not Need.objects.exists()


def test_api_and_page(world, visit):
    api = ApiClient("worker")
    first = api.post(f"/visits/{visit.pk}/need", {"category": "meals"})
    assert first.status_code == 201, first.content
    again = api.post(f"/visits/{visit.pk}/need", {"category": "meals"})
    assert again.status_code == 200 and again.json()["need"]["id"] == first.json()["need"]["id"]
    assert ApiClient("worker2").post(f"/visits/{visit.pk}/need", {"category": "meals"}).status_code == 404
    bad = ApiClient("community").post(f"/visits/{visit.pk}/need", {"category": ""})
    assert bad.status_code == 400 and bad.json()["field"] == "category"

    page = Client()
    assert page.login(username="worker", password=PASSWORD)
    html = page.get(f"/visits/{visit.pk}/").content.decode()
    need = Need.objects.get()
    assert f'data-need="{need.pk}"' in html and "老两口做饭困难" in html
    assert "to-need-form" not in html


def test_page_form_records_the_need(world, visit):
    page = Client()
    assert page.login(username="worker", password=PASSWORD)
    html = page.get(f"/visits/{visit.pk}/").content.decode()
    assert "to-need-form" in html and 'value="老两口做饭困难，希望有助餐服务"' in html
    missing = page.post(f"/visits/{visit.pk}/need/", {"title": "助餐"})
    assert missing.status_code == 400 and "err-need-category" in missing.content.decode()
    done = page.post(f"/visits/{visit.pk}/need/", {"category": "meals", "title": "助餐", "urgency": "normal"})
    assert done.status_code == 302
    assert Need.objects.get().title == "助餐"


@pytest.mark.django_db(transaction=True)
def test_simultaneous_clicks_make_one_need(world, meals):  # noqa: ARG001
    visit = record(world, world.h1, T0 - timedelta(hours=1), needs="希望有人帮忙买菜")
    worker, community = ApiClient("worker"), ApiClient("community")
    body = {"category": "meals"}
    responses = race(
        lambda: worker.post(f"/visits/{visit.pk}/need", body),
        lambda: community.post(f"/visits/{visit.pk}/need", body),
        lambda: worker.post(f"/visits/{visit.pk}/need", body),
    )
    assert sorted(r.status_code for r in responses) == [200, 200, 201], [r.content for r in responses]
    assert len({r.json()["need"]["id"] for r in responses}) == 1
    assert Need.objects.count() == 1
