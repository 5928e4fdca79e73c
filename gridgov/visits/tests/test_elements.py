"""The visit data elements on a hand-counted October: every count by grid and by community, the period's
edges, the rows behind each count, the same figures as the coverage page (also over many generated visit
patterns), and one grouped query whatever the number of groups."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

import pytest

from gridgov.core import elements
from gridgov.core.elements import Basis, Grouping
from gridgov.core.periods import Period, PeriodKind
from gridgov.ledger.actions import household_create, resident_create, resident_move_out, tag_assign
from gridgov.ledger.models import Household
from gridgov.visits import selectors
from gridgov.visits.models import Visit
from gridgov.visits.tests.conftest import GRID_111, GRID_112, GRID_211, T0, TZ, record, set_created

COMMUNITY_11, COMMUNITY_21 = GRID_111[:12], GRID_211[:12]
OCTOBER = Period.of(PeriodKind.MONTH, date(2026, 10, 1))
NOVEMBER = Period.of(PeriodKind.MONTH, date(2026, 11, 1))
NAMES = [f"visits.{n}" for n in ("households", "households_visited", "must_visit", "must_visit_on_time")]
BY_GRID = Grouping.areas(["610302"], 15)
BY_COMMUNITY = Grouping.areas(["610302"], 12)


def oct_(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 10, day, hour, tzinfo=TZ)


@pytest.fixture
def data(world):
    """October 2026 (judged to the 31st; the clock stands on 23 November):

    grid 111 — h1: its head lives alone (7 days) since 1 Sep, visited 28 Sep and every 7 days to 26 Oct,
    again at 00:00 on 1 Nov: must, on time, visited. h2: needy household (30 days) since 1 Sep, visited
    20 Sep and 25 Oct (due 20 Oct): must, late, visited. h3: no tag of its own, a member who moved out
    lives alone, the household is needy only from 5 Nov; visited at 23:59:59 on 31 Oct: visited, not must.
    grid 112 — h4: its head an old party member (90 days) since 20 Oct, never visited (due 18 Jan): must,
    on time; a visit at 00:00 on 1 Nov belongs to November. h7: registered in November: not counted.
    grid 211 — h5: its head lives alone since 1 Sep, never visited: must, late.
    An inactive household with a tag and a visit counts nowhere."""
    admin = world.admin
    for h in (world.h1, world.h2, world.h3, world.h4, world.h5):
        set_created(h, date(2026, 1, 1))
    tag_assign(by=admin, tag="living_alone", resident=world.h1.head, reason="独居", since=date(2026, 9, 1))
    tag_assign(by=admin, tag="needy", household=world.h2, reason="低保", since=date(2026, 9, 1))
    gone = resident_create(by=admin, household=world.h3, name="钱大爷", relation="other")
    tag_assign(by=admin, tag="living_alone", resident=gone, reason="独居", since=date(2026, 9, 1))
    resident_move_out(by=admin, resident=gone, reason="迁出")
    tag_assign(by=admin, tag="needy", household=world.h3, reason="低保", since=date(2026, 11, 5))
    tag_assign(
        by=admin, tag="old_party_member", resident=world.h4.head, reason="老党员", since=date(2026, 10, 20)
    )
    tag_assign(by=admin, tag="living_alone", resident=world.h5.head, reason="独居", since=date(2026, 9, 1))
    for day in (datetime(2026, 9, 28, 10, tzinfo=TZ), *(oct_(d) for d in (5, 12, 19, 26))):
        record(world, world.h1, day)
    record(world, world.h1, datetime(2026, 11, 1, 0, 0, tzinfo=TZ))
    record(world, world.h2, datetime(2026, 9, 20, 10, tzinfo=TZ))
    record(world, world.h2, oct_(25))
    record(world, world.h3, datetime(2026, 10, 31, 23, 59, 59, tzinfo=TZ))
    record(world, world.h4, datetime(2026, 11, 1, 0, 0, tzinfo=TZ), by=world.worker2)
    h7 = household_create(by=admin, building=world.h4.building.code, unit="1", room="301")
    closed = household_create(by=admin, building=world.h1.building.code, unit="1", room="401")
    set_created(closed, date(2026, 1, 1))
    tag_assign(by=admin, tag="needy", household=closed, reason="低保", since=date(2026, 9, 1))
    record(world, closed, oct_(10))
    Household.objects.filter(pk=closed.pk).update(is_active=False)
    world.h7 = h7
    return world


def counted(grouping: Grouping, period: Period = OCTOBER) -> dict:
    counts = elements.count(NAMES, grouping, period, Basis(now=T0))
    return {name.split(".")[1]: {key: counts[name].get(key, 0) for key in keys(grouping)} for name in NAMES}


def keys(grouping: Grouping) -> list[str]:
    if grouping.length == 15:
        return [GRID_111, GRID_112, GRID_211]
    return [COMMUNITY_11, COMMUNITY_21]


def test_every_visit_element_by_grid(data):
    assert counted(BY_GRID) == {
        "households": {GRID_111: 3, GRID_112: 1, GRID_211: 1},
        "households_visited": {GRID_111: 3, GRID_112: 0, GRID_211: 0},
        "must_visit": {GRID_111: 2, GRID_112: 1, GRID_211: 1},
        "must_visit_on_time": {GRID_111: 1, GRID_112: 1, GRID_211: 0},
    }


def test_every_visit_element_by_community(data):
    assert counted(BY_COMMUNITY) == {
        "households": {COMMUNITY_11: 4, COMMUNITY_21: 1},
        "households_visited": {COMMUNITY_11: 3, COMMUNITY_21: 0},
        "must_visit": {COMMUNITY_11: 3, COMMUNITY_21: 1},
        "must_visit_on_time": {COMMUNITY_11: 2, COMMUNITY_21: 0},
    }


def test_a_pool_counts_only_its_own_areas(data):
    counts = elements.count(NAMES, Grouping.areas([COMMUNITY_21], 15), OCTOBER, Basis(now=T0))
    assert counts["visits.households"] == {GRID_211: 1}
    assert counts["visits.must_visit"] == {GRID_211: 1}
    assert counts["visits.households_visited"] == {}


def test_a_running_period_is_judged_to_today(data):
    """November, judged to the 23rd: h1's last visit (1 Nov) made it due on the 8th: late. h2's (25 Oct)
    makes it due on the 24th: on time so far. h3 is needy from the 5th, due 5 Dec: on time. h4 (due 18 Jan)
    on time; h7 now counts; the 00:00 visits of 1 Nov are in."""
    assert counted(BY_GRID, NOVEMBER) == {
        "households": {GRID_111: 3, GRID_112: 2, GRID_211: 1},
        "households_visited": {GRID_111: 1, GRID_112: 1, GRID_211: 0},
        "must_visit": {GRID_111: 3, GRID_112: 1, GRID_211: 1},
        "must_visit_on_time": {GRID_111: 2, GRID_112: 1, GRID_211: 0},
    }


def test_the_period_edges(data):
    """A visit at 00:00 of the day after the end is out; one at 23:59:59 of the last day is in."""
    day = Period.of(PeriodKind.DAY, date(2026, 10, 31))
    counts = elements.count(["visits.households_visited"], BY_GRID, day, Basis(now=T0))
    assert counts["visits.households_visited"] == {GRID_111: 1}  # h3, at 23:59:59
    first = Period.of(PeriodKind.DAY, date(2026, 11, 1))
    counts = elements.count(["visits.households_visited"], BY_GRID, first, Basis(now=T0))
    assert counts["visits.households_visited"] == {GRID_111: 1, GRID_112: 1}  # h1 and h4 at 00:00


def test_the_rows_are_the_households_counted(data):
    basis = Basis(now=T0)

    def ids(name: str, key: str, grouping: Grouping = BY_GRID) -> set[int]:
        return {h.pk for h in elements.rows(name, grouping, key, OCTOBER, basis)}

    assert ids("visits.households", GRID_111) == {data.h1.pk, data.h2.pk, data.h3.pk}
    assert ids("visits.households_visited", GRID_111) == {data.h1.pk, data.h2.pk, data.h3.pk}
    assert ids("visits.must_visit", GRID_111) == {data.h1.pk, data.h2.pk}
    assert ids("visits.must_visit_on_time", GRID_111) == {data.h1.pk}
    assert ids("visits.must_visit", COMMUNITY_11, BY_COMMUNITY) == {data.h1.pk, data.h2.pk, data.h4.pk}
    assert ids("visits.must_visit_on_time", GRID_211) == set()
    assert ids("visits.households", "610302") == set()  # not a group of a pool of grids
    for name in NAMES:  # the rows are exactly as many as the count
        for key, n in elements.count([name], BY_GRID, OCTOBER, basis)[name].items():
            assert elements.rows(name, BY_GRID, key, OCTOBER, basis).count() == n


def test_a_row_is_described_by_its_address_label_only(data):
    row = elements.rows("visits.must_visit", BY_GRID, GRID_112, OCTOBER, Basis(now=T0)).get()
    described = elements.describe("visits.must_visit", row)
    assert described == {
        "ref": str(data.h4.pk),
        "url": f"/ledger/households/{data.h4.pk}/",
        "title": "B号楼1单元101室",
        "state": "",
        "at": None,
    }
    assert "孙大爷" not in str(described)


@pytest.mark.parametrize("period", [OCTOBER, NOVEMBER])
def test_the_elements_answer_as_the_coverage_page(data, period):
    for area, grouping in (("610302001001", BY_GRID), ("610302", Grouping.areas(["610302"], 9))):
        page = selectors.coverage(
            data.district, area=area, start=period.start, end=period.end, group_by="child", today=T0.date()
        )
        counts = elements.count(NAMES, grouping, period, Basis(now=T0))
        for group in page["groups"]:
            assert _figures(counts, group["code"]) == _page(group), group["code"]


def _figures(counts: dict, key: str) -> tuple:
    return tuple(counts[name].get(key, 0) for name in NAMES)


def _page(group: dict) -> tuple:
    return (group["households"], group["visited"], group["must_households"], group["must_on_time"])


def test_the_must_visit_counts_answer_as_the_coverage_page_on_many_visit_patterns(world):
    """Forty households in the two grids of community 1-1 under one, two or three tag rules (7, 30, 90
    days), tagged on various days, visited at random over half a year: every week, month and the quarter
    by grid, against the coverage selector's walk over the same rows."""
    rng = random.Random(20261123)
    admin = world.admin
    tags = ("living_alone", "needy", "old_party_member")
    buildings = [world.h1.building, world.h4.building]
    start = date(2026, 5, 1)
    visits = []
    for n in range(40):
        building = buildings[n % 2]
        h = household_create(by=admin, building=building.code, unit="9", room=f"{n + 1:03d}")
        set_created(h, start - timedelta(days=rng.randint(0, 60)))
        head = resident_create(by=admin, household=h, name=f"住户{n}", relation="head")
        for tag in rng.sample(tags, rng.randint(1, 3)):
            since = start + timedelta(days=rng.randint(-40, 170))
            on = {"household": h} if tag == "needy" else {"resident": head}
            tag_assign(by=admin, tag=tag, reason="测试", since=since, **on)
        day = start - timedelta(days=rng.randint(0, 30))
        while day < T0.date():
            if rng.random() < 0.8:
                moment = datetime.combine(day, time(rng.choice((0, 9, 23))), tzinfo=TZ)
                visits.append(Visit(household=h, area_code=h.area_code, visited_at=moment, recorded_by=admin))
            day += timedelta(days=rng.choice((3, 6, 7, 8, 20, 29, 31, 45)))
    Visit.objects.bulk_create(visits)
    periods = [Period.of(PeriodKind.WEEK, date(2026, 9, 7) + timedelta(weeks=w)) for w in range(12)]
    periods += [Period.of(PeriodKind.MONTH, date(2026, m, 1)) for m in range(6, 12)]
    periods += [Period.of(PeriodKind.QUARTER, date(2026, 8, 1)), Period.of(PeriodKind.QUARTER, T0.date())]
    checked = 0
    for period in periods:
        page = selectors.coverage(
            world.district,
            area=COMMUNITY_11,
            start=period.start,
            end=period.end,
            group_by="child",
            today=T0.date(),
        )
        counts = elements.count(NAMES, BY_GRID, period, Basis(now=T0))
        for group in page["groups"]:
            assert _figures(counts, group["code"]) == _page(group), (period.key, group["code"])
            checked += group["must_households"] - group["must_on_time"]
    assert checked > 20  # the patterns do hold late households


def test_counting_every_visit_element_is_one_query(data, django_assert_num_queries):
    basis = Basis(now=T0)
    for grouping in (BY_GRID, BY_COMMUNITY, Grouping.areas(["610302"], 6)):
        with django_assert_num_queries(1):
            elements.count(NAMES, grouping, OCTOBER, basis)


def test_the_visit_elements_are_registered_by_area_only():
    for name in NAMES:
        element = elements.element(name)
        assert element is not None and element.kinds == frozenset({"area"}), name
        assert element.model == "ledger.Household"
    assert elements.element("visits.households").stock
    assert elements.count(NAMES, Grouping.of_units([1]), OCTOBER, Basis(now=T0)) == {n: {} for n in NAMES}
