"""The inbox page (站内消息): every message of the signed-in account, unread first, and marking them read;
the account's own settings of how else its messages reach it (接收设置, ``/inbox/settings/``)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gridgov.core.errors import DomainError, NotFound
from gridgov.core.pages import error_status, form_errors
from gridgov.notify.actions import notification_mark_read, preference_save
from gridgov.notify.models import Kind
from gridgov.notify.selectors import inbox_for, preferences_of

PAGE_SIZE = 50


@login_required
@require_GET
def inbox(request):
    """站内消息: unread first, newest first."""
    unread = ExpressionWrapper(Q(read_at__isnull=True), output_field=BooleanField())
    notes = inbox_for(request.user).annotate(unread=unread).order_by("-unread", "-created_at", "-id")
    page = Paginator(notes, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notify/inbox.html", {"page": page, "notes": page.object_list})


@login_required
@require_POST
def inbox_read(request, notification_id: int | None = None):
    try:
        notification_mark_read(user=request.user, notification_id=notification_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return HttpResponseRedirect(target)
    return redirect("notify:inbox")


FIELD = "ch_"  # the checkboxes of a kind: ch_<kind>, one per channel


@login_required
@require_http_methods(["GET", "POST"])
def inbox_settings(request):
    """接收设置: per kind of message, which channels beyond the inbox; quiet hours. Always the signed-in
    account's own."""
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        kinds = {kind: request.POST.getlist(FIELD + kind) for kind in Kind.values}
        try:
            preference_save(
                by=request.user,
                kinds=kinds,
                quiet_start=request.POST.get("quiet_start", ""),
                quiet_end=request.POST.get("quiet_end", ""),
            )
        except DomainError as exc:
            errors, status = form_errors(exc, {"quiet_start", "quiet_end", "kinds"}), error_status(exc)
        else:
            messages.success(request, _("接收设置已保存。"))
            return redirect("notify:settings")
    shown = preferences_of(request.user)
    if errors:  # show what was sent, with the refusal
        for row in shown["kinds"]:
            row["channels"] = [
                c for c in request.POST.getlist(FIELD + row["kind"]) if c in shown["available"]
            ]
        shown["quiet_start"] = request.POST.get("quiet_start", "")[:5]
        shown["quiet_end"] = request.POST.get("quiet_end", "")[:5]
    columns = [c for c in shown["channels"] if c["available"]]
    rows = [
        {**row, "boxes": [(c["code"], c["label"], c["code"] in row["channels"]) for c in columns]}
        for row in shown["kinds"]
    ]
    missing = [c for c in shown["channels"] if not c["available"]]
    context = {
        "prefs": shown,
        "columns": columns,
        "rows": rows,
        "missing": missing,
        "errors": errors,
        "field": FIELD,
    }
    return render(request, "notify/settings.html", context, status=status)
