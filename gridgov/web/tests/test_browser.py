"""A community worker signs in and browses their grids, on Debian's Chromium through Playwright."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import sync_playwright

from gridgov.web.tests.test_pages import PASSWORD, make_staff, make_tree

pytestmark = pytest.mark.browser

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def tree(transactional_db):
    tree = make_tree()
    make_staff(tree, "hongxing", "community", tree.community)
    return tree


@pytest.fixture
def page(tree, live_server, monkeypatch):
    # Sync Playwright runs an event loop in this thread; the ORM calls made while it runs (the live
    # server's database teardown included) are still plain synchronous ones.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
        )
        context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(10_000)
        yield page
        context.close()
        browser.close()


def sign_in(page, base_url: str, password: str) -> None:
    page.goto(f"{base_url}/login/")
    page.fill('input[name="username"]', "hongxing")
    page.fill('input[name="password"]', password)
    page.click('button[type="submit"]')


def test_wrong_password_shows_error(page, live_server):
    sign_in(page, live_server.url, "not-the-password")
    error = page.locator('.error[role="alert"]')
    error.wait_for()
    assert "用户名或密码不正确" in error.inner_text()
    assert page.url.startswith(f"{live_server.url}/login/")


def test_community_worker_browses_grids_on_the_map(page, live_server, tree):
    sign_in(page, live_server.url, PASSWORD)
    page.wait_for_url(f"{live_server.url}/")  # a community lands on its home: what waits for its action
    assert "现在需要我处理的" in page.locator("h1").inner_text()
    assert "红星社区" in page.locator(".topbar").inner_text()

    page.get_by_role("link", name="区域与网格").first.click()
    page.wait_for_url(f"{live_server.url}/areas/")

    # Expanding the community loads its grids into the tree (htmx).
    community = page.locator('.area-item[data-code="610302001001"]')
    community.locator("summary").click(position={"x": 8, "y": 12})
    loaded = community.locator(".area-children .area-name")
    loaded.first.wait_for()
    assert loaded.all_inner_texts() == [g.name for g in tree.grids]

    # The community's own page lists its grids and draws each one on the map.
    community.get_by_role("link", name="红星社区").click()
    page.wait_for_url(f"{live_server.url}/areas/610302001001/")
    names = page.locator(".area-tree > .area-list > .area-item .area-name").all_inner_texts()
    assert names == [g.name for g in tree.grids]
    page.locator('#map[data-state="ready"]').wait_for()
    polygons = page.locator("#map path.leaflet-interactive")
    assert polygons.count() == len(tree.grids)
    assert not page.locator(".leaflet-tile").count()

    # Clicking a polygon opens that grid.
    polygons.nth(1).click()
    page.wait_for_url(re.compile(r"/areas/610302001001002/$"))
    assert page.locator("h1").inner_text() == "红星小学网格"
