"""Visit pages: the worker's worklist with their own plan progress, the (mobile) visit form, the visit
detail with its one-click "转为事件" form, the coverage table, and the household's visit history partial.

Views stay thin: parse, call one selector or action, render. A ``DomainError`` is shown next to its field.
"""

from __future__ import annotations

import math
import uuid
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gridgov.cases.selectors import category_groups
from gridgov.core.errors import DomainError, NotFound
from gridgov.core.pages import error_field, error_status, require
from gridgov.core.scope import is_staff
from gridgov.ledger.sections import household_contacts
from gridgov.ledger.selectors import get_visible, household_list, households_visible_to
from gridgov.visits import actions, selectors
from gridgov.visits.models import Visit

VISIT_FIELDS = {
    "household",
    "visited_at",
    "duration_minutes",
    "kind",
    "photo",
    "visitors",
    *actions.TEXT_FIELDS,
}
CASE_FIELDS = {"category", "description", "reporter_phone", "location", "address", "contact", "case"}
CASE_FIELD_ALIASES = {"lng": "location", "lat": "location"}


def _visit(user, pk) -> Visit:
    try:
        return selectors.visit_get_visible(user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _household(user, pk):
    try:
        return get_visible(households_visible_to(user), pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _partial(request) -> bool:
    return bool(request.headers.get("HX-Request")) and not request.headers.get("HX-History-Restore-Request")


# ---------------------------------------------------------------- worklist


@login_required
@require_GET
def worklist(request):
    """走访任务: households due within the chosen days or overdue, nearest due first; own plan progress."""
    require(is_staff(request.user), _("只有工作人员可以使用走访功能"))
    try:
        days = int(request.GET.get("days", 7))
    except ValueError:
        days = 7
    days = min(max(days, 0), 366)
    items = selectors.worklist(request.user, days=days)
    page = Paginator(items, 50).get_page(request.GET.get("page"))
    contacts = household_contacts(request.user, [i.household.pk for i in page.object_list])
    for item in page.object_list:
        item.contact = contacts.get(item.household.pk, "")
    context = {
        "page": page,
        "items": page.object_list,
        "days": days,
        "day_choices": [0, 7, 30, 90],
        "overdue_count": sum(1 for i in items if i.overdue),
        "progress": selectors.plan_progress(request.user),
    }
    template = "visits/_worklist.html" if _partial(request) else "visits/worklist.html"
    response = render(request, template, context)
    response["Vary"] = "HX-Request"
    return response


@login_required
@require_GET
def visit_list(request):
    """走访记录: the visits in scope, newest first."""
    require(is_staff(request.user), _("只有工作人员可以使用走访功能"))
    visits = selectors.visit_list(request.user, kind=request.GET.get("kind") or None)
    page = Paginator(visits, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "visits/list.html",
        {
            "page": page,
            "visits": page.object_list,
            "kinds": Visit.Kind.choices,
            "kind": request.GET.get("kind", ""),
        },
    )


# ---------------------------------------------------------------- the visit form


def _now_local() -> str:
    return timezone.localtime().strftime("%Y-%m-%dT%H:%M")


def _parse_when(value: str) -> datetime | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise DomainError("invalid", _("时间格式不正确"), "visited_at") from exc
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


def _form_context(request, household, values: dict, errors: dict | None = None) -> dict:
    due = selectors.due_dates(households_visible_to(request.user).filter(pk=household.pk)).get(household.pk)
    return {
        "household": household,
        "due": due,
        "values": values,
        "errors": errors or {},
        "kinds": Visit.Kind.choices,
        "colleagues": selectors.visitor_choices(request.user, household),
        "max_mb": settings.UPLOAD_MAX_BYTES // (1024 * 1024),
        "history": selectors.visits_of_household(request.user, household)[:3],
    }


@login_required
@require_http_methods(["GET", "POST"])
def record(request):
    """记录走访 (mobile): the household comes from the worklist (``?household=``); without one, a search."""
    require(is_staff(request.user), _("只有工作人员可以使用走访功能"))
    pk = request.GET.get("household") or request.POST.get("household")
    if not pk:
        q = (request.GET.get("q") or "").strip()
        found = household_list(request.user, q=q)[:30] if q else []
        return render(request, "visits/choose_household.html", {"q": q, "households": found})
    household = _household(request.user, pk)
    if request.method == "GET":
        due = selectors.due_dates(households_visible_to(request.user).filter(pk=household.pk)).get(
            household.pk
        )
        values = {
            "visited_at": _now_local(),
            "duration_minutes": "20",
            "kind": Visit.Kind.MUST if due is not None and due.rule.tag_id else Visit.Kind.ROUTINE,
            "visitors": set(),
            "client_key": uuid.uuid4().hex,
        }
        return render(request, "visits/form.html", _form_context(request, household, values))
    post = request.POST
    values = {
        name: post.get(name, "")
        for name in ("visited_at", "duration_minutes", "kind", "client_key", *actions.TEXT_FIELDS)
    }
    values["visitors"] = set(post.getlist("visitors"))
    photo = request.FILES.get("photo")
    try:
        visit = actions.visit_record(
            by=request.user,
            household=household,
            visited_at=_parse_when(values["visited_at"]),
            duration_minutes=values["duration_minutes"] or 20,
            kind=values["kind"],
            situation=values["situation"],
            needs=values["needs"],
            problems=values["problems"],
            skills=values["skills"],
            visitors=list(values["visitors"]),
            photo=photo,
            client_key=values["client_key"],
        )
    except DomainError as exc:
        context = _form_context(request, household, values, {error_field(exc, VISIT_FIELDS): exc.message})
        context["photo_dropped"] = bool(photo)
        return render(request, "visits/form.html", context, status=error_status(exc))
    messages.success(request, _("走访记录已保存。"))
    return redirect("visits:detail", visit.pk)


# ---------------------------------------------------------------- detail and visit → case


def _coordinate(value: str, field: str) -> float | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        raise DomainError("invalid", _("坐标格式不正确"), field) from None
    if not math.isfinite(number):
        raise DomainError("invalid", _("坐标格式不正确"), field)
    return number


def _case_form(request, visit: Visit, values: dict | None = None, duplicates=None) -> dict:
    groups = category_groups()
    leaves = [c for _group, cats in groups for c in cats]
    building = visit.household.building
    if values is None:
        values = {
            "category": selectors.suggest_category(visit.problems, leaves),
            "description": visit.problems,
            "reporter_phone": "",
            "lng": "" if building.lng is None else str(building.lng),
            "lat": "" if building.lat is None else str(building.lat),
            "address": actions._address(visit.household),
            "contact": "household",
        }
    if duplicates is None:
        # what open cases may already report it: shown before anything is created
        try:
            duplicates = selectors.case_duplicates(
                request.user,
                visit,
                category_code=values.get("category", ""),
                description=values.get("description"),
                lng=_coordinate(values.get("lng", ""), "lng"),
                lat=_coordinate(values.get("lat", ""), "lat"),
            )
        except DomainError:
            duplicates = []
    head = visit.household.head if visit.household.head_id else None
    point = [building.lng, building.lat] if building.lng is not None and building.lat is not None else None
    return {
        "groups": groups,
        "values": values,
        "duplicates": duplicates,
        "head": head.name if head else "",
        "map_data": {"building": point, "boundary": building.area.boundary} if point else None,
    }


def _need_form(visit: Visit, values: dict | None = None) -> dict:
    from gridgov.projects.models import Need
    from gridgov.services.models import ServiceCategory

    if values is None:
        text = (visit.needs or "").strip() or (visit.problems or "").strip()
        values = {
            "category": "",
            "title": actions._need_title(text),
            "description": text,
            "urgency": "normal",
        }
    return {
        "categories": ServiceCategory.objects.filter(is_active=True).order_by("sort", "code"),
        "urgencies": Need.Urgency.choices,
        "values": values,
    }


def _visit_need(user, visit: Visit):
    from gridgov.projects.selectors import need_of_source

    return need_of_source(user, "visit", visit.pk)


def _detail_context(
    request,
    visit: Visit,
    *,
    case_values=None,
    case_errors=None,
    case_duplicates=None,
    need_values=None,
    need_errors=None,
) -> dict:
    cases = list(visit.cases.all())
    if cases:  # the finding is already a case: nothing to compare
        case_duplicates = []
    return {
        "need": _visit_need(request.user, visit),
        "need_form": _need_form(visit, need_values),
        "need_errors": need_errors or {},
        "visit": visit,
        "visitors": list(visit.visitors.all()),
        "cases": cases,
        "case_form": _case_form(request, visit, case_values, case_duplicates),
        "case_errors": case_errors or {},
        "may_change": actions.may_change(request.user, visit),
        "may_delete": actions.may_delete(request.user, visit),
    }


@login_required
@require_GET
def detail(request, pk: int):
    """走访详情, with the one-click form that turns its finding into a case."""
    require(is_staff(request.user), _("只有工作人员可以使用走访功能"))
    visit = _visit(request.user, pk)
    return render(request, "visits/detail.html", _detail_context(request, visit))


def _case_values(post) -> dict:
    names = ("category", "description", "reporter_phone", "lng", "lat", "address", "contact", "confirm")
    return {name: post.get(name, "") for name in names}


def _case_error(request, pk: int, values: dict, exc: DomainError):
    visit = _visit(request.user, pk)
    field = error_field(exc, CASE_FIELDS, CASE_FIELD_ALIASES)
    context = _detail_context(request, visit, case_values=values, case_errors={field: exc.message})
    return render(request, "visits/detail.html", context, status=error_status(exc))


@login_required
@require_POST
def to_case(request, pk: int):
    """转为事件: one case per visit; a second click lands on the same case. When open cases nearby may
    report the same problem, they are shown first: the worker links the visit to one of them, or confirms
    that this is a new case."""
    require(is_staff(request.user), _("只有工作人员可以使用走访功能"))
    visit = _visit(request.user, pk)
    values = _case_values(request.POST)
    try:
        lng, lat = _coordinate(values["lng"], "lng"), _coordinate(values["lat"], "lat")
        if not values["confirm"] and not visit.cases.exists():
            duplicates = selectors.case_duplicates(
                request.user,
                visit,
                category_code=values["category"],
                description=values["description"],
                lng=lng,
                lat=lat,
            )
            if duplicates:
                context = _detail_context(request, visit, case_values=values, case_duplicates=duplicates)
                context["confirm_new"] = True
                return render(request, "visits/detail.html", context)
        result = actions.visit_to_case(
            by=request.user,
            visit=visit,
            category_code=values["category"],
            description=values["description"],
            reporter_phone=values["reporter_phone"],
            lng=lng,
            lat=lat,
            address=values["address"],
            contact=values["contact"] or "household",
        )
    except DomainError as exc:
        return _case_error(request, pk, values, exc)
    if result.created:
        messages.success(request, _("已转为事件 %(ref)s。") % {"ref": result.case.ref})
    else:
        messages.info(request, _("该走访已转为事件 %(ref)s。") % {"ref": result.case.ref})
    return redirect("visits:detail", visit.pk)


@login_required
@require_POST
def link_case(request, pk: int):
    """关联已有事件: the finding is already reported; the visit is linked to that case instead."""
    require(is_staff(request.user), _("只有工作人员可以使用走访功能"))
    visit = _visit(request.user, pk)
    try:
        result = actions.visit_link_case(by=request.user, visit=visit, ref=request.POST.get("case", ""))
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except DomainError as exc:
        return _case_error(request, pk, _case_values(request.POST), exc)
    messages.success(request, _("走访已关联到事件 %(ref)s。") % {"ref": result.case.ref})
    return redirect("visits:detail", visit.pk)


NEED_FIELDS = {"category", "title", "description", "urgency"}


@login_required
@require_POST
def to_need(request, pk: int):
    """转为需求: one need per visit; a second click lands on the same need."""
    require(is_staff(request.user), _("只有工作人员可以使用走访功能"))
    visit = _visit(request.user, pk)
    values = {name: request.POST.get(name, "") for name in NEED_FIELDS}
    try:
        result = actions.visit_to_need(
            by=request.user,
            visit=visit,
            category=values["category"],
            title=values["title"],
            description=values["description"],
            urgency=values["urgency"] or "normal",
        )
    except DomainError as exc:
        visit = _visit(request.user, pk)
        context = _detail_context(
            request, visit, need_values=values, need_errors={error_field(exc, NEED_FIELDS): exc.message}
        )
        return render(request, "visits/detail.html", context, status=error_status(exc))
    if result.created:
        messages.success(request, _("已登记到需求清单：%(title)s。") % {"title": result.need.title})
    else:
        messages.info(request, _("该走访已登记需求：%(title)s。") % {"title": result.need.title})
    return redirect("visits:detail", visit.pk)


@login_required
@require_POST
def delete(request, pk: int):
    require(is_staff(request.user), _("只有工作人员可以使用走访功能"))
    visit = _visit(request.user, pk)
    try:
        actions.visit_delete(by=request.user, visit=visit, reason=request.POST.get("reason", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("visits:detail", visit.pk)
    messages.success(request, _("走访记录已删除。"))
    return redirect("visits:worklist")


# ---------------------------------------------------------------- household history and coverage


@login_required
@require_GET
def household_visits(request, household_id: int):
    """The household's visit history as a fragment (for the household page, htmx)."""
    require(is_staff(request.user), _("只有工作人员可以使用走访功能"))
    household = _household(request.user, household_id)
    visits = selectors.visits_of_household(request.user, household)[:20]
    return render(request, "visits/_household_visits.html", {"household": household, "visits": visits})


def _date(value: str | None, default: date) -> date:
    try:
        return date.fromisoformat(value) if value else default
    except ValueError:
        return default


@login_required
@require_GET
def coverage(request):
    """走访覆盖率 by the next level of areas under the chosen area, for a period."""
    require(is_staff(request.user), _("只有工作人员可以使用走访功能"))
    today = timezone.localdate()
    start = _date(request.GET.get("start"), today.replace(day=1))
    end = _date(request.GET.get("end"), today)
    area = (request.GET.get("area") or "").strip() or None
    context = {"start": start, "end": end, "area": area or "", "errors": {}}
    try:
        context["result"] = selectors.coverage(
            request.user, area=area, start=start, end=end, group_by="child"
        )
    except DomainError as exc:
        context["errors"] = {exc.field or "form": exc.message}
        return render(
            request, "visits/coverage.html", context, status=error_status(exc) if exc.status != 404 else 404
        )
    context["last_month"] = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    return render(request, "visits/coverage.html", context)
