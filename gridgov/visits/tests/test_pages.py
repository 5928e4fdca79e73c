"""The visit pages through Django's test client."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from gridgov.cases.models import Case
from gridgov.core import uploads
from gridgov.ledger.actions import tag_assign
from gridgov.visits import actions
from gridgov.visits.models import Visit, VisitPlan
from gridgov.visits.tests.conftest import T0, days_ago, record
from gridgov.visits.tests.test_record import upload


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.fixture
def due(world):
    tag_assign(by=world.admin, tag="needy", household=world.h2, reason="低保", since=days_ago(40))
    VisitPlan.objects.create(area=world.tree["610302"], households=10)
    return world


def test_worklist_page_shows_due_households_and_own_progress(client, due):
    client.force_login(due.worker)
    body = text(client.get("/visits/worklist/"))
    assert "A号楼1单元102室" in body and "超期 10 天" in body and "困难家庭" in body
    assert f"/visits/new/?household={due.h2.pk}" in body
    assert "我已走访 <strong>0</strong> / 10 户" in body
    partial = client.get("/visits/worklist/?days=0", headers={"HX-Request": "true"})
    assert "<html" not in partial.content.decode() and "A号楼1单元102室" in text(partial)


def test_pages_are_for_staff_only(client, due):
    client.force_login(due.resident)
    for url in ("/visits/worklist/", "/visits/", f"/visits/new/?household={due.h1.pk}", "/visits/coverage/"):
        assert client.get(url).status_code == 404, url
    client.logout()
    assert client.get("/visits/worklist/").status_code == 302


def test_record_form_prefills_and_saves(client, due):
    client.force_login(due.worker)
    form = text(client.get(f"/visits/new/?household={due.h2.pk}"))
    assert "A号楼1单元102室" in form and 'value="must" selected' in form and "赵桂兰" in form
    response = client.post(
        f"/visits/new/?household={due.h2.pk}",
        {
            "household": due.h2.pk,
            "visited_at": (T0 - timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M"),
            "duration_minutes": "25",
            "kind": "must",
            "problems": "家里水管漏水，物业一直没来修",
            "visitors": [str(due.community.pk)],
        },
    )
    visit = Visit.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/visits/{visit.pk}/"
    assert visit.visitors.count() == 2 and visit.duration_minutes == 25


def test_record_form_shows_the_error_at_its_field_and_keeps_input(client, due):
    client.force_login(due.worker)
    response = client.post(
        f"/visits/new/?household={due.h2.pk}",
        {
            "household": due.h2.pk,
            "visited_at": (T0 + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
            "needs": "想学手机",
        },
    )
    assert response.status_code == 400
    body = text(response)
    assert 'id="err-visited_at"' in body and "走访时间不能晚于现在" in body and "想学手机" in body
    assert client.get(f"/visits/new/?household={due.h4.pk}").status_code == 404


def test_choose_household_by_search(client, due):
    client.force_login(due.worker)
    body = text(client.get("/visits/new/?q=赵桂兰"))
    assert f"?household={due.h2.pk}" in body and "B号楼" not in body


def test_detail_turns_the_finding_into_a_case_in_one_click(client, due):
    visit = record(due, due.h1, days_ago(1), problems="物业不清理楼道垃圾，已经一个月")
    client.force_login(due.worker)
    body = text(client.get(f"/visits/{visit.pk}/"))
    assert 'value="property_service" selected' in body  # suggested from the words of the finding
    assert "物业不清理楼道垃圾，已经一个月</textarea>" in body
    post = {"category": "property_service", "description": visit.problems}
    response = client.post(f"/visits/{visit.pk}/case/", post)
    assert response.status_code == 302
    case = Case.objects.get()
    body = text(client.get(f"/visits/{visit.pk}/"))
    assert f"/cases/{case.ref}/" in body and "已转为事件" in body and 'class="form to-case-form"' not in body
    client.post(f"/visits/{visit.pk}/case/", post)
    assert Case.objects.count() == 1
    client.force_login(due.worker2)
    assert client.get(f"/visits/{visit.pk}/").status_code == 404


def test_case_form_error_stays_on_the_page(client, due):
    visit = record(due, due.h1, days_ago(1), problems="物业问题")
    client.force_login(due.worker)
    response = client.post(f"/visits/{visit.pk}/case/", {"category": "", "description": "物业问题很多很多"})
    assert response.status_code == 400 and 'id="err-category"' in text(response)


def test_household_history_partial_and_coverage_page(client, due):
    visit = record(due, due.h1, days_ago(1), problems="想加装电梯")
    client.force_login(due.community)
    body = text(client.get(f"/visits/household/{due.h1.pk}/"))
    assert f"/visits/{visit.pk}/" in body and "想加装电梯" in body
    assert client.get(f"/visits/household/{due.h5.pk}/").status_code == 404
    body = text(client.get("/visits/coverage/?start=2026-11-01&end=2026-11-23"))
    assert 'id="coverage-table"' in body and "网格1-1-1" in body and "网格1-1-2" in body
    assert client.get("/visits/coverage/?area=610302002").status_code == 404
    assert "走访记录" in text(client.get("/visits/"))


def test_the_household_page_shows_its_visits_with_their_cases(client, due):
    from gridgov.visits.actions import visit_to_case

    visit = record(due, due.h1, days_ago(1), problems="楼道声控灯坏了")
    case = visit_to_case(by=due.worker, visit=visit, category_code="property_service").case
    client.force_login(due.worker)
    body = text(client.get(f"/ledger/households/{due.h1.pk}/"))
    # the section the visits app adds to the ledger's household page
    assert '<section class="card" data-section="visits"> <h2>走访记录与转办事件</h2>' in body
    assert f'href="/visits/{visit.pk}/"' in body and f'href="/cases/{case.ref}/"' in body
    assert f'href="/visits/new/?household={due.h1.pk}"' in body
    body = text(client.get(f"/ledger/households/{due.h2.pk}/"))
    assert "还没有走访记录。" in body and f'href="/visits/{visit.pk}/"' not in body


def test_delete_from_the_detail_page(client, due):
    visit = record(due, due.h1, days_ago(1))
    client.force_login(due.worker)
    assert "删除这条走访记录" in text(client.get(f"/visits/{visit.pk}/"))
    client.post(f"/visits/{visit.pk}/delete/", {"reason": "录错了户"})
    assert not Visit.objects.exists()


def test_the_visit_photo_goes_to_staff_who_see_the_visit(client, due):
    visit = record(due, due.h1, days_ago(1), photo=upload())
    photo = uploads.of(visit).get()
    client.force_login(due.worker)
    assert f'src="/files/{photo.pk}/"' in text(client.get(f"/visits/{visit.pk}/"))
    for user, status in (
        (due.worker, 200),
        (due.community, 200),
        (due.district, 200),
        (due.worker2, 404),
        (due.other_street, 404),
        (due.resident, 404),
        (due.handler, 404),
    ):
        client.force_login(user)
        for url in (photo.get_absolute_url(), photo.thumb_url):
            assert client.get(url).status_code == status, (user.username, url)


def test_a_replaced_or_deleted_photo_leaves_no_file(due, settings, django_capture_on_commit_callbacks):
    visit = record(due, due.h1, days_ago(1), photo=upload())
    first = uploads.of(visit).get()
    with django_capture_on_commit_callbacks(execute=True):
        actions.visit_update(by=due.worker, visit=visit, photo=upload(name="new.png"))
    second = uploads.of(visit).get()
    assert second.pk != first.pk and not (settings.MEDIA_ROOT / first.path).exists()
    assert (settings.MEDIA_ROOT / second.path).is_file()
    with django_capture_on_commit_callbacks(execute=True):
        actions.visit_delete(by=due.worker, visit=visit, reason="录错了户")
    assert not uploads.of(visit).exists() and not (settings.MEDIA_ROOT / second.path).exists()
