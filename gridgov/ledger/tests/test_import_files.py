"""Bad files get a clear error: not an .xlsx (by content), an old .xls or encrypted file, a renamed CSV, a
corrupt or encrypted zip, a zip bomb, a file over the size limit, the wrong template, formulas, huge
strings, a sheet declaring 100,000 empty rows (fast), too many rows."""

# ruff: noqa: F811  (the shared fixtures are imported from test_import)
from __future__ import annotations

import io
import re
import time
import zipfile

import pytest

from gridgov.core.errors import DomainError
from gridgov.ledger import excel
from gridgov.ledger.imports import ledger_import_create
from gridgov.ledger.models import ImportJob, Resident
from gridgov.ledger.tests.test_import import GRID_A, inline_jobs, iw, resident, run, xlsx  # noqa: F401


def upload(by, content: bytes, name: str = "ledger.xlsx", kind: str = "residents"):
    f = io.BytesIO(content)
    f.name = name
    job = ledger_import_create(by=by, kind=kind, area=GRID_A, file=f)
    job.refresh_from_db()
    return job


def refused(by, content: bytes, code: str, **kw) -> DomainError:
    with pytest.raises(DomainError) as info:
        upload(by, content, **kw)
    assert info.value.code == code and info.value.field == "file" and info.value.status == 400
    assert not ImportJob.objects.exists()
    return info.value


def test_not_an_xlsx_by_content_whatever_the_name(iw):
    refused(iw.worker, b"hello, world", "not_xlsx")
    refused(iw.worker, "姓名,身份证号,楼栋编码\n张三,1,2\n".encode(), "not_xlsx", name="居民.xlsx")
    error = refused(iw.worker, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512, "not_xlsx", name="old.xls")
    assert ".xls" in error.message
    plain_zip = io.BytesIO()
    with zipfile.ZipFile(plain_zip, "w") as zf:
        zf.writestr("readme.txt", "not a workbook")
    refused(iw.worker, plain_zip.getvalue(), "not_xlsx")
    refused(iw.worker, b"", "empty_file")


def test_truncated_zip_is_corrupt(iw):
    content = xlsx("residents", [resident("张三", 1)]).getvalue()
    refused(iw.worker, content[: len(content) // 2], "corrupt")


def test_encrypted_zip_member_is_refused(iw):
    content = bytearray(xlsx("residents", [resident("张三", 1)]).getvalue())
    at = content.find(b"PK\x01\x02")  # first central directory entry: flag bits at +8
    while at != -1:
        content[at + 8] |= 0x1
        at = content.find(b"PK\x01\x02", at + 4)
    refused(iw.worker, bytes(content), "encrypted")


def test_zip_bomb_is_refused_before_inflating(iw, settings):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"\0" * (40 * 1024 * 1024))
    assert len(out.getvalue()) < 200_000
    refused(iw.worker, out.getvalue(), "zip_bomb")
    settings.LEDGER_IMPORT_MAX_UNCOMPRESSED = 1024
    refused(iw.worker, xlsx("residents", []).getvalue(), "file_too_large")


def test_file_over_the_size_limit(iw, settings):
    settings.LEDGER_IMPORT_MAX_BYTES = 2048
    refused(iw.worker, xlsx("residents", [resident("张三", 1)]).getvalue() + b"\0" * 4096, "file_too_large")


def test_workbook_that_openpyxl_cannot_open_fails_the_job(iw):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("xl/workbook.xml", "<not-really")
    job = upload(iw.worker, out.getvalue())
    assert job.state == ImportJob.State.FAILED and "无法作为 Excel 工作簿打开" in job.message


def test_wrong_template_names_the_missing_and_unknown_columns(iw):
    job = upload(iw.worker, xlsx("buildings", [{"code": "X", "name": "1号楼", "grid": GRID_A}]).getvalue())
    assert job.state == ImportJob.State.FAILED
    assert "缺少列：姓名" in job.message and "无法识别的列：楼栋名称" in job.message
    headers = [c.header for c in excel.columns_for("residents")]
    job = upload(iw.worker, xlsx("residents", [], headers=headers + ["身高"]).getvalue())
    assert job.state == ImportJob.State.FAILED and "无法识别的列：身高" in job.message
    job = upload(iw.worker, xlsx("residents", [], headers=[]).getvalue())
    assert job.state == ImportJob.State.FAILED and "没有列名" in job.message


def test_formulas_and_huge_strings_are_row_errors(iw):
    rows = [
        resident('=HYPERLINK("http://evil","点我")', 1),
        resident("张三", 2, workplace="=1+1"),
        resident("长" * 60, 3),  # over the name's limit of 50
        resident("李四", 4, note="很" * 50_000),  # over the hard cap of one cell
        resident("王五", 5),
    ]
    job = run(iw.worker, "residents", rows, area=GRID_A)
    assert job.state == ImportJob.State.REJECTED and job.rows_rejected == 4
    reasons = {(e["row"], e["column"]): e["reason"] for e in job.errors}
    assert "公式" in reasons[(2, "姓名")] and "公式" in reasons[(3, "工作单位/学校")]
    assert "不能超过 50 个字" in reasons[(4, "姓名")]
    assert "单元格上限" in reasons[(5, "备注")]
    long_value = next(e["value"] for e in job.errors if e["row"] == 5)
    assert len(long_value) < 200  # the report does not repeat 50,000 characters
    assert not Resident.objects.filter(name="王五").exists()


def _sheet_with_blank_rows(blank_rows: int, data_at: int | None) -> bytes:
    """A residents workbook whose sheet declares ``blank_rows`` rows of empty, styled cells."""
    base = xlsx("residents", []).getvalue()
    src = zipfile.ZipFile(io.BytesIO(base))
    sheet = src.read("xl/worksheets/sheet1.xml").decode()
    blank = "".join(
        f'<row r="{r}"><c r="A{r}" s="0"/><c r="B{r}" t="s"/></row>' for r in range(2, blank_rows + 2)
    )
    data = ""
    if data_at:
        data = f'<row r="{data_at}"><c r="A{data_at}" t="inlineStr"><is><t>孤行</t></is></c></row>'
    sheet = sheet.replace("</row></sheetData>", "</row>" + blank + data + "</sheetData>")
    sheet = re.sub(r'<dimension ref="[^"]*"\s*/>', '<dimension ref="A1:XFD1048576"/>', sheet)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for item in src.infolist():
            zf.writestr(item, sheet if item.filename == "xl/worksheets/sheet1.xml" else src.read(item))
    return out.getvalue()


def test_a_sheet_of_100000_declared_empty_rows_is_handled_fast(iw):
    content = _sheet_with_blank_rows(100_000, data_at=None)
    t0 = time.perf_counter()
    job = upload(iw.worker, content)
    assert time.perf_counter() - t0 < 20
    assert job.state == ImportJob.State.FAILED and job.message == "文件中没有数据行"
    # a row far below (a jump to the last row of Excel) is found and checked, cheaply
    t0 = time.perf_counter()
    job = upload(iw.worker, _sheet_with_blank_rows(10, data_at=1_048_576))
    assert time.perf_counter() - t0 < 20
    assert job.state == ImportJob.State.REJECTED, job.message
    assert job.errors[0]["row"] == 1_048_576


def test_too_many_data_rows_fail_the_job(iw, monkeypatch):
    monkeypatch.setattr(excel, "MAX_ROWS", 3)
    job = run(
        iw.worker, "residents", [resident(f"人{i}", i, room=f"{i}01") for i in range(1, 5)], area=GRID_A
    )
    assert job.state == ImportJob.State.FAILED and "数据行超过 3 行" in job.message
    assert not Resident.objects.filter(name__startswith="人").exists()


def test_a_dimension_claiming_too_few_rows_loses_no_row(iw):
    content = xlsx("residents", [resident("张三", 1), resident("李四", 2)]).getvalue()
    src = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<dimension ref="[^"]*"\s*/>', b'<dimension ref="A1:N1"/>', data)
            zf.writestr(item, data)
    job = upload(iw.worker, out.getvalue())
    assert (job.state, job.rows_created) == (ImportJob.State.DONE, 2)
