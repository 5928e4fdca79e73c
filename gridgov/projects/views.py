"""Pages of the three lists: needs (with the matched resources and 立项), resources, projects (milestones,
progress, evaluations, the allowed actions), and the 双报到 compliance report with the year-end scores.

Views stay thin: parse, call one selector or action, render. A ``DomainError`` is shown next to its field.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gridgov.accounts.models import Unit
from gridgov.core.errors import DomainError, NotFound
from gridgov.core.pages import error_status, require
from gridgov.core.scope import is_staff
from gridgov.core.timeline import timeline_of
from gridgov.projects import actions, selectors
from gridgov.projects.matching import match_resources
from gridgov.projects.models import Milestone, Need, Project, ProjectEvaluation, Resource
from gridgov.projects.workflow import NEED, PROJECT, is_owner_or_staff, is_unit_handler
from gridgov.services.models import ServiceCategory


def _errors(exc: DomainError) -> dict:
    return {(exc.field or "form"): exc.message}


def _get(fn, user, pk):
    try:
        return fn(user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _categories():
    return ServiceCategory.objects.filter(is_active=True).order_by("sort", "code")


def _page(request, qs, size: int = 30):
    return Paginator(qs, size).get_page(request.GET.get("page"))


def _query_without_page(request) -> str:
    q = request.GET.copy()
    q.pop("page", None)
    return q.urlencode()


# ---------------------------------------------------------------- needs


NEED_FILTERS = ("category", "area", "urgency", "state", "source", "q")


@login_required
@require_GET
def needs(request):
    """需求清单 with filters."""
    require(is_staff(request.user), _("只有工作人员可以使用需求清单"))
    filters = {k: (request.GET.get(k) or "").strip() for k in NEED_FILTERS}
    page = _page(request, selectors.need_list(request.user, **{k: v or None for k, v in filters.items()}))
    return render(
        request,
        "projects/needs.html",
        {
            "page": page,
            "needs": page.object_list,
            "filters": filters,
            "categories": _categories(),
            "urgencies": Need.Urgency.choices,
            "states": Need.State.choices,
            "sources": Need.Source.choices,
            "query": _query_without_page(request),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def need_new(request):
    """登记需求 by hand."""
    require(is_staff(request.user), _("只有工作人员可以使用需求清单"))
    fields = ("title", "category", "area", "description", "beneficiaries", "urgency", "needed_by")
    if request.method == "GET":
        values = {"area": request.user.area.code if request.user.area_id else "", "beneficiaries": "1"}
        values["urgency"] = "normal"
        return render(request, "projects/need_form.html", _need_form(values))
    values = {k: request.POST.get(k, "") for k in fields}
    try:
        need = actions.need_record(
            by=request.user, **{**values, "beneficiaries": values["beneficiaries"] or 1}
        )
    except DomainError as exc:
        return render(
            request, "projects/need_form.html", _need_form(values, _errors(exc)), status=error_status(exc)
        )
    messages.success(request, _("需求已登记。"))
    return redirect("projects:need", need.pk)


def _need_form(values: dict, errors: dict | None = None) -> dict:
    return {
        "values": values,
        "errors": errors or {},
        "categories": _categories(),
        "urgencies": Need.Urgency.choices,
    }


def _need_context(request, need: Need, *, project_values=None, errors=None) -> dict:
    matches = match_resources(
        need, today=timezone.localdate(), candidates=selectors.resources_visible_to(request.user), limit=10
    )
    if project_values is None:
        project_values = {
            "title": need.title,
            "resources": {str(m.resource.pk) for m in matches[:1]},
            "end_date": "",
            "plan": "",
        }
    return {
        "need": need,
        "matches": matches,
        "allowed": NEED.allowed_actions(request.user, need),
        "projects": list(need.projects.all()),
        "timeline": timeline_of(need),
        "project_values": project_values,
        "errors": errors or {},
    }


@login_required
@require_GET
def need(request, pk: int):
    """需求: its facts, the matched resources (匹配资源) and the 立项 form."""
    require(is_staff(request.user), _("只有工作人员可以使用需求清单"))
    item = _get(selectors.need_get_visible, request.user, pk)
    return render(request, "projects/need.html", _need_context(request, item))


@login_required
@require_POST
def need_close(request, pk: int):
    require(is_staff(request.user), _("只有工作人员可以使用需求清单"))
    item = _get(selectors.need_get_visible, request.user, pk)
    try:
        actions.need_close(by=request.user, need=item, reason=request.POST.get("reason", ""))
    except DomainError as exc:
        context = _need_context(request, item, errors=_errors(exc))
        return render(request, "projects/need.html", context, status=error_status(exc))
    messages.success(request, _("需求已关闭。"))
    return redirect("projects:need", pk)


@login_required
@require_POST
def need_project(request, pk: int):
    """立项 from a need with the chosen resources; lands on the new project."""
    require(is_staff(request.user), _("只有工作人员可以使用需求清单"))
    item = _get(selectors.need_get_visible, request.user, pk)
    values = {
        "title": request.POST.get("title", ""),
        "resources": set(request.POST.getlist("resources")),
        "end_date": request.POST.get("end_date", ""),
        "plan": request.POST.get("plan", ""),
    }
    try:
        project = actions.project_create(
            by=request.user,
            title=values["title"],
            area=item.area_code,
            plan=values["plan"],
            description=item.description,
            end_date=values["end_date"] or None,
            needs=[item.pk],
            resources=sorted(values["resources"]),
        )
    except DomainError as exc:
        context = _need_context(request, item, project_values=values, errors=_errors(exc))
        return render(request, "projects/need.html", context, status=error_status(exc))
    messages.success(request, _("已立项，请发布或指派承办方。"))
    return redirect("projects:project", project.pk)


# ---------------------------------------------------------------- resources


RESOURCE_FORM_FIELDS = (
    "title",
    "category",
    "kind",
    "area",
    "owner_unit",
    "owner_user",
    "owner_org",
    "description",
    "quantity",
    "capacity",
    "available_from",
    "available_until",
    "availability",
)


def _may_see_resources(user) -> bool:
    return is_staff(user) or is_unit_handler(user)


@login_required
@require_GET
def resources(request):
    """资源清单."""
    if not _may_see_resources(request.user):
        raise Http404
    filters = {k: (request.GET.get(k) or "").strip() for k in ("category", "kind", "area", "q")}
    page = _page(request, selectors.resource_list(request.user, **{k: v or None for k, v in filters.items()}))
    return render(
        request,
        "projects/resources.html",
        {
            "page": page,
            "resources": page.object_list,
            "filters": filters,
            "categories": _categories(),
            "kinds": Resource.Kind.choices,
            "query": _query_without_page(request),
        },
    )


def _resource_form(request, values: dict, errors: dict | None = None, resource=None) -> dict:
    units = Unit.objects.filter(is_active=True)
    if not is_staff(request.user):
        units = units.filter(pk=request.user.unit_id)
    return {
        "values": values,
        "errors": errors or {},
        "categories": _categories(),
        "kinds": Resource.Kind.choices,
        "units": units,
        "is_staff": is_staff(request.user),
        "resource": resource,
    }


@login_required
@require_http_methods(["GET", "POST"])
def resource_new(request):
    """登记资源: staff for any provider; a unit handler for their own unit."""
    if not _may_see_resources(request.user):
        raise Http404
    if request.method == "GET":
        user = request.user
        area = user.area.code if user.area_id else (user.unit.area.code if user.unit_id else "")
        values = {"area": area, "owner_unit": str(user.unit_id or "")}
        return render(request, "projects/resource_form.html", _resource_form(request, values))
    values = {k: request.POST.get(k, "") for k in RESOURCE_FORM_FIELDS}
    args = {k: (v if v != "" else None) for k, v in values.items()}
    for k in ("title", "category", "kind", "area", "description", "quantity", "availability"):
        args[k] = values[k]
    try:
        res = actions.resource_create(by=request.user, **args)
    except DomainError as exc:
        context = _resource_form(request, values, _errors(exc))
        return render(request, "projects/resource_form.html", context, status=error_status(exc))
    messages.success(request, _("资源「%(title)s」已登记。") % {"title": res.title})
    return redirect("projects:resources")


@login_required
@require_http_methods(["GET", "POST"])
def resource_edit(request, pk: int):
    """修改或停用资源."""
    res = _get(selectors.resource_get_visible, request.user, pk)
    if not actions.may_edit_resource(request.user, res):
        raise Http404
    fields = [f for f in actions.RESOURCE_FIELDS if f != "is_active"]
    if request.method == "GET":
        values = {f: getattr(res, f) for f in fields if f not in ("category", "area")}
        values.update(category=res.category.code, area=res.area_code, is_active=res.is_active)
        for f in ("available_from", "available_until"):
            values[f] = values[f].isoformat() if values[f] else ""
        values["capacity"] = "" if res.capacity is None else str(res.capacity)
        return render(request, "projects/resource_form.html", _resource_form(request, values, resource=res))
    values = {f: request.POST.get(f, "") for f in fields}
    values["is_active"] = request.POST.get("is_active") == "on"
    try:
        actions.resource_update(by=request.user, resource=res, **values)
    except DomainError as exc:
        context = _resource_form(request, values, _errors(exc), resource=res)
        return render(request, "projects/resource_form.html", context, status=error_status(exc))
    messages.success(request, _("资源已保存。"))
    return redirect("projects:resources")


# ---------------------------------------------------------------- projects


@login_required
@require_GET
def projects(request):
    """项目清单: staff their area's projects; units the open ones to claim and their own; residents the
    completed ones they may evaluate."""
    user = request.user
    filters = {k: (request.GET.get(k) or "").strip() for k in ("state", "area", "year", "q")}
    mine = request.GET.get("mine") == "1"
    year = int(filters["year"]) if filters["year"].isdigit() else None
    qs = selectors.project_list(
        user,
        state=filters["state"] or None,
        area=filters["area"] or None,
        year=year,
        mine=mine,
        q=filters["q"] or None,
    )
    page = _page(request, qs)
    return render(
        request,
        "projects/projects.html",
        {
            "page": page,
            "projects": page.object_list,
            "filters": filters,
            "mine": mine,
            "states": Project.State.choices,
            "is_staff": is_staff(user),
            "query": _query_without_page(request),
        },
    )


def _project_context(request, project: Project, errors: dict | None = None) -> dict:
    user = request.user
    allowed = PROJECT.allowed_actions(user, project)
    mine_done = ProjectEvaluation.objects.filter(project=project, user=user).exists()
    if mine_done and "evaluate" in allowed:
        allowed.remove("evaluate")
    units = Unit.objects.filter(is_active=True) if "assign" in allowed else Unit.objects.none()
    return {
        "project": project,
        "allowed": allowed,
        "buttons": [(a, PROJECT.by_action[a].label) for a in allowed],
        "milestones": list(Milestone.objects.filter(project=project)),
        "evaluations": list(ProjectEvaluation.objects.filter(project=project).select_related("user")),
        "summary": selectors.evaluation_summary(project),
        "needs": list(project.needs.all()),
        "resources": list(
            project.resources.select_related("category", "owner_unit", "owner_user", "owner_org")
        ),
        "timeline": timeline_of(project),
        "errors": errors or {},
        "units": units,
        "may_plan": is_owner_or_staff(user, project)
        and project.state not in (Project.State.COMPLETED, Project.State.CLOSED),
        "evaluated": mine_done,
    }


@login_required
@require_GET
def project(request, pk: int):
    """项目: facts, milestones with the progress bar, evaluations, and only the allowed action buttons."""
    item = _get(selectors.project_get_visible, request.user, pk)
    return render(request, "projects/project.html", _project_context(request, item))


@login_required
@require_POST
def project_act(request, pk: int, action: str):
    """One workflow step from the project page."""
    user = request.user
    item = _get(selectors.project_get_visible, user, pk)
    post = request.POST
    try:
        if action == "publish":
            actions.project_publish(by=user, project=item)
        elif action == "claim":
            actions.project_claim(by=user, project=item)
        elif action == "assign":
            actions.project_assign(
                by=user,
                project=item,
                owner_unit=post.get("owner_unit") or None,
                owner_user=post.get("owner_user") or None,
            )
        elif action == "return":
            actions.project_return(by=user, project=item, reason=post.get("reason", ""))
        elif action == "withdraw":
            actions.project_withdraw(by=user, project=item, reason=post.get("reason", ""))
        elif action == "milestone":
            if post.get("milestone"):
                actions.milestone_done(
                    by=user, project=item, milestone_id=int(post["milestone"]), note=post.get("note", "")
                )
            else:
                actions.project_set_progress(
                    by=user, project=item, progress=post.get("progress"), note=post.get("note", "")
                )
        elif action == "complete":
            actions.project_complete(by=user, project=item, summary=post.get("summary", ""))
        elif action == "evaluate":
            actions.project_evaluate(
                by=user, project=item, score=post.get("score"), comment=post.get("comment", "")
            )
        elif action == "close":
            actions.project_close(by=user, project=item, note=post.get("note", ""))
        elif action == "add_milestone":
            actions.milestone_add(
                by=user, project=item, title=post.get("title", ""), due=post.get("due") or None
            )
        else:
            raise Http404
    except DomainError as exc:
        try:
            item = selectors.project_get_visible(user, pk)
        except NotFound:
            messages.error(request, exc.message)
            return redirect("projects:projects")
        return render(
            request,
            "projects/project.html",
            _project_context(request, item, _errors(exc)),
            status=error_status(exc),
        )
    messages.success(request, _("已保存。"))
    if not selectors.projects_visible_to(user).filter(pk=pk).exists():
        return redirect("projects:projects")
    return redirect("projects:project", pk)


# ---------------------------------------------------------------- 双报到


@login_required
@require_http_methods(["GET", "POST"])
def compliance(request):
    """双报到达标情况 and the community's year-end scores of its co-building units."""
    require(is_staff(request.user), _("只有工作人员可以使用需求清单"))
    src = request.POST if request.method == "POST" else request.GET
    area = (src.get("area") or "").strip() or None
    year_text = (src.get("year") or "").strip()
    year = int(year_text) if year_text.isdigit() else timezone.localdate().year
    errors: dict = {}
    score_values: dict = {}
    status = 200
    if request.method == "POST":
        score_values = {k: request.POST.get(k, "") for k in ("unit", "score", "comment")}
        try:
            actions.unit_score(
                by=request.user,
                unit=score_values["unit"] or 0,
                community=area or "",
                year=year,
                score=score_values["score"],
                comment=score_values["comment"],
            )
        except DomainError as exc:
            errors, status = _errors(exc), error_status(exc)
        else:
            messages.success(request, _("评分已保存。"))
            return redirect(f"{request.path}?area={area}&year={year}")
    try:
        report = selectors.compliance_report(request.user, area=area, year=year)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except DomainError as exc:
        errors = _errors(exc)
        report, status = None, error_status(exc)
    return render(
        request,
        "projects/compliance.html",
        {
            "report": report,
            "year": year,
            "area": area or (report.area.code if report else ""),
            "errors": errors,
            "score_values": score_values,
            "may_score": bool(
                report and report.area.level == "community" and actions.may_score(request.user, report.area)
            ),
        },
        status=status,
    )
