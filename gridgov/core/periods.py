"""Reporting periods (统计周期): a day, an ISO week, a month, a quarter, a half year, a year, or a custom range
of local dates (Asia/Shanghai). Assessment, dashboards and the generated reports count "the rows of a period"
the same way: ``begin <= moment < finish`` with both ends at local midnight.

A period has a key that names it in URLs and the API (``2026-03``, ``2026-W10``, ``2026-Q1``, ``2026-H1``,
``2026``, ``2026-03-05`` for a day, ``2026-03-01..2026-03-20`` for a custom range); ``Period.parse`` reads it
back and refuses anything else with the field at fault.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.core.calendar import is_workday
from gridgov.core.errors import DomainError

MAX_DAYS = 3 * 366  # a custom range is at most about three years, as the KPIs' period


class PeriodKind(models.TextChoices):
    DAY = "day", gettext_lazy("日")
    WEEK = "week", gettext_lazy("周")
    MONTH = "month", gettext_lazy("月")
    QUARTER = "quarter", gettext_lazy("季度")
    HALF = "half", gettext_lazy("半年")
    YEAR = "year", gettext_lazy("年")
    CUSTOM = "custom", gettext_lazy("自定义")


_PATTERNS = (
    (PeriodKind.CUSTOM, re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")),
    (PeriodKind.DAY, re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")),
    (PeriodKind.WEEK, re.compile(r"^(\d{4})-W(\d{2})$")),
    (PeriodKind.QUARTER, re.compile(r"^(\d{4})-Q([1-4])$")),
    (PeriodKind.HALF, re.compile(r"^(\d{4})-H([12])$")),
    (PeriodKind.MONTH, re.compile(r"^(\d{4})-(\d{2})$")),
    (PeriodKind.YEAR, re.compile(r"^(\d{4})$")),
)


def _month_start(year: int, month: int) -> date:
    return date(year + (month - 1) // 12, (month - 1) % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    kind: str
    start: date  # first day, inclusive
    end: date  # last day, inclusive

    # ------------------------------------------------------------ building

    @classmethod
    def of(cls, kind: str, day: date) -> Period:
        """The period of ``kind`` that holds ``day``."""
        if kind == PeriodKind.DAY:
            return cls(kind, day, day)
        if kind == PeriodKind.WEEK:
            monday = day - timedelta(days=day.weekday())
            return cls(kind, monday, monday + timedelta(days=6))
        if kind == PeriodKind.MONTH:
            first = day.replace(day=1)
        elif kind == PeriodKind.QUARTER:
            first = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
        elif kind == PeriodKind.HALF:
            first = date(day.year, 1 if day.month <= 6 else 7, 1)
        elif kind == PeriodKind.YEAR:
            first = date(day.year, 1, 1)
        else:
            raise DomainError("invalid", _("周期类型无效"), "kind")
        months = {PeriodKind.MONTH: 1, PeriodKind.QUARTER: 3, PeriodKind.HALF: 6, PeriodKind.YEAR: 12}[kind]
        return cls(kind, first, _month_start(first.year, first.month + months) - timedelta(days=1))

    @classmethod
    def custom(cls, start: date, end: date, field: str = "end") -> Period:
        if end < start:
            raise DomainError("invalid", _("结束日期不能早于开始日期"), field)
        if (end - start).days >= MAX_DAYS:
            raise DomainError("period_too_long", _("统计期间最长 3 年"), field)
        return cls(PeriodKind.CUSTOM, start, end)

    @classmethod
    def parse(cls, key: str, field: str = "period") -> Period:
        """A period from its key; a clear refusal on ``field`` for anything else."""
        key = (key or "").strip()
        for kind, pattern in _PATTERNS:
            match = pattern.match(key)
            if not match:
                continue
            try:
                if kind == PeriodKind.CUSTOM:
                    return cls.custom(
                        date.fromisoformat(match.group(1)), date.fromisoformat(match.group(2)), field
                    )
                numbers = [int(g) for g in match.groups()]
                if kind == PeriodKind.DAY:
                    return cls.of(kind, date(*numbers))
                if kind == PeriodKind.WEEK:
                    return cls.of(kind, date.fromisocalendar(numbers[0], numbers[1], 1))
                if kind == PeriodKind.MONTH:
                    return cls.of(kind, date(numbers[0], numbers[1], 1))
                if kind == PeriodKind.QUARTER:
                    return cls.of(kind, date(numbers[0], 3 * numbers[1] - 2, 1))
                if kind == PeriodKind.HALF:
                    return cls.of(kind, date(numbers[0], 1 if numbers[1] == 1 else 7, 1))
                return cls.of(kind, date(numbers[0], 1, 1))
            except ValueError:
                break
        raise DomainError(
            "invalid_period",
            _(
                "统计周期「%(key)s」无效：应写作 2026-03、2026-W10、2026-Q1、2026-H1、2026、2026-03-05 或 2026-03-01..2026-03-20"
            )
            % {"key": key[:40]},
            field,
        )

    # ------------------------------------------------------------ reading

    @property
    def key(self) -> str:
        if self.kind == PeriodKind.DAY:
            return self.start.isoformat()
        if self.kind == PeriodKind.WEEK:
            year, week, _day = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        if self.kind == PeriodKind.MONTH:
            return f"{self.start.year}-{self.start.month:02d}"
        if self.kind == PeriodKind.QUARTER:
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        if self.kind == PeriodKind.HALF:
            return f"{self.start.year}-H{1 if self.start.month == 1 else 2}"
        if self.kind == PeriodKind.YEAR:
            return str(self.start.year)
        return f"{self.start.isoformat()}..{self.end.isoformat()}"

    @property
    def label(self) -> str:
        """The period as a person reads it, in the reader's language."""
        y = self.start.year
        if self.kind == PeriodKind.DAY:
            return _("%(y)s年%(m)s月%(d)s日") % {"y": y, "m": self.start.month, "d": self.start.day}
        if self.kind == PeriodKind.WEEK:
            year, week, _day = self.start.isocalendar()
            return _("%(y)s年第%(w)s周") % {"y": year, "w": week}
        if self.kind == PeriodKind.MONTH:
            return _("%(y)s年%(m)s月") % {"y": y, "m": self.start.month}
        if self.kind == PeriodKind.QUARTER:
            return _("%(y)s年第%(q)s季度") % {"y": y, "q": (self.start.month - 1) // 3 + 1}
        if self.kind == PeriodKind.HALF:
            return _("%(y)s年上半年") % {"y": y} if self.start.month == 1 else _("%(y)s年下半年") % {"y": y}
        if self.kind == PeriodKind.YEAR:
            return _("%(y)s年") % {"y": y}
        return _("%(start)s 至 %(end)s") % {"start": self.start.isoformat(), "end": self.end.isoformat()}

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def begin(self) -> datetime:
        """The first moment of the period: ``start`` 00:00 local time."""
        return datetime.combine(self.start, time.min, tzinfo=timezone.get_default_timezone())

    @property
    def finish(self) -> datetime:
        """The first moment after the period: the day after ``end``, 00:00 local time."""
        return datetime.combine(
            self.end + timedelta(days=1), time.min, tzinfo=timezone.get_default_timezone()
        )

    def cutoff(self, now: datetime) -> datetime:
        """Up to when deadlines count as due: the end of the period, or ``now`` while it is running."""
        return min(self.finish, now)

    def previous(self) -> Period:
        """The period of the same kind just before (a custom range: the same number of days before)."""
        if self.kind == PeriodKind.CUSTOM:
            end = self.start - timedelta(days=1)
            return Period(self.kind, end - timedelta(days=self.days - 1), end)
        return Period.of(self.kind, self.start - timedelta(days=1))

    def working_days(self) -> int:
        """The working days of the period by the working-day calendar (docs/calendar.md): weekends and
        public holidays left out, adjusted working weekends (调休) counted."""
        day, count = self.start, 0
        while day <= self.end:
            count += is_workday(day)[0]
            day += timedelta(days=1)
        return count

    def __str__(self) -> str:
        return self.key
