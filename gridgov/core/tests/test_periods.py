"""Reporting periods: every kind, its key and bounds in Beijing time, the previous period, refusals."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from gridgov.core.errors import DomainError
from gridgov.core.periods import Period

TZ = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("kind", "day", "key", "start", "end"),
    [
        ("day", date(2026, 3, 5), "2026-03-05", date(2026, 3, 5), date(2026, 3, 5)),
        ("week", date(2026, 3, 5), "2026-W10", date(2026, 3, 2), date(2026, 3, 8)),
        ("week", date(2027, 1, 1), "2026-W53", date(2026, 12, 28), date(2027, 1, 3)),  # ISO year
        ("month", date(2026, 2, 14), "2026-02", date(2026, 2, 1), date(2026, 2, 28)),
        ("month", date(2028, 2, 29), "2028-02", date(2028, 2, 1), date(2028, 2, 29)),
        ("month", date(2026, 12, 31), "2026-12", date(2026, 12, 1), date(2026, 12, 31)),
        ("quarter", date(2026, 5, 1), "2026-Q2", date(2026, 4, 1), date(2026, 6, 30)),
        ("half", date(2026, 7, 1), "2026-H2", date(2026, 7, 1), date(2026, 12, 31)),
        ("year", date(2026, 7, 1), "2026", date(2026, 1, 1), date(2026, 12, 31)),
    ],
)
def test_each_kind_of_period(kind, day, key, start, end):
    period = Period.of(kind, day)
    assert (period.key, period.start, period.end) == (key, start, end)
    assert Period.parse(key) == period
    assert period.begin == datetime(start.year, start.month, start.day, tzinfo=TZ)
    assert period.finish == datetime.combine(end, datetime.min.time(), tzinfo=TZ) + timedelta(days=1)


def test_bounds_are_local_midnights_and_the_end_is_exclusive():
    march = Period.parse("2026-03")
    assert march.begin == datetime(2026, 3, 1, tzinfo=TZ)
    assert march.finish == datetime(2026, 4, 1, tzinfo=TZ)
    assert march.days == 31
    assert march.cutoff(datetime(2026, 3, 10, tzinfo=TZ)) == datetime(2026, 3, 10, tzinfo=TZ)
    assert march.cutoff(datetime(2026, 5, 1, tzinfo=TZ)) == march.finish


def test_previous_periods():
    assert Period.parse("2026-01").previous().key == "2025-12"
    assert Period.parse("2026-Q1").previous().key == "2025-Q4"
    assert Period.parse("2026-H1").previous().key == "2025-H2"
    assert Period.parse("2026-W01").previous().key == "2025-W52"
    assert Period.parse("2026").previous().key == "2025"
    assert Period.parse("2026-03-01").previous().key == "2026-02-28"
    custom = Period.parse("2026-03-01..2026-03-10")
    assert custom.kind == "custom" and custom.days == 10
    assert custom.previous().key == "2026-02-19..2026-02-28"


@pytest.mark.parametrize(
    "key",
    [
        "",
        "2026-13",
        "2026-Q5",
        "2026-H3",
        "2026-W54",
        "26-03",
        "2026-02-30",
        "march",
        "2026-03-10..2026-03-01",
        "2020-01-01..2026-01-01",
    ],
)
def test_refusals_name_the_field(key):
    with pytest.raises(DomainError) as caught:
        Period.parse(key, field="period")
    assert caught.value.field == "period"


@pytest.mark.django_db
def test_working_days_follow_the_calendar():
    # Without a configured year the calendar counts Monday–Friday (docs/calendar.md); with one, its holidays.
    from gridgov.core.calendar import calendar_set_day
    from gridgov.testing.factories import make_admin

    period = Period.parse("2026-03")
    assert period.working_days() == 22  # March 2026, Monday–Friday
    admin = make_admin()
    calendar_set_day(by=admin, day=date(2026, 3, 2), is_workday=False, name="调休")
    calendar_set_day(by=admin, day=date(2026, 3, 7), is_workday=True, name="调休上班")
    assert period.working_days() == 22  # one weekday off, one Saturday worked
    calendar_set_day(by=admin, day=date(2026, 3, 3), is_workday=False, name="放假")
    assert period.working_days() == 21
