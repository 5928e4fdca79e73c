"""The micro-wish journey in a phone-sized Chromium (Debian's, through Playwright): a resident posts a wish,
the community publishes it, a party member claims it on the wall and fulfils it with a photo, and the
resident confirms it.

Set ``GRIDGOV_SCREENSHOTS`` to a directory to keep full-page screenshots."""

from __future__ import annotations

import pytest
from django.db import connections
from playwright.sync_api import sync_playwright

from gridgov.cases.tests.test_browser import CHROMIUM_ARGS, shot, signed_in
from gridgov.core import uploads
from gridgov.wishes.models import State, Wish, WishClaim

from .conftest import PNG, make_world

pytestmark = pytest.mark.browser


@pytest.fixture
def cast(transactional_db, settings, tmp_path):  # noqa: ARG001
    settings.MEDIA_ROOT = tmp_path / "media"
    return make_world()


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


def test_resident_wish_is_published_claimed_fulfilled_and_confirmed(browser, live_server, tmp_path):
    base = live_server.url

    # 1. the resident posts a wish
    resident = signed_in(browser, base, "resident")
    resident.goto(f"{base}/wishes/new/")
    resident.fill("#id_title", "给独居的奶奶送一台收音机")
    resident.fill("#id_description", "奶奶眼睛不好，想听广播")
    resident.select_option("#id_category", "elderly")
    resident.select_option("#id_area", "610302001001")
    with resident.expect_navigation():
        resident.click("#wish-form button[type=submit]")
    wish = Wish.objects.get()
    assert resident.url == f"{base}/wishes/{wish.ref}/"
    assert resident.locator("#wish-state").inner_text() == "待审核"
    shot(resident, "wish-1-posted")

    # 2. the community publishes it from the vetting list
    community = signed_in(browser, base, "community")
    community.goto(f"{base}/wishes/vetting/")
    community.locator(f'li[data-ref="{wish.ref}"] a.case-ref').click()
    community.wait_for_url(f"{base}/wishes/{wish.ref}/")
    with community.expect_navigation():
        community.get_by_role("button", name="发布到心愿墙").click()
    assert community.locator("#wish-state").inner_text() == "待认领"

    # 3. a party member finds it on the wall (anonymised) and claims it
    volunteer = signed_in(browser, base, "volunteer")
    volunteer.goto(f"{base}/wishes/")
    card = volunteer.locator(f'li[data-ref="{wish.ref}"]')
    assert "李**" in card.inner_text() and "李居民" not in volunteer.content()
    shot(volunteer, "wish-2-wall")
    with volunteer.expect_navigation():
        card.get_by_role("button", name="认领").click()
    assert volunteer.url == f"{base}/wishes/claims/"

    # 4. … and fulfils it with a photo
    photo = tmp_path / "radio.png"
    photo.write_bytes(PNG)
    row = volunteer.locator(f'li[data-ref="{wish.ref}"]')
    row.locator("summary").click()
    row.locator("textarea[name=note]").fill("收音机已送到奶奶家，教会了她调台")
    row.locator("input[name=photos]").set_input_files(str(photo))
    with volunteer.expect_navigation():
        row.get_by_role("button", name="提交完成情况").click()
    assert volunteer.locator("#wish-state").inner_text() == "已完成待确认"
    assert uploads.of(WishClaim.objects.get(wish=wish)).count() == 1
    shot(volunteer, "wish-3-fulfilled")

    # 5. the resident confirms with a rating
    resident.goto(f"{base}/wishes/{wish.ref}/")
    assert resident.locator("#wish-claims img").count() == 1
    resident.check("input[name=rating][value=satisfied]")
    resident.fill("#id_comment", "谢谢张党员")
    with resident.expect_navigation():
        resident.get_by_role("button", name="确认心愿已实现").click()
    assert resident.locator("#wish-state").inner_text() == "已确认"
    assert "满意" in resident.locator("#wish-rating").inner_text()
    shot(resident, "wish-4-confirmed")
    wish.refresh_from_db()
    assert wish.state == State.CLOSED and wish.rating == "satisfied"
