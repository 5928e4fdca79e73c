"""``/api/v1/imports`` (templates, upload, status with progress, error report, rejected rows) and
``/api/v1/exports`` (any ledger list with its filters as .xlsx, masked unless revealed with a reason)."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from gridgov.core.errors import DomainError, NotFound
from gridgov.core.pagination import Pages
from gridgov.core.scope import is_staff
from gridgov.ledger import excel, selectors
from gridgov.ledger import exports as ledger_exports
from gridgov.ledger import imports as ledger_imports
from gridgov.ledger.models import ImportJob

imports = Router(tags=["ledger import/export"])
exports = Router(tags=["ledger import/export"])


class ImportError_(Schema):
    row: int = Field(..., description="Excel 行号")
    column: str = Field(..., description="列名")
    value: str | int | float | bool | None = None
    reason: str


class ImportJobOut(Schema):
    id: int
    kind: str
    mode: str
    area: str = Field(..., alias="area.code")
    area_name: str = Field(..., alias="area.name")
    state: str
    state_label: str
    filename: str
    rows_total: int
    rows_checked: int
    rows_created: int
    rows_updated: int
    rows_rejected: int
    error_count: int
    message: str
    created_at: datetime
    started_at: datetime | None
    heartbeat_at: datetime | None
    finished_at: datetime | None
    created_by: str | None
    error_report: str | None = Field(None, description="错误报告 .xlsx 的地址")
    rejected_rows: str | None = Field(None, description="退回行 .xlsx（带错误原因列）的地址")

    @staticmethod
    def resolve_state_label(obj: ImportJob) -> str:
        return str(obj.get_state_display())

    @staticmethod
    def resolve_created_by(obj: ImportJob) -> str | None:
        return obj.created_by.get_username() if obj.created_by else None

    @staticmethod
    def resolve_error_report(obj: ImportJob) -> str | None:
        return f"/api/v1/imports/{obj.pk}/errors.xlsx" if obj.error_count else None

    @staticmethod
    def resolve_rejected_rows(obj: ImportJob) -> str | None:
        return f"/api/v1/imports/{obj.pk}/rejected.xlsx" if obj.rejected_path else None


class ImportJobDetail(ImportJobOut):
    errors: list[ImportError_] = Field(default_factory=list, description="前 500 条行级错误")


def _job(request, job_id: int) -> ImportJob:
    return selectors.get_visible(selectors.imports_visible_to(request.auth), job_id)


@imports.get("/templates/{kind}", summary="下载导入模板（.xlsx）")
def template(request: HttpRequest, kind: str):
    if not is_staff(request.auth):
        raise DomainError("forbidden", _("只有工作人员可以导入台账"), status=403)
    content = excel.template_bytes(kind)
    return excel.xlsx_response(content, (_("%(kind)s导入模板.xlsx") % {"kind": excel.KIND_LABELS[kind]}))


@imports.post("", response={201: ImportJobOut}, summary="上传台账文件，创建导入任务")
def create_import(
    request: HttpRequest,
    file: File[UploadedFile],
    kind: Form[str],
    area: Form[str],
    mode: Form[str] = "all_or_nothing",
):
    job = ledger_imports.ledger_import_create(
        by=request.auth, kind=kind, area=area, mode=mode, file=file, filename=file.name or ""
    )
    return Status(201, ImportJob.objects.select_related("area", "created_by").get(pk=job.pk))


@imports.get("", response=list[ImportJobOut], summary="导入任务列表")
@paginate(Pages)
def list_imports(request: HttpRequest):
    return selectors.imports_visible_to(request.auth)


@imports.get("/{int:job_id}", response=ImportJobDetail, summary="导入任务状态、进度和错误")
def get_import(request: HttpRequest, job_id: int):
    return _job(request, job_id)


@imports.get("/{int:job_id}/errors.xlsx", summary="下载错误报告（行号、列、内容、原因）")
def error_report(request: HttpRequest, job_id: int):
    job = _job(request, job_id)
    path = ledger_imports.error_report_path(job)
    if path is None:
        raise NotFound(_("该导入没有错误报告"))
    return excel.xlsx_response(path, (_("错误报告-%(pk)s.xlsx") % {"pk": job.pk}))


@imports.get("/{int:job_id}/rejected.xlsx", summary="下载退回的行（带错误原因列）")
def rejected_rows(request: HttpRequest, job_id: int):
    job = _job(request, job_id)
    path = ledger_imports.rejected_rows_path(job)
    if path is None:
        raise NotFound(_("该导入没有退回的行"))
    return excel.xlsx_response(path, (_("退回行-%(pk)s.xlsx") % {"pk": job.pk}))


class ExportQuery(Schema):
    area: str | None = Field(None, description="区域编码（本区域及下级）")
    q: str = ""
    tag: str = Field("", description="标签代码")
    kind: str = Field("", description="楼栋或组织类型")
    building: str = Field("", description="楼栋编码（户）")
    residence_type: str = ""
    household: int | None = None
    active: bool = True
    reveal: bool = Field(False, description="导出完整身份证号和电话（需权限和原因，留痕）")
    reason: str = ""


@exports.get("/{ledger}", summary="导出台账（.xlsx，与导入模板同列；默认脱敏）")
def export(request: HttpRequest, ledger: str, query: Query[ExportQuery]):
    data = query.dict()
    reveal, reason = data.pop("reveal"), data.pop("reason")
    filename, content, _count = ledger_exports.ledger_export(
        by=request.auth, ledger=ledger, filters=data, reveal=reveal, reason=reason
    )
    return excel.xlsx_response(content, filename)
