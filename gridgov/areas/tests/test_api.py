from __future__ import annotations

import pytest

from gridgov.areas.models import Area
from gridgov.testing.api import ApiClient
from gridgov.testing.factories import make_tree, make_user, rect

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree():
    t = make_tree()
    make_user(t.admin, "street1", "street", area=t["610302001"])
    make_user(t.admin, "worker", "grid_worker", area=t["610302001001001"])
    return t


def test_children_of_parent_scoped(tree):
    api = ApiClient("street1")
    roots = api.get("/areas").json()
    assert [a["code"] for a in roots] == ["610302001"]
    assert roots[0]["child_count"] == 2
    children = api.get("/areas?parent=610302001").json()
    assert [a["code"] for a in children] == ["610302001001", "610302001002"]
    assert children[0]["level"] == "community" and children[0]["level_label"] == "社区/村"
    response = api.get("/areas?parent=610302002")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_detail_has_boundary_and_visible_path(tree):
    body = ApiClient("street1").get("/areas/610302001001001").json()
    assert body["boundary"]["type"] == "Polygon"
    assert [p["code"] for p in body["path"]] == ["610302001", "610302001001"]  # district is out of scope
    assert body["bbox"] == pytest.approx([107.0, 34.0, 107.05, 34.05])


def test_grid_worker_gets_404_for_neighbour_grid(tree):
    api = ApiClient("worker")
    assert api.get("/areas/610302001001001").status_code == 200
    response = api.get("/areas/610302001001002")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": response.json()["message"], "field": "code"}


def test_lookup_finds_grid_and_404_outside(tree):
    api = ApiClient("worker")
    body = api.get("/areas/lookup?lat=34.07&lng=107.17").json()
    assert body["code"] == "610302002002002" and body["street"] == "街道2"
    outside = api.get("/areas/lookup?lat=35.0&lng=107.17")
    assert outside.status_code == 404 and outside.json()["code"] == "not_found"
    bad = api.get("/areas/lookup?lat=95&lng=107.17")
    assert bad.status_code == 400 and bad.json()["field"] == "lat"
    missing = api.get("/areas/lookup?lat=34")
    assert missing.status_code == 400 and missing.json()["field"] == "lng"


def test_geojson_of_children(tree):
    body = ApiClient("street1").get("/areas/610302001001/children.geojson").json()
    assert body["type"] == "FeatureCollection"
    assert [f["properties"]["code"] for f in body["features"]] == ["610302001001001", "610302001001002"]


def test_create_via_api_and_bad_input_writes_nothing(tree):
    api = ApiClient("street1")
    count = Area.objects.count()
    bad = api.post(
        "/areas",
        {
            "code": "6103020010010",
            "name": "x",
            "parent": "610302001001",
            "boundary": rect(107.0, 34.0, 107.01, 34.01),
        },
    )
    assert bad.status_code == 400 and bad.json()["field"] == "code"
    overlap = api.post(
        "/areas",
        {
            "code": "610302001001009",
            "name": "x",
            "parent": "610302001001",
            "boundary": rect(107.0, 34.0, 107.01, 34.01),
        },
    )
    assert overlap.status_code == 400 and overlap.json()["code"] == "boundary_overlaps_sibling"
    other_street = api.post("/areas", {"code": "610302002009", "name": "x", "parent": "610302002"})
    assert other_street.status_code == 404
    assert Area.objects.count() == count


def test_split_and_merge_over_api(tree):
    api = ApiClient("street1")
    created = api.post(
        "/areas/610302001001001/split",
        {
            "reason": "拆分",
            "parts": [
                {"name": "西", "boundary": rect(107.0, 34.0, 107.025, 34.05)},
                {"name": "东", "boundary": rect(107.025, 34.0, 107.05, 34.05)},
            ],
        },
    )
    assert created.status_code == 201
    codes = [a["code"] for a in created.json()]
    merged = api.post("/areas/merge", {"codes": codes, "name": "合", "reason": "合并"})
    assert merged.status_code == 201 and merged.json()["code"] == "610302001001005"
    assert api.get("/areas/610302001001001").json()["is_active"] is False
    no_reason = api.post("/areas/merge", {"codes": ["610302001001005", "610302001001002"], "name": "x"})
    assert no_reason.status_code == 400 and no_reason.json()["field"] == "reason"


def test_unauthenticated_is_401_and_openapi_lists_endpoints(tree):
    anon = ApiClient()
    response = anon.get("/areas")
    assert response.status_code == 401 and response.json()["code"] == "unauthenticated"
    paths = anon.get("/openapi.json").json()["paths"]
    for path in (
        "/api/v1/areas",
        "/api/v1/areas/{code}",
        "/api/v1/areas/lookup",
        "/api/v1/me",
        "/api/v1/auth/token",
    ):
        assert path in paths


@pytest.mark.parametrize("who", ["street1", "worker"])
def test_changing_an_area_out_of_scope_answers_as_a_missing_one(tree, who):
    """Out of scope is indistinguishable from not there: the same 404 on ``code`` before any permission
    or state check, for a command officer and for a grid worker alike."""
    api = ApiClient(who)
    outside = api.patch("/areas/610302002001001", {"name": "改名"})
    missing = api.patch("/areas/610302009009009", {"name": "改名"})
    assert outside.status_code == missing.status_code == 404
    assert outside.json()["code"] == missing.json()["code"] == "not_found"
    assert outside.json()["field"] == missing.json()["field"] == "code"
    assert Area.objects.get(code="610302002001001").name != "改名"
    inside = api.patch("/areas/610302001001002", {"name": "改名"})
    assert inside.status_code == (200 if who == "street1" else 404)
