"""The working-day calendar (工作日历): which days are working days, and deadlines in three units.

**Working days.** A date is a working day according to, in this order:

1. an admin's override (``CalendarDay``) for that date;
2. the ``chinesecalendar`` package, for the years its data covers (its lowest to its highest year):
   public holidays are off, adjusted workdays (调休, e.g. a Saturday) are on, other days Monday–Friday;
3. otherwise Monday–Friday.

A year is *known* when the package covers it or an admin has configured it (``CalendarYear``, written
by :func:`calendar_import_year` or :func:`calendar_configure_year`). Unknown years use rule 3 (plus any
overrides) and every result that consulted a date of an unknown year says ``provisional=True``. Nothing
here raises because a year is unknown.

**Working windows** are read from ``settings.WORK_HOURS`` (``GRIDGOV_WORK_HOURS``, default
``"09:00-12:00,13:30-17:30"``), in local time (``settings.TIME_ZONE``, Asia/Shanghai).

**Limit units** (:class:`LimitUnit`):

* ``urgent_hours`` (紧急工作时): the clock runs continuously; ``due = start + amount hours``. No
  calendar is consulted, so the result is never provisional.
* ``working_hours`` (工作时): only time inside the working windows of working days counts. ``due`` is
  the instant at which that much working time has passed after ``start``; a limit used up exactly at the
  end of a window is due at that end (12:00, not 13:30).
* ``working_days`` (工作日): whole days. Day 1 is the start's own date if it is a working day and the
  start is at or before the opening of its first window (09:00:00); otherwise day 1 is the next
  working day after the start's date. ``due`` is the end of the last window (17:30) of day N.

:func:`elapsed_fraction` measures the share of a limit used up in the unit's own clock: continuous
seconds for ``urgent_hours``, working seconds (:func:`working_seconds_between`) for the other two.

**Caching.** Each process keeps the configured years and each year's overrides in memory, stamped with
the row count and id sum of both tables. Every public call reads that stamp (one small query) and
reloads when it moved, so a change committed by any process is seen by the next call; the calendar
actions and the ``calendar_year_configured`` signal also drop the local copy at once. Override rows are
replaced rather than edited in place, so every change moves the stamp.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import chinese_calendar
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.core import audit, cleaners
from gridgov.core.errors import DomainError
from gridgov.core.models import CALENDAR_MAX_YEAR, CALENDAR_MIN_YEAR, CalendarDay, CalendarYear
from gridgov.core.signals import calendar_year_configured

logger = logging.getLogger(__name__)

DEFAULT_WORK_HOURS = "09:00-12:00,13:30-17:30"
NAME_MAX_LENGTH = CalendarDay._meta.get_field("name").max_length


class LimitUnit(models.TextChoices):
    URGENT_HOURS = "urgent_hours", gettext_lazy("紧急工作时")
    WORKING_HOURS = "working_hours", gettext_lazy("工作时")
    WORKING_DAYS = "working_days", gettext_lazy("工作日")


# Roughly ten years in each unit; beyond that a limit is a typo, and refusing it bounds the day walk.
MAX_AMOUNT = {
    LimitUnit.URGENT_HOURS: Decimal(87_600),
    LimitUnit.WORKING_HOURS: Decimal(17_500),
    LimitUnit.WORKING_DAYS: Decimal(2_500),
}

# The package's own data decides which years it covers.
_PACKAGE_HOLIDAYS = frozenset(chinese_calendar.holidays)
_PACKAGE_WORKDAYS = frozenset(chinese_calendar.workdays)
_package_years = {d.year for d in _PACKAGE_HOLIDAYS | _PACKAGE_WORKDAYS}
PACKAGE_FIRST_YEAR = min(_package_years)
PACKAGE_LAST_YEAR = max(_package_years)
del _package_years

ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Deadline:
    due: datetime
    provisional: bool


# --- working windows ----------------------------------------------------------------------------------

_WINDOW_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
_parsed_windows: dict[str, tuple[tuple[time, time], ...]] = {}


def parse_work_hours(value: str) -> tuple[tuple[time, time], ...]:
    """``"09:00-12:00,13:30-17:30"`` → ((09:00, 12:00), (13:30, 17:30)); sorted, non-overlapping."""
    windows: list[tuple[time, time]] = []
    for part in str(value).split(","):
        if not part.strip():
            continue
        match = _WINDOW_RE.match(part)
        if not match:
            raise ImproperlyConfigured(f"GRIDGOV_WORK_HOURS: {part.strip()!r} is not HH:MM-HH:MM")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
            raise ImproperlyConfigured(f"GRIDGOV_WORK_HOURS: {part.strip()!r} is not a valid time range")
        opens, closes = time(h1, m1), time(h2, m2)
        if opens >= closes:
            raise ImproperlyConfigured(f"GRIDGOV_WORK_HOURS: {part.strip()!r} ends before it starts")
        windows.append((opens, closes))
    if not windows:
        raise ImproperlyConfigured("GRIDGOV_WORK_HOURS: no working window given")
    windows.sort()
    for (_o1, c1), (o2, _c2) in zip(windows, windows[1:], strict=False):
        if o2 < c1:
            raise ImproperlyConfigured("GRIDGOV_WORK_HOURS: working windows overlap")
    return tuple(windows)


def work_windows() -> tuple[tuple[time, time], ...]:
    value = getattr(settings, "WORK_HOURS", DEFAULT_WORK_HOURS)
    windows = _parsed_windows.get(value)
    if windows is None:
        windows = _parsed_windows[value] = parse_work_hours(value)
    return windows


def _wall_seconds(opens: time, closes: time) -> int:
    return (closes.hour * 60 + closes.minute - opens.hour * 60 - opens.minute) * 60


# --- the in-process copy of the overrides ---------------------------------------------------------------


@dataclass
class _State:
    stamp: tuple
    configured: frozenset[int]
    overrides: dict[int, dict[date, bool]] = field(default_factory=dict)

    def known(self, year: int) -> bool:
        return PACKAGE_FIRST_YEAR <= year <= PACKAGE_LAST_YEAR or year in self.configured

    def year_overrides(self, year: int) -> dict[date, bool]:
        found = self.overrides.get(year)
        if found is None:
            if CALENDAR_MIN_YEAR <= year <= CALENDAR_MAX_YEAR:
                rows = CalendarDay.objects.filter(date__gte=date(year, 1, 1), date__lte=date(year, 12, 31))
                found = dict(rows.values_list("date", "is_workday"))
            else:
                found = {}  # the table cannot hold such dates
            self.overrides[year] = found
        return found

    def day(self, d: date) -> tuple[bool, bool]:
        """(is a working day, provisional)."""
        year = d.year
        working = self.year_overrides(year).get(d)
        in_package = PACKAGE_FIRST_YEAR <= year <= PACKAGE_LAST_YEAR
        if working is None:
            if in_package:
                working = d in _PACKAGE_WORKDAYS or (d.weekday() < 5 and d not in _PACKAGE_HOLIDAYS)
            else:
                working = d.weekday() < 5
        return working, not (in_package or year in self.configured)


_lock = threading.Lock()
_state: _State | None = None


def invalidate() -> None:
    """Drop this process's copy; the next call reloads."""
    global _state
    with _lock:
        _state = None


def _read_stamp() -> tuple:
    qn = connection.ops.quote_name
    day_table, day_pk = qn(CalendarDay._meta.db_table), qn(CalendarDay._meta.pk.column)
    year_table, year_pk = qn(CalendarYear._meta.db_table), qn(CalendarYear._meta.pk.column)
    sql = (
        f"SELECT (SELECT COUNT(*) FROM {day_table}), (SELECT SUM({day_pk}) FROM {day_table}),"
        f" (SELECT COUNT(*) FROM {year_table}), (SELECT SUM({year_pk}) FROM {year_table})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return tuple(cursor.fetchone())


def _current() -> _State:
    global _state
    stamp = _read_stamp()
    state = _state
    if state is None or state.stamp != stamp:
        state = _State(stamp=stamp, configured=frozenset(CalendarYear.objects.values_list("year", flat=True)))
        with _lock:
            _state = state
    return state


def _on_year_configured(sender, **kwargs) -> None:  # noqa: ARG001
    invalidate()


calendar_year_configured.connect(_on_year_configured, dispatch_uid="gridgov.core.calendar.invalidate")


# --- one computation ------------------------------------------------------------------------------------


class _Walk:
    """One computation on one snapshot of the calendar; notes whether it consulted an unknown year."""

    def __init__(self) -> None:
        self.state = _current()
        self.tz = timezone.get_default_timezone()
        self.windows = work_windows()
        self.day_seconds = sum(_wall_seconds(o, c) for o, c in self.windows)
        self.provisional = False

    def workday(self, d: date) -> bool:
        working, provisional = self.state.day(d)
        if provisional:
            self.provisional = True
        return working

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.tz).date()

    def at(self, d: date, t: time) -> datetime:
        return datetime.combine(d, t, tzinfo=self.tz).astimezone(UTC)

    def windows_on(self, d: date) -> list[tuple[datetime, datetime]]:
        if not self.workday(d):
            return []
        return [(self.at(d, opens), self.at(d, closes)) for opens, closes in self.windows]

    def add_working_time(self, start: datetime, amount: timedelta) -> datetime:
        remaining = amount
        d = self.local_date(start)
        while True:
            for opens, closes in self.windows_on(d):
                if closes <= start:
                    continue
                begin = max(opens, start)
                available = closes - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
            d += ONE_DAY

    def add_working_days(self, start: datetime, days: int) -> datetime:
        d = self.local_date(start)
        if not (self.workday(d) and start <= self.at(d, self.windows[0][0])):
            d += ONE_DAY
        counted = 0
        while True:
            if self.workday(d):
                counted += 1
                if counted == days:
                    return self.at(d, self.windows[-1][1])
            d += ONE_DAY

    def working_seconds(self, start: datetime, end: datetime) -> float:
        if end <= start:
            return 0.0
        first, last = self.local_date(start), self.local_date(end)
        total = timedelta(0)
        whole_days = 0
        d = first
        while d <= last:
            if d in (first, last):
                for opens, closes in self.windows_on(d):
                    begin, finish = max(opens, start), min(closes, end)
                    if finish > begin:
                        total += finish - begin
            elif self.workday(d):
                whole_days += 1
            d += ONE_DAY
        return total.total_seconds() + whole_days * self.day_seconds


# --- checks on input --------------------------------------------------------------------------------------


def _unit(unit: Any) -> LimitUnit:
    try:
        return LimitUnit(unit)
    except ValueError:
        raise DomainError(
            "invalid_unit",
            _("时限单位「%(unit)s」无效，可选：%(choices)s")
            % {"unit": unit, "choices": ", ".join(LimitUnit.values)},
            "unit",
        ) from None


def _amount(amount: Any, unit: LimitUnit) -> Decimal:
    if isinstance(amount, bool) or not isinstance(amount, int | float | Decimal):
        raise DomainError("invalid_amount", _("时限必须是数字"), "amount")
    try:
        value = Decimal(str(amount)) if isinstance(amount, float) else Decimal(amount)
    except InvalidOperation:
        raise DomainError("invalid_amount", _("时限必须是数字"), "amount") from None
    if not value.is_finite() or value <= 0:
        raise DomainError("amount_not_positive", _("时限必须大于 0"), "amount")
    if unit == LimitUnit.WORKING_DAYS and value != value.to_integral_value():
        raise DomainError("amount_not_whole_days", _("按工作日计的时限必须是整数天"), "amount")
    if value > MAX_AMOUNT[unit]:
        raise DomainError(
            "amount_too_large", _("时限过长（最多 %(max)s）") % {"max": MAX_AMOUNT[unit]}, "amount"
        )
    return value


def _moment(value: Any, name: str) -> datetime:
    if not isinstance(value, datetime):
        raise DomainError("invalid_datetime", _("时间格式无效"), name)
    if timezone.is_naive(value):
        raise DomainError("naive_datetime", _("时间必须带时区"), name)
    return value.astimezone(UTC)


# --- public reads -----------------------------------------------------------------------------------------


def is_workday(d: date) -> tuple[bool, bool]:
    """(is ``d`` a working day, is that provisional). A datetime is taken at its local date."""
    if isinstance(d, datetime):
        d = _moment(d, "day").astimezone(timezone.get_default_timezone()).date()
    return _current().day(d)


def add_limit(start: datetime, amount: Decimal | int | float, unit: str) -> Deadline:
    """The deadline ``amount`` ``unit`` after ``start`` (see the module docstring for the rules).

    Hours may be fractional (``Decimal("1.5")``); working days must be whole. ``amount`` must be > 0.
    ``due`` is in local time (Asia/Shanghai).
    """
    limit_unit = _unit(unit)
    value = _amount(amount, limit_unit)
    begin = _moment(start, "start")
    tz = timezone.get_default_timezone()
    if limit_unit == LimitUnit.WORKING_DAYS:
        walk = _Walk()
        due = walk.add_working_days(begin, int(value))
        return Deadline(due=due.astimezone(tz), provisional=walk.provisional)
    # Whole microseconds; a positive amount never rounds down to nothing.
    microseconds = max(1, int((value * 3_600_000_000).to_integral_value(rounding=ROUND_HALF_UP)))
    if limit_unit == LimitUnit.URGENT_HOURS:
        return Deadline(due=(begin + timedelta(microseconds=microseconds)).astimezone(tz), provisional=False)
    walk = _Walk()
    due = walk.add_working_time(begin, timedelta(microseconds=microseconds))
    return Deadline(due=due.astimezone(tz), provisional=walk.provisional)


def working_seconds_between(start: datetime, end: datetime) -> float:
    """Seconds inside the working windows of working days between ``start`` and ``end`` (0 if end ≤ start)."""
    begin, finish = _moment(start, "start"), _moment(end, "end")
    if finish <= begin:
        return 0.0
    return _Walk().working_seconds(begin, finish)


def elapsed_fraction(start: datetime, due: datetime, now: datetime, unit: str) -> float:
    """Share of the limit from ``start`` to ``due`` used up at ``now``, in the unit's own clock.

    0.0 at or before ``start``; 1.0 at ``due``; above 1 after it. In working time the share does not
    move outside working windows (it stays at 1.0 over a holiday that follows the due time, so compare
    ``now`` with ``due`` to tell overdue). A limit of no length counts as fully used once ``due`` passed.
    """
    limit_unit = _unit(unit)
    begin, finish, at = _moment(start, "start"), _moment(due, "due"), _moment(now, "now")
    if at <= begin:
        return 0.0
    if limit_unit == LimitUnit.URGENT_HOURS:
        total = (finish - begin).total_seconds()
        used = (at - begin).total_seconds()
    else:
        walk = _Walk()
        total = walk.working_seconds(begin, finish)
        used = walk.working_seconds(begin, at)
    if total <= 0:
        return 1.0 if at >= finish else 0.0
    return used / total


def unknown_years(years: Iterable[int]) -> list[int]:
    """The years among ``years`` that neither the package nor an admin has configured, ascending."""
    state = _current()
    return sorted({int(year) for year in years if not state.known(int(year))})


def years_needing_configuration(today: date | None = None) -> list[int]:
    """Of the current and the next year, those still unknown: what admins must be warned about."""
    today = today or timezone.localdate()
    return unknown_years([today.year, today.year + 1])


# --- writes (actions) -------------------------------------------------------------------------------------


def _require_calendar_admin(by) -> None:
    if by is not None and not getattr(by, "is_admin", False):
        raise DomainError("forbidden", _("只有系统管理员可以维护工作日历"), status=403)


def _actor(by):
    return by if getattr(by, "pk", None) else None


def _year(year: Any) -> int:
    if isinstance(year, bool) or not isinstance(year, int):
        raise DomainError("invalid_year", _("年份必须是整数"), "year")
    if not CALENDAR_MIN_YEAR <= year <= CALENDAR_MAX_YEAR:
        raise DomainError(
            "year_out_of_range",
            _("年份须在 %(min)s 至 %(max)s 之间") % {"min": CALENDAR_MIN_YEAR, "max": CALENDAR_MAX_YEAR},
            "year",
        )
    return year


def _as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _day(value: Any) -> date:
    day = _as_date(value)
    if day is None:
        raise DomainError("invalid_date", _("日期格式无效（应为 YYYY-MM-DD）"), "day")
    if not CALENDAR_MIN_YEAR <= day.year <= CALENDAR_MAX_YEAR:
        raise DomainError(
            "date_out_of_range",
            _("日期须在 %(min)s 年至 %(max)s 年之间") % {"min": CALENDAR_MIN_YEAR, "max": CALENDAR_MAX_YEAR},
            "day",
        )
    return day


def _name(value: Any, field_name: str, row: int | None = None) -> str:
    extra = {"row": row} if row is not None else None
    if value is None:
        return ""
    if not isinstance(value, str):
        raise DomainError("invalid_name", _("名称必须是文字"), field_name, extra=extra)
    value = value.strip()
    if len(value) > NAME_MAX_LENGTH:
        raise DomainError(
            "name_too_long", _("名称最多 %(max)s 个字") % {"max": NAME_MAX_LENGTH}, field_name, extra=extra
        )
    return value


def _entries(
    raw: Any, *, field_name: str, year: int, problems: list[DomainError] | None = None
) -> dict[date, tuple[str, int]]:
    """A list of ``date``, ``"YYYY-MM-DD"`` or ``(date, name)`` → {date: (name, row)}; rows count from 1.

    The first bad entry is raised; with ``problems`` every bad entry is appended there instead (the
    import page and command list them all) and the good ones are returned."""
    if raw is None:
        return {}
    if not isinstance(raw, list | tuple):
        raise DomainError("invalid_list", _("必须是日期列表"), field_name)
    found: dict[date, tuple[str, int]] = {}
    for row, item in enumerate(raw, start=1):
        if problems is None:
            _entry(found, row, item, field_name=field_name, year=year)
            continue
        try:
            _entry(found, row, item, field_name=field_name, year=year)
        except DomainError as exc:
            problems.append(exc)
    return found


def _entry(found: dict[date, tuple[str, int]], row: int, item: Any, *, field_name: str, year: int) -> None:
    """One entry into ``found``; a bad one is raised naming the field and the row."""
    extra = {"row": row}
    value, name = item, ""
    if isinstance(item, list | tuple):
        if len(item) not in (1, 2):
            raise DomainError(
                "invalid_row", _("第 %(row)s 项应为 [日期, 名称]") % {"row": row}, field_name, extra=extra
            )
        value = item[0]
        name = _name(item[1] if len(item) == 2 else "", field_name, row)
    day = _as_date(value)
    if day is None:
        raise DomainError(
            "invalid_date",
            _("第 %(row)s 项「%(value)s」不是有效日期（应为 YYYY-MM-DD）") % {"row": row, "value": value},
            field_name,
            extra=extra,
        )
    if day.year != year:
        raise DomainError(
            "date_outside_year",
            _("第 %(row)s 项 %(date)s 不在 %(year)s 年内") % {"row": row, "date": day, "year": year},
            field_name,
            extra=extra,
        )
    if day in found:
        raise DomainError(
            "duplicate_date",
            _("第 %(row)s 项 %(date)s 与第 %(other)s 项重复")
            % {"row": row, "date": day, "other": found[day][1]},
            field_name,
            extra=extra,
        )
    found[day] = (name, row)


def _describe(rows: Iterable[CalendarDay]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {"holidays": {}, "workdays": {}}
    for row in rows:
        out["workdays" if row.is_workday else "holidays"][row.date.isoformat()] = row.name
    return out


def _day_record(row: CalendarDay | None) -> dict | None:
    if row is None:
        return None
    return {"date": row.date.isoformat(), "is_workday": row.is_workday, "name": row.name}


def _year_record(row: CalendarYear | None) -> dict | None:
    if row is None:
        return None
    return {"year": row.year, "source": row.source, "note": row.note}


def _send_configured(year: int) -> None:
    invalidate()
    for receiver, result in calendar_year_configured.send_robust(sender=CalendarYear, year=year):
        if isinstance(result, Exception):
            logger.error(
                "calendar_year_configured receiver %r failed for %s", receiver, year, exc_info=result
            )


def _changed(year: int) -> None:
    # Drop the local copy now (this transaction sees its own rows) and again after the commit, when
    # the signal tells listeners to recompute; a rollback discards the signal.
    invalidate()
    transaction.on_commit(lambda: _send_configured(year))


def _conflicts(off: dict[date, tuple[str, int]], on: dict[date, tuple[str, int]]) -> list[DomainError]:
    """A date both a holiday and a workday, one error per date (named on the workday's row)."""
    return [
        DomainError(
            "date_conflict",
            _("第 %(row)s 项 %(date)s 不能既是节假日又是调休上班日") % {"row": on[day][1], "date": day},
            "workdays",
            extra={"row": on[day][1]},
        )
        for day in sorted(off.keys() & on.keys())
    ]


def calendar_import_year(
    *,
    by,
    year: int,
    holidays: list[date | str | tuple[date | str, str]],
    workdays: list[date | str | tuple[date | str, str]],
    note: str = "",
) -> CalendarYear:
    """Import a year's official schedule (国务院办公厅放假安排): the holidays and the adjusted workdays.

    Replaces every earlier override of that year, marks the year configured (``source="import"``),
    audits, and after the commit sends ``calendar_year_configured(year=year)``. Entries are dates, ISO
    strings or ``(date, name)`` pairs. Refused (nothing written) when the year is outside 2000–2100, a
    date is not in that year, is listed twice, or is both a holiday and a workday; the error names the
    field (``year``, ``holidays``, ``workdays``) and, for entries, the row (``extra["row"]``, from 1).
    ``by=None`` is the system (the import command).
    """
    _require_calendar_admin(by)
    year = _year(year)
    off = _entries(holidays, field_name="holidays", year=year)
    on = _entries(workdays, field_name="workdays", year=year)
    conflicts = _conflicts(off, on)
    if conflicts:
        raise conflicts[0]
    note = _note(note)
    actor = _actor(by)
    now = timezone.now()
    with transaction.atomic():
        in_year = CalendarDay.objects.filter(date__gte=date(year, 1, 1), date__lte=date(year, 12, 31))
        before_days = _describe(in_year.order_by("date"))
        configured = CalendarYear.objects.select_for_update().filter(year=year).first()
        before = {**before_days, "configured": _year_record(configured)}
        in_year.delete()
        CalendarDay.objects.bulk_create(
            [
                CalendarDay(date=d, is_workday=False, name=name, created_by=actor, created_at=now)
                for d, (name, _row) in sorted(off.items())
            ]
            + [
                CalendarDay(date=d, is_workday=True, name=name, created_by=actor, created_at=now)
                for d, (name, _row) in sorted(on.items())
            ]
        )
        if configured is None:
            configured = CalendarYear.objects.create(
                year=year,
                configured_by=actor,
                configured_at=now,
                source=CalendarYear.Source.IMPORT,
                note=note,
            )
        else:
            configured.configured_by = actor
            configured.configured_at = now
            configured.source = CalendarYear.Source.IMPORT
            configured.note = note
            configured.save(update_fields=["configured_by", "configured_at", "source", "note"])
        after = {
            "holidays": {d.isoformat(): name for d, (name, _row) in sorted(off.items())},
            "workdays": {d.isoformat(): name for d, (name, _row) in sorted(on.items())},
            "configured": _year_record(configured),
        }
        audit.record(
            actor=by,
            verb="calendar.import_year",
            obj=configured,
            object_id=str(year),
            before=before,
            after=after,
        )
        _changed(year)
    return configured


def _note(note: Any) -> str:
    if note is not None and not isinstance(note, str):
        raise DomainError("invalid_note", _("备注必须是文字"), "note")
    return cleaners.text(note, "note", limit=cleaners.limit(CalendarYear, "note"))


def calendar_set_day(*, by, day: date, is_workday: bool, name: str = "") -> CalendarDay:
    """Override one date: a holiday (``is_workday=False``) or a working day. Replaces the date's earlier
    override; audited; sends ``calendar_year_configured(year=day.year)`` after the commit."""
    _require_calendar_admin(by)
    day = _day(day)
    if not isinstance(is_workday, bool):
        raise DomainError("invalid_is_workday", _("请指明当天是否上班"), "is_workday")
    name = _name(name, "name")
    with transaction.atomic():
        old = CalendarDay.objects.select_for_update().filter(date=day).first()
        if old is not None:
            CalendarDay.objects.filter(pk=old.pk).delete()
        row = CalendarDay.objects.create(date=day, is_workday=is_workday, name=name, created_by=_actor(by))
        audit.record(
            actor=by,
            verb="calendar.set_day",
            obj=row,
            object_id=day.isoformat(),
            before=_day_record(old),
            after=_day_record(row),
        )
        _changed(day.year)
    return row


def calendar_clear_day(*, by, day: date) -> None:
    """Remove the override of one date (the package or Monday–Friday applies again). Audited; sends
    ``calendar_year_configured(year=day.year)`` after the commit. 404 when the date has no override."""
    _require_calendar_admin(by)
    day = _day(day)
    with transaction.atomic():
        old = CalendarDay.objects.select_for_update().filter(date=day).first()
        if old is None:
            raise DomainError("not_found", _("%(date)s 没有日历调整") % {"date": day}, "day", status=404)
        record = _day_record(old)
        CalendarDay.objects.filter(pk=old.pk).delete()
        audit.record(
            actor=by,
            verb="calendar.clear_day",
            obj=old,
            object_id=day.isoformat(),
            before=record,
        )
        _changed(day.year)


def calendar_configure_year(
    *, by, year: int, note: str = "", source: str = CalendarYear.Source.MANUAL
) -> CalendarYear:
    """Mark a year configured without importing (its days entered one by one with
    :func:`calendar_set_day`): its deadlines stop being provisional. Audited; sends the signal."""
    _require_calendar_admin(by)
    year = _year(year)
    if source not in CalendarYear.Source.values:
        raise DomainError("invalid_source", _("来源无效"), "source")
    note = _note(note)
    with transaction.atomic():
        row = CalendarYear.objects.select_for_update().filter(year=year).first()
        before = _year_record(row)
        if row is None:
            row = CalendarYear.objects.create(year=year, configured_by=_actor(by), source=source, note=note)
        else:
            row.configured_by = _actor(by)
            row.configured_at = timezone.now()
            row.source = source
            row.note = note
            row.save(update_fields=["configured_by", "configured_at", "source", "note"])
        audit.record(
            actor=by,
            verb="calendar.configure_year",
            obj=row,
            object_id=str(year),
            before=before,
            after=_year_record(row),
        )
        _changed(year)
    return row


def calendar_unconfigure_year(*, by, year: int) -> None:
    """Withdraw a year's configuration (its overrides stay): if the package does not cover the year,
    its deadlines are provisional again. Audited; sends the signal. 404 when not configured."""
    _require_calendar_admin(by)
    year = _year(year)
    with transaction.atomic():
        row = CalendarYear.objects.select_for_update().filter(year=year).first()
        if row is None:
            raise DomainError("not_found", _("%(year)s 年尚未配置") % {"year": year}, "year", status=404)
        before = _year_record(row)
        CalendarYear.objects.filter(pk=row.pk).delete()
        audit.record(
            actor=by,
            verb="calendar.unconfigure_year",
            obj=row,
            object_id=str(year),
            before=before,
        )
        _changed(year)
