"""One click from a visit to a case: pre-filled from the visit and the ledger, exactly one case, linked."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gridgov.cases.models import Case
from gridgov.cases.selectors import cases_visible_to
from gridgov.core import uploads
from gridgov.core.errors import DomainError
from gridgov.core.models import AuditEntry
from gridgov.visits.actions import visit_to_case
from gridgov.visits.tests.conftest import T0, record
from gridgov.visits.tests.test_record import upload


@pytest.fixture
def visit(world):
    return record(world, world.h1, T0 - timedelta(hours=2), problems="楼道声控灯坏了两周，老人晚上上下楼不便")


def test_visit_becomes_a_prefilled_case_linked_to_the_visit(world, visit):
    result = visit_to_case(by=world.worker, visit=visit, category_code="property_service")
    case = result.case
    assert result.created
    assert case.description == "楼道声控灯坏了两周，老人晚上上下楼不便"
    assert case.channel == "grid_worker" and case.entered_by == world.worker
    assert case.area_code == "610302001001001"
    assert (case.lng, case.lat) == (107.01, 34.01)
    assert case.address == "姜谭路 12 号 A号楼1单元101室"
    assert case.reporter_name == "王建国" and case.reporter_phone == "13912345678"  # the head's phone
    assert list(visit.cases.all()) == [case]
    assert case in cases_visible_to(world.worker)
    entry = AuditEntry.objects.get(verb="visits.visit.to_case")
    assert entry.after == {"case": case.ref, "category": "property_service"}


def test_a_second_click_or_a_colleague_returns_the_same_case(world, visit):
    first = visit_to_case(by=world.worker, visit=visit, category_code="property_service")
    again = visit_to_case(by=world.worker, visit=visit, category_code="property_service")
    colleague = visit_to_case(by=world.community, visit=visit, category_code="road_repair")
    assert not again.created and not colleague.created
    assert again.case == first.case == colleague.case
    assert Case.objects.count() == 1 and visit.cases.count() == 1


def test_description_is_editable_and_required(world, visit):
    with pytest.raises(DomainError) as exc:
        visit_to_case(by=world.worker, visit=visit, category_code="property_service", description="坏")
    assert exc.value.field == "description"
    with pytest.raises(DomainError) as exc:
        visit_to_case(by=world.worker, visit=visit, category_code="nope")
    assert exc.value.field == "category"
    assert not Case.objects.exists() and not visit.cases.exists()
    result = visit_to_case(
        by=world.worker, visit=visit, category_code="road_repair", description="楼前路面塌陷一处"
    )
    assert result.case.description == "楼前路面塌陷一处" and result.case.category.code == "road_repair"


def test_without_the_heads_phone_the_workers_phone_is_used(world):
    visit = record(world, world.h2, T0 - timedelta(hours=1), problems="家里暖气不热，物业不处理")
    case = visit_to_case(by=world.worker, visit=visit, category_code="property_service").case
    assert case.reporter_name == "赵桂兰" and case.reporter_phone == "13800000005"


def test_no_phone_anywhere_asks_for_one(world):
    visit = record(world, world.h3, T0 - timedelta(hours=1), problems="空置房漏水影响楼下", by=world.chief)
    with pytest.raises(DomainError) as exc:
        visit_to_case(by=world.chief, visit=visit, category_code="property_service")
    assert exc.value.field == "reporter_phone"
    case = visit_to_case(
        by=world.chief, visit=visit, category_code="property_service", reporter_phone="13600000000"
    ).case
    assert case.reporter_phone == "13600000000" and case.reporter_name == ""


def test_building_without_coordinates_goes_to_its_grid(world):
    visit = record(
        world, world.h4, T0 - timedelta(hours=1), problems="单元门禁损坏无法关闭", by=world.worker2
    )
    case = visit_to_case(by=world.worker2, visit=visit, category_code="property_service").case
    assert case.area_code == "610302001001002" and case.lng is None
    assert case.reporter_phone == "13700000004"


def test_the_visit_photo_goes_with_the_case(world):
    visit = record(world, world.h1, T0 - timedelta(hours=1), problems="楼道堆放杂物堵塞通道", photo=upload())
    case = visit_to_case(by=world.worker, visit=visit, category_code="property_service").case
    photo = uploads.of(case).get()
    assert photo.role == "photo" and photo.path.startswith("cases/")


def test_refusals(world, visit):
    with pytest.raises(DomainError) as exc:
        visit_to_case(by=world.worker2, visit=visit, category_code="property_service")
    assert exc.value.status == 404
    for who in (world.resident, world.handler):
        with pytest.raises(DomainError) as exc:
            visit_to_case(by=who, visit=visit, category_code="property_service")
        assert exc.value.status == 403
    assert not Case.objects.exists()
