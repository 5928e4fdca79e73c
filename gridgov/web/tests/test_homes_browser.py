"""Phone size (390×844) on real Chromium: no page scrolls sideways — not the homes, the worklist, the inbox,
the report form, nor pages holding 300 characters without a space — the tab bar shows and "更多" opens."""

from __future__ import annotations

import pytest

from gridgov.cases import actions
from gridgov.cases.tests.conftest import build_world, report
from gridgov.testing.browser import chromium
from gridgov.testing.factories import PASSWORD

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
LONG = "无空格的长原因" * 43  # 301 characters, no place to break but anywhere


@pytest.fixture
def world(transactional_db):
    world = build_world()
    long_case = report(world, by=None, description=LONG).case  # the case page shows the description
    returned = report(world, by=None).case
    actions.case_accept(ref=returned.ref, by=world.community)
    actions.case_dispatch(ref=returned.ref, by=world.community)
    actions.case_return(ref=returned.ref, by=world.handler_a, reason=LONG[:480])  # the inbox shows the reason
    rejected = report(world, by=None).case
    actions.case_reject(ref=rejected.ref, by=world.community, reason=LONG[:480])  # the track page shows it
    world.refs = {"long": long_case.ref, "rejected": rejected.ref}
    return world


@pytest.fixture
def browser(world, live_server, monkeypatch):  # noqa: ARG001
    with chromium(monkeypatch) as browser:
        yield browser


def phone(browser, base: str, username: str | None = None):
    context = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    if username:
        page.goto(f"{base}/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", PASSWORD)
        with page.expect_navigation():
            page.click("main button[type=submit]")
    return page


def width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_no_page_scrolls_sideways_and_the_tab_bar_works(browser, live_server, world):
    base = live_server.url
    pages = ["/", "/cases/", "/inbox/", "/report/"]
    for who in ["resident", "worker", "community", "ha"]:
        page = phone(browser, base, who)
        for path in pages:
            page.goto(base + path)
            assert width(page) <= 390, (who, path, width(page))
            tabbar = page.locator("nav.tabbar")
            assert tabbar.is_visible() and not page.locator("nav.nav").is_visible()
        more = page.locator("nav.tabbar details.nav-more")
        menu = more.locator(".nav-menu")
        assert not menu.is_visible()
        more.locator("summary").click()
        assert menu.is_visible() and menu.locator("a").count() >= 3
        # every link of the menu stays on the screen
        box = menu.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390
        page.keyboard.press("Escape")
        assert not menu.is_visible()
        page.context.close()


def test_long_unbroken_text_wraps_on_the_case_page_the_inbox_and_the_track_page(browser, live_server, world):
    base = live_server.url
    staff = phone(browser, base, "community")
    staff.goto(f"{base}/cases/{world.refs['long']}/")
    assert LONG[:40] in staff.locator("main").inner_text()
    assert width(staff) <= 390
    staff.goto(f"{base}/inbox/")
    assert LONG[:40] in staff.locator("main").inner_text()
    assert width(staff) <= 390
    public = phone(browser, base)
    public.goto(f"{base}/track/{world.refs['rejected']}")
    assert LONG[:40] in public.locator("main").inner_text()
    assert width(public) <= 390


def test_the_public_front_door_at_phone_size(browser, live_server):
    base = live_server.url
    page = phone(browser, base)
    page.goto(f"{base}/")
    assert page.url == f"{base}/"
    assert width(page) <= 390
    assert page.locator("nav.tabbar").get_by_role("link", name="上报问题").is_visible()
    page.get_by_role("link", name="居民手机号登录").first.click()
    page.wait_for_url(f"{base}/resident/signin/")


def test_filters_fold_behind_a_button_on_phones_and_open_on_desktop(browser, live_server):
    base = live_server.url
    page = phone(browser, base, "community")
    page.goto(f"{base}/cases/")
    fold = page.locator("details.filter-fold")
    assert not page.locator("form.filters select[name=state]").is_visible()
    fold.locator("summary").click()
    assert page.locator("form.filters select[name=state]").is_visible()
    page.goto(f"{base}/cases/?overdue=1")
    assert page.locator("form.filters select[name=state]").is_visible()  # active filters stay open
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{base}/cases/")
    assert page.locator("form.filters select[name=state]").is_visible()
    assert page.locator("nav.nav").is_visible() and not page.locator("nav.tabbar").is_visible()
    top = page.locator("nav.nav a").first.bounding_box()["y"]
    assert all(abs(a.bounding_box()["y"] - top) < 4 for a in page.locator("nav.nav > a").all())  # one row
