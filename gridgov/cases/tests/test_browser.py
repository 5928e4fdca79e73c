"""The closed loop in a phone-sized Chromium (Debian's, through Playwright): a resident reports on the map,
the community dispatches, the unit handles, the grid verifies, the community closes, the resident rates.

Set ``GRIDGOV_SCREENSHOTS`` to a directory to keep full-page screenshots of the main pages.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connections
from playwright.sync_api import sync_playwright

from gridgov.accounts.models import Unit, User
from gridgov.cases.models import Case, Category, RoutingRule
from gridgov.testing.browser import CHROMIUM_ARGS
from gridgov.testing.factories import PASSWORD, make_tree, make_user

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@dataclass
class Cast:
    unit: Unit
    dispatcher: User
    handler: User
    gridder: User


@pytest.fixture
def cast(transactional_db, settings, tmp_path) -> Cast:
    settings.MEDIA_ROOT = tmp_path / "media"
    tree = make_tree()
    admin = tree.admin
    life = Category.objects.create(code="life", name="社区生活", sort=1)
    category = Category.objects.create(
        code="road_repair",
        name="道路维修",
        parent=life,
        response_limit=Decimal("2"),
        response_unit="urgent_hours",
        resolution_limit=Decimal("24"),
        resolution_unit="urgent_hours",
        sort=2,
    )
    unit = Unit.objects.create(name="渭滨区住房和城乡建设局", kind="department", area=tree["610302"])
    RoutingRule.objects.create(category=category, area=tree["610302"], lead_unit=unit)
    return Cast(
        unit=unit,
        dispatcher=make_user(admin, "shequ", "community", tree["610302001001"]),
        handler=make_user(admin, "zhujian", "unit", unit=unit),
        gridder=make_user(admin, "wangge", "grid_worker", tree["610302001001001"]),
    )


@pytest.fixture
def browser(cast, live_server, monkeypatch):  # noqa: ARG001
    # Sync Playwright runs an event loop in this thread; the ORM calls made while it runs (the live
    # server's database teardown included) are still plain synchronous ones.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        # ORM calls made while Playwright runs get their own connection (another context); close it
        # here, or PostgreSQL refuses to drop the test database at the end of the session.
        connections.close_all()
        browser.close()


def new_page(browser):
    context = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


def signed_in(browser, base_url: str, username: str):
    page = new_page(browser)
    page.goto(f"{base_url}/login/")
    page.fill('input[name="username"]', username)
    page.fill('input[name="password"]', PASSWORD)
    page.click('form.form button[type="submit"]')
    # residents land on the home page, staff on their command centre
    page.wait_for_url(re.compile(rf"^{re.escape(base_url)}/(command/)?$"))
    return page


def shot(page, name: str) -> None:
    folder = os.environ.get("GRIDGOV_SCREENSHOTS")
    if folder:
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def act(page, label: str, fill: dict[str, str] | None = None) -> None:
    """Open an action's form (htmx swaps it in), fill it, confirm, and wait for the page to come back."""
    page.locator(".action-bar").get_by_role("link", name=label, exact=True).click()
    form = page.locator("#action-form form")
    form.wait_for()
    for selector, value in (fill or {}).items():
        form.locator(selector).fill(value)
    with page.expect_navigation():
        form.get_by_role("button", name=f"确认{label}").click()


def click_action(page, label: str) -> None:
    """An action with nothing to fill in: one click."""
    with page.expect_navigation():
        page.locator(".action-bar").get_by_role("button", name=label, exact=True).click()


def state_of(page) -> str:
    return page.locator("#case-state").inner_text()


def test_closed_loop_on_a_phone(browser, live_server, cast):
    base = live_server.url

    # (1) A resident without an account reports a problem by clicking the map inside a grid.
    resident = new_page(browser)
    resident.goto(f"{base}/report/")
    resident.select_option("#id_category", "road_repair")
    resident.fill("#id_description", "姜谭路人行道地砖破损，雨天积水")
    resident.locator('#report-map[data-state="ready"]').wait_for()
    assert not resident.locator(".leaflet-tile").count()
    resident.locator("#report-map path.report-grid").first.click()
    assert resident.locator("#location-status").inner_text() == "已标注位置：网格1-1-1"
    assert resident.locator("#id_lat").input_value()
    resident.fill("#id_reporter_name", "张大爷")
    resident.fill("#id_reporter_phone", "13812345678")
    shot(resident, "report")
    with resident.expect_navigation():
        resident.locator("form.report-form").get_by_role("button", name="提交").click()
    ref = resident.locator("#case-ref").inner_text()
    token = resident.locator("#rate-token").inner_text()
    assert re.fullmatch(r"610302-\d{8}-\d{6}", ref)
    assert token
    case = Case.objects.get(ref=ref)
    assert case.area_code == "610302001001001"
    resident.get_by_role("link", name="查看办理进度").click()
    resident.wait_for_url(f"{base}/track/{ref}")
    assert state_of(resident) == "已上报"

    # (2) The community's dispatcher opens it from the worklist, accepts and dispatches it.
    dispatcher = signed_in(browser, base, "shequ")
    dispatcher.get_by_role("link", name="工作台").first.click()
    dispatcher.wait_for_url(f"{base}/cases/")
    shot(dispatcher, "worklist")
    dispatcher.get_by_role("link", name=ref).click()
    dispatcher.wait_for_url(f"{base}/cases/{ref}/")
    act(dispatcher, "受理")
    assert state_of(dispatcher) == "已受理"
    dispatcher.locator(".action-bar").get_by_role("link", name="派遣", exact=True).click()
    lead = dispatcher.locator("#id_lead_unit_id")
    lead.wait_for()
    assert lead.input_value() == str(cast.unit.pk)  # from the routing rule
    shot(dispatcher, "dispatch-form")
    with dispatcher.expect_navigation():
        dispatcher.get_by_role("button", name="确认派遣").click()
    assert state_of(dispatcher) == "已派遣"
    assert "渭滨区住房和城乡建设局" in dispatcher.locator(".dispatch-list").inner_text()

    # (3) The unit's handler finds it in the worklist and the inbox, claims, starts and resolves it.
    handler = signed_in(browser, base, "zhujian")
    assert handler.locator(".nav .badge").inner_text() == "1"
    handler.goto(f"{base}/cases/")
    row = handler.locator(f'.case-row[data-ref="{ref}"]')
    assert "待签收" in row.inner_text()
    handler.get_by_role("link", name="消息").click()
    handler.wait_for_url(f"{base}/inbox/")
    note = handler.locator(".note-unread").first
    assert ref in note.inner_text()
    note.get_by_role("link", name="查看事件").click()
    handler.wait_for_url(f"{base}/cases/{ref}/")
    click_action(handler, "签收")
    assert state_of(handler) == "已签收"
    click_action(handler, "开始处置")
    assert state_of(handler) == "处置中"
    act(handler, "处置反馈", {"#id_result": "已更换破损地砖，疏通排水口"})
    assert state_of(handler) == "已处置待核实"

    # (4) The grid worker verifies; the dispatcher closes.
    gridder = signed_in(browser, base, "wangge")
    gridder.goto(f"{base}/cases/{ref}/")
    act(gridder, "核实通过")
    assert state_of(gridder) == "已核实"
    dispatcher.goto(f"{base}/cases/{ref}/")
    act(dispatcher, "结案")
    assert state_of(dispatcher) == "已结案"
    shot(dispatcher, "detail")

    # (5) The resident rates it on the tracking page with the rating code.
    resident.goto(f"{base}/track/{ref}")
    assert state_of(resident) == "已结案"
    rate = resident.locator("#rate form")
    rate.get_by_label("满意", exact=True).check()
    rate.locator("#id_comment").fill("修得很快，谢谢")
    rate.locator("#id_rate_token").fill(token)
    with resident.expect_navigation():
        rate.get_by_role("button", name="提交评价").click()
    assert "评价已提交" in resident.locator(".notices").inner_text()
    assert resident.locator("#case-rating").inner_text() == "满意"
    assert not resident.locator("#rate").count()
    shot(resident, "track")
    case.refresh_from_db()
    assert case.rating == "satisfied" and case.rating_comment == "修得很快，谢谢"
    # Nothing personal on the public page.
    body = resident.locator("body").inner_text()
    assert "张大爷" not in body and "13812345678" not in body and "shequ" not in body
