"""Service-order pages: the catalogue and an item's page with its session picker and order form (mobile,
for residents), my orders, the order page with its timeline and only the allowed action forms, the staff
worklist (most urgent first, yellow/red), the provider's inbox, and the statistics page.

Views stay thin: parse, call one selector or action, render. A ``DomainError`` is shown next to its field.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gridgov.areas.models import Area
from gridgov.core import uploads
from gridgov.core.errors import DomainError
from gridgov.core.pages import error_field, error_status, found, list_query, query_date
from gridgov.core.scope import is_staff
from gridgov.core.timeline import timeline_rows
from gridgov.core.workflow import Rating
from gridgov.orders import actions, selectors
from gridgov.orders.models import Order, ServiceItem, State
from gridgov.orders.workflow import MACHINE, allowed_actions, rate_days
from gridgov.services.selectors import categories

ORDER_FIELDS = {"slot", "grid", "contact_name", "contact_phone", "note", "item"}
ACTION_FIELDS = {"provider_unit", "reason", "notes", "evidence", "rating", "comment", "note"}
DIRECT_ACTIONS = {"accept"}  # one click, nothing to fill in


# ---------------------------------------------------------------- catalogue and ordering


@login_required
@require_GET
def catalogue(request):
    """服务清单: the active services by category, each with its next free session."""
    category = request.GET.get("category") or ""
    items = list(selectors.item_list(request.user, category=category or None))
    now = timezone.now()
    for item in items:
        options = selectors.slot_options(item, now=now) if item.schedules.all() else []
        item.next_slot = next((o for o in options if o.free), None)
        item.has_schedule = bool(item.schedules.all())
    groups: dict = {}
    for item in items:
        groups.setdefault(item.category, []).append(item)
    return render(
        request,
        "orders/catalogue.html",
        {
            "groups": list(groups.items()),
            "categories": list(categories()),
            "category": category,
            "may_order": selectors.may_order(request.user),
        },
    )


def _grid_choices(item: ServiceItem) -> list[Area]:
    return list(
        Area.objects.filter(
            code__startswith=item.area_code, level__in=("community", "grid"), is_active=True
        ).order_by("code")[:300]
    )


def _item_context(request, item: ServiceItem, values: dict, errors: dict | None = None) -> dict:
    options = selectors.slot_options(item)
    return {
        "item": item,
        "options": options,
        "has_schedule": bool(item.schedules.all()),
        "grids": _grid_choices(item),
        "values": values,
        "errors": errors or {},
        "may_order": selectors.may_order(request.user),
        "account_phone": request.user.masked_phone if request.user.is_authenticated else "",
    }


@login_required
@require_http_methods(["GET", "POST"])
def item_page(request, pk: int):
    """服务项目: its description, sessions with free places, and the order form."""
    item = found(selectors.item_get, request.user, pk)
    if request.method == "GET":
        values = {"key": uuid.uuid4().hex, "slot": request.GET.get("slot", "")}
        return render(request, "orders/item.html", _item_context(request, item, values))
    post = request.POST
    values = {
        name: post.get(name, "") for name in ("slot", "grid", "contact_name", "contact_phone", "note", "key")
    }
    try:
        day, start = (values["slot"].split("T", 1) + [None])[:2] if values["slot"] else (None, None)
        placed = actions.order_create(
            by=request.user,
            item=item,
            slot_date=day,
            slot_start=start,
            grid=values["grid"] or None,
            contact_name=values["contact_name"],
            contact_phone=values["contact_phone"],
            note=values["note"],
            idempotency_key=values["key"] or None,
        )
    except DomainError as exc:
        if exc.status == 403:
            raise Http404(exc.message) from exc
        context = _item_context(request, item, values, {error_field(exc, ORDER_FIELDS): exc.message})
        return render(request, "orders/item.html", context, status=error_status(exc))
    messages.success(
        request, _("点单成功，服务单号 %(ref)s。社区将尽快为您派单。") % {"ref": placed.order.ref}
    )
    return redirect("orders:detail", placed.order.ref)


@login_required
@require_GET
def mine(request):
    """我的服务单."""
    orders = selectors.orders_visible_to(request.user).filter(resident=request.user)
    orders = orders.select_related("item__category", "slot", "provider_unit").order_by("-created_at", "-id")
    page = Paginator(orders, 30).get_page(request.GET.get("page"))
    context = {"page": page, "orders": page.object_list, "query": list_query(request)}
    return render(request, "orders/mine.html", context)


# ---------------------------------------------------------------- worklist, inbox


def _list_context(request, qs, **extra) -> dict:
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return {"page": page, "orders": page.object_list, "query": list_query(request), **extra}


@login_required
@require_GET
def worklist(request):
    """服务单工作台 for staff (most urgent first); residents land on their own orders, units on their inbox."""
    user = request.user
    if selectors.is_provider_handler(user):
        return redirect("orders:inbox")
    if not is_staff(user):
        return redirect("orders:mine")
    state = request.GET.get("state", "")
    overdue = request.GET.get("overdue") == "1"
    qs = selectors.order_list(
        user, state=state or None, overdue=True if overdue else None, open_only=not state
    )
    context = _list_context(
        request, qs, state=state, overdue=overdue, states=State.choices, title=_("服务单工作台"), staff=True
    )
    return render(request, "orders/worklist.html", context)


@login_required
@require_GET
def inbox(request):
    """服务单位的待办: orders dispatched to the unit, to accept, decline or deliver."""
    user = request.user
    if not selectors.is_provider_handler(user):
        raise Http404(_("只有服务单位可以查看"))
    state = request.GET.get("state", "")
    qs = selectors.order_list(user, state=state or "dispatched,accepted")
    context = _list_context(
        request,
        qs,
        state=state,
        states=State.choices,
        title=_("服务单位待办"),
        staff=False,
        provider_inbox=True,
    )
    return render(request, "orders/worklist.html", context)


# ---------------------------------------------------------------- detail and actions


def _detail_context(request, order: Order, *, open_action: str = "", values=None, errors=None) -> dict:
    user = request.user
    allowed = allowed_actions(user, order)
    by_action = MACHINE.by_action
    buttons = [
        {
            "action": a,
            "label": by_action[a].label,
            "direct": a in DIRECT_ACTIONS,
            "needs_reason": by_action[a].needs_reason,
        }
        for a in allowed
    ]
    return {
        "order": order,
        "buttons": buttons,
        "open_action": open_action,
        "values": values or {},
        "errors": errors or {},
        "providers": [u for u in order.item.providers.all() if u.is_active],
        "ratings": Rating.choices,
        "timeline": timeline_rows(order, MACHINE.labels()),
        "evidence": list(uploads.of(order)),
        "rate_days": rate_days(),
        "is_resident": order.resident_id == user.pk,
        "max_mb": settings.UPLOAD_MAX_BYTES // (1024 * 1024),
    }


@login_required
@require_GET
def detail(request, ref: str):
    order = found(selectors.order_get_visible, request.user, ref)
    open_action = request.GET.get("act", "")
    return render(request, "orders/detail.html", _detail_context(request, order, open_action=open_action))


def _run(action: str, ref: str, user, post, files) -> Order:
    if action == "dispatch":
        return actions.order_dispatch(
            by=user, ref=ref, provider_unit_id=post.get("provider_unit"), note=post.get("note", "")
        )
    if action == "accept":
        return actions.order_accept(by=user, ref=ref, note=post.get("note", ""))
    if action == "decline":
        return actions.order_decline(by=user, ref=ref, reason=post.get("reason", ""))
    if action == "deliver":
        return actions.order_deliver(
            by=user, ref=ref, notes=post.get("notes", ""), evidence=files.getlist("evidence")
        )
    if action == "rate":
        return actions.order_rate(
            by=user, ref=ref, rating=post.get("rating", ""), comment=post.get("comment", "")
        )
    if action == "cancel":
        return actions.order_cancel(by=user, ref=ref, reason=post.get("reason", ""))
    if action == "close":
        return actions.order_close(by=user, ref=ref, note=post.get("note", ""))
    if action == "unservable":
        return actions.order_unservable(by=user, ref=ref, reason=post.get("reason", ""))
    raise Http404


DONE = {
    "dispatch": gettext_lazy("已派单。"),
    "accept": gettext_lazy("已接单。"),
    "decline": gettext_lazy("已拒单，社区将重新派单。"),
    "deliver": gettext_lazy("已记录服务完成。"),
    "rate": gettext_lazy("感谢您的评价，服务单已结单。"),
    "cancel": gettext_lazy("服务单已取消。"),
    "close": gettext_lazy("服务单已结单。"),
    "unservable": gettext_lazy("已标记为无法服务，并记入需求清单。"),
}


@login_required
@require_POST
def act(request, ref: str, action: str):
    if action not in MACHINE.by_action:
        raise Http404
    order = found(selectors.order_get_visible, request.user, ref)
    try:
        _run(action, order.ref, request.user, request.POST, request.FILES)
    except DomainError as exc:
        if exc.status == 404:
            raise Http404(exc.message) from exc
        order = found(selectors.order_get_visible, request.user, ref)
        values = {k: request.POST.get(k, "") for k in ACTION_FIELDS}
        context = _detail_context(
            request,
            order,
            open_action=action,
            values=values,
            errors={error_field(exc, ACTION_FIELDS): exc.message},
        )
        return render(request, "orders/detail.html", context, status=error_status(exc))
    messages.success(request, DONE[action])
    return redirect("orders:detail", order.ref)


# ---------------------------------------------------------------- statistics


@login_required
@require_GET
def stats(request):
    """服务统计: 人次, satisfaction and on-time delivery per category or provider, for a period and area."""
    if not is_staff(request.user):
        raise Http404(_("只有工作人员可以查看服务统计"))
    today = timezone.localdate()
    start = query_date(request.GET.get("start"), today.replace(day=1))
    end = query_date(request.GET.get("end"), today)
    area = (request.GET.get("area") or "").strip() or None
    group_by = (
        request.GET.get("group_by") if request.GET.get("group_by") in ("category", "provider") else "category"
    )
    context = {"start": start, "end": end, "area": area or "", "group_by": group_by, "errors": {}}
    try:
        context["result"] = selectors.order_stats(
            request.user, area=area, start=start, end=end, group_by=group_by
        )
    except DomainError as exc:
        context["errors"] = {exc.field or "form": exc.message}
        return render(
            request, "orders/stats.html", context, status=exc.status if exc.status in (400, 404) else 400
        )
    context["last_month_end"] = today.replace(day=1) - timedelta(days=1)
    context["last_month"] = context["last_month_end"].replace(day=1)
    return render(request, "orders/stats.html", context)
