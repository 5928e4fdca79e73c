"""Coverage per grid and community on a known data set, and the on-time definition day by day."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from gridgov.core.errors import DomainError
from gridgov.ledger.actions import tag_assign
from gridgov.visits import selectors
from gridgov.visits.selectors import on_time
from gridgov.visits.tests.conftest import TODAY, record, set_created

D = date(2026, 11, 1)


def d(n: int) -> date:
    return D + timedelta(days=n - 1)  # d(1) = 1 November


@pytest.mark.parametrize(
    ("since", "visits", "expected"),
    [
        (d(1), [d(8), d(15), d(22)], True),  # every due date met exactly
        (d(1), [d(9)], False),  # one day late: overdue on the 9th
        (d(1), [d(8), d(16)], False),
        (d(20), [], True),  # subject since the 20th, due on the 27th: not overdue by the 23rd
        (d(10), [], False),  # due on the 17th, never visited
        (date(2026, 10, 1), [date(2026, 10, 28), d(4), d(11), d(18)], True),  # anchor before the period
        (date(2026, 10, 1), [date(2026, 10, 20)], False),  # overdue since 28 October
        (d(30), [], True),  # subject only after the period
    ],
)
def test_on_time_day_by_day(since, visits, expected):
    assert on_time(since, 7, visits, d(1), d(23)) is expected


def test_late_visit_before_the_period_does_not_count_against_it():
    # Late in October (due 8 Oct, visited 20 Oct), then on time through November.
    assert on_time(
        date(2026, 10, 1), 7, [date(2026, 10, 20), date(2026, 10, 27), d(3), d(10), d(17)], d(1), d(23)
    )


@pytest.fixture
def data(world):
    """grid 111: h1 (living alone since 1 Oct, visited every 7 days: on time), h2 (needy since 1 Oct,
    visited 20 Oct and 22 Nov: late), h3 (no tag, visited 5 Nov); grid 112: h4 (living alone since 20 Nov,
    never visited: due 27 Nov, on time so far); h5 in the other street."""
    tag_assign(
        by=world.admin, tag="living_alone", resident=world.h1.head, reason="独居", since=date(2026, 10, 1)
    )
    tag_assign(by=world.admin, tag="needy", household=world.h2, reason="低保", since=date(2026, 10, 1))
    tag_assign(by=world.admin, tag="living_alone", resident=world.h4.head, reason="独居", since=d(20))
    tag_assign(by=world.admin, tag="needy", household=world.h5, reason="低保", since=date(2026, 10, 1))
    for day in (date(2026, 10, 28), d(4), d(11), d(18)):
        record(world, world.h1, day)
    record(world, world.h2, date(2026, 10, 20))
    record(world, world.h2, d(22))
    record(world, world.h3, d(5))
    record(world, world.h5, d(5), by=world.other_street)
    return world


def test_coverage_of_a_community_by_grid(data):
    result = selectors.coverage(data.community, area="610302001001", start=d(1), end=d(23), group_by="child")
    assert result["totals"] == {
        "households": 4,
        "visited": 3,
        "coverage": 0.75,
        "must_households": 3,
        "must_on_time": 2,
        "must_on_time_rate": 0.6667,
    }
    groups = {g["code"]: g for g in result["groups"]}
    assert set(groups) == {"610302001001001", "610302001001002"}
    g111, g112 = groups["610302001001001"], groups["610302001001002"]
    assert (g111["households"], g111["visited"], g111["must_households"], g111["must_on_time"]) == (
        3,
        3,
        2,
        1,
    )
    assert (g112["households"], g112["visited"], g112["must_households"], g112["must_on_time"]) == (
        1,
        0,
        1,
        1,
    )
    assert g112["coverage"] == 0.0 and g111["name"] == "网格1-1-1"


def test_coverage_of_the_district_by_street_and_the_future_part_of_a_period(data):
    result = selectors.coverage(data.district, start=d(1), end=d(30), group_by="child")
    assert result["area"] == "610302"
    streets = {g["code"]: g for g in result["groups"]}
    assert streets["610302001"]["households"] == 4 and streets["610302002"]["visited"] == 1
    # h5: needy since 1 Oct, visited 5 Nov only: overdue since 31 Oct
    assert streets["610302002"]["must_households"] == 1 and streets["610302002"]["must_on_time"] == 0
    # the days after today are not judged yet: h4 (due 27 Nov) still counts as on time
    assert streets["610302001"]["must_on_time"] == 2
    assert d(23) == TODAY


def test_coverage_of_an_earlier_period(data):
    assert (
        selectors.coverage(data.community, start=date(2026, 10, 1), end=date(2026, 10, 31))["totals"][
            "households"
        ]
        == 0
    )  # households registered after the period are not counted in it
    for h in (data.h1, data.h2, data.h3, data.h4):
        set_created(h, date(2026, 9, 1))
    result = selectors.coverage(
        data.community, area="610302001001", start=date(2026, 10, 1), end=date(2026, 10, 31)
    )
    totals = result["totals"]
    # h4's tag starts in November: not a must-visit household in October. h2 (needy since 1 Oct, visited
    # 20 Oct: next due 19 Nov) is on time in October; h1 (living alone since 1 Oct, first visit 28 Oct) is not.
    assert (totals["households"], totals["visited"], totals["must_households"], totals["must_on_time"]) == (
        4,
        2,
        2,
        1,
    )
    assert result["groups"] == []


def test_coverage_scope_and_input(data):
    with pytest.raises(DomainError) as exc:
        selectors.coverage(data.worker, area="610302001001", start=d(1), end=d(23))
    assert exc.value.status == 404 and exc.value.field == "area"
    mine = selectors.coverage(data.worker, start=d(1), end=d(23))
    assert mine["area"] == "610302001001001" and mine["totals"]["households"] == 3
    with pytest.raises(DomainError) as exc:
        selectors.coverage(data.community, start=d(23), end=d(1))
    assert exc.value.field == "end"
    with pytest.raises(DomainError) as exc:
        selectors.coverage(data.community, start=d(1), end=d(2), group_by="unit")
    assert exc.value.field == "group_by"
    with pytest.raises(DomainError) as exc:
        selectors.coverage(data.resident, start=d(1), end=d(2))
    assert exc.value.status == 403


def test_coverage_counts_in_a_constant_number_of_queries(data, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        selectors.coverage(data.district, start=d(1), end=d(23), group_by="child")
