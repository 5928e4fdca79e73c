"""Duty cards in Chromium (Debian's, through Playwright): the community secretary makes a grid's card,
prints the community's sheet (A4, as a PDF), and a passer-by opens the printed address on a phone — the
grid, its worker with a masked phone, "report a problem here" — until the code is revoked.

Set ``GRIDGOV_SCREENSHOTS`` to a directory to keep full-page screenshots."""

from __future__ import annotations

import pytest

from gridgov.cases.tests.test_browser import shot, signed_in
from gridgov.testing.browser import chromium

from .conftest import COMMUNITY, GRID, make_orgs, make_world

pytestmark = pytest.mark.browser


@pytest.fixture
def cast(transactional_db, settings, tmp_path):  # noqa: ARG001
    settings.MEDIA_ROOT = tmp_path / "media"
    world = make_world()
    make_orgs(world)
    return world


@pytest.fixture
def browser(cast, live_server, monkeypatch):  # noqa: ARG001
    with chromium(monkeypatch) as browser:
        yield browser


def test_a_community_prints_its_cards_and_a_phone_opens_one(browser, live_server, tmp_path):
    base = live_server.url
    secretary = signed_in(browser, base, "community")
    secretary.goto(f"{base}/party/cards/?community={COMMUNITY}")
    row = secretary.locator(f'li[data-grid="{GRID}"]')
    row.locator("textarea").fill("巡查走访\n信息采集")
    with secretary.expect_navigation():
        row.get_by_role("button", name="生成职责卡").click()
    assert "职责卡已生成" in secretary.inner_text(".notices")
    with secretary.expect_navigation():
        secretary.click("#print-sheet")
    card = secretary.locator("article.print-card")
    assert card.count() == 1
    assert "网格1-1-1" in card.inner_text() and "138****1111" in card.inner_text()
    qr = card.locator("img")
    qr.wait_for()
    secretary.wait_for_function("img => img.complete && img.naturalWidth > 100", arg=qr.element_handle())
    secretary.emulate_media(media="print")
    assert secretary.locator(".no-print").is_hidden()
    pdf = secretary.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and len(pdf) > 5_000
    (tmp_path / "cards.pdf").write_bytes(pdf)
    shot(secretary, "party-card-sheet")
    address = card.locator(".print-card-url").inner_text().strip()
    assert address.startswith(base + "/card/")

    phone = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    phone.goto(address)
    text = phone.inner_text("main")
    assert "网格1-1-1" in text and "王网格员" in text and "138****1111" in text and "巡查走访" in text
    shot(phone, "party-card-phone")
    with phone.expect_navigation():
        phone.click("#report-here")
    assert phone.url.endswith(f"/report/?grid={GRID}")
    assert phone.input_value("#id_lng").startswith("107.")

    secretary.emulate_media(media="screen")
    secretary.goto(f"{base}/party/cards/?community={COMMUNITY}")
    row = secretary.locator(f'li[data-grid="{GRID}"]')
    row.locator('input[name="reason"]').fill("卡片被撕毁")
    with secretary.expect_navigation():
        row.get_by_role("button", name="作废旧码").click()
    revoked = phone.goto(address)
    assert revoked.status == 404 and phone.locator("#card-invalid").is_visible()
