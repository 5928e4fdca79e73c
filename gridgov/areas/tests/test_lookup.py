from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from gridgov.areas import lookup
from gridgov.areas.actions import Part, area_update, grid_split
from gridgov.areas.lookup import GridIndex
from gridgov.areas.models import Area, GeometryVersion
from gridgov.testing.factories import make_tree, rect

pytestmark = pytest.mark.django_db


def test_point_in_each_grid_found():
    make_tree()
    index = lookup.get_index()
    assert index.lookup(107.01, 34.01) == "610302001001001"
    assert index.lookup(107.07, 34.01) == "610302001001002"
    assert index.lookup(107.17, 34.07) == "610302002002002"
    assert index.lookup(107.5, 34.5) is None


def test_batched_lookup_agrees_with_single():
    make_tree()
    index = lookup.get_index()
    lngs = [107.01, 107.07, 107.17, 107.5, 107.12]
    lats = [34.01, 34.01, 34.07, 34.5, 34.03]
    assert index.lookup_many(lngs, lats) == [index.lookup(x, y) for x, y in zip(lngs, lats, strict=True)]


def test_point_on_shared_edge_goes_to_lower_code():
    index = GridIndex.build([("b", rect(1, 0, 2, 1)), ("a", rect(0, 0, 1, 1))])
    assert index.lookup(1.0, 0.5) == "a"
    assert index.lookup_many([1.0], [0.5]) == ["a"]


def test_index_rebuilt_after_split_and_redraw():
    tree = make_tree()
    assert lookup.get_index().lookup(107.01, 34.01) == "610302001001001"
    created = grid_split(
        by=tree.admin,
        code="610302001001001",
        reason="人口增长",
        parts=[Part("西", rect(107.0, 34.0, 107.025, 34.05)), Part("东", rect(107.025, 34.0, 107.05, 34.05))],
    )
    assert lookup.get_index().lookup(107.01, 34.01) == created[0].code
    assert lookup.get_index().lookup(107.04, 34.01) == created[1].code
    version = lookup.get_index().version
    area_update(
        by=tree.admin, code=created[1].code, boundary=rect(107.025, 34.0, 107.05, 34.04), reason="让路"
    )
    index = lookup.get_index()
    assert index.version > version
    assert index.lookup(107.04, 34.045) is None


def test_grid_at_gives_the_grid_row_without_reading_it():
    tree = make_tree()
    lookup.get_index()
    with CaptureQueriesContext(connection) as queries:
        grid = lookup.grid_at(107.01, 34.01)
    assert not queries.captured_queries
    row = tree["610302001001001"]
    assert (grid.pk, grid.code, grid.name, grid.level, grid.parent_id) == (
        row.pk,
        row.code,
        row.name,
        "grid",
        row.parent_id,
    )
    assert grid.boundary == row.boundary  # the other fields load when asked for
    assert lookup.grid_at(107.5, 34.5) is None
    assert lookup.grid_at(107.01, 34.01) is not lookup.grid_at(107.01, 34.01)  # a fresh instance each time


def test_grid_renamed_here_or_in_another_process_is_named_anew():
    tree = make_tree()
    assert lookup.grid_at(107.01, 34.01).name == tree["610302001001001"].name
    area_update(by=tree.admin, code="610302001001001", name="银杏网格")
    assert lookup.grid_at(107.01, 34.01).name == "银杏网格"
    # another process renames it: the row and the version change, this process's index does not
    Area.objects.filter(code="610302001001001").update(name="梧桐网格")
    GeometryVersion.objects.filter(pk=1).update(version=F("version") + 1)
    lookup._checked_at -= lookup.RECHECK_SECONDS  # as if the recheck interval had passed
    assert lookup.grid_at(107.01, 34.01).name == "梧桐网格"


def test_renaming_a_street_keeps_the_index():
    tree = make_tree()
    index = lookup.get_index()
    area_update(by=tree.admin, code="610302001", name="新街道")
    assert lookup.get_index() is index
