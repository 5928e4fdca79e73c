"""The micro-wish data elements on a hand-counted November: published, fulfilled and fulfilled in time, by
grid and by community; the period's edges; the rows behind each count; one grouped query."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from gridgov.core import elements
from gridgov.core.elements import Basis, Grouping
from gridgov.core.periods import Period, PeriodKind
from gridgov.wishes import actions
from gridgov.wishes.sweep import wishes_sweep

from .conftest import COMMUNITY, GRID, OTHER_COMMUNITY, TZ, submit

OTHER_GRID = OTHER_COMMUNITY + "001"
NOVEMBER = Period.of(PeriodKind.MONTH, date(2026, 11, 1))
NAMES = ["wishes.posted", "wishes.fulfilled", "wishes.fulfilled_in_time"]
BY_GRID = Grouping.areas(["610302"], 15)
BY_COMMUNITY = Grouping.areas(["610302"], 12)
NOW = datetime(2026, 12, 10, 9, 0, tzinfo=TZ)


def nov(day: int, hour: int = 9, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, second, tzinfo=TZ)


@pytest.fixture
def data(world, clock):
    """Grid 111: w1 published 2 Nov, claimed and fulfilled the same day (in time); w2 left unclaimed past
    its one-day claim limit and flagged by the sweep, then fulfilled (late); w3 claimed after its claim
    deadline, no sweep run (late); w4 fulfilled after its one-day fulfil limit, no sweep run (late); w5
    published at 23:59:59 on 30 Nov, still on the wall; w6 published at 00:00 on 1 Dec (December's); w7
    rejected; w8 moved to the needs list; w11 published in October, fulfilled in November (October's).
    Community 1-1 itself: w9, claimed by a unit and fulfilled in time. Grid 211: w10 fulfilled in time and
    confirmed."""
    refs = {}

    def publish(name, when, area=GRID, vetter=None, **kw):
        clock.move_to(when)
        wish = submit(world, area=area)
        refs[name] = actions.wish_publish(ref=wish.ref, by=vetter or world.community, **kw).ref
        return refs[name]

    def claim(ref, when, by=None):
        clock.move_to(when)
        actions.wish_claim(ref=ref, by=by or world.volunteer)

    def fulfil(ref, when, by=None):
        clock.move_to(when)
        actions.wish_fulfil(ref=ref, by=by or world.volunteer, note="已送到")

    publish("w11", datetime(2026, 10, 28, 9, tzinfo=TZ))
    claim(refs["w11"], datetime(2026, 10, 28, 10, tzinfo=TZ))
    fulfil(refs["w11"], nov(2, 8))
    w1 = publish("w1", nov(2))
    claim(w1, nov(2, 10))
    fulfil(w1, nov(2, 16))
    w2 = publish("w2", nov(2), claim_limit_days=1)
    clock.move_to(nov(4))
    assert wishes_sweep(nov(4)) == {"warned": 0, "overdue": 1}
    claim(w2, nov(4, 10))
    fulfil(w2, nov(4, 16))
    w3 = publish("w3", nov(5), claim_limit_days=1)
    claim(w3, nov(9, 10))
    fulfil(w3, nov(9, 16))
    w4 = publish("w4", nov(5), fulfil_limit_days=1)
    claim(w4, nov(5, 10))
    fulfil(w4, nov(9, 16))
    publish("w5", nov(30, 23, 59, 59))
    publish("w6", datetime(2026, 12, 1, 0, 0, tzinfo=TZ))
    clock.move_to(nov(6))
    actions.wish_reject(ref=submit(world).ref, by=world.community, reason="不属于微心愿")
    w8 = publish("w8", nov(10))
    actions.wish_to_need(ref=w8, by=world.community, reason="需要立项")
    w9 = publish("w9", nov(10), area=COMMUNITY)
    claim(w9, nov(10, 10), by=world.handler)
    fulfil(w9, nov(11), by=world.handler)
    w10 = publish("w10", nov(10), area=OTHER_GRID, vetter=world.other_community)
    claim(w10, nov(10, 10), by=world.volunteer2)
    fulfil(w10, nov(11), by=world.volunteer2)
    clock.move_to(nov(12))
    actions.wish_confirm(ref=w10, by=world.resident, rating="satisfied")
    clock.move_to(NOW)
    world.refs = refs
    return world


def counted(grouping: Grouping, period: Period = NOVEMBER) -> dict:
    counts = elements.count(NAMES, grouping, period, Basis(now=NOW))
    keys = [GRID, OTHER_GRID] if grouping.length == 15 else [COMMUNITY, OTHER_COMMUNITY]
    return {name.split(".")[1]: {k: counts[name].get(k, 0) for k in keys} for name in NAMES}


def test_every_wish_element_by_grid(data):
    assert counted(BY_GRID) == {
        "posted": {GRID: 5, OTHER_GRID: 1},
        "fulfilled": {GRID: 4, OTHER_GRID: 1},
        "fulfilled_in_time": {GRID: 1, OTHER_GRID: 1},
    }


def test_every_wish_element_by_community(data):
    assert counted(BY_COMMUNITY) == {
        "posted": {COMMUNITY: 6, OTHER_COMMUNITY: 1},
        "fulfilled": {COMMUNITY: 5, OTHER_COMMUNITY: 1},
        "fulfilled_in_time": {COMMUNITY: 2, OTHER_COMMUNITY: 1},
    }


def test_the_period_edges(data):
    last_day = Period.of(PeriodKind.DAY, date(2026, 11, 30))
    next_day = Period.of(PeriodKind.DAY, date(2026, 12, 1))
    assert elements.count(NAMES, BY_GRID, last_day, Basis(now=NOW))["wishes.posted"] == {GRID: 1}  # w5
    assert elements.count(NAMES, BY_GRID, next_day, Basis(now=NOW))["wishes.posted"] == {GRID: 1}  # w6
    october = Period.of(PeriodKind.MONTH, date(2026, 10, 1))
    counts = elements.count(NAMES, BY_GRID, october, Basis(now=NOW))
    assert counts["wishes.posted"] == {GRID: 1} and counts["wishes.fulfilled_in_time"] == {GRID: 1}  # w11


def test_the_rows_are_the_wishes_counted(data):
    refs = data.refs

    def named(name: str, key: str, grouping: Grouping = BY_GRID) -> list[str]:
        by_ref = {v: k for k, v in refs.items()}
        return [by_ref[w.ref] for w in elements.rows(name, grouping, key, NOVEMBER, Basis(now=NOW))]

    assert named("wishes.posted", GRID) == ["w1", "w2", "w3", "w4", "w5"]
    assert named("wishes.fulfilled", GRID) == ["w1", "w2", "w3", "w4"]
    assert named("wishes.fulfilled_in_time", GRID) == ["w1"]
    assert named("wishes.fulfilled_in_time", COMMUNITY, BY_COMMUNITY) == ["w1", "w9"]
    assert named("wishes.posted", COMMUNITY) == []  # not a grid of the pool
    row = elements.rows("wishes.fulfilled_in_time", BY_GRID, OTHER_GRID, NOVEMBER, Basis(now=NOW)).get()
    described = elements.describe("wishes.fulfilled_in_time", row)
    assert described == {
        "ref": refs["w10"],
        "url": f"/wishes/{refs['w10']}/",
        "title": "给独居的奶奶送一台收音机",
        "state": "已确认",
        "at": nov(10),
    }
    assert "李居民" not in str(described)


def test_counting_every_wish_element_is_one_query(data, django_assert_num_queries):
    for grouping in (BY_GRID, BY_COMMUNITY, Grouping.areas(["610302001"], 15)):
        with django_assert_num_queries(1):
            elements.count(NAMES, grouping, NOVEMBER, Basis(now=NOW))


def test_the_wish_elements_are_registered_by_area():
    for name in NAMES:
        assert elements.element(name).kinds == frozenset({"area"})
        assert elements.element(name).model == "wishes.Wish"
