"""The ranking in Chromium (Debian's, through Playwright), on the KPI worked example: a district staff member
opens the round from the navigation, reads the ranking, opens a community's scorecard and follows a
drill-down link to the cases counted as late; on a phone (390×844) the ranking table scrolls inside its card
and nothing overflows the page.

Set ``GRIDGOV_SCREENSHOTS`` to a directory to keep full-page screenshots."""

from __future__ import annotations

import pytest

from gridgov.cases.tests.test_browser import shot, signed_in
from gridgov.testing.browser import chromium

from .conftest import C11, give_marks

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def assessed(transactional_db, aw):  # noqa: ARG001
    give_marks(aw)
    return aw


@pytest.fixture
def browser(assessed, live_server, monkeypatch):  # noqa: ARG001
    with chromium(monkeypatch) as browser:
        yield browser


def overflows(page) -> bool:
    """The page is wider than the screen (something sticks out sideways)."""
    return page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth")


def test_the_district_reads_the_ranking_and_the_cases_behind_a_figure(browser, live_server, assessed):
    base = live_server.url
    refs = assessed.kpi.refs
    page = signed_in(browser, base, "dist")
    page.set_viewport_size(DESKTOP)
    with page.expect_navigation():
        page.locator("nav.nav").get_by_role("link", name="考核排名", exact=True).click()
    with page.expect_navigation():
        page.locator("#rounds a").first.click()
    ranking = page.locator("#ranking")
    assert ranking.locator("tbody tr").count() == 4
    first = ranking.locator("tbody tr").first
    assert "社区2-1" in first.inner_text() and "98.50" in first.inner_text()
    assert page.inner_text("#missing-marks") == "1"
    shot(page, "assessment-ranking")

    with page.expect_navigation():
        page.locator(f'#ranking tr[data-key="{C11}"] a.total').click()
    assert "第 3 名" in page.inner_text("#member-rank")
    assert page.inner_text("#member-total") == "74.42"
    shot(page, "assessment-scorecard")

    with page.expect_navigation():
        page.locator(f"#item-{assessed.on_time.pk} a.drill-missing").click()
    assert page.inner_text("#drill-count") == "2"
    listed = page.inner_text("#drill-rows")
    assert refs["c2"] in listed and refs["c5"] in listed
    assert refs["c1"] not in listed and refs["c6"] not in listed
    shot(page, "assessment-drill")

    # On a phone: the ranking table scrolls inside its card, the page itself does not scroll sideways.
    page.set_viewport_size(PHONE)
    for path in (
        f"/assessment/rounds/{assessed.round.pk}/",
        f"/assessment/rounds/{assessed.round.pk}/members/{C11}/",
    ):
        page.goto(base + path)
        assert not overflows(page), path
    page.goto(f"{base}/assessment/rounds/{assessed.round.pk}/")
    wrap = page.locator("#ranking-card .table-wrap")
    assert wrap.evaluate("e => e.scrollWidth > e.clientWidth")  # wider than the screen …
    assert wrap.evaluate("e => getComputedStyle(e).overflowX") == "auto"  # … so it scrolls in place
    card = page.locator("#ranking-card").bounding_box()
    box = wrap.bounding_box()
    assert card["x"] >= 0 and card["x"] + card["width"] <= PHONE["width"]
    assert box["x"] >= card["x"] and box["x"] + box["width"] <= card["x"] + card["width"]
    wrap.evaluate("e => { e.scrollLeft = e.scrollWidth; }")
    assert wrap.evaluate("e => e.scrollLeft") > 0
    assert not overflows(page)
    shot(page, "assessment-ranking-phone")
