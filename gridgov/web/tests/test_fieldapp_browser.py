"""The field app in a phone-sized Chromium (Debian's, through Playwright), issue 13: installable, its service
worker controls the page, the worklist reads offline with a banner, and a visit and a report made without
signal wait on the device and are sent once when the network is back — a second send makes nothing new."""

from __future__ import annotations

import json
import time

import pytest

from gridgov.cases.models import Case
from gridgov.core.models import Upload
from gridgov.ledger.actions import building_create, household_create
from gridgov.testing.browser import chromium
from gridgov.testing.factories import PASSWORD, make_tree, make_user, urgent_category
from gridgov.visits.models import Visit
from gridgov.web.fieldapp import icon_png

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
GRID = "610302001001001"


@pytest.fixture
def household(transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    tree = make_tree()
    admin = tree.admin
    urgent_category("property_service", "物业服务")
    building = building_create(by=admin, code="JT-12", name="12号楼", grid=GRID, address="姜谭路 12 号")
    building.lng, building.lat = 107.01, 34.01
    building.save()
    make_user(admin, "wangge", "grid_worker", tree[GRID], phone="13800000005")
    return household_create(by=admin, building=building.code, unit="2", room="301")


@pytest.fixture
def browser(household, live_server, monkeypatch):  # noqa: ARG001
    with chromium(monkeypatch) as browser:
        yield browser


def worker_page(browser, base: str, **options):
    """The grid worker signed in on a phone-sized page; ``options`` go to the browser context."""
    context = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True, **options)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{base}/login/")
    page.fill('input[name="username"]', "wangge")
    page.fill('input[name="password"]', PASSWORD)
    page.click('form.form button[type="submit"]')
    page.wait_for_url(lambda url: "/login/" not in url)  # staff land on their home page
    return context, page


def controlled(page) -> None:
    page.wait_for_function("() => !!(navigator.serviceWorker && navigator.serviceWorker.controller)")


def until(page, script: str, arg=None, timeout: float = 15.0) -> None:
    """Wait until the asynchronous ``script`` resolves to true in the page. (``wait_for_function`` does not
    wait for a promise: a returned promise counts as true at once.)"""
    deadline = time.monotonic() + timeout
    while not page.evaluate(script, arg):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout} s: {script}")
        page.wait_for_timeout(100)


def cached(page, url: str) -> None:
    """Wait until the service worker has kept ``url`` for reading offline."""
    until(page, "url => caches.open('gridgov-pages').then(c => c.match(url)).then(r => !!r)", url)


def badge(page) -> str:
    return page.locator("[data-offline-badge]").get_attribute("data-count")


def wait_badge(page, count: int) -> None:
    page.wait_for_selector(f'[data-offline-badge][data-count="{count}"]', state="attached")


QUEUE_ITEMS = """() => new Promise((resolve, reject) => {
  const open = indexedDB.open('gridgov-offline', 1);
  open.onsuccess = () => {
    const request = open.result.transaction('queue').objectStore('queue').getAll();
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  };
})"""

# Put an item back as new (a send whose answer was lost is sent again), then ask for the queue to go.
REQUEUE = """item => new Promise((resolve, reject) => {
  const open = indexedDB.open('gridgov-offline', 1);
  open.onsuccess = () => {
    const copy = Object.assign({}, item);
    delete copy.id;
    const transaction = open.result.transaction('queue', 'readwrite');
    transaction.objectStore('queue').add(copy);
    transaction.oncomplete = () => { window.dispatchEvent(new Event('online')); resolve(true); };
    transaction.onerror = () => reject(transaction.error);
  };
})"""


# The same item twice in the queue, its photo included (a send whose answer was lost goes again).
DUPLICATE = """() => new Promise((resolve, reject) => {
  const open = indexedDB.open('gridgov-offline', 1);
  open.onsuccess = () => {
    const transaction = open.result.transaction('queue', 'readwrite');
    const store = transaction.objectStore('queue');
    const request = store.getAll();
    request.onsuccess = () => {
      const copy = Object.assign({}, request.result[0]);
      delete copy.id;
      store.add(copy);
    };
    transaction.oncomplete = () => resolve(true);
    transaction.onerror = () => reject(transaction.error);
  };
})"""


def test_installable_and_the_worklist_and_households_read_offline(browser, live_server, household):
    base = live_server.url
    context, page = worker_page(browser, base)
    manifest_href = page.locator('link[rel="manifest"]').get_attribute("href")
    manifest = page.request.get(f"{base}{manifest_href}")
    assert manifest.headers["content-type"] == "application/manifest+json"
    data = json.loads(manifest.text())
    assert data["start_url"] == "/visits/worklist/" and data["display"] == "standalone"
    for icon in data["icons"]:
        assert page.request.get(f"{base}{icon['src']}").ok

    page.goto(f"{base}/visits/worklist/")
    page.locator("[data-offline-badge]").wait_for(state="attached")
    assert page.locator("[data-offline-badge]").is_hidden()  # nothing waits: no badge, no room taken
    controlled(page)
    # Chromium's own install check: nothing missing but what a test context cannot be (a normal profile).
    cdp = context.new_cdp_session(page)
    assert cdp.send("Page.getAppManifest")["errors"] == []
    errors = {error["errorId"] for error in cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]}
    assert errors <= {"in-incognito"}, errors
    page.reload()  # controlled from the start now; the service worker keeps the page
    cached(page, "/visits/worklist/")
    cached(page, f"/ledger/households/{household.pk}/")
    assert not page.locator("[data-offline-banner]").count()
    online_heading = page.locator("h1").inner_text()

    context.set_offline(True)
    page.reload()
    banner = page.locator("[data-offline-banner]")
    banner.wait_for()
    assert banner.inner_text().startswith("离线 · 显示的是 ")
    assert page.locator("h1").inner_text() == online_heading

    # The household pages of the worker's grid were read ahead and open without signal too.
    page.goto(f"{base}/ledger/households/{household.pk}/")
    page.locator("[data-offline-banner]").wait_for()
    assert "12号楼" in page.locator("main").inner_text()
    context.set_offline(False)

    # Signing out forgets the pages kept for this account.
    page.reload()
    page.locator("[data-offline-badge]").wait_for(state="attached")  # offline.js is running
    page.locator("form.logout button").click()
    page.wait_for_url(f"{base}/login/")
    until(page, "() => caches.has('gridgov-pages').then(has => !has)")
    context.close()


def test_a_visit_recorded_without_signal_is_sent_once(browser, live_server, household):
    base = live_server.url
    context, page = worker_page(browser, base)
    form_url = f"/visits/new/?household={household.pk}"
    page.goto(f"{base}{form_url}")
    controlled(page)
    page.reload()
    cached(page, form_url)

    context.set_offline(True)
    page.reload()  # the form comes from the cache
    page.locator("[data-offline-banner]").wait_for()
    page.fill("#id_situation", "赵阿姨独自带孙子生活")
    page.fill("#id_problems", "楼道声控灯坏了两周")
    page.set_input_files(
        "#id_photo", files=[{"name": "door.png", "mimeType": "image/png", "buffer": icon_png(192)}]
    )
    page.get_by_role("button", name="保存走访").click()
    assert "已保存在本机，恢复网络后自动发送" in page.locator("[data-offline-notice]").inner_text()
    wait_badge(page, 1)
    assert page.locator("[data-offline-badge]").inner_text() == "待发送 1 条"
    (item,) = page.evaluate(QUEUE_ITEMS)
    assert item["kind"] == "visit" and len(item["key"]) == 32 and item["photos"] == 1
    assert not Visit.objects.exists()

    page.goto(f"{base}/offline/queue/")  # 待发送, from the cache too
    entry = page.locator("[data-offline-item]")
    entry.first.wait_for()  # offline.js draws the list from IndexedDB after the page loads
    assert entry.count() == 1 and "楼道声控灯坏了两周" in entry.inner_text()

    page.evaluate(DUPLICATE)  # the same visit is sent twice, as when the first answer is lost
    assert len(page.evaluate(QUEUE_ITEMS)) == 2

    context.set_offline(False)
    wait_badge(page, 0)
    assert page.locator("[data-offline-item]").count() == 0
    visit = Visit.objects.get()
    assert visit.problems == "楼道声控灯坏了两周" and visit.client_key == item["key"]
    assert Upload.objects.filter(role=Upload.Role.PHOTO).count() == 1
    context.close()


def test_a_report_made_without_signal_is_one_case(browser, live_server):
    base = live_server.url
    context, page = worker_page(browser, base)
    page.goto(f"{base}/report/")
    controlled(page)
    cached(page, "/report/")

    context.set_offline(True)
    page.reload()
    page.locator("[data-offline-banner]").wait_for()
    page.select_option("#id_category", "property_service")
    page.fill("#id_description", "小区门口井盖松动，车辆经过声响很大")
    page.evaluate(
        "() => { document.getElementById('id_lng').value = '107.01';"
        " document.getElementById('id_lat').value = '34.01'; }"
    )
    page.locator('form[data-offline-queue="report"] button[type="submit"]').click()
    wait_badge(page, 1)
    (item,) = page.evaluate(QUEUE_ITEMS)
    assert item["kind"] == "report" and item["key"]
    assert not Case.objects.exists()

    context.set_offline(False)
    wait_badge(page, 0)
    case = Case.objects.get()
    assert case.description == "小区门口井盖松动，车辆经过声响很大"

    page.evaluate(REQUEUE, item)
    wait_badge(page, 0)
    assert Case.objects.count() == 1
    context.close()
