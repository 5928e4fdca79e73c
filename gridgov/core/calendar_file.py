"""The holiday-schedule file (节假日安排) read by ``gridgov import_calendar`` and the import page.

The file (UTF-8 JSON)::

    {"year": 2027,
     "holidays": [["2027-01-01", "元旦"], "2027-10-02", ...],
     "workdays": [["2027-09-26", "国庆节调休"], ...],
     "note": "国务院办公厅关于 2027 年部分节假日安排的通知"}

:func:`calendar_read_file` checks a whole file with the calendar's own rules and reports every problem
at once (field, entry, line of the file); :func:`calendar_import_preview` says what an import would
change; :func:`calendar_import_file` is the one action both the command and the page call: it reads the
file and hands it to :func:`gridgov.core.calendar.calendar_import_year` (admins only, audited, nothing
written when anything is wrong). See docs/calendar.md.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from json.decoder import JSONArray
from json.scanner import py_make_scanner
from typing import Any

from django.utils.translation import gettext as _

from gridgov.core.calendar import (
    _conflicts,
    _entries,
    _note,
    _require_calendar_admin,
    _year,
    calendar_import_year,
)
from gridgov.core.errors import DomainError
from gridgov.core.models import CalendarDay, CalendarYear

KNOWN_KEYS = ("year", "holidays", "workdays", "note")
LISTS = ("holidays", "workdays")
MAX_FILE_BYTES = 256 * 1024  # an official schedule is a few kilobytes


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file: the field (``year``, ``holidays`` …, ``file`` for the whole file),
    the entry of a list (from 1) and the line of the file when known, and the reason."""

    field: str
    message: str
    row: int | None = None
    line: int | None = None

    @property
    def where(self) -> str:
        return f"{self.field}[{self.row}]" if self.row else self.field

    def as_dict(self) -> dict:
        return {"field": self.field, "row": self.row, "line": self.line, "message": self.message}


@dataclass(frozen=True)
class CalendarFile:
    """A checked file: the year, its holidays and adjusted workdays as {date: name}, the note."""

    year: int
    holidays: dict[date, str]
    workdays: dict[date, str]
    note: str


class CalendarFileError(DomainError):
    """A refused file; ``problems`` lists every problem found."""

    def __init__(self, problems: list[Problem]):
        first = problems[0]
        super().__init__(
            "invalid_calendar_file",
            _("节假日安排文件有 %(n)s 处错误，未导入") % {"n": len(problems)},
            first.field,
            extra={"problems": [p.as_dict() for p in problems]},
        )
        self.problems = problems


class _Rows(list):
    """A JSON array that remembers the line each element starts on."""

    lines: list[int]


def _decode(text: str) -> Any:
    decoder = json.JSONDecoder()

    def parse_array(s_and_end, scan_once, **kwargs):
        text_, _start = s_and_end
        starts: list[int] = []

        def recording(string, idx):
            starts.append(idx)
            return scan_once(string, idx)

        values, end = JSONArray(s_and_end, recording, **kwargs)
        rows = _Rows(values)
        rows.lines = [text_.count("\n", 0, i) + 1 for i in starts]
        return rows, end

    decoder.parse_array = parse_array
    decoder.scan_once = py_make_scanner(decoder)
    return decoder.decode(text)


def _text(content: bytes | str) -> str:
    if isinstance(content, str):
        content = content.encode("utf-8")
    if len(content) > MAX_FILE_BYTES:
        raise CalendarFileError(
            [Problem("file", _("文件过大（最大 %(kb)s KB）") % {"kb": MAX_FILE_BYTES // 1024})]
        )
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CalendarFileError([Problem("file", _("不是 UTF-8 编码的文本文件"))]) from None


def calendar_read_file(content: bytes | str) -> CalendarFile:
    """Check a holiday-schedule file; raise :class:`CalendarFileError` listing every problem."""
    text = _text(content)
    try:
        data = _decode(text)
    except json.JSONDecodeError as exc:
        raise CalendarFileError(
            [
                Problem(
                    "file",
                    _("不是有效的 JSON（第 %(lineno)s 行第 %(colno)s 列：%(msg)s）")
                    % {"lineno": exc.lineno, "colno": exc.colno, "msg": exc.msg},
                    line=exc.lineno,
                )
            ]
        ) from None
    except RecursionError:
        raise CalendarFileError([Problem("file", _("JSON 嵌套过深"))]) from None
    if not isinstance(data, dict):
        raise CalendarFileError(
            [Problem("file", _('顶层应为对象 {"year": …, "holidays": […], "workdays": […]}'))]
        )
    problems: list[Problem] = [
        Problem(key, _("不认识的字段 %(key)s（可用：year, holidays, workdays, note）") % {"key": key})
        for key in sorted(set(data) - set(KNOWN_KEYS))
    ]
    if "year" not in data:
        problems.append(Problem("year", _("缺少年份")))
    problems += [Problem(key, _("缺少该列表（没有时写 []）")) for key in LISTS if key not in data]
    if problems:
        raise CalendarFileError(problems)
    try:
        year = _year(data["year"])
    except DomainError as exc:
        raise CalendarFileError([Problem("year", exc.message)]) from None
    found: dict[str, dict] = {}
    for key in LISTS:
        raw = data[key]
        errors: list[DomainError] = []
        try:
            found[key] = _entries(raw, field_name=key, year=year, problems=errors)
        except DomainError as exc:
            problems.append(Problem(key, exc.message))
            found[key] = {}
        lines = getattr(raw, "lines", [])
        for exc in errors:
            row = exc.extra.get("row")
            problems.append(Problem(key, exc.message, row, _line(lines, row)))
    for exc in _conflicts(found["holidays"], found["workdays"]):
        row = exc.extra.get("row")
        problems.append(
            Problem(exc.field, exc.message, row, _line(getattr(data["workdays"], "lines", []), row))
        )
    try:
        note = _note(data.get("note", ""))
    except DomainError as exc:
        problems.append(Problem("note", exc.message))
        note = ""
    if problems:
        raise CalendarFileError(problems)
    return CalendarFile(
        year=year,
        holidays={d: name for d, (name, _row) in found["holidays"].items()},
        workdays={d: name for d, (name, _row) in found["workdays"].items()},
        note=note,
    )


def _line(lines: list[int], row: int | None) -> int | None:
    return lines[row - 1] if row and 0 < row <= len(lines) else None


@dataclass(frozen=True)
class Change:
    """One date an import changes: what it is now and what it will be (``None``: no override)."""

    date: date
    before: str | None  # "holiday" / "workday"
    before_name: str
    after: str | None
    after_name: str


def calendar_import_preview(parsed: CalendarFile) -> dict:
    """What importing ``parsed`` would change: the year's state now, and each date whose override is
    added, removed or changed (a date kept as it is is not listed)."""
    now = {
        row.date: ("workday" if row.is_workday else "holiday", row.name)
        for row in CalendarDay.objects.filter(date__year=parsed.year)
    }
    then = {d: ("holiday", name) for d, name in parsed.holidays.items()}
    then |= {d: ("workday", name) for d, name in parsed.workdays.items()}
    changes = [
        Change(
            date=d,
            before=now.get(d, (None, ""))[0],
            before_name=now.get(d, (None, ""))[1],
            after=then.get(d, (None, ""))[0],
            after_name=then.get(d, (None, ""))[1],
        )
        for d in sorted(now.keys() | then.keys())
        if now.get(d) != then.get(d)
    ]
    return {
        "year": parsed.year,
        "configured": CalendarYear.objects.filter(year=parsed.year).first(),
        "holidays": len(parsed.holidays),
        "workdays": len(parsed.workdays),
        "note": parsed.note,
        "changes": changes,
    }


def calendar_import_file(*, by, content: bytes | str) -> CalendarYear:
    """Import a holiday-schedule file (admins; ``by=None`` is the system, the command). Every problem is
    refused at once (:class:`CalendarFileError`), nothing written; otherwise replaces the year's
    overrides and marks it configured (:func:`calendar_import_year`: audited ``calendar.import_year``)."""
    _require_calendar_admin(by)
    parsed = calendar_read_file(content)
    return calendar_import_year(
        by=by,
        year=parsed.year,
        holidays=sorted(parsed.holidays.items()),
        workdays=sorted(parsed.workdays.items()),
        note=parsed.note,
    )
