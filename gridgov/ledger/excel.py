"""Ledger spreadsheets (台账): the downloadable templates, the safety checks on an uploaded workbook and the
streaming reader the import runs on, and small writers for the error report and the rejected rows.

The headers come from :data:`gridgov.ledger.rules.COLUMNS`, so the template, the import and the export always
agree. An uploaded file is checked by content before openpyxl sees it: it must be a zip holding
``xl/workbook.xml`` (an ``.xls``, a ``.csv`` or anything renamed is refused), no member may be encrypted, and
the uncompressed sizes are summed from the zip directory first so a zip bomb is refused without being
inflated. The reader streams the first sheet in openpyxl's read-only mode, reads only the template's
columns, skips blank rows cheaply and stops at :data:`MAX_ROWS` data rows.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from gridgov.core.errors import DomainError
from gridgov.ledger import rules
from gridgov.ledger.models import FocusTag

KIND_LABELS = {
    "buildings": "楼栋",
    "households": "户",
    "residents": "居民",
    "organisations": "组织",
}
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

MAX_ROWS = 200_000  # data rows (blank rows are skipped and not counted)
MAX_CELL = 5_000  # characters in one cell; longer is a row error whatever the column
MAX_BLANK_RUN = 1_100_000  # more physical rows than Excel has: a crafted sheet, stop reading
TAG_COLUMNS = ("tags",)


def max_bytes() -> int:
    return int(getattr(settings, "LEDGER_IMPORT_MAX_BYTES", 20 * 1024 * 1024))


def max_uncompressed() -> int:
    return int(getattr(settings, "LEDGER_IMPORT_MAX_UNCOMPRESSED", 400 * 1024 * 1024))


def columns_for(kind: str) -> list[rules.Column]:
    try:
        return rules.COLUMNS[kind]
    except KeyError:
        raise DomainError(
            "invalid_kind",
            (
                _("台账类型「%(kind)s」不存在（可选：%(columns)s）")
                % {"kind": kind, "columns": "、".join(rules.COLUMNS)}
            ),
            "kind",
        ) from None


# ---------------------------------------------------------------- templates

HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
REQUIRED_FONT = Font(bold=True, color="C00000")
HEADER_FONT = Font(bold=True)


def _tag_names(kind: str) -> list[str]:
    wanted = {
        "residents": (FocusTag.AppliesTo.RESIDENT, FocusTag.AppliesTo.BOTH),
        "households": (FocusTag.AppliesTo.HOUSEHOLD, FocusTag.AppliesTo.BOTH),
    }.get(kind, ())
    return list(FocusTag.objects.filter(is_active=True, applies_to__in=wanted).values_list("name", flat=True))


def template_bytes(kind: str) -> bytes:
    """The empty template of ``kind``: headers (required ones in red), a comment on each header with its
    rule, column widths, drop-down lists for enum columns and for tags (from a hidden sheet of the active
    focus tags), and a sheet of instructions."""
    columns = columns_for(kind)
    wb = Workbook()
    ws = wb.active
    ws.title = KIND_LABELS[kind]
    ws.freeze_panes = "A2"
    last_row = MAX_ROWS + 1
    tags = _tag_names(kind)
    if tags:
        lists = wb.create_sheet("标签")
        for i, name in enumerate(tags, start=1):
            lists.cell(row=i, column=1, value=name)
        lists.sheet_state = "hidden"
    for index, col in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=index, value=col.header)
        cell.font = REQUIRED_FONT if col.required else HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center")
        ws.column_dimensions[get_column_letter(index)].width = max(col.width, len(col.header) * 2 + 4)
        note = _column_note(col)
        if note:
            cell.comment = Comment(note, "gridgov", width=260, height=110)
        letter = get_column_letter(index)
        ref = f"{letter}2:{letter}{last_row}"
        if col.choices is not None:
            dv = DataValidation(
                type="list",
                formula1='"' + ",".join(col.labels) + '"',
                allow_blank=not col.required,
                showErrorMessage=True,
                errorTitle=col.header,
                error=f"请从下拉列表选择：{'、'.join(col.labels)}",
            )
            dv.add(ref)
            ws.add_data_validation(dv)
        elif col.name in TAG_COLUMNS and tags:
            # A list offers the tags; several tags in one cell (顿号分隔) stay allowed, so no error box.
            dv = DataValidation(
                type="list",
                formula1=f"{quote_sheetname('标签')}!$A$1:$A${len(tags)}",
                allow_blank=True,
                showErrorMessage=False,
                promptTitle=col.header,
                prompt="可选择一个标签；多个标签用顿号分隔",
                showInputMessage=True,
            )
            dv.add(ref)
            ws.add_data_validation(dv)
    ws.row_dimensions[1].height = 22
    help_sheet = wb.create_sheet("填写说明", 1)
    help_sheet.column_dimensions["A"].width = 20
    help_sheet.column_dimensions["B"].width = 8
    help_sheet.column_dimensions["C"].width = 70
    help_sheet.append(["列名", "必填", "说明"])
    for c in help_sheet[1]:
        c.font = HEADER_FONT
        c.fill = HEADER_FILL
    for col in columns:
        help_sheet.append([col.header, "是" if col.required else "", _column_note(col)])
    help_sheet.append([])
    help_sheet.append(["", "", f"从第 2 行起每行一条记录，最多 {MAX_ROWS:,} 行；不要修改第 1 行的列名。"])
    help_sheet.append(
        ["", "", "单元格请填写数值，不要使用公式。重复导入同一文件会更新已有记录，不会重复登记。"]
    )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _column_note(col: rules.Column) -> str:
    parts = []
    if col.required:
        parts.append("必填")
    if col.help:
        parts.append(col.help)
    if col.choices is not None:
        parts.append("可选：" + "、".join(col.labels))
    return "；".join(parts)


# ---------------------------------------------------------------- checking a file


def check_file(path: str | Path) -> None:
    """Refuse anything that is not a safe .xlsx, by content. Raises :class:`DomainError` (``field`` file)."""
    path = Path(path)
    size = path.stat().st_size
    if size > max_bytes():
        raise DomainError(
            "file_too_large",
            (
                _("文件过大（%(size)s MB，上限 %(limit)s MB）")
                % {"size": f"{size / 1048576:.1f}", "limit": max_bytes() // 1048576}
            ),
            "file",
        )
    with path.open("rb") as fh:
        head = fh.read(8)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise DomainError(
            "not_xlsx", _("这是旧版 .xls 文件或已加密的 Excel 文件，请另存为不加密的 .xlsx 后再上传"), "file"
        )
    if not head.startswith(b"PK\x03\x04"):
        raise DomainError("not_xlsx", _("文件不是 Excel .xlsx 格式（请用模板填写后另存为 .xlsx）"), "file")
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            names = {i.filename for i in infos}
            if "xl/workbook.xml" not in names:
                raise DomainError("not_xlsx", _("文件不是 Excel .xlsx 格式（压缩包中没有工作簿）"), "file")
            if any(i.flag_bits & 0x1 for i in infos):
                raise DomainError("encrypted", _("文件已加密，请取消密码后再上传"), "file")
            total = sum(i.file_size for i in infos)
            if total > max_uncompressed():
                raise DomainError(
                    "file_too_large",
                    (
                        _("文件解压后过大（%(size)s MB，上限 %(limit)s MB）")
                        % {"size": f"{total / 1048576:.0f}", "limit": max_uncompressed() // 1048576}
                    ),
                    "file",
                )
            for info in infos:
                # Real sheets compress 5–20×; a bomb compresses hundreds of times.
                if info.file_size > 10 * 1048576 and info.file_size > 200 * max(info.compress_size, 1):
                    raise DomainError("zip_bomb", _("文件内容异常（压缩比过高），已拒绝"), "file")
    except zipfile.BadZipFile:
        raise DomainError("corrupt", _("文件已损坏，无法打开"), "file") from None


# ---------------------------------------------------------------- reading


@dataclass
class Sheet:
    """The first worksheet of an uploaded file, opened for streaming."""

    columns: list[rules.Column]
    positions: list[int]  # for each column of the template, its 0-based position in the file
    width: int  # how many cells of each row to read
    declared_rows: int  # the sheet's own claim of its size (a hint for progress only)
    _wb: Any
    _ws: Any

    def rows(self) -> Iterator[tuple[int, tuple]]:
        """``(excel row number, values in template column order)`` for every non-blank data row."""
        positions = self.positions
        count = 0
        number = 1
        try:
            for values in self._ws.iter_rows(min_row=2, max_col=self.width, values_only=True):
                number += 1
                if number > MAX_BLANK_RUN:
                    raise DomainError("too_many_rows", _("工作表行数异常（超过 Excel 的最大行数）"), "file")
                for v in values:
                    if v is not None and v != "":
                        break
                else:
                    continue  # blank row: skipped without cleaning
                count += 1
                if count > MAX_ROWS:
                    raise DomainError(
                        "too_many_rows",
                        (_("数据行超过 %(max_rows)s 行，请分批导入") % {"max_rows": f"{MAX_ROWS:,}"}),
                        "file",
                    )
                yield number, tuple(values[p] if p < len(values) else None for p in positions)
        except DomainError:
            raise
        except (KeyError, ValueError, TypeError, zipfile.BadZipFile, OSError) as exc:
            raise DomainError(
                "corrupt",
                (
                    _("第 %(number)s 行附近无法读取，文件可能已损坏（%(exc)s）")
                    % {"number": number, "exc": exc}
                ),
                "file",
            ) from None

    def close(self) -> None:
        self._wb.close()


def open_sheet(path: str | Path, kind: str) -> Sheet:
    """Check the file (see :func:`check_file`), open its first sheet and match its header row to the
    template of ``kind``: a missing or unknown header is refused, naming it."""
    columns = columns_for(kind)
    check_file(path)
    try:
        wb = load_workbook(path, read_only=True, data_only=False)
    except DomainError:
        raise
    except Exception:  # openpyxl raises many types for malformed parts
        raise DomainError("corrupt", _("文件无法作为 Excel 工作簿打开，可能已损坏"), "file") from None
    try:
        ws = wb.worksheets[0]
        header: tuple = ()
        for values in ws.iter_rows(min_row=1, max_row=1, max_col=200, values_only=True):
            header = values
        names = [("" if v is None else str(v)).strip() for v in header]
        while names and not names[-1]:
            names.pop()
        by_header = {c.header: c for c in columns}
        seen: dict[str, int] = {}
        unknown = []
        for pos, name in enumerate(names):
            if not name:
                continue
            if name in seen:
                raise DomainError(
                    "wrong_template", (_("列名「%(name)s」出现了两次") % {"name": name}), "file"
                )
            seen[name] = pos
            if name not in by_header:
                unknown.append(name)
        missing = [c.header for c in columns if c.header not in seen]
        if not names:
            raise DomainError("wrong_template", _("第一行没有列名：请使用下载的模板"), "file")
        if missing or unknown:
            parts = []
            if missing:
                parts.append(_("缺少列：") + "、".join(missing))
            if unknown:
                parts.append(_("无法识别的列：") + "、".join(unknown[:20]))
            raise DomainError(
                "wrong_template",
                (
                    _("不是「%(kind)s」导入模板（%(parts)s）")
                    % {"kind": KIND_LABELS[kind], "parts": "；".join(parts)}
                ),
                "file",
            )
        positions = [seen[c.header] for c in columns]
        declared = max((ws.max_row or 1) - 1, 0)
        # The sheet's <dimension> is only a claim: too small, openpyxl would stop early and rows would be
        # lost; too large, it is harmless (blank rows are skipped). Read to the real end.
        ws.reset_dimensions()
        return Sheet(columns, positions, max(positions) + 1, declared, wb, ws)
    except BaseException:
        wb.close()
        raise


# ---------------------------------------------------------------- reports


def short(value: Any, limit: int = 100) -> Any:
    """A value as shown in a report: long strings cut (a 30,000-character cell is not repeated)."""
    if isinstance(value, str) and len(value) > limit:
        return value[:limit] + (_("…（共 %(length)s 字）") % {"length": len(value)})
    return value


def report_value(value: Any) -> Any:
    """A JSON-safe value for ImportJob.errors."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return short(value)
    return short(str(value))


def error_report_bytes(errors: list[dict]) -> bytes:
    """The row-level errors as a workbook: 行号, 列, 内容, 原因."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("错误报告")
    for letter, width in zip("ABCD", (8, 18, 30, 60), strict=True):
        ws.column_dimensions[letter].width = width
    ws.append(["行号", "列", "内容", "原因"])
    for e in errors:
        ws.append([e["row"], e["column"], safe_cell(e["value"]), e["reason"]])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def rejected_rows_bytes(kind: str, rows: list[tuple[int, tuple, str]]) -> bytes:
    """The rejected rows as they were, in the template's columns, plus 原行号 and 错误原因, so they can be
    corrected and imported again (after deleting the two added columns)."""
    columns = columns_for(kind)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(KIND_LABELS[kind])
    for index, col in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(index)].width = col.width
    ws.column_dimensions[get_column_letter(len(columns) + 1)].width = 8
    ws.column_dimensions[get_column_letter(len(columns) + 2)].width = 60
    ws.append([c.header for c in columns] + ["原行号", "错误原因"])
    for number, values, reason in rows:
        ws.append([safe_cell(v) for v in values] + [number, reason])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# Characters a spreadsheet cell cannot hold (control characters but tab, newline, carriage return, and
# lone surrogates); openpyxl refuses them, so one stored value would fail a whole export.
UNWRITABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")


def safe_cell(value: Any) -> Any:
    """Written back as text, never as a formula (a rejected ``=cmd|...`` cell stays inert); characters a
    cell cannot hold are replaced with U+FFFD, so the row is still written."""
    if isinstance(value, str):
        value = UNWRITABLE.sub("\ufffd", value[:MAX_CELL])
        if value[:1] in ("=", "+", "-", "@") and not _is_number(value):
            return "'" + value
    return value


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def xlsx_response(content: bytes | Path, filename: str):
    """A workbook (bytes, or a stored file) as a download named ``filename``."""
    from django.http import FileResponse

    fh = content.open("rb") if isinstance(content, Path) else io.BytesIO(content)
    return FileResponse(fh, as_attachment=True, filename=filename, content_type=XLSX_TYPE)
