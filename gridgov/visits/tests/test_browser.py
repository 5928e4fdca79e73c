"""A grid worker's visit journey in a phone-sized Chromium (Debian's, through Playwright): open the worklist,
record a visit to the overdue household, and turn its finding into a case that stays linked to the visit.

Set ``GRIDGOV_SCREENSHOTS`` to a directory to keep full-page screenshots."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connections
from django.utils import timezone
from playwright.sync_api import sync_playwright

from gridgov.cases.models import Case, Category
from gridgov.cases.tests.test_browser import CHROMIUM_ARGS, shot, signed_in
from gridgov.ledger.actions import building_create, household_create, resident_create, tag_assign
from gridgov.ledger.tags import ensure_standard_tags
from gridgov.testing.factories import make_tree, make_user
from gridgov.visits.models import Visit, VisitPlan, VisitRule

pytestmark = pytest.mark.browser


@pytest.fixture
def cast(transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    tree = make_tree()
    admin = tree.admin
    ensure_standard_tags()
    Category.objects.create(code="life", name="社区生活", sort=1)
    Category.objects.create(
        code="property_service",
        name="物业服务",
        parent=Category.objects.get(code="life"),
        response_limit=Decimal("2"),
        response_unit="urgent_hours",
        resolution_limit=Decimal("24"),
        resolution_unit="urgent_hours",
        sort=2,
    )
    VisitRule.objects.create(district=tree["610302"], tag_id=None, interval_days=365)
    from gridgov.ledger.models import FocusTag

    VisitRule.objects.create(
        district=tree["610302"], tag=FocusTag.objects.get(code="needy"), interval_days=30
    )
    VisitPlan.objects.create(area=tree["610302"], households=10)
    building = building_create(
        by=admin, code="JT-12", name="12号楼", grid="610302001001001", address="姜谭路 12 号"
    )
    household = household_create(by=admin, building=building.code, unit="2", room="301")
    resident_create(by=admin, household=household, name="赵桂兰", phone="13700001111", relation="head")
    tag_assign(
        by=admin,
        tag="needy",
        household=household,
        reason="低保户",
        since=timezone.localdate() - timedelta(days=40),
    )
    make_user(admin, "wangge", "grid_worker", tree["610302001001001"], phone="13800000005")
    return household


@pytest.fixture
def browser(cast, live_server, monkeypatch):  # noqa: ARG001
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        connections.close_all()
        browser.close()


def test_grid_worker_records_a_visit_and_turns_the_finding_into_a_case(browser, live_server, cast):
    base = live_server.url
    page = signed_in(browser, base, "wangge")
    page.goto(f"{base}/visits/worklist/")
    assert "我已走访 0 / 10 户" in page.locator("#plan-progress").inner_text()
    row = page.locator(f'.visit-due[data-household="{cast.pk}"]')
    assert "12号楼2单元301室" in row.inner_text()
    assert "超期 10 天" in row.inner_text() and "困难家庭" in row.inner_text()
    shot(page, "visit-worklist")

    row.get_by_role("link", name="记录走访").click()
    page.wait_for_url(f"{base}/visits/new/?household={cast.pk}")
    assert page.locator("#visit-household").inner_text() == "12号楼2单元301室"
    assert page.locator("#id_kind").input_value() == "must"
    page.fill("#id_situation", "赵阿姨独自带孙子生活，身体尚可")
    page.fill("#id_problems", "楼道声控灯坏了两周，物业一直没修，晚上上下楼很危险")
    page.fill("#id_duration_minutes", "30")
    shot(page, "visit-form")
    with page.expect_navigation():
        page.get_by_role("button", name="保存走访").click()
    visit = Visit.objects.get()
    assert page.url == f"{base}/visits/{visit.pk}/"
    assert "走访记录已保存" in page.locator(".notices").inner_text()

    form = page.locator("form.to-case-form")
    assert form.locator("#id_category").input_value() == "property_service"
    assert (
        form.locator("#id_description").input_value() == "楼道声控灯坏了两周，物业一直没修，晚上上下楼很危险"
    )
    with page.expect_navigation():
        form.get_by_role("button", name="转为事件").click()
    case = Case.objects.get()
    assert list(visit.cases.all()) == [case]
    link = page.locator("#visit-cases").get_by_role("link", name=case.ref)
    assert link.is_visible()
    assert not page.locator("form.to-case-form").count()
    shot(page, "visit-detail")
    assert (
        case.channel == "grid_worker"
        and case.reporter_name == "赵桂兰"
        and case.area_code == "610302001001001"
    )

    # The case opens for the worker, and the household drops off the worklist.
    link.click()
    page.wait_for_url(f"{base}/cases/{case.ref}/")
    assert "12号楼2单元301室" in page.locator("body").inner_text()
    page.goto(f"{base}/visits/worklist/")
    assert not page.locator(f'.visit-due[data-household="{cast.pk}"]').count()
    assert "我已走访 1 / 10 户" in page.locator("#plan-progress").inner_text()


def test_the_case_point_moves_off_the_building_on_the_map_and_the_worker_is_the_contact(
    browser, live_server, cast
):
    """Issue 13: a wall at another building is filed where it is, with its own address, and the worker (not
    the elderly head of household) is the person to call back."""
    base = live_server.url
    building = cast.building
    building.lng, building.lat = 107.01, 34.01
    building.save()
    from gridgov.accounts.models import User
    from gridgov.visits.actions import visit_record

    worker = User.objects.get(username="wangge")
    visit = visit_record(
        by=worker,
        household=cast,
        visited_at=timezone.now() - timedelta(hours=1),
        problems="3号楼外墙瓷砖脱落，砸到楼下自行车",
    )
    page = signed_in(browser, base, "wangge")
    page.goto(f"{base}/visits/{visit.pk}/")
    page.wait_for_selector('#case-pin-map[data-state="ready"]')
    assert page.locator("#id_lng").input_value() == "107.01"
    form = page.locator("form.to-case-form")
    assert form.locator("#id_address").input_value() == "姜谭路 12 号 12号楼2单元301室"
    form.locator("#id_category").select_option("property_service")
    pin_map = page.locator("#case-pin-map")
    box = pin_map.bounding_box()
    # inside the grid's outline, well away from the building (its lower left)
    pin_map.click(position={"x": box["width"] * 0.55, "y": box["height"] * 0.25})
    moved = (float(page.locator("#id_lng").input_value()), float(page.locator("#id_lat").input_value()))
    assert moved != (107.01, 34.01)
    # moved away without its own address: refused on the address, nothing made
    with page.expect_navigation():
        form.get_by_role("button", name="转为事件").click()
    assert page.locator("#err-address").is_visible()
    assert not Case.objects.exists()
    form = page.locator("form.to-case-form")
    form.locator("#id_address").fill("姜谭路 12 号 3号楼东侧")
    form.get_by_label("我（走访人）").check()
    shot(page, "visit-case-moved")
    with page.expect_navigation():
        form.get_by_role("button", name="转为事件").click()
    case = Case.objects.get()
    assert list(visit.cases.all()) == [case]
    assert case.address == "姜谭路 12 号 3号楼东侧"
    assert abs(case.lng - moved[0]) < 1e-6 and abs(case.lat - moved[1]) < 1e-6
    assert case.reporter_phone == "13800000005" and case.reporter_name != "赵桂兰"
