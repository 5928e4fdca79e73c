"""The field app when the browser believes it is online but nothing gets through ("lie-fi", issue 13): a
visit saved then waits on the device like one made with the network switched off, and goes once when the
server answers again; with the server there, the form goes the ordinary way with a fresh CSRF token."""

from __future__ import annotations

import pytest

from gridgov.visits.models import Visit
from gridgov.web.tests.test_fieldapp_browser import (  # noqa: F401 (fixtures)
    QUEUE_ITEMS,
    browser,
    household,
    wait_badge,
    worker_page,
)

pytestmark = pytest.mark.browser


def blocked(route) -> None:
    route.abort("internetdisconnected")


def test_a_visit_saved_when_nothing_gets_through_waits_and_goes_once(browser, live_server, household):  # noqa: F811
    base = live_server.url
    # Playwright's routing does not see requests a service worker answers: this test is about the page's
    # own sending, so the service worker is kept out of it.
    context, page = worker_page(browser, base, service_workers="block")
    page.goto(f"{base}/visits/new/?household={household.pk}")
    page.locator("[data-offline-badge]").wait_for(state="attached")

    page.route("**/*", blocked)  # every request fails; navigator.onLine stays true
    assert page.evaluate("() => navigator.onLine") is True
    page.fill("#id_situation", "独居老人，腿脚不便")
    page.fill("#id_problems", "想申请助餐服务")
    page.get_by_role("button", name="保存走访").click()
    assert "已保存在本机，恢复网络后自动发送" in page.locator("[data-offline-notice]").inner_text()
    wait_badge(page, 1)
    (item,) = page.evaluate(QUEUE_ITEMS)
    assert item["kind"] == "visit" and item["key"]
    assert not any(name == "csrfmiddlewaretoken" for name, _ in item["fields"])
    assert not Visit.objects.exists()

    page.unroute("**/*", blocked)
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    wait_badge(page, 0)
    visit = Visit.objects.get()
    assert visit.problems == "想申请助餐服务" and visit.client_key == item["key"]

    # The server answers: the form goes the ordinary way (a page, not the queue), and a stale CSRF token
    # in it (a copy kept from an earlier sign-in) is replaced by a fresh one first.
    page.fill("#id_situation", "家中有人照看")
    page.fill("#id_problems", "无")
    page.evaluate(
        "() => { document.querySelector('form[data-offline-queue] [name=csrfmiddlewaretoken]').value = 'x'.repeat(64); }"
    )
    page.get_by_role("button", name="保存走访").click()
    page.wait_for_url(lambda url: "/visits/new/" not in url)
    assert Visit.objects.count() == 2
    assert page.evaluate(QUEUE_ITEMS) == []
    context.close()
