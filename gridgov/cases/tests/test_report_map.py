"""The report page's map and fields (issue 13): the WGS-84 ↔ GCJ-02 conversion, where the map opens for
a signed-in account, a grid worker's patrol report (their own contact, their grid), the category's
attribute fields checked as the API checks them, and the optional base map."""

from __future__ import annotations

import re

import pytest

from gridgov.areas import coords
from gridgov.cases.models import Case, CategoryAttribute
from gridgov.cases.tests.conftest import IN_GRID_111
from gridgov.settings import _tile_origin

# ---------------------------------------------------------------- coordinate systems

# The published example of the forward formula (wandergis/coordtransform): WGS-84 → GCJ-02.
BEIJING_WGS = (116.404, 39.915)
BEIJING_GCJ = (116.41024449916938, 39.91640428150164)


def test_forward_conversion_gives_the_published_numbers():
    lng, lat = coords.wgs84_to_gcj02(*BEIJING_WGS)
    assert coords.distance_m(lng, lat, *BEIJING_GCJ) < 0.01
    # the shift is hundreds of metres: what a GCJ-02 base map would be off without conversion
    assert 400 < coords.distance_m(*BEIJING_WGS, lng, lat) < 800


@pytest.mark.parametrize(
    "point",
    [BEIJING_WGS, (107.237, 34.362), (121.4737, 31.2304), (113.2644, 23.1291), (87.6168, 43.8256)],
)
def test_round_trip_is_within_a_metre(point):
    there = coords.wgs84_to_gcj02(*point)
    back = coords.gcj02_to_wgs84(*there)
    assert coords.distance_m(*point, *back) < 0.01  # well under 1 m
    assert coords.distance_m(*coords.gcj02_to_wgs84(*BEIJING_GCJ), *BEIJING_WGS) < 0.01


def test_outside_china_nothing_moves():
    assert coords.wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)
    assert coords.gcj02_to_wgs84(2.35, 48.85) == (2.35, 48.85)


def test_tile_host_is_allowed_as_an_image_source():
    assert _tile_origin("https://tiles.example.org/{z}/{x}/{y}.png") == "https://tiles.example.org"
    assert _tile_origin("https://t{s}.tianditu.gov.cn/img_w/wmts?x={x}") == "https://*.tianditu.gov.cn"


# ---------------------------------------------------------------- where the map opens


def _home(response) -> list[float]:
    found = re.search(r'data-home="([^"]*)"', response.content.decode())
    return [float(v) for v in found.group(1).split(",")] if found and found.group(1) else []


def test_anonymous_map_opens_on_the_district_without_tiles(world, client):  # noqa: ARG001
    response = client.get("/report/")
    assert response.status_code == 200
    page = response.content.decode()
    assert _home(response) == []
    assert 'data-tile-url=""' in page and 'data-tile-crs="wgs84"' in page


def test_resident_map_opens_on_their_community(world, client):
    world.resident.area = world.tree["610302001001001"]  # a grid on the account: its community is shown
    world.resident.save(update_fields=["area"])
    client.force_login(world.resident)
    community = world.tree["610302001001"]
    assert _home(client.get("/report/")) == pytest.approx(
        [community.min_lng, community.min_lat, community.max_lng, community.max_lat]
    )


def test_base_map_settings_reach_the_page(world, client, settings):  # noqa: ARG001
    settings.TILE_URL = "https://tiles.example.org/{z}/{x}/{y}.png"
    settings.TILE_ATTRIBUTION = "© 示例 <b>"
    settings.TILE_CRS = "gcj02"
    page = client.get("/report/").content.decode()
    assert 'data-tile-url="https://tiles.example.org/{z}/{x}/{y}.png"' in page
    assert 'data-tile-crs="gcj02"' in page
    assert "© 示例 &lt;b&gt;" in page


# ---------------------------------------------------------------- a grid worker's patrol report


def test_patrol_report_is_prefilled_with_the_worker_and_opens_on_their_grid(world, client):
    world.worker.display_name = "王网格"
    world.worker.phone = "13700001234"
    world.worker.save(update_fields=["display_name", "phone"])
    client.force_login(world.worker)
    response = client.get("/report/")
    page = response.content.decode()
    assert 'name="reporter_name" type="text" maxlength="50" autocomplete="name" value="王网格"' in page
    assert 'value="13700001234"' in page
    grid = world.tree["610302001001001"]
    assert _home(response) == pytest.approx([grid.min_lng, grid.min_lat, grid.max_lng, grid.max_lat])


def _post(client, **fields):
    data = {
        "category": "litter",
        "description": "巡查发现小区门口垃圾堆放",
        "lng": str(IN_GRID_111[0]),
        "lat": str(IN_GRID_111[1]),
        "idempotency_key": fields.pop("key", "k1"),
    }
    data.update(fields)
    return client.post("/report/", data)


def test_patrol_report_without_contact_takes_the_workers(world, client):
    world.worker.display_name = "王网格"
    world.worker.phone = "13700001234"
    world.worker.save(update_fields=["display_name", "phone"])
    client.force_login(world.worker)
    response = _post(client)
    assert response.status_code == 200, response.content.decode()[:500]
    case = Case.objects.get()
    assert (case.channel, case.entered_by, case.reporter) == ("grid_worker", world.worker, None)
    assert (case.reporter_name, case.reporter_phone) == ("王网格", "13700001234")


def test_hotline_entry_still_needs_the_callers_phone(world, client):
    world.worker.phone = "13700001234"
    world.worker.save(update_fields=["phone"])
    client.force_login(world.worker)
    response = _post(client, channel="hotline")
    assert response.status_code == 400
    assert 'id="err-reporter_phone"' in response.content.decode()
    assert not Case.objects.exists()


# ---------------------------------------------------------------- category attributes


@pytest.fixture
def plate(world):
    CategoryAttribute.objects.create(
        category=world.category, code="plate", label="车牌号", datatype="string", required=True, order=1
    )
    return CategoryAttribute.objects.create(
        category=world.category,
        code="kind",
        label="车辆类型",
        datatype="singlevaluelist",
        values=[{"key": "car", "name": "小汽车"}, {"key": "bike", "name": "电动车"}],
        order=2,
    )


def test_the_page_carries_each_categorys_attribute_fields(world, plate, client):  # noqa: ARG001
    page = client.get("/report/").content.decode()
    assert 'class="fieldset category-attributes" data-category="litter" hidden' in page
    assert 'name="attr.litter.plate"' in page and "车牌号" in page
    assert '<option value="bike">电动车</option>' in page


def test_a_missing_required_attribute_is_a_field_error_and_keeps_the_values(world, plate, client):  # noqa: ARG001
    response = _post(client, reporter_phone="13800001111", **{"attr.litter.kind": "bike"})
    assert response.status_code == 400
    page = response.content.decode()
    assert '<p class="field-error" id="err-id_attr_litter_plate">请填写车牌号</p>' in page
    assert 'data-category="litter">' in page  # shown, not hidden, after the error
    assert '<option value="bike" selected>' in page
    assert not Case.objects.exists()


def test_a_bad_choice_is_refused_by_the_same_check_as_the_api(world, plate, client):  # noqa: ARG001
    response = _post(
        client, reporter_phone="13800001111", **{"attr.litter.plate": "陕C12345", "attr.litter.kind": "bus"}
    )
    assert response.status_code == 400
    assert 'id="err-id_attr_litter_kind"' in response.content.decode()


def test_attributes_are_stored_with_the_report(world, plate, client):  # noqa: ARG001
    response = _post(
        client, reporter_phone="13800001111", **{"attr.litter.plate": " 陕C12345 ", "attr.litter.kind": "car"}
    )
    assert response.status_code == 200
    assert Case.objects.get().attributes == {"plate": "陕C12345", "kind": "car"}
