"""User text in the browser: an area named like markup is shown as text on the public report map and in the
area browser, and never runs (Debian's Chromium through Playwright)."""

from __future__ import annotations

import re

import pytest
from django.db import connections
from playwright.sync_api import sync_playwright

from gridgov.areas.actions import area_update
from gridgov.cases.tests.test_browser import CHROMIUM_ARGS
from gridgov.testing.factories import PASSWORD, make_tree, make_user

pytestmark = pytest.mark.browser

GRID = "610302001001001"
PAYLOAD = "<img src=x onerror=\"document.title='pwned'\">"


@pytest.fixture
def tree(transactional_db):  # noqa: ARG001
    tree = make_tree()
    # Renamed through the real action, as a community secretary would.
    area_update(by=tree.admin, code=GRID, name=PAYLOAD)
    make_user(tree.admin, "shequ", "community", tree["610302001001"])
    return tree


@pytest.fixture
def browser(tree, live_server, monkeypatch):  # noqa: ARG001
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        connections.close_all()
        browser.close()


def new_page(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


def hover_shows_name_as_text(page, polygon) -> None:
    """Hover the renamed grid: its tooltip holds the name as text, and nothing in it ran."""
    title = page.title()
    polygon.hover()
    # The other grids' names fit inside them and stay written there; the long one shows on hover.
    tooltip = page.locator(".leaflet-tooltip.area-label").filter(has_not_text=re.compile("网格"))
    tooltip.wait_for()
    # An <img> the name had turned into would have failed to load by now and run its handler.
    page.wait_for_load_state("networkidle")
    assert tooltip.inner_text() == PAYLOAD
    assert tooltip.locator("img").count() == 0
    assert page.evaluate("document.title") == title
    assert "pwned" not in page.title()


def test_area_name_is_text_on_the_public_report_map(browser, live_server):
    page = new_page(browser)
    page.goto(f"{live_server.url}/report/")
    page.locator('#report-map[data-state="ready"]').wait_for()
    hover_shows_name_as_text(page, page.locator("#report-map path.report-grid").first)


def test_area_name_is_text_in_the_area_browser(browser, live_server):
    page = new_page(browser)
    page.goto(f"{live_server.url}/login/")
    page.fill('input[name="username"]', "shequ")
    page.fill('input[name="password"]', PASSWORD)
    with page.expect_navigation():
        page.click('form.form button[type="submit"]')
    page.goto(f"{live_server.url}/areas/610302001001/")
    assert page.locator(".area-tree .area-name").first.inner_text() == PAYLOAD
    page.locator('#map[data-state="ready"]').wait_for()
    hover_shows_name_as_text(page, page.locator("#map path.leaflet-interactive").first)
