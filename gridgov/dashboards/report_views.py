"""The generated reports' pages (日反馈、周例会、月研判): an area's reports with a form to generate one now, and
each report as a web page (printable), an Excel workbook and a PDF — all three drawn from the same sections
(``presenters.report_sections``).

Staff only: the selectors answer 404 for a report or area out of the reader's scope and 403 for anyone who
is not staff. A refused generation shows the action's message next to the field it names."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from gridgov.core.errors import DomainError
from gridgov.core.pages import error_field, error_status, list_query
from gridgov.dashboards import actions, pdf, presenters, selectors
from gridgov.dashboards.models import Report
from gridgov.ledger.excel import xlsx_response

T = TypeVar("T")
FIELDS = {"kind", "period"}
PAGE_SIZE = 30


def _read(fn: Callable[..., T], *args, **kwargs) -> T:
    """A selector's refusal as the page's: out of scope is 404, not staff is 403."""
    try:
        return fn(*args, **kwargs)
    except DomainError as exc:
        if exc.status == 403:
            raise PermissionDenied(exc.message) from exc
        raise Http404(exc.message) from exc


def _filename(report: Report, ext: str) -> str:
    """An ASCII name (area code, kind, period, version): every browser and mail client keeps it."""
    return f"report-{report.area_code}-{report.kind}-{report.period_key}-v{report.version}.{ext}"


@login_required
@require_http_methods(["GET", "POST"])
def reports(request, code: str):
    """分析报告: the area's reports, newest period first (each version kept), filtered by kind; the form
    generates one now (a period key, or the last complete period of the kind)."""
    if request.method != "POST":
        return _reports(request, code)
    values = {name: request.POST.get(name, "").strip() for name in FIELDS}
    try:
        report = actions.report_generate(
            by=request.user, area=code, kind=values["kind"], period=values["period"] or None
        )
    except DomainError as exc:
        if exc.status == 403:
            raise PermissionDenied(exc.message) from exc
        if exc.status == 404:
            raise Http404(exc.message) from exc
        return _reports(request, code, values, {error_field(exc, FIELDS): exc.message}, error_status(exc))
    messages.success(
        request,
        _("已生成%(title)s（第 %(version)s 版）")
        % {"title": presenters.report_title(report), "version": report.version},
    )
    return redirect(report.get_absolute_url())


def _reports(request, code: str, values: dict | None = None, errors: dict | None = None, status: int = 200):
    kind = request.GET.get("kind", "")
    kind = kind if kind in Report.Kind.values else ""
    area = _read(selectors.area_for, request.user, code)
    listed = _read(selectors.reports, request.user, code, kind=kind or None)
    page = Paginator(listed, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        {
            "report": r,
            "title": presenters.report_title(r),
            "period": presenters.period_label(r.period_key),
        }
        for r in page
    ]
    return render(
        request,
        "dashboards/reports.html",
        {
            "area": area,
            "rows": rows,
            "page": page,
            "query": list_query(request),
            "kind": kind,
            "kinds": Report.Kind.choices,
            "values": values or {"kind": Report.Kind.DAILY, "period": ""},
            "errors": errors or {},
        },
        status=status,
    )


@login_required
@require_GET
def report(request, pk: int):
    """A report as a page; ``?print=1`` is the same without the site's navigation, to print (A4)."""
    found = _read(selectors.report_get, request.user, pk)
    printing = request.GET.get("print") == "1"
    return render(
        request,
        "dashboards/report.html",
        {
            "base": "web/print_base.html" if printing else "web/base.html",
            "printing": printing,
            "report": found,
            "title": presenters.report_title(found),
            "header": presenters.report_header(found),
            "sections": presenters.report_sections(found),
        },
    )


@login_required
@require_GET
def report_xlsx(request, pk: int):
    found = _read(selectors.report_get, request.user, pk)
    return xlsx_response(presenters.report_workbook(found), _filename(found, "xlsx"))


@login_required
@require_GET
def report_pdf(request, pk: int):
    found = _read(selectors.report_get, request.user, pk)
    response = HttpResponse(pdf.report_pdf(found), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{_filename(found, "pdf")}"'
    return response
