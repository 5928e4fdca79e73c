"""The report map in a phone-sized Chromium (Debian's, through Playwright): "use my location" granted puts
the pin there and refused says why; a building found by typing "3号楼" moves the pin, and dragging the pin
changes the position sent; the page's WGS-84 ↔ GCJ-02 conversion gives the server's numbers. No base map
is configured, so no external tile is loaded."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from gridgov.areas import coords
from gridgov.cases.models import Category
from gridgov.ledger.actions import building_create
from gridgov.testing.browser import chromium
from gridgov.testing.factories import make_tree

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
HERE = {"latitude": 34.01, "longitude": 107.01}  # inside grid 610302001001001


@pytest.fixture
def district(transactional_db):  # noqa: ARG001
    tree = make_tree()
    Category.objects.create(code="litter", name="垃圾堆放")
    building_create(
        by=tree.admin,
        code="B-3",
        name="3号楼",
        grid="610302001001002",
        address="渭滨路 8 号院",
        lng=107.07,
        lat=34.02,
    )
    return tree


@pytest.fixture
def browser(district, live_server, monkeypatch):  # noqa: ARG001
    with chromium(monkeypatch) as browser:
        yield browser


def open_report(browser, base, **context):
    page = browser.new_context(locale="zh-CN", viewport=PHONE, **context).new_page()
    page.set_default_timeout(10_000)
    page.set_default_navigation_timeout(60_000)  # the first page of a cold live server on a busy machine
    outside = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(base) else None)
    page.goto(f"{base}/report/")
    page.locator('#report-map[data-state="ready"]').wait_for()
    return page, outside


def position(page) -> tuple[float, float]:
    return float(page.input_value("#id_lng")), float(page.input_value("#id_lat"))


def test_use_my_location_granted_and_refused(browser, live_server):
    page, outside = open_report(browser, live_server.url, geolocation=HERE, permissions=["geolocation"])
    page.click("#use-location")
    expect(page.locator("#id_lat")).not_to_have_value("")
    assert position(page) == (107.01, 34.01)
    assert "网格1-1-1" in page.inner_text("#location-status")
    assert page.locator(".report-pin").count() == 1
    # the page's conversion is the server's (gridgov/areas/coords.py)
    lng, lat = page.evaluate("window.gridgovCoords.wgs84ToGcj02(116.404, 39.915)")
    assert coords.distance_m(lng, lat, *coords.wgs84_to_gcj02(116.404, 39.915)) < 0.01
    back = page.evaluate(f"window.gridgovCoords.gcj02ToWgs84({lng}, {lat})")
    assert coords.distance_m(*back, 116.404, 39.915) < 0.01
    assert outside == []

    refused, _outside = open_report(browser, live_server.url, geolocation=HERE, permissions=[])
    refused.click("#use-location")
    status = refused.locator("#location-status.is-error")
    status.wait_for()
    assert "未允许定位" in status.inner_text()
    assert refused.input_value("#id_lat") == ""


def test_search_a_building_then_drag_the_pin(browser, live_server):
    page, outside = open_report(browser, live_server.url)
    page.fill("#place-q", "3号楼")
    result = page.locator("#place-results button.place-result")
    result.first.wait_for()
    assert "3号楼" in result.first.inner_text() and "社区1-1" in result.first.inner_text()
    box = result.first.bounding_box()
    assert box["height"] >= 44
    result.first.click()
    assert position(page) == (107.07, 34.02)
    assert page.input_value("#id_address") == "渭滨路 8 号院"
    assert page.locator("#place-results").is_hidden()

    page.locator("#report-map").scroll_into_view_if_needed()
    pin = page.locator(".report-pin").bounding_box()
    assert pin["width"] >= 44 and pin["height"] >= 44
    x, y = pin["x"] + pin["width"] / 2, pin["y"] + pin["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 30, y + 20, steps=5)
    page.mouse.move(x + 60, y + 40, steps=5)
    page.mouse.up()
    expect(page.locator("#id_lng")).not_to_have_value("107.070000")
    lng, lat = position(page)
    assert lng > 107.07 and lat < 34.02  # right and down
    assert "网格1-1-2" in page.inner_text("#location-status")
    assert outside == []
