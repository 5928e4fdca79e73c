"""The working-day calendar: package data, overrides, unknown years, the three limit units, the import.

Expected datetimes come from chinesecalendar's 2025/2026 data:
National Day 2025 is off Wed 10-01 … Wed 10-08, with adjusted workdays Sun 09-28 and Sat 10-11;
Spring Festival 2026 is off Sun 02-15 … Mon 02-23, with adjusted workdays Sat 02-14 and Sat 02-28.
Working windows are the defaults 09:00–12:00 and 13:30–17:30 (7 hours a day).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import transaction
from django.template import engines
from django.test import RequestFactory
from django.utils import timezone

from gridgov.core import calendar
from gridgov.core.calendar import (
    Deadline,
    add_limit,
    calendar_clear_day,
    calendar_configure_year,
    calendar_import_year,
    calendar_set_day,
    calendar_unconfigure_year,
    elapsed_fraction,
    is_workday,
    unknown_years,
    working_seconds_between,
    years_needing_configuration,
)
from gridgov.core.context_processors import calendar_warnings
from gridgov.core.errors import DomainError
from gridgov.core.models import AuditEntry, CalendarDay, CalendarYear
from gridgov.core.signals import calendar_year_configured
from gridgov.testing.factories import make_admin, make_tree, make_user

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
HOUR = 3600


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SH)


@pytest.fixture(autouse=True)
def _fresh_calendar():
    # Each test starts like a new process; the stamp check itself is tested below.
    calendar.invalidate()
    yield
    calendar.invalidate()


@pytest.fixture
def admin():
    return make_admin()


@pytest.fixture
def configured_years():
    received: list[int] = []

    def receiver(sender, year, **kwargs):
        received.append(year)

    calendar_year_configured.connect(receiver, weak=False, dispatch_uid="test-calendar-receiver")
    yield received
    calendar_year_configured.disconnect(dispatch_uid="test-calendar-receiver")


def nothing_written():
    return (
        not CalendarDay.objects.exists()
        and not CalendarYear.objects.exists()
        and not AuditEntry.objects.filter(verb__startswith="calendar.").exists()
    )


# --- the package's data -----------------------------------------------------------------------------------


def test_package_years_come_from_its_data():
    assert (calendar.PACKAGE_FIRST_YEAR, calendar.PACKAGE_LAST_YEAR) == (2004, 2026)


def test_national_day_2025_and_its_adjusted_workdays():
    for day in range(1, 9):
        assert is_workday(date(2025, 10, day)) == (False, False)
    assert is_workday(date(2025, 9, 28)) == (True, False)  # Sunday, adjusted workday
    assert is_workday(date(2025, 10, 11)) == (True, False)  # Saturday, adjusted workday
    assert is_workday(date(2025, 10, 12)) == (False, False)  # ordinary Sunday
    assert is_workday(date(2025, 9, 29)) == (True, False)


def test_spring_festival_2026_and_its_adjusted_workdays():
    for day in range(15, 24):
        assert is_workday(date(2026, 2, day)) == (False, False)
    assert is_workday(date(2026, 2, 14)) == (True, False)  # Saturday
    assert is_workday(date(2026, 2, 28)) == (True, False)  # Saturday
    assert is_workday(date(2026, 2, 24)) == (True, False)


def test_is_workday_takes_a_datetime_at_its_local_date():
    # 2025-09-30 20:00 UTC is 2025-10-01 04:00 in Shanghai: National Day.
    assert is_workday(datetime(2025, 9, 30, 20, 0, tzinfo=UTC)) == (False, False)


# --- urgent hours -------------------------------------------------------------------------------------------


def test_urgent_hours_run_through_national_day():
    assert add_limit(at("2025-09-30 16:00"), 24, "urgent_hours") == Deadline(at("2025-10-01 16:00"), False)
    assert add_limit(at("2025-09-30 16:00"), Decimal("1.5"), "urgent_hours").due == at("2025-09-30 17:30")


def test_urgent_hours_run_through_spring_festival():
    assert add_limit(at("2026-02-13 18:00"), 72, "urgent_hours") == Deadline(at("2026-02-16 18:00"), False)


def test_due_is_in_shanghai_time():
    due = add_limit(datetime(2025, 9, 29, 1, 0, tzinfo=UTC), 1, "working_hours").due
    assert due == at("2025-09-29 10:00")
    assert due.utcoffset() == timedelta(hours=8)


# --- working hours ------------------------------------------------------------------------------------------


def test_working_hours_skip_national_day():
    # Tue 09-30 16:00–17:30 is 1.5 h; 10-01…10-08 off; Thu 10-09 09:00–12:00 3 h, 13:30–17:00 3.5 h.
    assert add_limit(at("2025-09-30 16:00"), 8, "working_hours") == Deadline(at("2025-10-09 17:00"), False)


def test_working_hours_count_the_adjusted_saturday_after_national_day():
    # Fri 10-10 17:00–17:30, then Sat 10-11 (a workday) 09:00–10:30.
    assert add_limit(at("2025-10-10 17:00"), 2, "working_hours").due == at("2025-10-11 10:30")


def test_working_hours_across_spring_festival_count_the_adjusted_saturday():
    # Fri 02-13 15:00–17:30 2.5 h; Sat 02-14 (a workday) 7 h; 02-15…02-23 off; Tue 02-24 09:00–09:30.
    assert add_limit(at("2026-02-13 15:00"), 10, "working_hours") == Deadline(at("2026-02-24 09:30"), False)


@pytest.mark.parametrize(
    ("start", "hours", "due"),
    [
        ("2025-09-29 11:00", 2, "2025-09-29 14:30"),  # across the lunch break
        ("2025-09-29 09:00", 3, "2025-09-29 12:00"),  # used up exactly at a window's end
        ("2025-09-29 17:00", 1, "2025-09-30 09:30"),  # overnight
        ("2025-09-29 07:00", 1, "2025-09-29 10:00"),  # before hours
        ("2025-09-29 12:30", 1, "2025-09-29 14:30"),  # during lunch
        ("2025-09-29 20:00", 1, "2025-09-30 10:00"),  # after hours
        ("2025-10-03 10:00", 1, "2025-10-09 10:00"),  # on a holiday
        ("2025-09-27 10:00", 1, "2025-09-28 10:00"),  # on a Saturday before the adjusted Sunday
        ("2025-09-29 09:00", Decimal("0.25"), "2025-09-29 09:15"),
        ("2025-09-29 11:00", 1.5, "2025-09-29 14:00"),
    ],
)
def test_working_hours(start, hours, due):
    assert add_limit(at(start), hours, "working_hours") == Deadline(at(due), False)


def test_working_hours_follow_the_configured_windows(settings):
    settings.WORK_HOURS = "08:30-12:00,14:00-18:00"
    assert add_limit(at("2025-09-29 11:00"), 2, "working_hours").due == at("2025-09-29 15:00")
    assert add_limit(at("2025-09-29 10:00"), 1, "working_days").due == at("2025-09-30 18:00")


# --- working days -------------------------------------------------------------------------------------------


def test_working_days_across_national_day_land_on_the_adjusted_saturday():
    # Day 1 Thu 10-09, day 2 Fri 10-10, day 3 Sat 10-11 (adjusted workday).
    assert add_limit(at("2025-09-30 10:00"), 3, "working_days") == Deadline(at("2025-10-11 17:30"), False)


def test_working_days_count_the_adjusted_sunday():
    assert add_limit(at("2025-09-26 10:00"), 1, "working_days").due == at("2025-09-28 17:30")
    assert add_limit(at("2025-09-27 10:00"), 2, "working_days").due == at("2025-09-29 17:30")


def test_working_days_across_spring_festival():
    # Day 1 Sat 02-14 (adjusted workday), day 2 Tue 02-24.
    assert add_limit(at("2026-02-13 10:00"), 2, "working_days") == Deadline(at("2026-02-24 17:30"), False)
    # From the last holiday: 02-24, 25, 26, 27 and Sat 02-28 (adjusted workday).
    assert add_limit(at("2026-02-23 10:00"), 5, "working_days").due == at("2026-02-28 17:30")


@pytest.mark.parametrize(
    ("start", "due"),
    [
        ("2025-09-29 08:00", "2025-09-29 17:30"),  # before the first window: the day counts
        ("2025-09-29 09:00", "2025-09-29 17:30"),  # at the opening: the whole day is still ahead
        ("2025-09-29 09:00:01", "2025-09-30 17:30"),  # after it: counting starts the next working day
        ("2025-09-29 18:00", "2025-09-30 17:30"),
        ("2025-10-01 08:00", "2025-10-09 17:30"),  # a holiday morning does not count
        ("2025-10-11 08:00", "2025-10-11 17:30"),  # an adjusted Saturday morning counts
    ],
)
def test_one_working_day(start, due):
    assert add_limit(at(start), 1, "working_days") == Deadline(at(due), False)


# --- overrides ----------------------------------------------------------------------------------------------


def test_override_holiday_changes_results(admin, configured_years, django_capture_on_commit_callbacks):
    assert add_limit(at("2025-09-29 17:00"), 1, "working_hours").due == at("2025-09-30 09:30")
    with django_capture_on_commit_callbacks(execute=True):
        calendar_set_day(by=admin, day=date(2025, 9, 30), is_workday=False, name="临时休息")
    assert configured_years == [2025]
    assert is_workday(date(2025, 9, 30)) == (False, False)
    assert add_limit(at("2025-09-29 17:00"), 1, "working_hours").due == at("2025-10-09 09:30")
    entry = AuditEntry.objects.get(verb="calendar.set_day")
    assert entry.object_id == "2025-09-30" and entry.actor == admin
    assert entry.after == {"date": "2025-09-30", "is_workday": False, "name": "临时休息"}


def test_override_workday_changes_results_and_clearing_restores(admin):
    calendar_set_day(by=admin, day=date(2025, 10, 8), is_workday=True, name="测试上班")
    assert is_workday(date(2025, 10, 8)) == (True, False)
    assert add_limit(at("2025-09-30 10:00"), 1, "working_days").due == at("2025-10-08 17:30")
    assert working_seconds_between(at("2025-10-08 00:00"), at("2025-10-09 00:00")) == 7 * HOUR

    calendar_set_day(by=admin, day=date(2025, 10, 8), is_workday=False, name="改回休息")
    assert CalendarDay.objects.get(date=date(2025, 10, 8)).name == "改回休息"
    assert add_limit(at("2025-09-30 10:00"), 1, "working_days").due == at("2025-10-09 17:30")

    calendar_clear_day(by=admin, day=date(2025, 10, 8))
    assert not CalendarDay.objects.exists()
    assert add_limit(at("2025-09-30 10:00"), 1, "working_days").due == at("2025-10-09 17:30")
    assert list(
        AuditEntry.objects.filter(verb__startswith="calendar.").order_by("id").values_list("verb", flat=True)
    ) == ["calendar.set_day", "calendar.set_day", "calendar.clear_day"]


def test_clearing_a_date_without_override_is_refused(admin):
    with pytest.raises(DomainError) as info:
        calendar_clear_day(by=admin, day=date(2025, 10, 8))
    assert info.value.field == "day" and info.value.status == 404


def test_only_admins_maintain_the_calendar(admin):
    resident = make_user(admin, "resident1", "resident")
    with pytest.raises(DomainError) as info:
        calendar_set_day(by=resident, day=date(2025, 10, 8), is_workday=True)
    assert info.value.status == 403
    with pytest.raises(DomainError):
        calendar_import_year(by=resident, year=2027, holidays=[], workdays=[])
    assert nothing_written()


def test_change_committed_elsewhere_is_seen_by_the_next_call():
    assert add_limit(at("2025-09-29 17:00"), 1, "working_hours").due == at("2025-09-30 09:30")
    # Another process writes (no local invalidation here); the row-count/id-sum stamp notices.
    CalendarDay.objects.create(date=date(2025, 9, 30), is_workday=False, name="别处写入")
    assert add_limit(at("2025-09-29 17:00"), 1, "working_hours").due == at("2025-10-09 09:30")
    CalendarYear.objects.create(year=2027, source="manual")
    assert is_workday(date(2027, 1, 4)) == (True, False)


def test_a_warm_deadline_costs_one_small_query(django_assert_num_queries):
    add_limit(at("2025-09-30 10:00"), 3, "working_days")
    with django_assert_num_queries(1):
        add_limit(at("2025-09-30 10:00"), 3, "working_days")
    with django_assert_num_queries(1):
        add_limit(at("2025-09-30 16:00"), 8, "working_hours")
    with django_assert_num_queries(0):
        add_limit(at("2025-09-30 16:00"), 8, "urgent_hours")


# --- unknown years --------------------------------------------------------------------------------------------


def test_unknown_years_fall_back_to_monday_to_friday_and_are_provisional():
    assert is_workday(date(2027, 1, 1)) == (True, True)  # Friday
    assert is_workday(date(2027, 1, 2)) == (False, True)  # Saturday
    assert is_workday(date(2028, 2, 29)) == (True, True)  # Tuesday
    # Thu 2026-12-31 is known; day 1 is Fri 2027-01-01, day 2 Mon 2027-01-04.
    assert add_limit(at("2026-12-31 16:00"), 2, "working_days") == Deadline(at("2027-01-04 17:30"), True)
    # Wed 2028-03-01 10:00–17:30 is 6 h, then Thu 09:00–11:00.
    assert add_limit(at("2028-03-01 10:00"), 8, "working_hours") == Deadline(at("2028-03-02 11:00"), True)
    assert add_limit(at("2028-03-01 10:00"), 8, "urgent_hours").provisional is False
    # A computation that stays inside known years is not provisional.
    assert add_limit(at("2026-12-30 10:00"), 1, "working_days") == Deadline(at("2026-12-31 17:30"), False)


def test_years_outside_the_package_and_the_table_never_raise():
    assert is_workday(date(1995, 6, 5)) == (True, True)
    assert is_workday(date(2150, 6, 6)) == (False, True)  # Saturday
    # Fri 2150-06-05 10:00: day 1 is Mon 06-08.
    assert add_limit(at("2150-06-05 10:00"), 1, "working_days") == Deadline(at("2150-06-08 17:30"), True)
    assert working_seconds_between(at("2027-01-01 00:00"), at("2027-01-02 00:00")) == 7 * HOUR
    assert elapsed_fraction(
        at("2027-01-01 09:00"), at("2027-01-01 17:30"), at("2027-01-01 12:00"), "working_days"
    )


def test_unknown_years_and_years_needing_configuration():
    assert unknown_years([2025, 2026, 2027, 2028, 2027]) == [2027, 2028]
    assert years_needing_configuration(date(2026, 11, 22)) == [2027]
    assert years_needing_configuration(date(2027, 3, 1)) == [2027, 2028]
    assert years_needing_configuration(date(2025, 3, 1)) == []


def test_import_makes_a_year_known_and_follows_its_days(
    admin, configured_years, django_capture_on_commit_callbacks
):
    assert add_limit(at("2026-12-31 16:00"), 2, "working_days").provisional is True
    with django_capture_on_commit_callbacks(execute=True):
        row = calendar_import_year(
            by=admin,
            year=2027,
            holidays=[(date(2027, 1, 1), "元旦"), date(2027, 1, 4)],
            workdays=[(date(2027, 1, 9), "测试调休")],  # a Saturday
            note="测试数据",
        )
        assert configured_years == []  # only after the commit
    assert configured_years == [2027]
    assert (row.year, row.source, row.note, row.configured_by) == (2027, "import", "测试数据", admin)

    assert is_workday(date(2027, 1, 4)) == (False, False)
    assert is_workday(date(2027, 1, 9)) == (True, False)
    assert is_workday(date(2027, 1, 5)) == (True, False)
    # Jan 1 and Jan 4 off, weekend in between: day 1 is Tue 01-05, day 2 Wed 01-06.
    assert add_limit(at("2026-12-31 16:00"), 2, "working_days") == Deadline(at("2027-01-06 17:30"), False)
    # 01-05, 06, 07, 08 and the imported Saturday 01-09.
    assert add_limit(at("2026-12-31 16:00"), 5, "working_days") == Deadline(at("2027-01-09 17:30"), False)
    assert unknown_years([2027]) == []
    assert years_needing_configuration(date(2026, 11, 22)) == []

    entry = AuditEntry.objects.get(verb="calendar.import_year")
    assert entry.object_id == "2027" and entry.actor == admin
    assert entry.after["holidays"] == {"2027-01-01": "元旦", "2027-01-04": ""}
    assert entry.after["workdays"] == {"2027-01-09": "测试调休"}


def test_reimport_replaces_the_years_overrides(admin):
    calendar_set_day(by=admin, day=date(2027, 3, 1), is_workday=False, name="单独设置")
    calendar_set_day(by=admin, day=date(2028, 3, 1), is_workday=False, name="别的年份")
    calendar_import_year(by=admin, year=2027, holidays=[date(2027, 1, 1), date(2027, 1, 4)], workdays=[])
    calendar_import_year(by=admin, year=2027, holidays=["2027-01-01"], workdays=[])
    assert list(CalendarDay.objects.values_list("date", flat=True)) == [date(2027, 1, 1), date(2028, 3, 1)]
    assert is_workday(date(2027, 1, 4)) == (True, False)
    assert is_workday(date(2027, 3, 1)) == (True, False)
    assert CalendarYear.objects.get().year == 2027
    before = AuditEntry.objects.filter(verb="calendar.import_year").order_by("id").last().before
    assert before["holidays"] == {"2027-01-01": "", "2027-01-04": ""}


def test_no_signal_when_the_transaction_rolls_back(
    admin, configured_years, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        calendar_import_year(by=admin, year=2027, holidays=[date(2027, 1, 1)], workdays=[])
        raise RuntimeError("rolled back")
    assert configured_years == []
    assert unknown_years([2027]) == [2027]


def test_configuring_a_year_by_hand(admin, configured_years, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        calendar_configure_year(by=admin, year=2028, note="逐日录入完毕")
    assert configured_years == [2028]
    assert is_workday(date(2028, 3, 1)) == (True, False)
    with django_capture_on_commit_callbacks(execute=True):
        calendar_unconfigure_year(by=admin, year=2028)
    assert configured_years == [2028, 2028]
    assert is_workday(date(2028, 3, 1)) == (True, True)


def test_a_year_note_longer_than_its_field_is_refused_and_nothing_is_configured(admin, configured_years):
    with pytest.raises(DomainError) as info:
        calendar_configure_year(by=admin, year=2028, note="录" * 501)
    assert (info.value.code, info.value.field) == ("too_long", "note")
    assert configured_years == [] and unknown_years([2028]) == [2028]


# --- bad input ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "unit"),
    [
        (0, "working_hours"),
        (-1, "urgent_hours"),
        (Decimal("-0.5"), "working_hours"),
        (Decimal("NaN"), "working_hours"),
        (float("inf"), "urgent_hours"),
        (1.5, "working_days"),
        (Decimal("2.5"), "working_days"),
        ("3", "working_days"),
        (True, "working_days"),
        (100_000, "urgent_hours"),
    ],
)
def test_bad_amount_refused(amount, unit):
    with pytest.raises(DomainError) as info:
        add_limit(at("2025-09-29 10:00"), amount, unit)
    assert info.value.field == "amount"


def test_whole_days_given_as_decimal_are_fine():
    assert add_limit(at("2025-09-29 10:00"), Decimal("1.0"), "working_days").due == at("2025-09-30 17:30")


@pytest.mark.parametrize("unit", ["weeks", "", None, "工作日"])
def test_unknown_unit_refused(unit):
    with pytest.raises(DomainError) as info:
        add_limit(at("2025-09-29 10:00"), 1, unit)
    assert info.value.field == "unit"
    with pytest.raises(DomainError) as info:
        elapsed_fraction(at("2025-09-29 10:00"), at("2025-09-29 11:00"), at("2025-09-29 10:30"), unit)
    assert info.value.field == "unit"


def test_naive_start_refused():
    with pytest.raises(DomainError) as info:
        add_limit(datetime(2025, 9, 29, 10, 0), 1, "working_hours")
    assert info.value.field == "start"


@pytest.mark.parametrize(
    ("kwargs", "field", "row"),
    [
        ({"holidays": [date(2026, 12, 31)], "workdays": []}, "holidays", 1),
        ({"holidays": [], "workdays": [date(2027, 1, 9), ("2028-01-08", "跨年")]}, "workdays", 2),
        ({"holidays": [date(2027, 1, 1)], "workdays": [(date(2027, 1, 1), "冲突")]}, "workdays", 1),
        ({"holidays": ["2027-02-30"], "workdays": []}, "holidays", 1),
        ({"holidays": [date(2027, 1, 1), "2027-01-01"], "workdays": []}, "holidays", 2),
        ({"holidays": [("2027-01-01", "元旦", "多余")], "workdays": []}, "holidays", 1),
        ({"holidays": [("2027-01-01", "长" * 51)], "workdays": []}, "holidays", 1),
        ({"holidays": "2027-01-01", "workdays": []}, "holidays", None),
    ],
)
def test_bad_import_refused_with_field_and_row(admin, kwargs, field, row):
    with pytest.raises(DomainError) as info:
        calendar_import_year(by=admin, year=2027, **kwargs)
    assert info.value.field == field
    assert info.value.extra.get("row") == row
    assert nothing_written()


def test_date_both_holiday_and_workday_is_named(admin):
    with pytest.raises(DomainError) as info:
        calendar_import_year(by=admin, year=2027, holidays=[date(2027, 1, 1)], workdays=[date(2027, 1, 1)])
    assert info.value.code == "date_conflict" and "2027-01-01" in info.value.message


@pytest.mark.parametrize("year", [1999, 2101, "2027", 2027.0, None])
def test_bad_year_refused(admin, year):
    with pytest.raises(DomainError) as info:
        calendar_import_year(by=admin, year=year, holidays=[], workdays=[])
    assert info.value.field == "year"
    assert nothing_written()


@pytest.mark.parametrize("day", ["not a date", datetime(2025, 1, 1, tzinfo=SH), date(1999, 12, 31), None])
def test_bad_single_day_refused(admin, day):
    with pytest.raises(DomainError) as info:
        calendar_set_day(by=admin, day=day, is_workday=True)
    assert info.value.field == "day"
    assert nothing_written()


# --- elapsed fraction and working seconds ---------------------------------------------------------------------

ELAPSED = {
    # 10 h continuous.
    "urgent_hours": (
        "2025-09-30 16:00",
        10,
        "2025-10-01 02:00",
        [
            ("2025-09-30 15:00", 0.0),
            ("2025-09-30 16:00", 0.0),
            ("2025-10-01 00:00", 0.8),
            ("2025-10-01 02:00", 1.0),
            ("2025-10-01 07:00", 1.5),
        ],
    ),
    # 8 working hours: 1.5 h on 09-30, then 10-09; 6.4 h are used at 10-09 15:24.
    "working_hours": (
        "2025-09-30 16:00",
        8,
        "2025-10-09 17:00",
        [
            ("2025-09-30 16:00", 0.0),
            ("2025-10-05 12:00", 1.5 / 8),  # the clock stands still over the holiday
            ("2025-10-09 15:24", 0.8),
            ("2025-10-09 17:00", 1.0),
            ("2025-10-10 10:00", 9.5 / 8),  # 10-09 17:00–17:30 and 10-10 09:00–10:00 after due
        ],
    ),
    # 3 working days = 6 h left on 09-30 + 7 h on each of 10-09, 10-10, 10-11 = 27 h; 21.6 h at 10-11 10:36.
    "working_days": (
        "2025-09-30 10:00",
        3,
        "2025-10-11 17:30",
        [
            ("2025-09-30 09:00", 0.0),
            ("2025-09-30 10:00", 0.0),
            ("2025-10-11 10:36", 0.8),
            ("2025-10-11 17:30", 1.0),
            ("2025-10-13 12:00", 30 / 27),  # Sun 10-12 off, Mon 09:00–12:00
        ],
    ),
}


@pytest.mark.parametrize(
    ("unit", "now", "expected"),
    [(unit, now, expected) for unit, (_s, _a, _d, points) in ELAPSED.items() for now, expected in points],
)
def test_elapsed_fraction(unit, now, expected):
    start, amount, due, _points = ELAPSED[unit]
    assert add_limit(at(start), amount, unit).due == at(due)
    assert elapsed_fraction(at(start), at(due), at(now), unit) == pytest.approx(expected)


def test_elapsed_fraction_of_a_limit_with_no_working_time():
    start, due = at("2025-10-02 10:00"), at("2025-10-03 10:00")  # both inside the holiday
    assert elapsed_fraction(start, due, at("2025-10-02 12:00"), "working_hours") == 0.0
    assert elapsed_fraction(start, due, at("2025-10-03 10:00"), "working_hours") == 1.0


@pytest.mark.parametrize(
    ("start", "end", "seconds"),
    [
        ("2025-09-29 08:00", "2025-09-30 20:00", 14 * HOUR),
        ("2025-09-30 17:00", "2025-10-09 10:00", 1.5 * HOUR),
        ("2025-09-26 00:00", "2025-09-29 00:00", 14 * HOUR),  # Fri + adjusted Sun 09-28
        ("2026-02-13 00:00", "2026-03-01 00:00", 7 * 7 * HOUR),  # 02-13, 14, 24–28
        ("2025-09-29 11:59", "2025-09-29 13:31", 2 * 60),
        ("2025-09-30 10:00", "2025-09-29 10:00", 0),
    ],
)
def test_working_seconds_between(start, end, seconds):
    assert working_seconds_between(at(start), at(end)) == seconds


# --- the import command -----------------------------------------------------------------------------------------


def write(tmp_path, content) -> str:
    path = tmp_path / "calendar.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content, ensure_ascii=False), "utf-8")
    return str(path)


def test_import_command_with_a_good_file(tmp_path, capsys):
    path = write(
        tmp_path,
        {
            "year": 2027,
            "holidays": [["2027-01-01", "元旦"], "2027-01-04"],
            "workdays": [["2027-01-09", "测试调休"]],
            "note": "测试",
        },
    )
    call_command("import_calendar", path)
    assert "已导入 2027 年" in capsys.readouterr().out
    assert CalendarYear.objects.get().source == "import"
    assert is_workday(date(2027, 1, 9)) == (True, False)
    assert is_workday(date(2027, 1, 4)) == (False, False)
    assert AuditEntry.objects.get(verb="calendar.import_year").actor_name == "system"


def test_the_shipped_example_file_imports_and_says_it_is_an_example():
    call_command("import_calendar", str(settings.REPO_DIR / "docs" / "calendar-2027.example.json"))
    assert "示例" in CalendarYear.objects.get(year=2027).note


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ({"year": 2027, "holidays": ["2027-01-01", "2027-02-30"], "workdays": []}, "holidays[2]"),
        ({"year": 2027, "holidays": [], "workdays": [["2026-12-27", "调休"]]}, "workdays[1]"),
        ({"year": 2027, "holidays": ["2027-01-01"], "workdays": ["2027-01-01"]}, "workdays[1]"),
        ({"year": "2027", "holidays": [], "workdays": []}, "year"),
        ({"holidays": [], "workdays": []}, "year"),
        ({"year": 2027, "holidays": []}, "workdays"),
        ({"year": 2027, "holidays": [], "workdays": [], "holiday": []}, "holiday"),
        ([2027], "顶层"),
        ('{"year": 2027, "holidays": [', "JSON"),
    ],
)
def test_import_command_with_a_bad_file(tmp_path, content, message):
    with pytest.raises(CommandError) as info:
        call_command("import_calendar", write(tmp_path, content))
    assert message in str(info.value)
    assert nothing_written()


def test_import_command_with_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="文件不存在"):
        call_command("import_calendar", str(tmp_path / "missing.json"))


# --- warnings on every page ---------------------------------------------------------------------------------------


def warnings_for(user) -> dict:
    request = RequestFactory().get("/")
    request.user = user
    return calendar_warnings(request)


def test_admin_is_warned_about_the_unknown_next_year(admin):
    next_year = timezone.localdate().year + 1  # the package stops at 2026, so this year is unknown
    messages = warnings_for(admin)["calendar_warnings"]
    expected = (
        f"{next_year} 年的节假日安排尚未配置，截止时间按周一至周五临时计算，请导入国务院办公厅公布的安排"
    )
    assert expected in messages

    calendar_import_year(by=admin, year=next_year, holidays=[], workdays=[])
    assert expected not in warnings_for(admin)["calendar_warnings"]


def test_district_staff_are_warned_and_residents_are_not(admin):
    tree = make_tree(admin)
    district = make_user(admin, "district1", "district", area=tree["610302"])
    resident = make_user(admin, "resident1", "resident")
    assert warnings_for(district)["calendar_warnings"]
    assert warnings_for(resident) == {}
    from django.contrib.auth.models import AnonymousUser

    assert warnings_for(AnonymousUser()) == {}


def test_warnings_reach_every_template(admin):
    assert (
        "gridgov.core.context_processors.calendar_warnings"
        in (settings.TEMPLATES[0]["OPTIONS"]["context_processors"])
    )
    request = RequestFactory().get("/")
    request.user = admin
    html = (
        engines["django"]
        .from_string("{% for m in calendar_warnings %}[{{ m }}]{% endfor %}")
        .render({}, request)
    )
    assert "节假日安排尚未配置" in html


# --- the admin goes through the actions ----------------------------------------------------------------------------


def test_admin_pages_use_the_actions(client, admin):
    client.force_login(admin)
    response = client.post(
        "/admin/core/calendarday/add/", {"date": "2025-09-30", "is_workday": "", "name": "临时休息"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    row = CalendarDay.objects.get()
    assert (row.date, row.is_workday, row.created_by) == (date(2025, 9, 30), False, admin)
    assert is_workday(date(2025, 9, 30)) == (False, False)

    response = client.post(
        f"/admin/core/calendarday/{row.pk}/change/", {"is_workday": "on", "name": "改为上班"}
    )
    assert response.status_code == 302
    assert CalendarDay.objects.get().is_workday is True

    response = client.post(f"/admin/core/calendarday/{CalendarDay.objects.get().pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not CalendarDay.objects.exists()

    response = client.post("/admin/core/calendaryear/add/", {"year": "2028", "note": "逐日录入完毕"})
    assert response.status_code == 302
    assert CalendarYear.objects.get().source == "manual"
    assert unknown_years([2028]) == []

    verbs = list(
        AuditEntry.objects.filter(verb__startswith="calendar.").order_by("id").values_list("verb", flat=True)
    )
    assert verbs == ["calendar.set_day", "calendar.set_day", "calendar.clear_day", "calendar.configure_year"]


def test_admin_refuses_a_year_out_of_range(client, admin):
    client.force_login(admin)
    response = client.post("/admin/core/calendaryear/add/", {"year": "1999", "note": ""})
    assert response.status_code == 200  # the form shows the error
    assert not CalendarYear.objects.exists()


def test_a_tiny_positive_amount_is_not_refused():
    start = at("2025-09-29 10:00")
    assert add_limit(start, Decimal("1e-12"), "working_hours").due == start + timedelta(microseconds=1)
