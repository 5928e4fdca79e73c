"""The grid map in Chromium (Debian's, through Playwright), on the docs/kpi.md world: a street leader signs in
and lands on the command centre, opens the grid map, sees the grids coloured by open overdue cases with a
legend, clicks the worst grid and lands on that grid's overdue cases.

The world is March 2026 while the server runs on the real clock: the figures are refreshed at the real now
after the data is made, so today's stocks (the open overdue cases) exist whatever the date.

Set ``GRIDGOV_SCREENSHOTS`` to a directory to keep full-page screenshots."""

from __future__ import annotations

import pytest
import time_machine

from gridgov.cases import actions as case_actions
from gridgov.cases.models import Case
from gridgov.cases.sla import sla_sweep
from gridgov.cases.tests.test_browser import shot
from gridgov.cases.tests.test_kpis import PHONE, do
from gridgov.dashboards import figures
from gridgov.testing.browser import chromium
from gridgov.testing.factories import PASSWORD

from .conftest import G111, G112, G121, NOW, STREET1, at

pytestmark = pytest.mark.browser

G122_ = "610302001002002"
DESKTOP = {"width": 1280, "height": 900}
# Inside each grid of street 1, away from its middle (where the cluster markers sit): (lat, lng).
SPOTS = {G111: (34.04, 107.04), G112: (34.04, 107.09), G121: (34.09, 107.04), G122_: (34.09, 107.09)}


@pytest.fixture
def mapped(transactional_db, world, staff):  # noqa: ARG001
    """The world plus one more overdue case in grid 1-2-1 (so it is the street's worst grid, 2 against 1),
    the street's cases placed inside their grids, and the figures refreshed now."""
    admin, unit = world.admin, world.units["u1"]
    intake = do(
        at(3, 20, 8),
        case_actions.case_report,
        by=admin,
        category_code="road",
        description="井盖缺失：现场问题需要处理",
        reporter_phone=PHONE,
        grid_code=G121,
    )
    ref = intake.case.ref
    do(at(3, 20, 9), case_actions.case_accept, ref=ref, by=admin)
    do(at(3, 20, 9), case_actions.case_dispatch, ref=ref, by=admin, lead_unit_id=unit.pk)
    with time_machine.travel(NOW, tick=False):
        sla_sweep(NOW)
    for case in Case.objects.filter(area_code__startswith=STREET1):
        lat, lng = SPOTS[case.area_code[:15]]
        Case.objects.filter(pk=case.pk).update(lat=lat, lng=lng)
    figures.refresh()
    world.refs["new"] = ref
    return world


@pytest.fixture
def browser(mapped, live_server, monkeypatch):  # noqa: ARG001
    with chromium(monkeypatch) as browser:
        yield browser


def sign_in(browser, base: str, username: str):
    context = browser.new_context(locale="zh-CN", viewport=DESKTOP)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{base}/login/")
    page.fill('input[name="username"]', username)
    page.fill('input[name="password"]', PASSWORD)
    with page.expect_navigation():
        page.click('form.form button[type="submit"]')
    return page


def test_a_street_leader_clicks_the_worst_grid_and_reads_its_overdue_cases(browser, live_server, mapped):
    base = live_server.url
    page = sign_in(browser, base, "st1")
    page.wait_for_url(f"{base}/command/")
    assert "街道1" in page.inner_text("#dash-title")
    assert page.inner_text('#tiles [data-key="overdue"] .dash-tile-today') == "3"
    page.locator("#trend-chart canvas").first.wait_for()  # ECharts drew on a canvas
    shot(page, "command-landing")

    with page.expect_navigation():
        page.click("#link-map")
    assert page.url == f"{base}/command/{STREET1}/map/"
    page.locator('#grid-map[data-state="ready"]').wait_for()
    page.fill("#map-period", "2026-03")
    page.click('#map-controls button[type="submit"]')
    page.locator(".dash-legend-period", has_text="2026-03").wait_for()
    page.locator('#grid-map[data-state="ready"]').wait_for()
    assert page.url.endswith("?indicator=open_overdue&period=2026-03")

    grids = page.locator("#grid-map path.grid-shape")
    assert grids.count() == 4
    values = {
        grids.nth(i).get_attribute("data-code"): (
            float(grids.nth(i).get_attribute("data-value")),
            grids.nth(i).get_attribute("fill"),
        )
        for i in range(4)
    }
    assert {code: v for code, (v, _fill) in values.items()} == {G111: 1, G112: 0, G121: 2, G122_: 0}
    assert len({fill for _v, fill in values.values()}) >= 2  # coloured, not one flat colour
    assert values[G112][1] != values[G121][1]
    legend = page.locator("#map-legend .dash-legend-item")
    assert legend.count() == 4 and "无数据" in page.inner_text("#map-legend")
    assert page.locator("#grid-map .leaflet-control-layers").count() == 1
    assert page.locator("#grid-map .marker-cluster, #grid-map .case-point").count() > 0
    assert not page.locator(".leaflet-tile").count()  # no tile server
    shot(page, "command-map")

    worst = max(values, key=lambda code: values[code][0])
    assert worst == G121
    path = page.locator(f'#grid-map path.grid-shape[data-code="{worst}"]')
    box = path.bounding_box()
    with page.expect_navigation():
        # away from the middle, where the grid's case markers sit
        path.click(position={"x": box["width"] * 0.8, "y": box["height"] * 0.8})
    assert page.url == f"{base}/command/{G121}/cases/overdue/"
    listed = page.locator("#case-rows tbody tr").evaluate_all("rows => rows.map(r => r.dataset.ref)")
    assert sorted(listed) == sorted([mapped.refs["c7"], mapped.refs["new"]])
    assert page.inner_text("#figure-count") == "2"
    shot(page, "command-grid-overdue")
