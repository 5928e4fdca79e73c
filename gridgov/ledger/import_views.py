"""Pages for the ledger spreadsheets: the import page (templates, upload, recent jobs), one job's page
(progress polled with htmx while it runs, the row-level errors, the reports to download) and the export
download that the ledger list pages link to with their current filters.

Views stay thin: the actions in :mod:`gridgov.ledger.imports` and :mod:`gridgov.ledger.exports` check
role, scope and input; a ``DomainError`` becomes a message next to its field (or a notice on export)."""

from __future__ import annotations

import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from gridgov.areas.selectors import areas_visible_to
from gridgov.core.errors import DomainError, NotFound
from gridgov.core.pages import require
from gridgov.core.scope import is_staff
from gridgov.ledger import excel, exports, imports, selectors
from gridgov.ledger.models import ImportJob

# The sheets' own names (excel.KIND_LABELS) are part of the template's format; pages name them translated.
KINDS = [
    ("buildings", gettext_lazy("楼栋")),
    ("households", gettext_lazy("户")),
    ("residents", gettext_lazy("居民")),
    ("organisations", gettext_lazy("组织")),
]


def _file(content, filename: str) -> FileResponse:
    fh = content.open("rb") if hasattr(content, "open") else io.BytesIO(content)
    return FileResponse(fh, as_attachment=True, filename=filename, content_type=excel.XLSX_TYPE)


@login_required
@require_http_methods(["GET", "POST"])
def import_list(request):
    """台账导入: download a template, upload a filled one, see recent jobs."""
    user = request.user
    require(is_staff(user))
    errors: dict[str, str] = {}
    values = {
        "kind": request.GET.get("kind", "residents"),
        "area": user.area.code if user.area_id else "",
        "mode": "",
    }
    if request.method == "POST":
        values = {k: request.POST.get(k, "") for k in ("kind", "area", "mode")}
        upload = request.FILES.get("file")
        if upload is None:
            errors["file"] = _("请选择要上传的 .xlsx 文件")
        else:
            try:
                job = imports.ledger_import_create(
                    by=user,
                    kind=values["kind"],
                    area=values["area"],
                    mode=values["mode"] or ImportJob.Mode.ALL_OR_NOTHING,
                    file=upload,
                    filename=upload.name,
                )
            except DomainError as exc:
                errors[exc.field or "form"] = (
                    exc.message if exc.status != 404 else _("导入范围不存在或不在您的管辖范围内")
                )
            else:
                return redirect("ledger:import_detail", job_id=job.pk)
    page = Paginator(selectors.imports_visible_to(user), 20).get_page(request.GET.get("page"))
    areas = areas_visible_to(user).filter(is_active=True).exclude(level="microgrid").order_by("code")[:1000]
    return render(
        request,
        "ledger/imports.html",
        {
            "kinds": KINDS,
            "modes": ImportJob.Mode.choices,
            "areas": areas,
            "values": values,
            "errors": errors,
            "page": page,
            "jobs": page.object_list,
            "max_mb": excel.max_bytes() // 1048576,
            "max_rows": excel.MAX_ROWS,
        },
        status=400 if errors else 200,
    )


def _visible_job(user, job_id: int) -> ImportJob:
    try:
        return selectors.get_visible(selectors.imports_visible_to(user), job_id)
    except NotFound:
        raise Http404 from None


@login_required
@require_GET
def import_detail(request, job_id: int):
    """One job: state and progress (polled while queued or running), the errors, the downloads."""
    require(is_staff(request.user))
    job = _visible_job(request.user, job_id)
    running = job.state in (ImportJob.State.QUEUED, ImportJob.State.RUNNING)
    context = {
        "job": job,
        "running": running,
        "percent": min(100, round(100 * job.rows_checked / job.rows_total)) if job.rows_total else 0,
        "has_report": imports.error_report_path(job) is not None,
        "has_rejected": imports.rejected_rows_path(job) is not None,
    }
    partial = bool(request.headers.get("HX-Request")) and not request.headers.get(
        "HX-History-Restore-Request"
    )
    response = render(
        request, "ledger/import_status.html" if partial else "ledger/import_detail.html", context
    )
    response["Vary"] = "HX-Request"
    return response


@login_required
@require_GET
def import_errors(request, job_id: int):
    require(is_staff(request.user))
    job = _visible_job(request.user, job_id)
    path = imports.error_report_path(job)
    if path is None:
        raise Http404
    return _file(path, (_("错误报告-%(pk)s.xlsx") % {"pk": job.pk}))


@login_required
@require_GET
def import_rejected(request, job_id: int):
    require(is_staff(request.user))
    job = _visible_job(request.user, job_id)
    path = imports.rejected_rows_path(job)
    if path is None:
        raise Http404
    return _file(path, (_("退回行-%(pk)s.xlsx") % {"pk": job.pk}))


@login_required
@require_GET
def import_template(request, kind: str):
    require(is_staff(request.user))
    if kind not in excel.KIND_LABELS:
        raise Http404
    return _file(excel.template_bytes(kind), (_("%(kind)s导入模板.xlsx") % {"kind": excel.KIND_LABELS[kind]}))


@login_required
@require_GET
def export(request, kind: str):
    """The list ``kind`` with the filters of the query string, as .xlsx; ``reveal=1`` and ``reason=…``
    for full ID numbers and phones (permission needed, audited)."""
    require(is_staff(request.user))
    if kind not in excel.KIND_LABELS:
        raise Http404
    filters = {k: v for k, v in request.GET.items() if k not in ("reveal", "reason", "page")}
    reveal = request.GET.get("reveal") in ("1", "true", "on")
    try:
        filename, content, _count = exports.ledger_export(
            by=request.user, ledger=kind, filters=filters, reveal=reveal, reason=request.GET.get("reason", "")
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        back = request.headers.get("Referer", "")
        if not url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
            back = reverse("ledger:imports")
        return redirect(back)
    return _file(content, filename)
