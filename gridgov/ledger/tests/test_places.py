"""The report map's places: buildings found by name or address (selector and public API), scoped to
buildings (never households or residents), limited in query length and results; and a report without a
point placed by the building its address names."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from gridgov.accounts.models import User
from gridgov.cases.models import Case, Category
from gridgov.core.errors import DomainError
from gridgov.ledger import places
from gridgov.ledger.actions import building_create, retire
from gridgov.ledger.models import Resident
from gridgov.testing.factories import Tree, make_ledger, make_tree

pytestmark = pytest.mark.django_db

GRID_A = "610302001001001"
GRID_A2 = "610302001001002"
GRID_B = "610302002001001"


@dataclass
class World:
    tree: Tree
    admin: User
    head: Resident


@pytest.fixture
def lw(db) -> World:  # noqa: ARG001
    """The test district with one household (and its residents) in GRID_A."""
    tree = make_tree()
    _building, _household, head, _spouse = make_ledger(tree.admin, GRID_A, "A")
    return World(tree=tree, admin=tree.admin, head=head)


@pytest.fixture
def buildings(lw):
    """Next to the conftest's "A号楼" in GRID_A: two "3号楼" in two communities, one with a point."""
    admin = lw.admin
    three_a = building_create(
        by=admin,
        code="B-3A",
        name="3号楼",
        grid=GRID_A2,
        address="渭滨路 8 号院 3 号楼",
        lng=107.07,
        lat=34.02,
    )
    three_b = building_create(by=admin, code="B-3B", name="3 号楼", grid=GRID_B, address="姜谭路 12 号")
    return three_a, three_b


def test_search_finds_3hao_lou_with_community_and_grid(lw, buildings):
    three_a, three_b = buildings
    found = places.place_search("3号楼")
    assert [p.id for p in found] == [three_a.pk, three_b.pk]  # "3 号楼" matches with spaces ignored
    first = found[0]
    assert (first.name, first.grid, first.community) == ("3号楼", GRID_A2, lw.tree[GRID_A2[:12]].name)
    assert (first.lng, first.lat) == (107.07, 34.02)
    # a building without a point of its own is placed inside its grid
    grid = lw.tree[GRID_B]
    assert grid.min_lng <= found[1].lng <= grid.max_lng and grid.min_lat <= found[1].lat <= grid.max_lat


def test_search_matches_addresses_and_skips_retired_buildings(lw, buildings):
    three_a, three_b = buildings
    assert [p.id for p in places.place_search("姜谭路")] == [three_b.pk]
    retire(by=lw.admin, obj=three_b, reason="拆迁")
    assert [p.id for p in places.place_search("3号楼")] == [three_a.pk]


def test_search_never_reads_households_or_residents(lw, buildings):  # noqa: ARG001
    # the conftest's residents have names and rooms; none of them is a place
    assert places.place_search(lw.head.name) == []
    assert places.place_search("101") == []


def test_search_limits_its_results(lw):
    for n in range(15):
        building_create(by=lw.admin, code=f"B-L{n:02d}", name=f"{n + 1}号楼", grid=GRID_A)
    assert len(places.place_search("号楼")) == places.RESULT_LIMIT
    assert len(places.place_search("号楼", limit=3)) == 3
    assert len(places.place_search("号楼", limit=500)) == places.RESULT_LIMIT


@pytest.mark.parametrize(("query", "code"), [("", "required"), ("   ", "required"), ("楼" * 51, "too_long")])
def test_search_refuses_empty_and_long_queries(lw, query, code):  # noqa: ARG001
    with pytest.raises(DomainError) as info:
        places.place_search(query)
    assert (info.value.code, info.value.field) == (code, "q")


def test_search_api_is_public_and_returns_no_personal_data(lw, buildings, client):
    three_a, _three_b = buildings
    response = client.get("/api/v1/ledger/places", {"q": "3号楼"})
    assert response.status_code == 200
    rows = response.json()
    assert [r["id"] for r in rows][:1] == [three_a.pk]
    assert set(rows[0]) == {"id", "name", "address", "grid", "grid_name", "community", "lng", "lat"}
    assert lw.head.name not in response.content.decode()


def test_search_api_refuses_a_long_query_by_field(lw, client):  # noqa: ARG001
    response = client.get("/api/v1/ledger/places", {"q": "楼" * 51})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "too_long" and body["field"] == "q"


def test_building_points_api_lists_only_buildings_with_a_point(lw, buildings, client):
    three_a, _three_b = buildings
    response = client.get("/api/v1/ledger/places/points")
    assert response.status_code == 200
    assert [r for r in response.json() if r["id"] == three_a.pk] == [
        {"id": three_a.pk, "name": "3号楼", "lng": 107.07, "lat": 34.02}
    ]
    assert all(r["lng"] is not None for r in response.json())


# ---------------------------------------------------------------- a report placed by its address


@pytest.fixture
def category(db):  # noqa: ARG001
    return Category.objects.create(code="litter", name="垃圾堆放")


def report_at(address: str):
    from gridgov.cases.actions import case_report

    return case_report(
        by=None,
        category_code="litter",
        description="楼道里堆了很多杂物",
        address=address,
        reporter_phone="13800001111",
    ).case


def test_a_report_naming_a_building_reaches_its_grid(lw, buildings, category):  # noqa: ARG001
    case = report_at("渭滨路 8 号院 3 号楼 2 单元门口")
    assert (case.area.code, case.lng, case.lat) == (GRID_A2, 107.07, 34.02)
    assert Case.objects.get(pk=case.pk).area_code == GRID_A2


def test_a_report_naming_a_building_without_a_point_gets_a_point_in_its_grid(lw, buildings, category):  # noqa: ARG001
    case = report_at("姜谭路 12 号")
    assert case.area.code == GRID_B
    assert case.lng is not None and case.lat is not None


def test_an_ambiguous_or_unknown_address_stays_with_the_district(lw, buildings, category):  # noqa: ARG001
    building_create(by=lw.admin, code="B-3C", name="3号楼", grid=GRID_B, lng=107.12, lat=34.02)
    # now two buildings are called "3号楼"; nothing is called "不存在的路"
    for address in ("3号楼", "不存在的路 1 号"):
        case = report_at(address)
        assert (case.area.code, case.lng) == ("610302", None)
