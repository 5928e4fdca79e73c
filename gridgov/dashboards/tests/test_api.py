"""``/api/v1/command``: the dashboard, the map's figures and the reports over the docs/kpi.md world."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine

from gridgov.cases.kpis import case_kpis
from gridgov.cases.models import OPEN_STATES, Case
from gridgov.testing.api import ApiClient
from gridgov.testing.factories import make_ledger

from .conftest import C11, DISTRICT, G111, G112, G121, G211, NOW, STREET1, STREET2, at

pytestmark = pytest.mark.django_db


def get(username: str, path: str):
    with time_machine.travel(NOW, tick=False):
        return ApiClient(username).get(path)


def ok(username: str, path: str):
    response = get(username, path)
    assert response.status_code == 200, response.content.decode()
    return response.json()


def test_dashboard_of_the_district(refreshed):
    data = ok("dist", f"/command/areas/{DISTRICT}/dashboard")
    tiles = {t["key"]: t for t in data["tiles"]}
    # 1 April up to 08:00: x2 reported at midnight; nothing else happened yet that day.
    assert (tiles["reported"]["today"], tiles["reported"]["yesterday"], tiles["reported"]["last_week"]) == (
        1,
        1,
        0,
    )
    # 31 March: c12 reported, accepted, dispatched; 25 March (a week before): nothing.
    assert tiles["overdue"]["today"] == 2 and tiles["overdue"]["yesterday"] is None  # no refresh on 31 March
    assert tiles["overdue"]["url"] == f"/command/{DISTRICT}/cases/overdue/"
    assert [c["code"] for c in data["children"]] == [STREET1, STREET2]
    street1 = data["children"][0]
    # the 30 days are 3 March – 1 April: in street 1 c2 c3 c5 c6 c7 c9 c10 c12 and x2 (c1, c13 are earlier)
    assert street1["reported"] == 9 and street1["overdue_now"] == 2
    assert sum(day["reported"] for day in data["trend"]) == 12  # and c4, c8 of street 2, c11 of no street
    assert len(data["trend"]) == 30 and data["trend"][-1]["day"] == "2026-04-01"


def test_the_cases_behind_a_tile_are_the_cases_counted(refreshed):
    rows = ok("dist", f"/command/areas/{DISTRICT}/cases/overdue")["items"]
    expected = Case.objects.filter(sla="overdue").exclude(state="closed").values_list("ref", flat=True)
    assert sorted(r["ref"] for r in rows) == sorted(expected) and len(rows) == 2
    reported = ok("dist", f"/command/areas/{DISTRICT}/cases/reported?day=2026-03-02")["items"]
    assert [r["ref"] for r in reported] == [refreshed.refs["c1"]]
    assert get("dist", f"/command/areas/{DISTRICT}/cases/sleeping").status_code == 400


def test_scope(refreshed):
    assert get("st2", f"/command/areas/{STREET1}/dashboard").status_code == 404
    for layer in ("values?indicator=open_overdue", "grids", "points", "hotspots", "cases/overdue", "reports"):
        assert get("st2", f"/command/areas/{G111}/{layer}").status_code == 404, layer
        assert get("st1", f"/command/areas/{G111}/{layer}").status_code == 200, layer
    assert ok("st2", f"/command/areas/{STREET2}/dashboard")["area"]["code"] == STREET2
    assert get("comm", f"/command/areas/{DISTRICT}/dashboard").status_code == 404
    assert get("gw", f"/command/areas/{G111}/dashboard").status_code == 200
    for username in ("resident", "h1"):
        assert get(username, f"/command/areas/{DISTRICT}/dashboard").status_code == 403
        assert get(username, "/command/indicators").status_code == 403
    with time_machine.travel(NOW, tick=False):
        assert ApiClient().get(f"/command/areas/{DISTRICT}/dashboard").status_code == 401


def test_grid_values_agree_with_the_kpis(refreshed, staff):
    data = ok("dist", f"/command/areas/{DISTRICT}/values?indicator=on_time_closure_rate&period=2026-03")
    values = {g["code"]: g["value"] for g in data["grids"]}
    assert len(values) == 8 and data["period"] == {
        "key": "2026-03",
        "start": "2026-03-01",
        "end": "2026-03-31",
    }
    assert values[G111] == 50.0 and values[G112] == 50.0  # c1 on time of c1, c5; c6 on time of c2, c6
    with time_machine.travel(NOW, tick=False):
        for code, value in values.items():
            kpi = case_kpis(
                staff["district"], area=code, start=date(2026, 3, 1), end=date(2026, 3, 31), now=NOW
            )
            rate = kpi["totals"]["on_time_closure_rate"]["rate"]
            assert value == (None if rate is None else pytest.approx(100 * rate, abs=0.01)), code
    overdue = ok("dist", f"/command/areas/{STREET1}/values?indicator=open_overdue")
    assert {g["code"]: g["value"] for g in overdue["grids"]} == {
        G111: 1.0,
        G112: 0.0,
        G121: 1.0,
        "610302001002002": 0.0,
    }
    assert G211 not in {g["code"] for g in overdue["grids"]}
    # cases per 1,000 residents: two residents in grid 111, which had c1, c5, c9 and c12 reported in March
    make_ledger(refreshed.admin, G111)
    per_1000 = ok("dist", f"/command/areas/{C11}/values?indicator=cases_per_1000&period=2026-03")
    assert {g["code"]: g["value"] for g in per_1000["grids"]} == {G111: 2000.0, G112: None}


@pytest.mark.parametrize(
    ("query", "field"),
    [("indicator=nonsense", "indicator"), ("indicator=open_overdue&period=2026-13", "period")],
)
def test_bad_map_input(refreshed, query, field):
    response = get("dist", f"/command/areas/{DISTRICT}/values?{query}")
    assert response.status_code == 400 and response.json()["field"] == field


def test_indicators_grids_and_points(refreshed):
    codes = [i["code"] for i in ok("dist", "/command/indicators")]
    assert codes[:2] == ["open_overdue", "cases_per_1000"]
    shapes = ok("comm", f"/command/areas/{C11}/grids")
    assert sorted(f["properties"]["code"] for f in shapes["features"]) == [G111, G112]
    # the world's cases were placed by grid only: give street 1's cases a point inside their grid
    for case in Case.objects.filter(area_code__startswith=STREET1):
        grid = case.area
        Case.objects.filter(pk=case.pk).update(lng=grid.min_lng + 0.01, lat=grid.min_lat + 0.01)
    points = ok("st1", f"/command/areas/{STREET1}/points")["points"]
    since = at(3, 3, 0, 0)  # the first of the 30 days up to 1 April
    expected = [
        c.ref
        for c in Case.objects.filter(area_code__startswith=STREET1, lat__isnull=False)
        if c.state in OPEN_STATES or c.reported_at >= since
    ]
    assert expected and sorted(p["ref"] for p in points) == sorted(expected)
    assert all(set(p) == {"ref", "lat", "lng", "overdue", "open", "category"} for p in points)


def test_reports_generate_and_read(refreshed):
    with time_machine.travel(NOW, tick=False):
        client = ApiClient("st1")
        made = client.post("/command/reports", {"area": STREET1, "kind": "monthly", "period": "2026-03"})
        assert made.status_code == 201, made.content.decode()
        body = made.json()
        assert body["version"] == 1 and body["data"]["totals"]["reported"] == 10  # street 1 in March
        listed = client.get(f"/command/areas/{STREET1}/reports")
        assert [r["id"] for r in listed.json()["items"]] == [body["id"]]
        assert client.get(f"/command/reports/{body['id']}").json()["data"] == body["data"]
        refused = client.post("/command/reports", {"area": STREET2, "kind": "monthly", "period": "2026-03"})
        assert refused.status_code == 404 and refused.json()["field"] == "area"
        wrong = client.post("/command/reports", {"area": STREET1, "kind": "monthly", "period": "2026-W10"})
        assert wrong.status_code == 400 and wrong.json()["field"] == "period"
        other = ApiClient("st2").get(f"/command/reports/{body['id']}")
        assert other.status_code == 404
