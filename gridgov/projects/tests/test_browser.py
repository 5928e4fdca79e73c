"""A community worker's journey in a phone-sized Chromium (Debian's, through Playwright): open a need, see
the matched resources with their reasons, make a project of it, publish it; the partner unit claims it.

Set ``GRIDGOV_SCREENSHOTS`` to a directory to keep full-page screenshots."""

from __future__ import annotations

import pytest
from django.db import connections
from playwright.sync_api import sync_playwright

from gridgov.accounts.models import Unit
from gridgov.cases.tests.test_browser import CHROMIUM_ARGS, shot, signed_in
from gridgov.projects import actions
from gridgov.projects.models import Project
from gridgov.projects.tests.conftest import categories
from gridgov.testing.factories import make_tree, make_user

pytestmark = pytest.mark.browser


@pytest.fixture
def cast(transactional_db):
    tree = make_tree()
    admin = tree.admin
    categories()
    hospital = Unit.objects.create(name="渭滨区人民医院", kind="partner", area=tree["610302001001"])
    make_user(admin, "shequ", "community", tree["610302001001"])
    make_user(admin, "yiyuan", "unit", unit=hospital)
    need = actions.need_record(
        by=admin, title="独居老人助餐", category="meals", area="610302001001001", beneficiaries=18
    )
    canteen = actions.resource_create(
        by=admin,
        title="社区食堂助餐",
        category="meals",
        kind="hours",
        area="610302001001001",
        owner_unit=hospital.pk,
        availability="工作日中午",
    )
    actions.resource_create(
        by=admin,
        title="养老服务站",
        category="elderly",
        kind="hours",
        area="610302001",
        owner_unit=hospital.pk,
    )
    return need, canteen


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


def test_staff_match_a_need_and_make_a_project_the_unit_claims(browser, live_server, cast):
    need, canteen = cast
    base = live_server.url
    page = signed_in(browser, base, "shequ")
    page.goto(f"{base}/lists/needs/")
    page.get_by_role("link", name="独居老人助餐").click()
    page.wait_for_url(f"{base}/lists/needs/{need.pk}/")
    matches = page.locator("#need-matches .match")
    assert matches.count() == 2
    first = matches.nth(0)
    assert first.get_attribute("data-resource") == str(canteen.pk)
    assert "同类别：助餐" in first.inner_text() and "同网格" in first.inner_text()
    assert "相近类别：养老" in matches.nth(1).inner_text()
    assert first.locator("input[type=checkbox]").is_checked()
    shot(page, "need-matches")
    page.fill("#id_title", "长者助餐点")
    with page.expect_navigation():
        page.get_by_role("button", name="立项").click()
    project = Project.objects.get()
    assert page.url == f"{base}/lists/projects/{project.pk}/"
    assert page.locator("#project-title").inner_text() == "长者助餐点"
    assert "社区食堂助餐" in page.locator("#project-resources").inner_text()
    with page.expect_navigation():
        page.locator("#project-actions").get_by_role("button", name="发布").click()
    assert page.locator("#project-state").inner_text() == "待认领"
    shot(page, "project-open")

    unit = signed_in(browser, base, "yiyuan")
    unit.goto(f"{base}/lists/projects/?state=open")
    unit.get_by_role("link", name="长者助餐点").click()
    with unit.expect_navigation():
        unit.locator("#project-actions").get_by_role("button", name="认领").click()
    assert unit.locator("#project-state").inner_text() == "实施中"
    assert unit.locator("#project-owner").inner_text() == "渭滨区人民医院"
    need.refresh_from_db()
    assert need.state == "planned"
