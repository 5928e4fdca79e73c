"""Ledger pages: the searchable lists (residents, households, buildings, organisations), the household page
(members, tags, and the sections other apps add: visits with their cases), the resident page (edit, tags,
move out) and the audited reveal.

Views stay thin: parse the form, call one action or selector, render. A ``DomainError`` becomes a message
next to its field; anything outside the user's scope is the 404 page.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gridgov.areas.models import Area, Level
from gridgov.core.errors import DomainError, NotFound
from gridgov.core.pages import require
from gridgov.core.scope import filter_in_scope, is_staff
from gridgov.ledger import actions, selectors
from gridgov.ledger.models import Household, Resident
from gridgov.ledger.sections import household_sections

PAGE_SIZE = 50
LIST_KINDS = ("residents", "households", "buildings", "organisations")


def _get(qs, pk):
    try:
        return selectors.get_visible(qs, pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _grids_in_scope(user):
    return filter_in_scope(
        Area.objects.filter(is_active=True, level__in=(Level.COMMUNITY, Level.GRID)), user, "code"
    ).order_by("code")


@login_required
@require_http_methods(["GET", "POST"])
def ledger_list(request):
    """台账: one search box over the four lists; htmx swaps only the results. The search form is posted,
    so a full ID number or phone never travels in an address: the list's own address (pager, history)
    carries its keyed hash (``qh``) instead."""
    user = request.user
    require(is_staff(user))
    params = request.POST if request.method == "POST" else request.GET
    kind = params.get("kind", "residents")
    if kind not in LIST_KINDS:
        kind = "residents"
    q = params.get("q", "").strip()
    qh = params.get("qh", "").strip()[:64] if kind == "residents" else ""
    number = selectors.personal_number(q) if kind == "residents" else None
    if number:
        q, qh = "", selectors.search_token(number)
    area = params.get("area", "").strip() or None
    tag = params.get("tag", "").strip()
    if kind == "residents":
        items = selectors.resident_list(user, area=area, q=q, qh=qh, tag=tag).order_by(
            "area_code", "household_id", "id"
        )
    elif kind == "households":
        items = selectors.household_list(user, area=area, q=q, tag=tag).order_by(
            "area_code", "building__code", "unit", "room"
        )
    elif kind == "buildings":
        items = selectors.building_list(user, area=area, q=q).order_by("area_code", "code")
    else:
        items = selectors.organisation_list(user, area=area, q=q).order_by("area_code", "kind", "name")
    page = Paginator(items, PAGE_SIZE).get_page(params.get("page"))
    query = QueryDict(mutable=True)
    for name, value in (("kind", kind), ("q", q), ("qh", qh), ("area", area or ""), ("tag", tag)):
        if value:
            query[name] = value
    export_query = query.copy()
    export_query.pop("kind", None)
    context = {
        "kind": kind,
        "page": page,
        "items": page.object_list,
        "filters": {"q": q, "area": area or "", "tag": tag},
        "export_filters": export_query.items(),
        "areas": _grids_in_scope(user),
        "tags": selectors.focus_tags(),
        "query": query.urlencode(),
        "export_query": export_query.urlencode(),
        "may_reveal": actions.may_reveal(user),
    }
    partial = (
        request.headers.get("HX-Request") == "true" and request.headers.get("HX-Target") == "ledger-results"
    )
    response = render(request, "ledger/_results.html" if partial else "ledger/list.html", context)
    response["Vary"] = "HX-Request"
    if request.method == "POST" and partial:
        response["HX-Push-Url"] = f"{request.path}?{query.urlencode()}"
    return response


def _household_context(user, household: Household) -> dict:
    members = list(household.members.filter(is_active=True).order_by("id"))
    member_tags = selectors.tag_assignments_visible_to(user).filter(resident__in=members)
    tags_by_member: dict[int, list] = {}
    for assignment in member_tags:
        tags_by_member.setdefault(assignment.resident_id, []).append(assignment)
    for member in members:
        member.tag_list = tags_by_member.get(member.pk, [])
    context = {
        "household": household,
        "members": members,
        "household_tags": list(selectors.tags_of_household(household)),
        "moved_out": household.members.filter(is_active=False).order_by("-moved_out_at"),
        "household_tag_choices": selectors.focus_tags().exclude(applies_to="resident"),
        "resident_tag_choices": selectors.focus_tags().exclude(applies_to="household"),
        "relations": Resident.Relation.choices,
        "residence_types": Resident.ResidenceType.choices,
        "political_statuses": Resident.PoliticalStatus.choices,
        "may_reveal": actions.may_reveal(user),
    }
    # what other apps add to the page (the visits with their cases, …): gridgov.ledger.sections
    context["sections"] = household_sections(user, household)
    return context


@login_required
@require_GET
def household_detail(request, household_id: int):
    user = request.user
    require(is_staff(user))
    household = _get(selectors.households_visible_to(user), household_id)
    return render(request, "ledger/household.html", _household_context(user, household))


def _form_errors(request, exc: DomainError, template: str, context: dict, status: int | None = None):
    context = {**context, "error": exc, "form": request.POST}
    return render(request, template, context, status=status or (exc.status if exc.status != 404 else 400))


@login_required
@require_POST
def household_add_member(request, household_id: int):
    user = request.user
    require(is_staff(user))
    household = _get(selectors.households_visible_to(user), household_id)
    fields = (
        "name",
        "id_number",
        "phone",
        "relation",
        "residence_type",
        "political_status",
        "ethnicity",
        "workplace",
    )
    data = {name: request.POST.get(name, "") for name in fields}
    try:
        resident = actions.resident_create(by=user, household=household, **data)
    except DomainError as exc:
        return _form_errors(request, exc, "ledger/household.html", _household_context(user, household))
    messages.success(request, _("已登记 %(name)s") % {"name": resident.name})
    return redirect("ledger:household", household.pk)


@login_required
@require_POST
def tag_add(request):
    user = request.user
    require(is_staff(user))
    resident = household = None
    if request.POST.get("resident"):
        resident = _get(selectors.residents_visible_to(user), request.POST["resident"])
    else:
        household = _get(selectors.households_visible_to(user), request.POST.get("household"))
    back = (resident.household if resident else household).pk
    try:
        actions.tag_assign(
            by=user,
            tag=request.POST.get("tag", ""),
            reason=request.POST.get("reason", ""),
            resident=resident,
            household=household,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(_back(request, reverse("ledger:household", args=[back])))


@login_required
@require_POST
def tag_remove(request, assignment_id: int):
    user = request.user
    require(is_staff(user))
    assignment = _get(selectors.tag_assignments_visible_to(user), assignment_id)
    target = assignment.resident.household_id if assignment.resident_id else assignment.household_id
    try:
        actions.tag_remove(by=user, assignment=assignment, reason=request.POST.get("reason", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(_back(request, reverse("ledger:household", args=[target])))


def _back(request, default: str) -> str:
    from django.utils.http import url_has_allowed_host_and_scheme

    nxt = request.POST.get("next", "")
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
        return nxt
    return default


def _resident_context(user, resident: Resident) -> dict:
    return {
        "resident": resident,
        "tags": list(selectors.tags_of_resident(resident)),
        "tag_choices": selectors.focus_tags().exclude(applies_to="household"),
        "relations": Resident.Relation.choices,
        "residence_types": Resident.ResidenceType.choices,
        "political_statuses": Resident.PoliticalStatus.choices,
        "may_reveal": actions.may_reveal(user),
    }


@login_required
def resident_detail(request, resident_id: int):
    """A resident's page; POST saves the edit form (an empty ID or phone box keeps the stored value)."""
    user = request.user
    require(is_staff(user))
    resident = _get(selectors.residents_visible_to(user), resident_id)
    if request.method == "POST":
        data = {
            name: request.POST.get(name, "")
            for name in (
                "name",
                "relation",
                "residence_type",
                "political_status",
                "ethnicity",
                "workplace",
                "note",
            )
        }
        for secret in ("id_number", "phone"):
            if request.POST.get(secret, "").strip():
                data[secret] = request.POST[secret]
        try:
            actions.resident_update(by=user, resident=resident, **data)
        except DomainError as exc:
            resident.refresh_from_db()
            return _form_errors(request, exc, "ledger/resident.html", _resident_context(user, resident))
        messages.success(request, _("已保存"))
        return redirect("ledger:resident", resident.pk)
    return render(request, "ledger/resident.html", _resident_context(user, resident))


@login_required
@require_POST
def resident_move_out(request, resident_id: int):
    user = request.user
    require(is_staff(user))
    resident = _get(selectors.residents_visible_to(user), resident_id)
    try:
        actions.resident_move_out(by=user, resident=resident, reason=request.POST.get("reason", ""))
    except DomainError as exc:
        return _form_errors(request, exc, "ledger/resident.html", _resident_context(user, resident))
    messages.success(request, _("%(name)s 已迁出") % {"name": resident.name})
    return redirect("ledger:household", resident.household_id)


@login_required
@require_POST
def reveal(request):
    """htmx: replace a mask by the full value after the permission and reason checks (audited)."""
    user = request.user
    require(is_staff(user))
    kind = request.POST.get("kind", "resident")
    field = request.POST.get("field", "")
    try:
        pk = int(request.POST.get("id", ""))
    except ValueError:
        raise Http404 from None
    try:
        value = actions.reveal(by=user, kind=kind, pk=pk, field=field, reason=request.POST.get("reason", ""))
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except DomainError as exc:
        return render(
            request,
            "ledger/_reveal.html",
            {"error": exc, "kind": kind, "pk": pk, "field": field, "may_reveal": actions.may_reveal(user)},
            status=200,
        )
    return render(request, "ledger/_revealed.html", {"value": value})
