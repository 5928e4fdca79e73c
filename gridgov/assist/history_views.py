"""Pages of the history import: upload and the recent jobs, one job's progress and outcome
(polled with htmx while it runs), and the mapping of old category and unit names.

Views stay thin: the actions and reads of :mod:`gridgov.assist.history` check role, scope and input; a
``DomainError`` becomes a message next to its field."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from gridgov.accounts.models import Unit
from gridgov.areas.models import Level
from gridgov.areas.selectors import areas_visible_to
from gridgov.assist import history, history_file
from gridgov.assist.models import HistoryImport
from gridgov.cases.models import Category
from gridgov.core.errors import DomainError, NotFound
from gridgov.core.pages import require
from gridgov.ledger import excel


@login_required
@require_http_methods(["GET", "POST"])
def history_list(request):
    """Upload a file of old work orders; the recent jobs."""
    user = request.user
    require(history.may_import(user))
    errors: dict[str, str] = {}
    values = {"area": user.area.code if user.area_id else "", "on_unmapped": HistoryImport.OnUnmapped.REFUSE}
    if request.method == "POST":
        values = {k: request.POST.get(k, "") for k in ("area", "on_unmapped")}
        upload = request.FILES.get("file")
        if upload is None:
            errors["file"] = _("请选择要上传的 .xlsx 或 .csv 文件")
        else:
            try:
                job = history.history_import_create(
                    by=user, file=upload, filename=upload.name, on_unmapped=values["on_unmapped"], area=values["area"]
                )  # fmt: skip
            except DomainError as exc:
                errors[exc.field or "form"] = exc.message
            else:
                return redirect("assist:history_job", job_id=job.pk)
    page = Paginator(history.imports_visible_to(user), 20).get_page(request.GET.get("page"))
    areas = areas_visible_to(user).filter(
        is_active=True, level__in=(Level.DISTRICT, Level.STREET, Level.COMMUNITY)
    ).order_by("code")[:1000]  # fmt: skip
    context = {
        "areas": areas,
        "choices": HistoryImport.OnUnmapped.choices,
        "columns": history_file.COLUMNS,
        "values": values,
        "errors": errors,
        "page": page,
        "jobs": page.object_list,
        "max_mb": excel.max_bytes() // 1048576,
        "max_rows": history_file.MAX_ROWS,
        "may_map": history.may_map(user),
    }
    return render(request, "assist/history_list.html", context, status=400 if errors else 200)


@login_required
@require_GET
def history_job(request, job_id: int):
    """One job: state and progress (polled while queued or running), the unmapped names and the errors."""
    require(history.may_import(request.user))
    try:
        job = history.import_get_visible(request.user, job_id)
    except NotFound:
        raise Http404 from None
    context = {
        "job": job,
        "running": job.state in (HistoryImport.State.QUEUED, HistoryImport.State.RUNNING),
        "unmapped_categories": sorted(
            (job.unmapped or {}).get("categories", {}).items(), key=lambda i: -i[1]
        ),
        "unmapped_units": sorted((job.unmapped or {}).get("units", {}).items(), key=lambda i: -i[1]),
        "may_map": history.may_map(request.user),
    }
    partial = bool(request.headers.get("HX-Request")) and not request.headers.get(
        "HX-History-Restore-Request"
    )
    response = render(
        request, "assist/history_status.html" if partial else "assist/history_job.html", context
    )
    response["Vary"] = "HX-Request"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def history_mapping(request):
    """Old category and unit names: the unmapped ones reported by imports and the mapped ones, each with a
    choice of category (or unit) to map it to."""
    user = request.user
    require(history.may_import(user))
    if request.method == "POST":
        require(history.may_map(user))
        name = request.POST.get("name", "")
        try:
            history.alias_set(
                by=user, kind=request.POST.get("kind", ""), name=name, target=request.POST.get("target")
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("已保存「%(name)s」的对应关系") % {"name": name[:100]})
        return redirect("assist:history_mapping")
    overview = history.aliases_overview(user)
    context = {
        "categories_rows": overview["category"],
        "units_rows": overview["unit"],
        "categories": Category.objects.filter(is_active=True).order_by("sort", "code"),
        "units": Unit.objects.filter(is_active=True).order_by("name"),
        "may_map": history.may_map(user),
    }
    return render(request, "assist/history_mapping.html", context)
