"""The holiday-schedule import page (/calendar/import/): the same file as ``gridgov import_calendar``, checked
by the same code (:mod:`gridgov.core.calendar_file`). Upload → every problem listed (field, entry, line) or a
preview of what changes → confirm → imported (audited). Only system administrators import (the calendar
actions refuse everyone else); everyone else gets the 404 page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from gridgov.core.calendar import years_needing_configuration
from gridgov.core.calendar_file import (
    MAX_FILE_BYTES,
    CalendarFileError,
    calendar_import_file,
    calendar_import_preview,
    calendar_read_file,
)
from gridgov.core.errors import DomainError
from gridgov.core.pages import require


def _page(request, *, problems=None, preview=None, content="", error="", status=200):
    return render(
        request,
        "core/calendar_import.html",
        {
            "problems": problems or [],
            "preview": preview,
            "content": content,
            "error": error,
            "missing_years": years_needing_configuration(),
            "max_kb": MAX_FILE_BYTES // 1024,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def calendar_import(request):
    require(getattr(request.user, "is_admin", False))
    if request.method == "GET":
        return _page(request)
    step = request.POST.get("step", "preview")
    if step == "import":
        content = request.POST.get("content", "")
        try:
            configured = calendar_import_file(by=request.user, content=content)
        except CalendarFileError as exc:
            return _page(request, problems=exc.problems, error=exc.message, status=400)
        except DomainError as exc:
            return _page(request, error=exc.message, status=400)
        messages.success(request, _("已导入 %(year)s 年的节假日安排") % {"year": configured.year})
        return redirect("calendar:import")
    upload = request.FILES.get("file")
    if upload is None:
        return _page(request, error=_("请选择要导入的 JSON 文件"), status=400)
    if upload.size > MAX_FILE_BYTES:
        return _page(
            request, error=_("文件过大（最大 %(kb)s KB）") % {"kb": MAX_FILE_BYTES // 1024}, status=400
        )
    raw = upload.read()
    try:
        parsed = calendar_read_file(raw)
    except CalendarFileError as exc:
        return _page(request, problems=exc.problems, error=exc.message, status=400)
    return _page(request, preview=calendar_import_preview(parsed), content=raw.decode("utf-8-sig"))
