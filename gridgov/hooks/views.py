"""Pages of the outbound webhooks (/hooks/): the subscriptions I manage, the form to create or change one,
its secret shown once (after creation and after each rotation), and a subscription's page with its state,
its buttons (edit, rotate the secret, disable or enable, delete) and its delivery log with every try and a
replay button.

Views stay thin: parse, call one selector or action, render. Anyone who manages no subscription gets the
404 page; a subscription out of scope is 404 as well.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gridgov.accounts.models import Unit
from gridgov.areas.models import Area, Level
from gridgov.core.errors import DomainError
from gridgov.core.models import OutboxMessage
from gridgov.core.pages import error_field, error_status, found, require, run_form
from gridgov.core.scope import filter_in_scope
from gridgov.hooks import actions, selectors
from gridgov.hooks.models import Subscription

FIELDS = {"name", "url", "event_types", "scope", "area", "unit"}
DELIVERIES_PER_PAGE = 30
AREA_LEVELS = (Level.DISTRICT, Level.STREET, Level.COMMUNITY)


def _visible(request, pk: int) -> Subscription:
    require(selectors.may_use_webhooks(request.user))
    return found(selectors.subscription_get_visible, request.user, pk)


def _areas(user) -> list[Area]:
    qs = Area.objects.filter(is_active=True, level__in=AREA_LEVELS).order_by("code")
    return list(filter_in_scope(qs, user, "code")[:500])


def _units(user) -> list[Unit]:
    return list(Unit.objects.filter(is_active=True).order_by("name")[:500]) if user.is_admin else []


def _values(post) -> dict:
    return {
        "name": post.get("name", ""),
        "url": post.get("url", ""),
        "event_types": post.getlist("event_types"),
        "scope": post.get("scope", "area"),
        "area": post.get("area", ""),
        "unit": post.get("unit", ""),
    }


def _form(request, values: dict, errors: dict, sub: Subscription | None = None, status: int = 200):
    user = request.user
    return render(
        request,
        "hooks/form.html",
        {
            "sub": sub,
            "values": values,
            "errors": errors,
            "groups": selectors.event_type_groups(),
            "unit_handler": selectors.is_unit_handler(user) and not user.is_admin,
            "areas": _areas(user) if sub is None else [],
            "units": _units(user) if sub is None else [],
        },
        status=status,
    )


def _secret_page(request, sub: Subscription, secret: str, *, rotated: bool, status: int = 200):
    response = render(
        request,
        "hooks/secret.html",
        {
            "sub": sub,
            "secret": secret,
            "rotated": rotated,
            "overlap_hours": int(actions.secret_overlap().total_seconds() // 3600),
        },
        status=status,
    )
    response["Cache-Control"] = "no-store"  # the secret is shown this once: never from a cache
    return response


@login_required
@require_GET
def subscription_list(request):
    require(selectors.may_use_webhooks(request.user))
    subs = selectors.subscription_list(request.user)
    page = Paginator(subs, 50).get_page(request.GET.get("page"))
    return render(request, "hooks/list.html", {"page": page, "subs": page.object_list})


@login_required
@require_http_methods(["GET", "POST"])
def subscription_new(request):
    user = request.user
    require(selectors.may_use_webhooks(user))
    if request.method == "GET":
        # staff start from their own area (its subtree is what they may subscribe to)
        own = user.area.code if getattr(user, "area_id", None) else ""
        values = {"scope": "area", "event_types": [], "name": "", "url": "", "area": own, "unit": ""}
        return _form(request, values, {})
    values = _values(request.POST)
    by_unit = values["scope"] == "unit"
    try:
        sub, secret = actions.subscription_create(
            by=user,
            name=values["name"],
            url=values["url"],
            event_types=values["event_types"],
            area=None if by_unit or selectors.is_unit_handler(user) else values["area"],
            unit=values["unit"] if by_unit else None,
        )
    except DomainError as exc:
        return _form(request, values, {error_field(exc, FIELDS): exc.message}, status=error_status(exc))
    return _secret_page(request, sub, secret, rotated=False, status=201)


@login_required
@require_GET
def subscription_detail(request, pk: int):
    sub = _visible(request, pk)
    state = request.GET.get("state") or ""
    if state not in OutboxMessage.State.values:
        state = ""
    rows = selectors.deliveries(request.user, sub, state=state or None)
    page = Paginator(rows, DELIVERIES_PER_PAGE).get_page(request.GET.get("page"))
    kinds = {e.type: e for e in selectors.event_types()}
    return render(
        request,
        "hooks/detail.html",
        {
            "sub": sub,
            "event_types": [(k, kinds.get(k)) for k in sub.event_types],
            "page": page,
            "deliveries": page.object_list,
            "state": state,
            "states": OutboxMessage.State.choices,
            "pending": OutboxMessage.State.PENDING,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def subscription_edit(request, pk: int):
    sub = _visible(request, pk)
    if request.method == "GET":
        values = {"name": sub.name, "url": sub.url, "event_types": list(sub.event_types)}
        return _form(request, values, {}, sub)
    values = _values(request.POST)
    try:
        actions.subscription_update(
            by=request.user,
            subscription=sub.pk,
            name=values["name"],
            url=values["url"],
            event_types=values["event_types"],
        )
    except DomainError as exc:
        if exc.status == 404:
            raise Http404(exc.message) from exc
        return _form(request, values, {error_field(exc, FIELDS): exc.message}, sub, status=error_status(exc))
    messages.success(request, _("推送订阅已保存。"))
    return redirect("hooks:detail", sub.pk)


@login_required
@require_POST
def subscription_rotate(request, pk: int):
    sub = _visible(request, pk)
    try:
        sub, secret = actions.subscription_rotate_secret(by=request.user, subscription=sub.pk)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("hooks:detail", pk)
    return _secret_page(request, sub, secret, rotated=True)


@login_required
@require_POST
def subscription_disable(request, pk: int):
    sub = _visible(request, pk)
    return run_form(
        request,
        lambda: actions.subscription_disable(by=request.user, subscription=sub.pk),
        _("推送订阅已停用，待发送的消息已取消。"),
        sub.get_absolute_url(),
    )


@login_required
@require_POST
def subscription_enable(request, pk: int):
    sub = _visible(request, pk)
    return run_form(
        request,
        lambda: actions.subscription_enable(by=request.user, subscription=sub.pk),
        _("推送订阅已启用。"),
        sub.get_absolute_url(),
    )


@login_required
@require_POST
def subscription_delete(request, pk: int):
    sub = _visible(request, pk)
    try:
        actions.subscription_delete(by=request.user, subscription=sub.pk)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("hooks:detail", pk)
    messages.success(request, _("推送订阅已删除。"))
    return redirect("hooks:list")


@login_required
@require_POST
def delivery_replay(request, pk: int, delivery: int):
    sub = _visible(request, pk)
    return run_form(
        request,
        lambda: actions.delivery_replay(by=request.user, subscription=sub.pk, delivery=delivery),
        _("已重新加入发送队列。"),
        sub.get_absolute_url(),
    )
