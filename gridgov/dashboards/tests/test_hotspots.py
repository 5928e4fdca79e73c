"""Recurring problems on a known data set (docs/dashboards.md "Hot spots")."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from gridgov.cases import actions as case_actions
from gridgov.cases.models import Category
from gridgov.core.errors import DomainError
from gridgov.dashboards import actions, selectors
from gridgov.dashboards.hotspots import Point, clusters, distance_m
from gridgov.dashboards.models import Hotspot, HotspotRule
from gridgov.deliberation.models import Topic
from gridgov.projects.models import Project
from gridgov.testing.factories import make_tree, make_user, urgent_category

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=TZ)
# 1 m of latitude is 1/110540 degree; these points sit in grid 610302001001001 ([107.0, 107.05] × [34.0, 34.05]).
LAT, LNG = 34.01, 107.01
M = 1 / 110_540


def pt(i: int, metres_north: float, days: int = 0, code: str = "g") -> Point:
    return Point(i, LAT + metres_north * M, LNG, T0 + timedelta(days=days), code)


def test_distance_is_metres():
    assert distance_m(LAT, LNG, LAT + 100 * M, LNG) == pytest.approx(100, abs=0.01)
    east = 100 / (111_320 * 0.8290)  # cos(34.01°) ≈ 0.829
    assert distance_m(LAT, LNG, LAT, LNG + east) == pytest.approx(100, rel=0.001)


def test_clusters_chain_within_the_radius_and_need_the_minimum():
    points = [pt(1, 0), pt(2, 90), pt(3, 180), pt(4, 270), pt(5, 1000), pt(6, 1050), pt(7, 5000)]
    found = clusters(points, 100, 3)
    assert [c.ids for c in found] == [[1, 2, 3, 4]]  # chained 90 m apart; 5–6 are only two; 7 alone
    assert [c.ids for c in clusters(points, 100, 2)] == [[1, 2, 3, 4], [5, 6]]
    assert [c.ids for c in clusters(points, 80, 2)] == [[5, 6]]  # 90 m gaps break the chain
    big = found[0]
    assert big.radius_m == 135 and big.area_code == "g"
    assert clusters([], 100, 1) == []


def test_cells_do_not_miss_neighbours_across_a_cell_edge():
    # two points 99 m apart that fall in different cells are still joined
    base = 34.0 + 0.000905 * 10  # near a cell edge for a 100 m cell
    a = Point(1, base - 50 * M, LNG, T0, "g")
    b = Point(2, base + 49 * M, LNG, T0, "g")
    assert [c.ids for c in clusters([a, b], 100, 2)] == [[1, 2]]


@pytest.fixture
def place():
    tree = make_tree()
    urgent_category("garbage", "垃圾堆放", 1)
    urgent_category("road", "道路破损", 2)
    users = {
        "district": make_user(tree.admin, "dist", "district", area=tree["610302"]),
        "street2": make_user(tree.admin, "st2", "street", area=tree["610302002"]),
        "community": make_user(tree.admin, "comm", "community", area=tree["610302001001"]),
        "grid": make_user(tree.admin, "gw", "grid_worker", area=tree["610302001001001"]),
    }
    return tree, users


def report(admin, category: str, metres_north: float, when: datetime, lng: float = LNG) -> str:
    with time_machine.travel(when, tick=False):
        intake = case_actions.case_report(
            by=admin,
            category_code=category,
            description="楼下垃圾又堆满了",
            lng=lng,
            lat=LAT + metres_north * M,
            reporter_phone="13800138000",
        )
    return intake.case.ref


@pytest.mark.django_db
def test_detect_keep_update_and_quiet(place):
    tree, users = place
    admin = tree.admin
    # Window 30 days, radius 100 m, at least 3 cases (the default rule).
    for i, north in enumerate([0, 40, 80, 130]):  # chained within 100 m
        report(admin, "garbage", north, T0 + timedelta(days=i * 3))
    report(admin, "garbage", 2000, T0)  # far away: alone
    report(admin, "road", 10, T0)  # another category at the same place
    report(admin, "road", 20, T0)
    old = report(admin, "garbage", 20, T0 - timedelta(days=40))  # the window before: counted for the trend
    now = T0 + timedelta(days=12)
    assert actions.hotspots_detect(now=now) == {"found": 1, "updated": 0, "quiet": 0}
    spot = Hotspot.objects.get()
    assert (spot.category.code, spot.count, spot.previous_count, spot.area_code) == (
        "garbage",
        4,
        1,
        "610302001001001",
    )
    assert spot.first_at == T0 and spot.last_at == T0 + timedelta(days=9)
    assert old not in [c.ref for c in selectors.hotspot_cases(users["district"], spot)]
    row = selectors.hotspot_row(spot)
    assert (row["trend"], row["span_days"]) == ("up", 10)

    # A fifth report joins the same problem: it is updated, not found again.
    report(admin, "garbage", 60, now)
    assert actions.hotspots_detect(now=now + timedelta(hours=1)) == {"found": 0, "updated": 1, "quiet": 0}
    assert Hotspot.objects.get().count == 5

    # A category's own rule: road needs only 2 within 50 m.
    HotspotRule.objects.create(category=Category.objects.get(code="road"), radius_m=50, min_cases=2)
    assert actions.hotspots_detect(now=now + timedelta(hours=2))["found"] == 1

    # Forty days later nothing is reported any more: both go quiet and leave the lists.
    assert actions.hotspots_detect(now=now + timedelta(days=60))["quiet"] == 2
    assert list(selectors.hotspots(users["district"], "610302")) == []


@pytest.mark.django_db
def test_scope_and_turning_into_project_and_topic(place):
    tree, users = place
    for i, north in enumerate([0, 40, 80]):
        report(tree.admin, "garbage", north, T0 + timedelta(days=i))
    actions.hotspots_detect(now=T0 + timedelta(days=5))
    spot = Hotspot.objects.get()
    assert [h.pk for h in selectors.hotspots(users["community"], None)] == [spot.pk]
    assert list(selectors.hotspots(users["street2"], None)) == []
    with pytest.raises(DomainError) as refused:
        selectors.hotspot_get(users["street2"], spot.pk)
    assert refused.value.status == 404
    with pytest.raises(DomainError) as refused:
        actions.hotspot_to_project(by=users["grid"], hotspot=spot.pk)
    assert refused.value.status == 403  # grid workers see it but do not decide
    with pytest.raises(DomainError) as refused:
        actions.hotspot_to_project(by=users["street2"], hotspot=spot.pk)
    assert refused.value.status == 404

    done = actions.hotspot_to_project(by=users["community"], hotspot=spot.pk)
    project = Project.objects.get(pk=done.project_id)
    assert done.state == Hotspot.State.PROJECT and project.area_code == "610302001001"
    assert project.state == Project.State.DRAFT and "垃圾堆放" in project.title
    with pytest.raises(DomainError) as again:
        actions.hotspot_to_topic(by=users["community"], hotspot=spot.pk)
    assert again.value.status == 409

    steps = [(row["action"], row["label"]) for row in selectors.hotspot_timeline(spot)]
    assert steps == [("detect", "发现高发问题"), ("to_project", "转为项目")]
    # A new detection keeps the link.
    actions.hotspots_detect(now=T0 + timedelta(days=6))
    assert Hotspot.objects.get().project_id == project.pk


@pytest.mark.django_db
def test_topic(place):
    tree, users = place
    refs = [
        report(tree.admin, "garbage", north, T0 + timedelta(days=i)) for i, north in enumerate([0, 40, 80])
    ]
    actions.hotspots_detect(now=T0 + timedelta(days=5))
    done = actions.hotspot_to_topic(by=users["district"], hotspot=Hotspot.objects.get().pk)
    topic = Topic.objects.get(ref=done.topic_ref)
    assert topic.case.ref == refs[-1] and topic.area_code == "610302001001"
    for ref in refs:
        assert ref in topic.description
