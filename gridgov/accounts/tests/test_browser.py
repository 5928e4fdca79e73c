"""The phone sign-in page in Debian's Chromium (Playwright) at 390 px: a new number asks for a code, reads it
from the SMS (the test sender) and is signed in as a new resident.

Set ``GRIDGOV_SCREENSHOTS`` to a directory to keep full-page screenshots."""

from __future__ import annotations

import re

import pytest

from gridgov.accounts.models import User
from gridgov.accounts.tests.sender import last_code
from gridgov.cases.tests.test_browser import shot
from gridgov.testing.browser import chromium

pytestmark = pytest.mark.browser

PHONE = "13700001111"


@pytest.fixture
def browser(transactional_db, live_server, monkeypatch):  # noqa: ARG001
    with chromium(monkeypatch) as browser:
        yield browser


def test_a_new_resident_signs_in_with_a_code_on_a_phone(browser, live_server, sent):  # noqa: ARG001
    base = live_server.url
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(f"{base}/resident/signin/")
    phone = page.locator("#id_phone")
    assert phone.get_attribute("inputmode") == "numeric" and phone.get_attribute("maxlength") == "20"
    phone.fill(PHONE)
    page.fill("#id_display_name", "钱阿姨")
    page.click("#phone-form button[type=submit]")
    code_input = page.locator("#id_code")
    code_input.wait_for()
    assert code_input.get_attribute("autocomplete") == "one-time-code"
    assert "137****1111" in page.inner_text("main")
    assert PHONE not in page.url
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "resident-code")
    code_input.fill(last_code(PHONE))
    page.click("#code-form button[type=submit]")
    page.wait_for_url(re.compile(rf"^{re.escape(base)}/$"))
    assert "钱阿姨" in page.inner_text(".account-name")
    assert User.objects.get(role="resident").display_name == "钱阿姨"
    shot(page, "resident-home")
