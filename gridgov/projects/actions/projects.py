"""The projects list: projects from needs and resources, through the project machine."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from gridgov.accounts.models import STAFF_ROLES, Unit, User
from gridgov.accounts.selectors import area_staff, unit_handlers
from gridgov.areas.models import Area
from gridgov.core import audit, cleaners
from gridgov.core.cleaners import REASON_LIMIT, limit
from gridgov.core.deadlines import arm, disarm
from gridgov.core.errors import Conflict, DomainError, NotFound
from gridgov.core.i18n import message
from gridgov.core.scope import in_scope
from gridgov.core.timeline import step
from gridgov.core.workflow import Rating
from gridgov.notify.actions import tell
from gridgov.notify.models import Kind
from gridgov.projects.actions.needs import needs_move
from gridgov.projects.actions.shared import area_in_scope, plain, require_staff
from gridgov.projects.models import (
    Milestone,
    Need,
    Project,
    ProjectEvaluation,
    Resource,
)
from gridgov.projects.workflow import DUE, PROJECT, is_owner_or_staff, is_unit_handler


def _project_visible(by, project: Project | None) -> None:
    """404 on ``project`` unless ``by`` may see it (checks made before the row is locked)."""
    if project is None or not PROJECT.visible(by, project):
        raise PROJECT.not_found(getattr(project, "pk", ""), "project")


def _needs_for(by, ids, area: Area) -> list[Need]:
    ids = sorted({cleaners.integer(i, "needs", label=_("需求"), required=True) for i in (ids or [])})
    needs = list(Need.objects.select_for_update().filter(pk__in=ids))
    found = {n.pk: n for n in needs if in_scope(by, n.area_code)}
    for pk in ids:
        need = found.get(pk)
        if need is None:
            raise NotFound(_("需求 %(id)s 不存在或不在您的管辖范围内") % {"id": pk}, field="needs")
        if need.state != Need.State.OPEN:
            raise Conflict(
                "need_not_open",
                _("需求「%(title)s」当前状态为「%(state)s」")
                % {"title": need.title, "state": need.get_state_display()},
                "needs",
            )
        if not need.area_code.startswith(area.code):
            raise DomainError(
                "invalid", _("需求「%(title)s」不在项目区域内") % {"title": need.title}, "needs"
            )
    return [found[pk] for pk in ids]


def _resources_for(by, ids) -> list[Resource]:
    from gridgov.projects.selectors import resources_visible_to

    ids = sorted({cleaners.integer(i, "resources", label=_("资源"), required=True) for i in (ids or [])})
    found = {r.pk: r for r in resources_visible_to(by).filter(pk__in=ids)}
    for pk in ids:
        res = found.get(pk)
        if res is None:
            raise NotFound(_("资源 %(id)s 不存在或不在您的管辖范围内") % {"id": pk}, field="resources")
        if not res.is_active:
            raise DomainError("invalid", _("资源「%(title)s」已停用") % {"title": res.title}, "resources")
    return [found[pk] for pk in ids]


def _budget(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise DomainError("invalid", _("预算必须是金额"), "budget") from None
    if amount < 0 or amount >= Decimal("1e10"):
        raise DomainError("invalid", _("预算超出范围"), "budget")
    return amount.quantize(Decimal("0.01"))


def project_create(
    *,
    by: User,
    title: str,
    area: str,
    description: str = "",
    plan: str = "",
    budget=None,
    start_date=None,
    end_date=None,
    needs=(),
    resources=(),
    year: int | None = None,
    milestones=(),
) -> Project:
    """Create a project: a draft in the staff member's scope, from needs (which become planned) and resources."""
    require_staff(by, _("立项"))
    title = cleaners.text(title, "title", limit=limit(Project, "title"), required=True, label=_("项目名称"))
    description = cleaners.text(
        description, "description", limit=limit(Project, "description"), label=_("说明")
    )
    plan = cleaners.text(plan, "plan", limit=limit(Project, "plan"), label=_("实施方案"))
    amount = _budget(budget)
    start, end = cleaners.a_date(start_date, "start_date"), cleaners.a_date(end_date, "end_date")
    if start and end and end < start:
        raise DomainError("invalid", _("计划完成日期不能早于开始日期"), "end_date")
    place = area_in_scope(by, area)
    today = timezone.localdate()
    year = (
        cleaners.integer(year, "year", label=_("年度"), low=2000, high=2100, required=True)
        if year
        else (start or today).year
    )
    steps = [_milestone_values(m) for m in milestones or ()]
    with transaction.atomic():
        linked_needs = _needs_for(by, needs, place)
        linked_resources = _resources_for(by, resources)
        project = Project.objects.create(
            title=title,
            description=description,
            plan=plan,
            budget=amount,
            start_date=start,
            end_date=end,
            year=year,
            area=place,
            area_code=place.code,
            created_by=by,
            created_at=timezone.now(),
        )
        project.needs.set(linked_needs)
        project.resources.set(linked_resources)
        for m in steps:
            Milestone.objects.create(project=project, **m)
        step(
            project,
            by,
            "create",
            "",
            data={"needs": [n.pk for n in linked_needs], "resources": [r.pk for r in linked_resources]},
        )
        note = message(gettext_noop("立项：%(title)s"), title=project.title)
        needs_move(linked_needs, by=by, action="planned", note=note)
    return project


PROJECT_FIELDS = ("title", "description", "plan", "budget", "start_date", "end_date", "resources")


def project_update(*, by: User, project: Project, **changes) -> Project:
    """Edit a project (before completion; staff in scope or the owner)."""
    _project_visible(by, project)
    unknown = set(changes) - set(PROJECT_FIELDS)
    if unknown:
        raise DomainError(
            "invalid", _("不能修改：%(fields)s") % {"fields": ", ".join(sorted(unknown))}, sorted(unknown)[0]
        )
    with transaction.atomic():
        locked = _lock_project(by, project)
        if not is_owner_or_staff(by, locked):
            raise DomainError("forbidden", _("只有工作人员或项目负责方可以修改项目"), status=403)
        if locked.state in (Project.State.COMPLETED, Project.State.CLOSED):
            raise PROJECT.conflict(locked, "wrong_state", _("项目已完成，不能修改"))
        data: dict = {}
        if "title" in changes:
            data["title"] = cleaners.text(
                changes["title"], "title", limit=limit(Project, "title"), required=True, label=_("项目名称")
            )
        if "description" in changes:
            data["description"] = cleaners.text(
                changes["description"], "description", limit=limit(Project, "description"), label=_("说明")
            )
        if "plan" in changes:
            data["plan"] = cleaners.text(
                changes["plan"], "plan", limit=limit(Project, "plan"), label=_("实施方案")
            )
        if "budget" in changes:
            data["budget"] = _budget(changes["budget"])
        for name in ("start_date", "end_date"):
            if name in changes:
                data[name] = cleaners.a_date(changes[name], name)
        start = data.get("start_date", locked.start_date)
        end = data.get("end_date", locked.end_date)
        if start and end and end < start:
            raise DomainError("invalid", _("计划完成日期不能早于开始日期"), "end_date")
        before = {k: plain(getattr(locked, k)) for k in data}
        for name, value in data.items():
            setattr(locked, name, value)
        if "end_date" in data and locked.state == Project.State.IN_PROGRESS:
            arm(locked, DUE)
        locked.save()
        if "resources" in changes:
            before["resources"] = sorted(locked.resources.values_list("pk", flat=True))
            locked.resources.set(_resources_for(by, changes["resources"]))
            data["resources"] = sorted(locked.resources.values_list("pk", flat=True))
        audit.record(
            actor=by,
            verb="project.update",
            obj=locked,
            before=before,
            after={k: plain(v) if k != "resources" else v for k, v in data.items()},
        )
    return locked


def _lock_project(by, project: Project | None, *, visible=None) -> Project:
    """Lock the project and check ``by`` may see it (404 on ``project`` otherwise)."""
    return PROJECT.lock(by, field="project", visible=visible, pk=getattr(project, "pk", None))


def _clear_owner(project: Project) -> None:
    project.owner_unit = None
    project.owner_user = None
    project.claimed = False
    project.is_secretary_project = False
    project.started_at = None
    disarm(project, DUE)


def owner_people(project: Project) -> list:
    if project.owner_unit_id:
        return unit_handlers([project.owner_unit_id])
    return [project.owner_user] if project.owner_user_id else []


def area_people(project: Project) -> list:
    return area_staff(project.area_code)


def _start(p: Project, at) -> None:
    p.started_at = at
    arm(p, DUE)


def project_publish(*, by: User, project: Project) -> Project:
    """Publish: the project goes on the list of projects units may claim; partner units in the area are told."""
    with transaction.atomic():
        p = _lock_project(by, project)
        with PROJECT.transition(p, "publish", by=by, fields=[]):
            pass
        partners = [
            u.pk
            for u in Unit.objects.filter(kind=Unit.Kind.PARTNER, is_active=True).select_related("area")
            if p.area_code.startswith(u.area.code) or u.area.code.startswith(p.area_code)
        ]
        tell(
            unit_handlers(partners),
            Kind.PROJECT,
            p,
            gettext_lazy("新项目待认领：%(title)s"),
            params=_titled(p),
        )
    return p


def _titled(p: Project) -> dict:
    return {"title": p.title}


def _claimable(by, project: Project) -> bool:
    """A unit that could have claimed a published project learns it was taken (409), not "not found"."""
    published = project.state != Project.State.DRAFT
    return published and is_unit_handler(by) and in_scope(by, project.area_code)


def project_claim(*, by: User, project: Project) -> Project:
    """Claim: a unit handler takes the project for their unit (first claim wins; a second gets 409)."""
    with transaction.atomic():
        p = _lock_project(
            by, project, visible=lambda user, obj: _claimable(user, obj) or PROJECT.visible(user, obj)
        )
        with PROJECT.transition(p, "claim", by=by) as s:
            p.owner_unit, p.owner_user, p.claimed, p.is_secretary_project = by.unit, None, True, False
            _start(p, s.at)
            s.data = {"unit": by.unit_id}
        tell(
            area_people(p),
            Kind.PROJECT,
            p,
            gettext_lazy("%(unit)s 认领了项目：%(title)s"),
            params={"unit": by.unit.name, **_titled(p)},
        )
    return p


def project_assign(
    *, by: User, project: Project, owner_unit: int | None = None, owner_user: int | None = None
) -> Project:
    """Assign: staff name the owner — a unit, or a party secretary (a secretary project)."""
    if (owner_unit in (None, "")) == (owner_user in (None, "")):
        _project_visible(by, project)
        raise DomainError("required", _("请指定承办单位或负责书记（二选一）"), "owner_unit")
    with transaction.atomic():
        p = _lock_project(by, project)
        with PROJECT.transition(p, "assign", by=by) as s:
            if owner_unit not in (None, ""):
                unit = Unit.objects.filter(
                    pk=cleaners.integer(owner_unit, "owner_unit", label=_("单位"), required=True),
                    is_active=True,
                ).first()
                if unit is None:
                    raise DomainError("invalid", _("单位不存在或已停用"), "owner_unit")
                p.owner_unit, p.owner_user, p.is_secretary_project = unit, None, False
                s.data = {"unit": unit.pk}
            else:
                person = User.objects.filter(
                    pk=cleaners.integer(owner_user, "owner_user", label=_("负责书记"), required=True),
                    is_active=True,
                    role__in=list(STAFF_ROLES),
                ).first()
                if person is None or not in_scope(person, p.area_code):
                    raise DomainError("invalid", _("负责书记须为管辖该区域的工作人员"), "owner_user")
                p.owner_unit, p.owner_user, p.is_secretary_project = None, person, True
                s.data = {"secretary": person.pk}
            p.claimed = False
            _start(p, s.at)
        tell(owner_people(p), Kind.PROJECT, p, gettext_lazy("项目已指派给您：%(title)s"), params=_titled(p))
    return p


def project_return(*, by: User, project: Project, reason: str) -> Project:
    """Hand back: the owner gives the project back to the list (reason required)."""
    reason = cleaners.text(reason, "reason", limit=REASON_LIMIT)
    with transaction.atomic():
        p = _lock_project(by, project)
        with PROJECT.transition(p, "return", by=by, reason=reason) as s:
            s.data = {"owner": str(p.owner)}
            _clear_owner(p)
        tell(
            area_people(p), Kind.PROJECT, p, gettext_lazy("项目被退回：%(title)s"), reason, params=_titled(p)
        )
    return p


def project_withdraw(*, by: User, project: Project, reason: str) -> Project:
    """Withdraw: staff take the project back to draft (reason required); the owner is told."""
    reason = cleaners.text(reason, "reason", limit=REASON_LIMIT)
    with transaction.atomic():
        p = _lock_project(by, project)
        told = owner_people(p)
        with PROJECT.transition(p, "withdraw", by=by, reason=reason):
            _clear_owner(p)
        tell(told, Kind.PROJECT, p, gettext_lazy("项目已撤回：%(title)s"), reason, params=_titled(p))
    return p


def _milestone_values(m) -> dict:
    if isinstance(m, str):
        m = {"title": m}
    return {
        "title": cleaners.text(
            m.get("title"), "milestones", limit=limit(Milestone, "title"), required=True, label=_("节点名称")
        ),
        "due": cleaners.a_date(m.get("due"), "milestones"),
        "note": cleaners.text(
            m.get("note"), "milestones", limit=limit(Milestone, "note"), label=_("节点说明")
        ),
    }


def milestone_add(*, by: User, project: Project, title: str, due=None, note: str = "") -> Milestone:
    """Add a step to the plan (staff or the owner, before completion)."""
    _project_visible(by, project)
    values = _milestone_values({"title": title, "due": due, "note": note})
    with transaction.atomic():
        locked = _lock_project(by, project)
        if not is_owner_or_staff(by, locked):
            raise DomainError("forbidden", _("只有工作人员或项目负责方可以添加节点"), status=403)
        if locked.state in (Project.State.COMPLETED, Project.State.CLOSED):
            raise PROJECT.conflict(locked, "wrong_state", _("项目已完成，不能添加节点"))
        milestone = Milestone.objects.create(project=locked, **values)
        _progress_from_milestones(locked)
        locked.save(update_fields=["progress"])
        step(
            locked, by, "milestone_add", locked.state, note=values["title"], data={"milestone": milestone.pk}
        )
    return milestone


def _progress_from_milestones(project: Project) -> None:
    total = project.milestones.count()
    if total:
        done = project.milestones.filter(done_at__isnull=False).count()
        project.progress = round(100 * done / total)


def milestone_done(*, by: User, project: Project, milestone_id: int, note: str = "") -> Milestone:
    """Milestone done: the progress is the share of done milestones."""
    note = cleaners.text(note, "note", limit=limit(Milestone, "note"), label=_("说明"))
    with transaction.atomic():
        p = _lock_project(by, project)
        with PROJECT.transition(p, "milestone", by=by, fields=["progress"]) as s:
            milestone = Milestone.objects.select_for_update().filter(pk=milestone_id, project=p).first()
            if milestone is None:
                raise NotFound(_("节点不存在"), field="milestone")
            if milestone.done_at is not None:
                raise Conflict("already_done", _("该节点已完成"), "milestone")
            milestone.done_at, milestone.done_by = s.at, by
            if note:
                milestone.note = note
            milestone.save(update_fields=["done_at", "done_by", "note"])
            _progress_from_milestones(p)
            s.note = milestone.title
            s.data = {"milestone": milestone.pk, "progress": p.progress}
    return milestone


def project_set_progress(*, by: User, project: Project, progress: int, note: str = "") -> Project:
    """Set the progress by hand (a project without milestones): a ``milestone`` step of the machine,
    kept on the timeline as ``progress``."""
    value = cleaners.integer(progress, "progress", label=_("进度"), low=0, high=100, required=True)
    note = cleaners.text(note, "note", limit=REASON_LIMIT, label=_("说明"))
    with transaction.atomic():
        p = _lock_project(by, project)
        PROJECT.require(by, p, "milestone")
        if p.milestones.exists():
            raise DomainError("invalid", _("有节点的项目按已完成节点计算进度"), "progress")
        p.progress = value
        p.save(update_fields=["progress"])
        step(p, by, "progress", p.state, note=note, data={"progress": value})
    return p


def project_complete(*, by: User, project: Project, summary: str) -> Project:
    """Complete: the owner reports what was done (required); linked needs become met; residents may evaluate."""
    with transaction.atomic():
        p = _lock_project(by, project)
        with PROJECT.transition(p, "complete", by=by) as s:
            p.summary = cleaners.text(
                summary, "summary", limit=limit(Project, "summary"), required=True, label=_("完成情况")
            )
            p.progress, p.completed_at = 100, s.at
            disarm(p, DUE)
            s.note = p.summary
        needs = list(p.needs.select_for_update().filter(state__in=[Need.State.OPEN, Need.State.PLANNED]))
        needs_move(
            needs, by=by, action="met", note=message(gettext_noop("项目完成：%(title)s"), title=p.title)
        )
        tell(
            area_people(p),
            Kind.PROJECT,
            p,
            gettext_lazy("项目已完成：%(title)s"),
            p.summary,
            params=_titled(p),
        )
    return p


RATING_OF_SCORE = {
    5: Rating.SATISFIED,
    4: Rating.SATISFIED,
    3: Rating.BASIC,
    2: Rating.UNSATISFIED,
    1: Rating.UNSATISFIED,
}
SCORE_OF_RATING = {Rating.SATISFIED: 5, Rating.BASIC: 3, Rating.UNSATISFIED: 1}


def project_evaluate(
    *, by: User, project: Project, score: int | None = None, rating: str | None = None, comment: str = ""
) -> ProjectEvaluation:
    """Residents' evaluation: a score 1–5 (or satisfied / basically satisfied / unsatisfied), once per resident per completed project."""
    _project_visible(by, project)
    if score in (None, "") and rating:
        rating = cleaners.choice(rating, "rating", Rating, label=_("评价"))
        score = SCORE_OF_RATING[rating]
    if score in (None, ""):
        raise DomainError("required", _("请评分（1–5）"), "score")
    score = cleaners.integer(score, "score", label=_("评分"), low=1, high=5, required=True)
    comment = cleaners.text(comment, "comment", limit=limit(ProjectEvaluation, "comment"), label=_("意见"))
    try:
        with transaction.atomic():
            p = _lock_project(by, project)
            with PROJECT.transition(p, "evaluate", by=by, note=comment, fields=[]) as s:
                if ProjectEvaluation.objects.filter(project=p, user=by).exists():
                    raise Conflict("already_evaluated", _("您已评价过该项目"), "score")
                evaluation = ProjectEvaluation.objects.create(
                    project=p,
                    user=by,
                    score=score,
                    rating=RATING_OF_SCORE[score],
                    comment=comment,
                    created_at=s.at,
                )
                s.data = {"score": score}
    except IntegrityError:
        raise Conflict("already_evaluated", _("您已评价过该项目"), "score") from None
    return evaluation


def project_close(*, by: User, project: Project, note: str = "") -> Project:
    """Close: staff close a completed project after the evaluation period."""
    note = cleaners.text(note, "note", limit=REASON_LIMIT, label=_("说明"))
    with transaction.atomic():
        p = _lock_project(by, project)
        with PROJECT.transition(p, "close", by=by, note=note, fields=["closed_at"]) as s:
            p.closed_at = s.at
    return p
