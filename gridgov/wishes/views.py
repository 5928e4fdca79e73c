"""Wish pages (mobile first): the public wish wall with a claim button for party members, volunteers and
units; posting a wish; my wishes; my claims with the fulfil form; the wish detail with its timeline and
only the allowed actions; for staff the vetting list, the flagged list and the wish-box entry form.

Views stay thin: parse, call one selector or action, render. A ``DomainError`` is shown next to its field.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gridgov.areas.models import Area, Level
from gridgov.core.errors import DomainError, NotFound
from gridgov.core.pages import error_status, require
from gridgov.core.ratelimit import rate_limited
from gridgov.core.scope import filter_in_scope, is_staff
from gridgov.core.workflow import Rating
from gridgov.services.models import ServiceCategory
from gridgov.wishes import actions, selectors
from gridgov.wishes.models import State
from gridgov.wishes.workflow import MACHINE, allowed_actions, claims_held_by, may_claim_wishes

FORM_FIELDS = {
    "title",
    "description",
    "category",
    "area",
    "wisher_name",
    "wisher_phone",
    "household",
    "max_claimants",
    "claim_limit_days",
    "fulfil_limit_days",
    "source",
}


def _wish(user, ref: str):
    try:
        return selectors.wish_get_visible(user, ref)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _rows(user, wishes) -> list[dict]:
    return [
        {"wish": w, "wisher": selectors.wisher_label(user, w), "place": selectors.place_name(w)}
        for w in wishes
    ]


def _categories():
    return ServiceCategory.objects.filter(is_active=True).order_by("sort", "code")


# ---------------------------------------------------------------- the wall (public)


@require_GET
@rate_limited("wall")
def wall(request):
    """心愿墙: published wishes, anonymised; a claim button for those who may claim."""
    area = (request.GET.get("area") or "").strip() or None
    category = (request.GET.get("category") or "").strip() or None
    page = Paginator(selectors.wall(area=area, category=category), 30).get_page(request.GET.get("page"))
    user = request.user if request.user.is_authenticated else None
    claimer = may_claim_wishes(user)
    rows = []
    for wish in page.object_list:
        rows.append(
            {
                "wish": wish,
                "wisher": selectors.anonymous_name(wish),
                "place": selectors.place_name(wish),
                "community": selectors.community_name(wish),
                "may_claim": claimer and "claim" in allowed_actions(user, wish),
                "mine": claimer and claims_held_by(user, wish).exists(),
            }
        )
    return render(
        request,
        "wishes/wall.html",
        {
            "page": page,
            "rows": rows,
            "categories": _categories(),
            "category": category or "",
            "claimer": claimer,
            "staff": is_staff(user),
        },
    )


# ---------------------------------------------------------------- posting


def _communities():
    return (
        Area.objects.filter(level=Level.COMMUNITY, is_active=True).select_related("parent").order_by("code")
    )


def _areas_in_scope(user):
    qs = Area.objects.filter(level__in=[Level.COMMUNITY, Level.GRID], is_active=True).order_by("code")
    return filter_in_scope(qs, user, "code")


def _post_form(request, *, box: bool):
    user = request.user
    context = {
        "box": box,
        "categories": _categories(),
        "areas": _areas_in_scope(user) if box else _communities(),
        "values": {"max_claimants": "1", "claim_limit_days": "7", "fulfil_limit_days": "14"},
        "errors": {},
    }
    if request.method == "GET":
        return render(request, "wishes/form.html", context)
    post = request.POST
    values = {name: post.get(name, "").strip() for name in FORM_FIELDS}
    context["values"] = values
    try:
        wish, _created = actions.wish_submit(
            by=user,
            title=values["title"],
            description=values["description"],
            category=values["category"] or None,
            area=values["area"] or None,
            source="box" if box else "online",
            wisher_name=values["wisher_name"] if box else "",
            wisher_phone=values["wisher_phone"] if box else "",
            household=int(values["household"]) if box and values["household"].isdigit() else None,
            max_claimants=values["max_claimants"] or 1 if box else 1,
            claim_limit_days=values["claim_limit_days"] or 7,
            fulfil_limit_days=values["fulfil_limit_days"] or 14,
            idempotency_key=post.get("client_id") or None,
        )
    except DomainError as exc:
        field = (exc.field or "").split("[", 1)[0]
        context["errors"] = {field if field in FORM_FIELDS else "form": exc.message}
        return render(request, "wishes/form.html", context, status=error_status(exc))
    if box:
        messages.success(request, _("心愿箱中的心愿已录入：%(ref)s。") % {"ref": wish.ref})
    else:
        messages.success(
            request, _("心愿已提交，社区审核后会发布到心愿墙。编号 %(ref)s。") % {"ref": wish.ref}
        )
    return redirect("wishes:detail", wish.ref)


@login_required
@require_http_methods(["GET", "POST"])
def new(request):
    """许个心愿 (residents and party members)."""
    if is_staff(request.user):
        return redirect("wishes:box")
    return _post_form(request, box=False)


@login_required
@require_http_methods(["GET", "POST"])
def box(request):
    """心愿箱录入 (staff)."""
    require(is_staff(request.user), _("只有工作人员可以使用该页面"))
    return _post_form(request, box=True)


# ---------------------------------------------------------------- lists


def _list(request, *, title: str, wishes, empty: str, tab: str):
    page = Paginator(wishes, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "wishes/list.html",
        {
            "title": title,
            "page": page,
            "rows": _rows(request.user, page.object_list),
            "empty": empty,
            "tab": tab,
            "staff": is_staff(request.user),
        },
    )


@login_required
@require_GET
def mine(request):
    """我的心愿 (the wisher's own)."""
    wishes = selectors.wish_list(request.user).filter(wisher=request.user)
    return _list(request, title=_("我的心愿"), wishes=wishes, empty=_("您还没有许过心愿。"), tab="mine")


@login_required
@require_GET
def vetting(request):
    """待审核 (staff, in scope)."""
    require(is_staff(request.user), _("只有工作人员可以使用该页面"))
    wishes = selectors.wish_list(request.user, state=State.SUBMITTED).order_by("created_at", "id")
    return _list(request, title=_("心愿审核"), wishes=wishes, empty=_("没有待审核的心愿。"), tab="vetting")


@login_required
@require_GET
def flagged(request):
    """超时标记 (staff, in scope): open wishes the sweep flagged."""
    require(is_staff(request.user), _("只有工作人员可以使用该页面"))
    wishes = selectors.wish_list(request.user, flagged=True, state="published,claimed")
    return _list(request, title=_("超时心愿"), wishes=wishes, empty=_("没有超时的心愿。"), tab="flagged")


@login_required
@require_GET
def manage(request):
    """全部心愿 (staff, in scope), filtered by state."""
    require(is_staff(request.user), _("只有工作人员可以使用该页面"))
    state = request.GET.get("state") or None
    wishes = selectors.wish_list(request.user, state=state)
    return _list(request, title=_("辖区心愿"), wishes=wishes, empty=_("没有心愿。"), tab="all")


@login_required
@require_GET
def claims(request):
    """我的认领, with the fulfil form on each active claim."""
    if not may_claim_wishes(request.user):
        raise Http404(_("只有党员、志愿者和单位可以认领心愿"))
    rows = selectors.my_claims(request.user)
    page = Paginator(rows, 30).get_page(request.GET.get("page"))
    return render(request, "wishes/claims.html", {"page": page, "claims": page.object_list})


# ---------------------------------------------------------------- detail and actions


def _timeline(user, wish) -> list:
    events = selectors.timeline(user, wish)
    labels = MACHINE.labels()
    for e in events:
        e.label = labels.get(e.action, e.action)
    return events


def _detail_context(request, wish, errors: dict | None = None, values: dict | None = None) -> dict:
    user = request.user
    return {
        "wish": wish,
        "wisher": selectors.wisher_label(user, wish),
        "personal": selectors.sees_personal(user, wish),
        "place": selectors.place_name(wish),
        "community": selectors.community_name(wish),
        "actions": allowed_actions(user, wish),
        "claims": selectors.claims_of(wish),
        "timeline": _timeline(user, wish),
        "ratings": Rating.choices,
        "categories": _categories(),
        "errors": errors or {},
        "values": values or {},
        "may_see_evidence": actions.may_see_evidence(user, wish),
    }


@login_required
@require_GET
def detail(request, ref: str):
    wish = _wish(request.user, ref)
    return render(request, "wishes/detail.html", _detail_context(request, wish))


DONE = {
    "publish": gettext_lazy("心愿已发布到心愿墙。"),
    "reject": gettext_lazy("已不予发布，心愿人会收到原因。"),
    "claim": gettext_lazy("认领成功，请在完成时限内完成心愿。"),
    "withdraw": gettext_lazy("已放弃认领，心愿重新回到心愿墙。"),
    "fulfil": gettext_lazy("已提交完成情况。"),
    "confirm": gettext_lazy("感谢您的确认与评价。"),
    "to_need": gettext_lazy("心愿已转入需求清单。"),
}


@login_required
@require_POST
def act(request, ref: str, action: str):
    """One workflow step from a page form; errors come back next to the field."""
    user, post = request.user, request.POST
    try:
        if action == "publish":
            max_claimants = post.get("max_claimants", "").strip()
            actions.wish_publish(
                ref=ref, by=user, note=post.get("note", ""), max_claimants=max_claimants or None
            )
        elif action == "reject":
            actions.wish_reject(ref=ref, by=user, reason=post.get("reason", ""))
        elif action == "claim":
            actions.wish_claim(ref=ref, by=user)
        elif action == "withdraw":
            actions.wish_withdraw(ref=ref, by=user, reason=post.get("reason", ""))
        elif action == "fulfil":
            actions.wish_fulfil(
                ref=ref, by=user, note=post.get("note", ""), photos=request.FILES.getlist("photos")
            )
        elif action == "confirm":
            actions.wish_confirm(
                ref=ref, by=user, rating=post.get("rating", ""), comment=post.get("comment", "")
            )
        elif action == "to_need":
            actions.wish_to_need(
                ref=ref, by=user, reason=post.get("reason", ""), category=post.get("category") or None
            )
        else:
            raise Http404
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except DomainError as exc:
        if action == "claim" and post.get("next") == "wall":
            messages.error(request, exc.message)
            return redirect("wishes:wall")
        wish = _wish(user, ref)
        field = (exc.field or "form").split("[", 1)[0]
        errors = {"action": action, field: exc.message, "message": exc.message}
        context = _detail_context(request, wish, errors, dict(post.items()))
        return render(request, "wishes/detail.html", context, status=error_status(exc))
    messages.success(request, DONE[action])
    if action == "claim":
        return redirect("wishes:claims")
    return redirect("wishes:detail", ref)
