from __future__ import annotations

import pytest

from gridgov.areas.actions import area_create, area_update
from gridgov.areas.geometry import parse_boundary
from gridgov.areas.models import Area
from gridgov.core.errors import DomainError
from gridgov.testing.factories import make_tree, rect

pytestmark = pytest.mark.django_db

OPEN_RING = {
    "type": "Polygon",
    "coordinates": [[[107.0, 34.0], [107.01, 34.0], [107.01, 34.01], [107.0, 34.01]]],
}
BOWTIE = {
    "type": "Polygon",
    "coordinates": [[[107.0, 34.0], [107.01, 34.01], [107.01, 34.0], [107.0, 34.01], [107.0, 34.0]]],
}


@pytest.mark.parametrize(
    ("geojson", "code"),
    [
        (OPEN_RING, "boundary_not_closed"),
        (BOWTIE, "boundary_self_intersects"),
        ({"type": "Point", "coordinates": [107.0, 34.0]}, "invalid_boundary"),
        (
            {"type": "Polygon", "coordinates": [[[107.0, 34.0], [107.1, 34.0], [107.0, 34.0]]]},
            "invalid_boundary",
        ),
        (
            {"type": "Polygon", "coordinates": [[[190.0, 34.0], [191, 34.0], [191, 35], [190, 34.0]]]},
            "invalid_boundary",
        ),
        ({"type": "Polygon", "coordinates": [[["a", "b"], [1, 2], [3, 4], ["a", "b"]]]}, "invalid_boundary"),
        ("not geojson", "invalid_boundary"),
    ],
)
def test_bad_polygons_are_refused_with_reason(geojson, code):
    with pytest.raises(DomainError) as info:
        parse_boundary(geojson)
    assert info.value.code == code
    assert info.value.field == "boundary"
    assert info.value.message


def test_feature_wrapping_a_polygon_is_accepted():
    geom = parse_boundary({"type": "Feature", "properties": {}, "geometry": rect(107, 34, 107.1, 34.1)})
    assert geom.geom_type == "Polygon"


def test_child_outside_parent_refused_nothing_written():
    tree = make_tree()
    count = Area.objects.count()
    with pytest.raises(DomainError) as info:
        # Community 610302001001 is [107.0,107.1]x[34.0,34.05]; this pokes out to the east.
        area_create(
            by=tree.admin,
            code="610302001001009",
            name="越界",
            parent_code="610302001001",
            boundary=rect(107.09, 34.0, 107.12, 34.01),
        )
    assert info.value.code == "boundary_outside_parent"
    assert Area.objects.count() == count


def test_overlapping_sibling_refused_touching_allowed():
    tree = make_tree()
    community = tree["610302001001"]
    # Grid 001 covers [107.0, 107.05]; a new grid overlapping it is refused...
    with pytest.raises(DomainError) as info:
        area_create(
            by=tree.admin,
            code="610302001001009",
            name="重叠",
            parent_code=community.code,
            boundary=rect(107.04, 34.0, 107.06, 34.01),
        )
    assert info.value.code == "boundary_overlaps_sibling"


def test_redrawn_boundary_must_keep_children_inside():
    tree = make_tree()
    with pytest.raises(DomainError) as info:
        area_update(
            by=tree.admin, code="610302001001", boundary=rect(107.0, 34.0, 107.05, 34.05), reason="缩小"
        )
    assert info.value.code == "boundary_excludes_child"


def test_redraw_needs_reason():
    tree = make_tree()
    with pytest.raises(DomainError) as info:
        area_update(by=tree.admin, code="610302001001001", boundary=rect(107.0, 34.0, 107.04, 34.05))
    assert info.value.field == "reason"
