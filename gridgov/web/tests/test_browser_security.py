"""Pages under the Content-Security-Policy in Debian's Chromium (through Playwright): an area named like
markup is shown as text on the public report map and in the area browser and never runs; inline code is
blocked and the suite hears of it; filters and the Django admin work without inline code."""

from __future__ import annotations

import re

import pytest

from gridgov.areas.actions import area_update
from gridgov.services.models import ServiceCategory
from gridgov.testing.browser import chromium
from gridgov.testing.factories import PASSWORD, make_tree, make_user

pytestmark = pytest.mark.browser

GRID = "610302001001001"
PAYLOAD = "<img src=x onerror=\"document.title='pwned'\">"


@pytest.fixture
def tree(transactional_db):  # noqa: ARG001
    tree = make_tree()
    # Renamed through the real action, as anyone who manages the area may.
    area_update(by=tree.admin, code=GRID, name=PAYLOAD)
    make_user(tree.admin, "shequ", "community", tree["610302001001"])
    return tree


@pytest.fixture
def browser(tree, live_server, monkeypatch):  # noqa: ARG001
    with chromium(monkeypatch) as browser:
        yield browser


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


def is_policy_error(message) -> bool:
    return message.type == "error" and "Content Security Policy" in message.text


def test_the_policy_blocks_inline_code_and_the_suite_hears_of_it(browser, live_server, policy_problems):
    page = new_page(browser)
    page.goto(f"{live_server.url}/report/")
    title = page.title()
    # htmx reads its settings from the page: it evaluates nothing and adds no <style> element.
    assert page.evaluate("[htmx.config.allowEval, htmx.config.includeIndicatorStyles]") == [False, False]
    assert page.locator("style").count() == 0
    with page.expect_console_message(is_policy_error):
        page.evaluate(
            """() => {
              const script = document.createElement("script");
              script.textContent = "document.title = 'ran'";
              document.body.appendChild(script);
            }"""
        )
    with page.expect_console_message(is_policy_error):
        page.evaluate(
            """() => document.body.insertAdjacentHTML(
              "beforeend", "<img src='x' onerror=\\"document.title = 'ran'\\">")"""
        )
    assert page.title() == title
    # The suite's watch (conftest.py) heard both, so any other test that met them would fail.
    assert any("inline script" in problem for problem in policy_problems)
    assert any("inline event handler" in problem for problem in policy_problems)
    policy_problems.clear()


def test_filters_submit_on_change_without_inline_handlers(browser, live_server):
    ServiceCategory.objects.create(code="study", name="助学圆梦")
    page = new_page(browser)
    page.goto(f"{live_server.url}/wishes/")
    with page.expect_navigation():
        page.locator("form.filters select[name=category]").select_option("study")
    assert page.url.endswith("/wishes/?category=study")
    assert page.locator("form.filters select[name=category]").input_value() == "study"


def test_the_admin_works_under_the_policy(browser, live_server, tree):
    base = live_server.url
    page = new_page(browser)
    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", tree.admin.username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.locator('input[type="submit"]').click()
    for path in ["/admin/", "/admin/accounts/user/?role__exact=admin", "/admin/areas/area/"]:
        page.goto(f"{base}{path}")
        assert page.locator("#content").count()

    # The admin's own scripts run: the user form's area field becomes a search box (select2) ...
    page.goto(f"{base}/admin/accounts/user/{tree.admin.pk}/change/")
    page.locator(".field-area .select2-container").wait_for()
    # ... a date field gets its shortcuts, ...
    page.goto(f"{base}/admin/core/calendarday/add/")
    page.locator(".datetimeshortcuts a").first.click()
    assert page.locator("#id_date").input_value()
    # ... and a category's routing rules can be added inline, with the two-box choice of units.
    page.goto(f"{base}/admin/cases/category/add/")
    page.locator("#rules-group .add-row a").click()
    page.locator("#id_rules-0-assist_units_from").wait_for()
    # ... and what the category asks a report for, too.
    page.locator("#attributes-group .add-row a").click()
    page.locator("#id_attributes-0-code").wait_for()


def test_the_api_documentation_works_under_the_policy(browser, live_server):
    page = new_page(browser)
    page.goto(f"{live_server.url}/api/v1/docs")
    page.locator(".swagger-ui .opblock").first.wait_for()
    page.locator(".swagger-ui .opblock-summary").first.click()
    page.locator(".swagger-ui .opblock-body").first.wait_for()
    page.wait_for_load_state("networkidle")
