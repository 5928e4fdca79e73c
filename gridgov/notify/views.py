"""The inbox page (站内消息): every message of the signed-in account, unread first, and marking them read."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from gridgov.core.errors import NotFound
from gridgov.notify.actions import notification_mark_read
from gridgov.notify.selectors import inbox_for

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
