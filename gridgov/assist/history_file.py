"""The file format of past work orders brought in from an old system: an Excel .xlsx workbook
(first sheet) or a CSV file (UTF-8 with or without BOM, or GB18030 as older Chinese systems write), one
header row then one work order a row.

A header may be the Chinese column header or the English column name (see :data:`COLUMNS`); column order
does not matter, unknown columns are refused by name, blank rows are skipped. :func:`read_rows` yields raw
values only (cells as openpyxl or the CSV gives them): checking and converting them is the import's work
(:mod:`gridgov.assist.history`). :func:`write_rows` writes the same format, for the demo and benchmarks.

The safety checks on a workbook (size, real .xlsx by content, encryption, zip bombs) are the ledger's
(:func:`gridgov.ledger.excel.check_file`); a CSV is checked for size and for binary content.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.core.errors import DomainError
from gridgov.ledger import excel


@dataclass(frozen=True)
class HistoryColumn:
    name: str  # the English column name, also the key of a row dict
    header: str  # the Chinese column header
    required: bool = False
    max_length: int | None = None


# Column order is the order written by write_rows (and the order of a template).
COLUMNS: list[HistoryColumn] = [
    HistoryColumn("ref", "工单编号", max_length=64),
    HistoryColumn("reported_at", "上报时间", True),
    HistoryColumn("text", "问题描述", True, 2000),
    HistoryColumn("category", "问题分类", True, 100),
    HistoryColumn("unit", "处置单位", max_length=100),
    HistoryColumn("result", "处置结果", max_length=2000),
    HistoryColumn("closed_at", "办结时间"),
    HistoryColumn("address", "地址", max_length=200),
    HistoryColumn("lng", "经度"),
    HistoryColumn("lat", "纬度"),
    HistoryColumn("grid", "所属网格", max_length=100),
]
BY_NAME = {c.name: c for c in COLUMNS}
BY_HEADER = {c.header: c for c in COLUMNS}

MAX_ROWS = excel.MAX_ROWS  # data rows in one file
CSV_ENCODINGS = ("utf-8-sig", "gb18030")


def header_of(name: str) -> str:
    """The Chinese header of column ``name`` (used in row-level error reports)."""
    col = BY_NAME.get(name)
    return col.header if col else name


def _match_header(cells: Iterable[Any]) -> dict[int, str]:
    """Map each header cell's position to its column name; refuse unknown, duplicate or missing columns."""
    positions: dict[int, str] = {}
    unknown: list[str] = []
    seen: set[str] = set()
    for pos, cell in enumerate(cells):
        label = ("" if cell is None else str(cell)).strip().lstrip("\ufeff")
        if not label:
            continue
        col = BY_HEADER.get(label) or BY_NAME.get(label.lower())
        if col is None:
            unknown.append(label)
            continue
        if col.name in seen:
            raise DomainError("wrong_template", _("列名「%(name)s」出现了两次") % {"name": label}, "file")
        seen.add(col.name)
        positions[pos] = col.name
    if not positions and not unknown:
        raise DomainError("wrong_template", _("第一行没有列名：请使用历史工单导入模板的列名"), "file")
    missing = [c.header for c in COLUMNS if c.required and c.name not in seen]
    if missing or unknown:
        parts = []
        if missing:
            parts.append(_("缺少列：") + "、".join(missing))
        if unknown:
            parts.append(_("无法识别的列：") + "、".join(unknown[:20]))
        raise DomainError(
            "wrong_template",
            _("不是历史工单导入格式（%(parts)s）") % {"parts": "；".join(parts)},  # fmt: skip
            "file",
        )
    return positions


def _rows(values: Iterable[tuple | list], positions: dict[int, str]) -> Iterator[tuple[int, dict]]:
    """Number the data rows (the header is row 1), skip blank ones, stop past the limits."""
    count = 0
    number = 1
    for cells in values:
        number += 1
        if number > excel.MAX_BLANK_RUN:
            raise DomainError("too_many_rows", _("工作表行数异常（超过 Excel 的最大行数）"), "file")
        row = {name: (cells[pos] if pos < len(cells) else None) for pos, name in positions.items()}
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in row.values()):
            continue
        count += 1
        if count > MAX_ROWS:
            raise DomainError(
                "too_many_rows", _("数据行超过 %(max_rows)s 行，请分批导入") % {"max_rows": f"{MAX_ROWS:,}"}, "file"
            )  # fmt: skip
        for col in COLUMNS:
            row.setdefault(col.name, None)
        yield number, row


def is_xlsx(path: str | Path) -> bool:
    with Path(path).open("rb") as fh:
        head = fh.read(8)
    return head.startswith(b"PK\x03\x04") or head.startswith(b"\xd0\xcf\x11\xe0")


def check_file(path: str | Path) -> None:
    """Refuse a file that is too large, an unsafe workbook, or a CSV that is not text."""
    path = Path(path)
    if is_xlsx(path):
        excel.check_file(path)
        return
    size = path.stat().st_size
    if size > excel.max_bytes():
        raise DomainError(
            "file_too_large",
            _("文件过大（%(size)s MB，上限 %(limit)s MB）")
            % {"size": f"{size / 1048576:.1f}", "limit": excel.max_bytes() // 1048576},
            "file",
        )
    with path.open("rb") as fh:
        head = fh.read(4096)
    if b"\x00" in head:
        raise DomainError("not_csv", _("文件不是 Excel .xlsx 或 CSV 格式"), "file")


def _decode(data: bytes) -> str:
    for encoding in CSV_ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DomainError("bad_encoding", _("CSV 文件编码无法识别（请另存为 UTF-8 或 GB18030）"), "file")


def _read_csv(path: Path) -> Iterator[tuple[int, dict]]:
    reader = csv.reader(io.StringIO(_decode(path.read_bytes()), newline=""))
    try:
        header = next(reader, [])
        positions = _match_header(header)
        yield from _rows(reader, positions)
    except csv.Error as exc:
        raise DomainError(
            "corrupt", _("第 %(number)s 行无法读取（%(exc)s）") % {"number": reader.line_num, "exc": exc}, "file"
        ) from None  # fmt: skip


def _read_xlsx(path: Path) -> Iterator[tuple[int, dict]]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many types for malformed parts
        raise DomainError("corrupt", _("文件无法作为 Excel 工作簿打开，可能已损坏"), "file") from None
    try:
        ws = wb.worksheets[0]
        header: tuple = ()
        for values in ws.iter_rows(min_row=1, max_row=1, max_col=200, values_only=True):
            header = values
        positions = _match_header(header)
        ws.reset_dimensions()  # the sheet's <dimension> is only a claim: read to the real end
        try:
            yield from _rows(ws.iter_rows(min_row=2, max_col=max(positions) + 1, values_only=True), positions)
        except (KeyError, ValueError, TypeError, OSError) as exc:
            raise DomainError(
                "corrupt", _("文件读取出错，可能已损坏（%(exc)s）") % {"exc": exc}, "file"
            ) from None
    finally:
        wb.close()


def read_rows(path: str | Path) -> Iterator[tuple[int, dict]]:
    """``(row number, {column name: raw value})`` for every non-blank data row of an .xlsx or .csv file,
    after the safety checks. Every column name of :data:`COLUMNS` is a key (``None`` when absent).
    Raises :class:`DomainError` (field ``file``) for a file that cannot be read as this format."""
    path = Path(path)
    check_file(path)
    return _read_xlsx(path) if is_xlsx(path) else _read_csv(path)


def _cell(ws: Any, value: Any) -> Any:
    """A cell value as written; text is always written as text, never as a formula (``=cmd|...`` stays
    inert and reads back unchanged), without characters a cell cannot hold."""
    if value is None:
        return None
    if isinstance(value, str):
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(ws, excel.UNWRITABLE.sub("\ufffd", value))
        cell.data_type = "s"
        return cell
    if isinstance(value, datetime) and value.tzinfo is not None:
        # Excel keeps no zone: an aware moment is written as the site's wall-clock time, which the
        # import reads back in the same zone
        return timezone.localtime(value).replace(tzinfo=None)
    return value


def write_rows(path: str | Path, rows: Iterable[dict], *, encoding: str = "utf-8-sig") -> Path:
    """Write ``rows`` (dicts keyed by column name) with Chinese headers: .xlsx when ``path`` ends in
    ``.xlsx``, otherwise CSV in ``encoding`` (``gb18030`` for an old system's export)."""
    path = Path(path)
    headers = [c.header for c in COLUMNS]
    if path.suffix.lower() == ".xlsx":
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        ws = wb.create_sheet(_("历史工单"))
        ws.append(headers)
        for row in rows:
            ws.append([_cell(ws, row.get(c.name)) for c in COLUMNS])
        wb.save(path)
        return path
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(headers)
        for row in rows:
            writer.writerow(["" if row.get(c.name) is None else row.get(c.name) for c in COLUMNS])
    return path
