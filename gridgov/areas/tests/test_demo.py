from __future__ import annotations

import pytest
import shapely
from django.core.management import call_command

from gridgov.accounts.models import User
from gridgov.areas.demo import DEMO_PASSWORD, demo_areas
from gridgov.areas.geometry import parse_boundary
from gridgov.areas.models import Area

pytestmark = pytest.mark.django_db


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


def test_load_demo_is_idempotent_and_creates_demo_accounts(capsys):
    call_command("load_demo")
    first = capsys.readouterr().out
    assert "gridworker" in first and DEMO_PASSWORD in first
    counts = (Area.objects.count(), User.objects.count())
    call_command("load_demo")
    assert (Area.objects.count(), User.objects.count()) == counts
    assert Area.objects.filter(level="grid", kind="basic").count() == 365
    assert Area.objects.filter(level="community").count() == 68
    usernames = set(User.objects.values_list("username", flat=True))
    assert {
        "admin",
        "district",
        "street",
        "community",
        "gridworker",
        "unit",
        "resident",
        "volunteer",
        "lawyer",
        "canteen",  # service providers' handlers (orders demo)
        "repairman",
    } <= usernames
    # the points demo's volunteers
    assert {u for u in usernames if u.startswith("zyz")} == {f"zyz{i:02d}" for i in range(1, 13)}
    worker = User.objects.get(username="gridworker")
    assert worker.check_password(DEMO_PASSWORD) and worker.area.level == "grid"
    assert User.objects.get(username="unit").unit is not None
