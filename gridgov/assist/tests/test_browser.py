"""Suggestions in Debian's Chromium (Playwright): a hotline operator typing a report sees the categories
the history suggests and picks one with a click; the street's dispatcher opens a report filed under the
wrong category, reads the suggestion with its words and accepts it.

Set ``GRIDGOV_SCREENSHOTS`` to a directory to keep full-page screenshots."""

from __future__ import annotations

import pytest
from django.db import connections
from playwright.sync_api import sync_playwright

from gridgov.assist.models import Suggestion
from gridgov.assist.tests.test_suggest import lane_report, train
from gridgov.cases.models import Case, Category
from gridgov.cases.tests.conftest import build_world
from gridgov.cases.tests.test_browser import CHROMIUM_ARGS, shot, signed_in

pytestmark = pytest.mark.browser


@pytest.fixture
def world(transactional_db):
    w = build_world()
    Category.objects.create(code="lane", name="占道经营")
    Category.objects.create(code="road", name="道路破损")
    train(w)
    return w


@pytest.fixture
def browser(world, live_server, monkeypatch):  # noqa: ARG001
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        connections.close_all()
        browser.close()


def test_a_hotline_operator_picks_a_suggested_category_while_typing(browser, live_server, world):
    base = live_server.url
    page = signed_in(browser, base, "worker")
    page.goto(f"{base}/report/")
    page.fill("#id_description", "东门人行道地砖破损，晚上走路容易绊倒")
    hints = page.locator("#category-hints button")
    hints.first.wait_for()
    assert hints.first.get_attribute("data-code") == "road"
    assert "%" in hints.first.inner_text()
    shot(page, "report-hints")
    hints.first.click()
    assert page.locator("#id_category").input_value() == "road"


def test_the_dispatcher_accepts_a_suggestion_on_the_case_page(browser, live_server, world):
    case = lane_report(world)
    base = live_server.url
    page = signed_in(browser, base, "street")
    page.goto(f"{base}/cases/{case.ref}/")
    panel = page.locator("#suggestions")
    first = panel.locator(".suggestion").first
    assert first.get_attribute("data-code") == "lane"
    assert panel.locator(".tag").count() > 0  # the words that drove it
    assert "13812345678" not in panel.inner_text()
    shot(page, "case-suggestions")
    first.get_by_role("button").click()
    page.wait_for_url(f"{base}/cases/{case.ref}/")
    assert page.locator("h1.case-title").inner_text() == "占道经营"
    assert Case.objects.get(pk=case.pk).category.code == "lane"
    assert Suggestion.objects.get(case=case, kind="category").outcome == "accepted"
