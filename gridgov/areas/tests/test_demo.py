from __future__ import annotations

import pytest
import shapely

from gridgov.areas.demo import demo_areas
from gridgov.areas.geometry import parse_boundary


def test_demo_layout_tiles_the_district():
    areas = demo_areas()
    by_level = {}
    for a in areas:
        by_level.setdefault(a["level"], []).append(a)
    assert len(by_level["district"]) == 1 and by_level["district"][0]["code"] == "610302"
    assert len(by_level["street"]) == 8
    assert len(by_level["community"]) == 68
    grids = by_level["grid"]
    assert sum(g["kind"] == "basic" for g in grids) == 365
    assert 1 <= sum(g["kind"] == "dedicated" for g in grids) <= 10
    district = parse_boundary(by_level["district"][0]["boundary"])
    for level in ("street", "community", "grid"):
        geoms = [parse_boundary(a["boundary"]) for a in by_level[level]]
        # no gaps: the pieces add up to the district; no overlaps: their union has the same area
        assert sum(g.area for g in geoms) == pytest.approx(district.area, rel=1e-9)
        assert shapely.union_all(geoms).area == pytest.approx(district.area, rel=1e-9)
