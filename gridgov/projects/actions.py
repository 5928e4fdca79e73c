"""Writes of the three lists (需求、资源、项目清单) and the 双报到 scores. Every write checks role (403), scope
(404), input (400) and state (409 with the allowed actions), runs in one transaction and leaves a timeline
step and an audit entry (``core.timeline.step``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from django.apps import apps as django_apps
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts.models import STAFF_ROLES, Role, Unit, User
from gridgov.accounts.selectors import area_staff, unit_handlers
from gridgov.areas.models import Area, Level
from gridgov.core import audit
from gridgov.core.errors import Conflict, DomainError, NotFound
from gridgov.core.scope import command_staff_in_scope, in_scope, is_staff
from gridgov.core.timeline import step
from gridgov.core.workflow import Rating
from gridgov.notify.actions import notify
from gridgov.notify.models import Kind
from gridgov.projects.models import (
    CoBuildingRule,
    Milestone,
    Need,
    Project,
    ProjectEvaluation,
    Resource,
    UnitYearScore,
)
from gridgov.projects.workflow import NEED, PROJECT, is_owner_or_staff, is_unit_handler
from gridgov.services.selectors import active_category

__all__ = ["need_record"]

MAX_TEXT = 2000
# A project in progress is flagged yellow this many days before its planned end date.
WARN_DAYS = 7
SCORE_COMMENT_BELOW = 60

# ---------------------------------------------------------------- shared checks


def _text(value, field: str, label: str, *, required: bool = False, max_length: int = MAX_TEXT) -> str:
    value = (value or "").strip()
    if required and not value:
        raise DomainError("required", f"请填写{label}", field)
    if len(value) > max_length:
        raise DomainError("invalid", f"{label}不能超过 {max_length} 个字", field)
    return value


def _area_in_scope(by, code: str) -> Area:
    area = Area.objects.filter(code=(code or "").strip(), is_active=True).first()
    if area is None or not in_scope(by, area.code):
        raise NotFound(f"区域 {code} 不存在或不在您的管辖范围内", field="area")
    return area


def _require_staff(by, what: str) -> None:
    if not is_staff(by):
        raise DomainError("forbidden", f"只有工作人员可以{what}", status=403)


def _date(value, field: str) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise DomainError("invalid", _("日期格式应为 YYYY-MM-DD"), field) from None


def _int(value, field: str, label: str, *, low: int | None = None, high: int | None = None) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise DomainError("invalid", f"{label}必须是整数", field) from None
    if (low is not None and number < low) or (high is not None and number > high):
        bounds = f"{low}–{high}" if high is not None else f"不小于 {low}"
        raise DomainError("invalid", f"{label}应为 {bounds}", field)
    return number


def _choice(value, choices, field: str, label: str) -> str:
    if value not in choices.values:
        raise DomainError("invalid", f"{label}「{value}」无效", field)
    return value


def _lock(model, obj):
    return model.objects.select_for_update().get(pk=obj.pk)


# ---------------------------------------------------------------- needs


# The sources whose row is checked here (it must exist and be visible to the caller): source → (model
# label, message). The model is looked up by its label, not imported: the apps whose rows become needs
# (visits, orders, wishes) sit above projects and call need_record themselves. The other sources (orders,
# wishes, surveys) are checked by the app that calls.
CHECKED_SOURCES = {Need.Source.VISIT: ("visits.Visit", "走访记录不存在或不在您的管辖范围内")}


def _check_source(by, source: str, source_id: int | None) -> None:
    if source not in CHECKED_SOURCES:
        return
    label, message = CHECKED_SOURCES[source]
    rows = django_apps.get_model(label).objects.filter(pk=source_id)
    code = rows.values_list("area_code", flat=True).first()
    if code is None or not in_scope(by, code):
        raise NotFound(message, field="source_id")


def need_record_once(
    *,
    by,
    title: str,
    category: str,
    area: str,
    description: str = "",
    beneficiaries: int = 1,
    urgency: str = Need.Urgency.NORMAL,
    source: str = Need.Source.MANUAL,
    source_id: int | None = None,
    needed_by=None,
) -> tuple[Need, bool]:
    """:func:`need_record` that also says whether the need was created now (``False``: the source's need)."""
    _require_staff(by, "登记需求")
    title = _text(title, "title", "需求", required=True, max_length=100)
    description = _text(description, "description", "说明")
    _choice(source, Need.Source, "source", "来源")
    _choice(urgency, Need.Urgency, "urgency", "紧急程度")
    if source == Need.Source.MANUAL:
        source_id = None
    elif source_id is None:
        raise DomainError("required", _("请注明来源记录"), "source_id")
    beneficiaries = _int(beneficiaries, "beneficiaries", "受益人数", low=1)
    needed_by = _date(needed_by, "needed_by")
    cat = active_category(category)
    place = _area_in_scope(by, area)
    if source_id is not None:
        _check_source(by, source, source_id)
        existing = Need.objects.filter(source=source, source_id=source_id).first()
        if existing is not None:
            return existing, False
    try:
        with transaction.atomic():
            need = Need.objects.create(
                title=title,
                description=description,
                category=cat,
                area=place,
                area_code=place.code,
                beneficiaries=beneficiaries,
                urgency=urgency,
                source=source,
                source_id=source_id,
                needed_by=needed_by,
                created_by=by if getattr(by, "pk", None) else None,
                created_at=timezone.now(),
            )
            step(need, by, "record", "", data={"source": source, "source_id": source_id})
    except IntegrityError:
        existing = Need.objects.filter(source=source, source_id=source_id).first()
        if existing is None:
            raise
        return existing, False
    return need, True


def need_record(
    *,
    by,
    title: str,
    category: str,
    area: str,
    description: str = "",
    beneficiaries: int = 1,
    urgency: str = Need.Urgency.NORMAL,
    source: str = Need.Source.MANUAL,
    source_id: int | None = None,
    needed_by=None,
) -> Need:
    """登记需求. With a ``source``/``source_id`` (a visit, a wish, an order, a survey answer) the same source
    gives the same need: a retry, a double click or a colleague's simultaneous click make one row."""
    return need_record_once(
        by=by,
        title=title,
        category=category,
        area=area,
        description=description,
        beneficiaries=beneficiaries,
        urgency=urgency,
        source=source,
        source_id=source_id,
        needed_by=needed_by,
    )[0]


NEED_FIELDS = ("title", "description", "category", "area", "beneficiaries", "urgency", "needed_by")


def _need_visible(by, need: Need) -> None:
    if need is None or not is_staff(by) or not in_scope(by, need.area_code):
        raise NotFound(_("需求不存在或不在您的管辖范围内"), field="need")


def need_update(*, by, need: Need, **changes) -> Need:
    """修改需求 (open or planned needs; staff in scope)."""
    _need_visible(by, need)
    unknown = set(changes) - set(NEED_FIELDS)
    if unknown:
        raise DomainError("invalid", f"不能修改：{', '.join(sorted(unknown))}", sorted(unknown)[0])
    data: dict = {}
    if "title" in changes:
        data["title"] = _text(changes["title"], "title", "需求", required=True, max_length=100)
    if "description" in changes:
        data["description"] = _text(changes["description"], "description", "说明")
    if "category" in changes:
        data["category"] = active_category(changes["category"])
    if "area" in changes:
        place = _area_in_scope(by, changes["area"])
        data["area"], data["area_code"] = place, place.code
    if "beneficiaries" in changes:
        data["beneficiaries"] = _int(changes["beneficiaries"], "beneficiaries", "受益人数", low=1)
    if "urgency" in changes:
        data["urgency"] = _choice(changes["urgency"], Need.Urgency, "urgency", "紧急程度")
    if "needed_by" in changes:
        data["needed_by"] = _date(changes["needed_by"], "needed_by")
    with transaction.atomic():
        locked = _lock(Need, need)
        if locked.state not in (Need.State.OPEN, Need.State.PLANNED):
            raise NEED.conflict(
                locked, "wrong_state", f"需求当前状态为「{locked.get_state_display()}」，不能修改"
            )
        before = {k: _plain(getattr(locked, k)) for k in data}
        for name, value in data.items():
            setattr(locked, name, value)
        locked.save(update_fields=list(data) or None)
        audit.record(
            actor=by,
            verb="need.update",
            obj=locked,
            before=before,
            after={k: _plain(getattr(locked, k)) for k in data},
        )
    return locked


def _plain(value):
    if hasattr(value, "pk"):
        return getattr(value, "code", None) or value.pk
    if isinstance(value, (date, datetime, Decimal)):
        return str(value)
    return value


def need_close(*, by, need: Need, reason: str) -> Need:
    """关闭需求 (不再需要、已由其他渠道解决 …), with a reason."""
    _need_visible(by, need)
    with transaction.atomic():
        locked = _lock(Need, need)
        from_state = NEED.require(by, locked, "close", reason)
        locked.state = Need.State.CLOSED
        locked.close_reason = reason.strip()
        locked.save(update_fields=["state", "close_reason"])
        step(locked, by, "close", from_state, note=locked.close_reason)
    return locked


def need_reopen(*, by, need: Need) -> Need:
    _need_visible(by, need)
    with transaction.atomic():
        locked = _lock(Need, need)
        from_state = NEED.require(by, locked, "reopen")
        locked.state = Need.State.OPEN
        locked.save(update_fields=["state"])
        step(locked, by, "reopen", from_state)
    return locked


def _needs_move(needs, by, to: str, action: str, note: str = "") -> None:
    for need in needs:
        if need.state == to:
            continue
        from_state = need.state
        need.state = to
        need.save(update_fields=["state"])
        step(need, by, action, from_state, note=note)


# ---------------------------------------------------------------- resources

RESOURCE_FIELDS = (
    "title",
    "description",
    "category",
    "kind",
    "quantity",
    "capacity",
    "available_from",
    "available_until",
    "availability",
    "area",
    "is_active",
)


def may_register_resource(user, area_code: str, owner_unit_id: int | None) -> bool:
    """Staff in scope, or a unit handler for their own unit within its service area."""
    if is_staff(user):
        return in_scope(user, area_code)
    return is_unit_handler(user) and owner_unit_id == user.unit_id and in_scope(user, area_code)


def may_edit_resource(user, resource: Resource) -> bool:
    return may_register_resource(user, resource.area_code, resource.owner_unit_id)


def _resource_values(by, changes: dict) -> dict:
    data: dict = {}
    if "title" in changes:
        data["title"] = _text(changes["title"], "title", "资源名称", required=True, max_length=100)
    if "description" in changes:
        data["description"] = _text(changes["description"], "description", "说明")
    if "category" in changes:
        data["category"] = active_category(changes["category"])
    if "kind" in changes:
        data["kind"] = _choice(changes["kind"], Resource.Kind, "kind", "资源类型")
    if "quantity" in changes:
        data["quantity"] = _text(changes["quantity"], "quantity", "数量", max_length=60)
    if "capacity" in changes:
        cap = changes["capacity"]
        data["capacity"] = None if cap in (None, "") else _int(cap, "capacity", "可服务人次", low=0)
    for name in ("available_from", "available_until"):
        if name in changes:
            data[name] = _date(changes[name], name)
    if "availability" in changes:
        data["availability"] = _text(changes["availability"], "availability", "可用时间", max_length=100)
    if "area" in changes:
        place = _area_in_scope(by, changes["area"])
        data["area"], data["area_code"] = place, place.code
    if "is_active" in changes:
        data["is_active"] = bool(changes["is_active"])
    return data


def _owner(by, owner_unit, owner_user, owner_org) -> dict:
    given = [x for x in (owner_unit, owner_user, owner_org) if x not in (None, "")]
    if is_unit_handler(by) and not is_staff(by):
        if given and (owner_unit in (None, "") or int(owner_unit) != by.unit_id):
            raise DomainError("forbidden", _("单位经办人只能登记本单位的资源"), "owner_unit", status=403)
        return {"owner_unit": by.unit}
    if len(given) != 1:
        raise DomainError("invalid", _("请指定且只指定一个提供方：单位、党员/志愿者或组织"), "owner")
    if owner_unit not in (None, ""):
        unit = Unit.objects.filter(pk=_int(owner_unit, "owner_unit", "单位"), is_active=True).first()
        if unit is None:
            raise DomainError("invalid", _("单位不存在或已停用"), "owner_unit")
        return {"owner_unit": unit}
    if owner_user not in (None, ""):
        person = User.objects.filter(
            pk=_int(owner_user, "owner_user", "提供人"),
            is_active=True,
            role__in=[Role.VOLUNTEER, Role.RESIDENT],
        ).first()
        if person is None:
            raise DomainError("invalid", _("提供人须为党员/志愿者或居民账号"), "owner_user")
        return {"owner_user": person}
    from gridgov.ledger.models import Organisation

    org = Organisation.objects.filter(pk=_int(owner_org, "owner_org", "组织")).first()
    if org is None or not in_scope(by, org.area_code):
        raise NotFound(_("组织不存在或不在您的管辖范围内"), field="owner_org")
    return {"owner_org": org}


def resource_create(
    *,
    by,
    title: str,
    category: str,
    kind: str,
    area: str,
    owner_unit: int | None = None,
    owner_user: int | None = None,
    owner_org: int | None = None,
    description: str = "",
    quantity: str = "",
    capacity: int | None = None,
    available_from=None,
    available_until=None,
    availability: str = "",
) -> Resource:
    """登记资源: staff in scope for any provider; a unit handler for their own unit."""
    if not (is_staff(by) or is_unit_handler(by)):
        raise DomainError("forbidden", _("只有工作人员或单位经办人可以登记资源"), status=403)
    data = _resource_values(
        by,
        {
            "title": title,
            "description": description,
            "category": category,
            "kind": kind,
            "quantity": quantity,
            "capacity": capacity,
            "available_from": available_from,
            "available_until": available_until,
            "availability": availability,
            "area": area,
        },
    )
    data.update(_owner(by, owner_unit, owner_user, owner_org))
    _check_window(data.get("available_from"), data.get("available_until"))
    if not may_register_resource(by, data["area_code"], getattr(data.get("owner_unit"), "pk", None)):
        raise NotFound(f"区域 {area} 不存在或不在您的管辖范围内", field="area")
    with transaction.atomic():
        resource = Resource.objects.create(
            **data, created_by=by if getattr(by, "pk", None) else None, created_at=timezone.now()
        )
        audit.record(
            actor=by,
            verb="resource.create",
            obj=resource,
            after={k: _plain(v) for k, v in data.items() if k != "area"},
        )
    return resource


def _check_window(start: date | None, end: date | None) -> None:
    if start and end and end < start:
        raise DomainError("invalid", _("可用至不能早于可用起"), "available_until")


def resource_update(*, by, resource: Resource, **changes) -> Resource:
    """修改或停用资源 (staff in scope, or a handler of the providing unit)."""
    if resource is None or not may_edit_resource(by, resource):
        raise NotFound(_("资源不存在或不在您的管辖范围内"), field="resource")
    unknown = set(changes) - set(RESOURCE_FIELDS)
    if unknown:
        raise DomainError("invalid", f"不能修改：{', '.join(sorted(unknown))}", sorted(unknown)[0])
    data = _resource_values(by, changes)
    with transaction.atomic():
        locked = _lock(Resource, resource)
        _check_window(
            data.get("available_from", locked.available_from),
            data.get("available_until", locked.available_until),
        )
        if "area_code" in data and not may_register_resource(by, data["area_code"], locked.owner_unit_id):
            raise NotFound(field="area")
        before = {k: _plain(getattr(locked, k)) for k in data if k != "area"}
        for name, value in data.items():
            setattr(locked, name, value)
        locked.save()
        audit.record(
            actor=by,
            verb="resource.update",
            obj=locked,
            before=before,
            after={k: _plain(getattr(locked, k)) for k in data if k != "area"},
        )
    return locked


# ---------------------------------------------------------------- projects


def _project_visible(by, project: Project) -> None:
    from gridgov.projects.selectors import projects_visible_to

    if project is None or not projects_visible_to(by).filter(pk=project.pk).exists():
        raise NotFound(_("项目不存在或不在您的管辖范围内"), field="project")


def _needs_for(by, ids, area: Area) -> list[Need]:
    ids = sorted({_int(i, "needs", "需求") for i in (ids or [])})
    needs = list(Need.objects.select_for_update().filter(pk__in=ids))
    found = {n.pk: n for n in needs if in_scope(by, n.area_code)}
    for pk in ids:
        need = found.get(pk)
        if need is None:
            raise NotFound(f"需求 {pk} 不存在或不在您的管辖范围内", field="needs")
        if need.state != Need.State.OPEN:
            raise Conflict(
                "need_not_open", f"需求「{need.title}」当前状态为「{need.get_state_display()}」", "needs"
            )
        if not need.area_code.startswith(area.code):
            raise DomainError("invalid", f"需求「{need.title}」不在项目区域内", "needs")
    return [found[pk] for pk in ids]


def _resources_for(by, ids) -> list[Resource]:
    from gridgov.projects.selectors import resources_visible_to

    ids = sorted({_int(i, "resources", "资源") for i in (ids or [])})
    found = {r.pk: r for r in resources_visible_to(by).filter(pk__in=ids)}
    for pk in ids:
        res = found.get(pk)
        if res is None:
            raise NotFound(f"资源 {pk} 不存在或不在您的管辖范围内", field="resources")
        if not res.is_active:
            raise DomainError("invalid", f"资源「{res.title}」已停用", "resources")
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
    by,
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
    """立项: a draft project in the staff member's scope, from needs (which become 已立项) and resources."""
    _require_staff(by, "立项")
    title = _text(title, "title", "项目名称", required=True, max_length=100)
    description = _text(description, "description", "说明")
    plan = _text(plan, "plan", "实施方案", max_length=5000)
    amount = _budget(budget)
    start, end = _date(start_date, "start_date"), _date(end_date, "end_date")
    if start and end and end < start:
        raise DomainError("invalid", _("计划完成日期不能早于开始日期"), "end_date")
    place = _area_in_scope(by, area)
    today = timezone.localdate()
    year = _int(year, "year", "年度", low=2000, high=2100) if year else (start or today).year
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
        _needs_move(linked_needs, by, Need.State.PLANNED, "planned", note=f"立项：{project.title}")
    return project


PROJECT_FIELDS = ("title", "description", "plan", "budget", "start_date", "end_date", "resources")


def project_update(*, by, project: Project, **changes) -> Project:
    """修改项目 (before completion; staff in scope or the owner)."""
    _project_visible(by, project)
    unknown = set(changes) - set(PROJECT_FIELDS)
    if unknown:
        raise DomainError("invalid", f"不能修改：{', '.join(sorted(unknown))}", sorted(unknown)[0])
    with transaction.atomic():
        locked = _lock(Project, project)
        if not is_owner_or_staff(by, locked):
            raise DomainError("forbidden", _("只有工作人员或项目负责方可以修改项目"), status=403)
        if locked.state in (Project.State.COMPLETED, Project.State.CLOSED):
            raise PROJECT.conflict(locked, "wrong_state", "项目已完成，不能修改")
        data: dict = {}
        if "title" in changes:
            data["title"] = _text(changes["title"], "title", "项目名称", required=True, max_length=100)
        if "description" in changes:
            data["description"] = _text(changes["description"], "description", "说明")
        if "plan" in changes:
            data["plan"] = _text(changes["plan"], "plan", "实施方案", max_length=5000)
        if "budget" in changes:
            data["budget"] = _budget(changes["budget"])
        for name in ("start_date", "end_date"):
            if name in changes:
                data[name] = _date(changes[name], name)
        start = data.get("start_date", locked.start_date)
        end = data.get("end_date", locked.end_date)
        if start and end and end < start:
            raise DomainError("invalid", _("计划完成日期不能早于开始日期"), "end_date")
        before = {k: _plain(getattr(locked, k)) for k in data}
        for name, value in data.items():
            setattr(locked, name, value)
        if "end_date" in data and locked.state == Project.State.IN_PROGRESS:
            _set_deadline(locked, timezone.now())
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
            after={k: _plain(v) if k != "resources" else v for k, v in data.items()},
        )
    return locked


def _set_deadline(project: Project, now: datetime) -> None:
    """The planned end date as a deadline (end of that day), warned ``WARN_DAYS`` before."""
    if project.end_date is None:
        project.due_at = project.warn_at = None
    else:
        due = timezone.make_aware(datetime.combine(project.end_date + timedelta(days=1), time.min))
        project.due_at = due
        project.warn_at = max(now, due - timedelta(days=WARN_DAYS))
    project.warned_at = project.overdue_at = None
    project.sla = Project.Sla.NORMAL


def _clear_owner(project: Project) -> None:
    project.owner_unit = None
    project.owner_user = None
    project.claimed = False
    project.is_secretary_project = False
    project.started_at = None
    project.due_at = project.warn_at = project.warned_at = project.overdue_at = None
    project.sla = Project.Sla.NORMAL


def _tell(users, project: Project, title: str, body: str = "") -> None:
    from django.urls import reverse

    notify(
        users=users,
        kind=Kind.PROJECT,
        title=title,
        body=body,
        url=reverse("projects:project", args=[project.pk]),
    )


def _owner_people(project: Project) -> list:
    if project.owner_unit_id:
        return unit_handlers([project.owner_unit_id])
    return [project.owner_user] if project.owner_user_id else []


def _area_people(project: Project) -> list:
    return area_staff(project.area_code)


@dataclass
class Step:
    project: Project
    from_state: str


def _begin(by, project: Project, action: str, reason: str | None = None) -> Step:
    """Lock the project and check the transition (call inside ``transaction.atomic``)."""
    locked = Project.objects.select_for_update().get(pk=project.pk)
    locked = Project.objects.select_related("owner_unit", "owner_user", "area").get(pk=locked.pk)
    from_state = PROJECT.require(by, locked, action, reason)
    return Step(locked, from_state)


def _finish(s: Step, by, action: str, fields: list[str], note: str = "", data: dict | None = None) -> Project:
    s.project.save(update_fields=fields)
    step(s.project, by, action, s.from_state, note=note, data=data)
    return s.project


def project_publish(*, by, project: Project) -> Project:
    """发布: the project goes on the list of projects units may claim; partner units in the area are told."""
    _project_visible(by, project)
    with transaction.atomic():
        s = _begin(by, project, "publish")
        s.project.state = Project.State.OPEN
        p = _finish(s, by, "publish", ["state"])
        partners = [
            u.pk
            for u in Unit.objects.filter(kind=Unit.Kind.PARTNER, is_active=True).select_related("area")
            if p.area_code.startswith(u.area.code) or u.area.code.startswith(p.area_code)
        ]
        _tell(unit_handlers(partners), p, f"新项目待认领：{p.title}")
    return p


def _start(p: Project, now: datetime) -> None:
    p.state = Project.State.IN_PROGRESS
    p.started_at = now
    _set_deadline(p, now)


START_FIELDS = [
    "state",
    "owner_unit",
    "owner_user",
    "claimed",
    "is_secretary_project",
    "started_at",
    "due_at",
    "warn_at",
    "warned_at",
    "overdue_at",
    "sla",
]


def project_claim(*, by, project: Project) -> Project:
    """认领: a unit handler takes the project for their unit (first claim wins; a second gets 409)."""
    published = project is not None and project.state != Project.State.DRAFT
    if not (published and is_unit_handler(by) and in_scope(by, project.area_code)):
        # A unit that could have claimed it learns it was taken (409); anyone else finds nothing (404).
        _project_visible(by, project)
    with transaction.atomic():
        s = _begin(by, project, "claim")
        p = s.project
        p.owner_unit, p.owner_user, p.claimed, p.is_secretary_project = by.unit, None, True, False
        _start(p, timezone.now())
        _finish(s, by, "claim", START_FIELDS, data={"unit": by.unit_id})
        _tell(_area_people(p), p, f"{by.unit.name} 认领了项目：{p.title}")
    return p


def project_assign(
    *, by, project: Project, owner_unit: int | None = None, owner_user: int | None = None
) -> Project:
    """指派: staff name the owner — a unit, or a party secretary (书记项目)."""
    _project_visible(by, project)
    if (owner_unit in (None, "")) == (owner_user in (None, "")):
        raise DomainError("required", _("请指定承办单位或负责书记（二选一）"), "owner_unit")
    with transaction.atomic():
        s = _begin(by, project, "assign")
        p = s.project
        if owner_unit not in (None, ""):
            unit = Unit.objects.filter(pk=_int(owner_unit, "owner_unit", "单位"), is_active=True).first()
            if unit is None:
                raise DomainError("invalid", _("单位不存在或已停用"), "owner_unit")
            p.owner_unit, p.owner_user, p.is_secretary_project = unit, None, False
            data = {"unit": unit.pk}
        else:
            person = User.objects.filter(
                pk=_int(owner_user, "owner_user", "负责书记"), is_active=True, role__in=list(STAFF_ROLES)
            ).first()
            if person is None or not in_scope(person, p.area_code):
                raise DomainError("invalid", _("负责书记须为管辖该区域的工作人员"), "owner_user")
            p.owner_unit, p.owner_user, p.is_secretary_project = None, person, True
            data = {"secretary": person.pk}
        p.claimed = False
        _start(p, timezone.now())
        _finish(s, by, "assign", START_FIELDS, data=data)
        _tell(_owner_people(p), p, f"项目已指派给您：{p.title}")
    return p


def project_return(*, by, project: Project, reason: str) -> Project:
    """退回: the owner gives the project back to the list (reason required)."""
    _project_visible(by, project)
    with transaction.atomic():
        s = _begin(by, project, "return", reason)
        p = s.project
        who = p.owner
        _clear_owner(p)
        p.state = Project.State.OPEN
        _finish(s, by, "return", START_FIELDS, note=reason.strip(), data={"owner": str(who)})
        _tell(_area_people(p), p, f"项目被退回：{p.title}", reason.strip())
    return p


def project_withdraw(*, by, project: Project, reason: str) -> Project:
    """撤回: staff take the project back to draft (reason required); the owner is told."""
    _project_visible(by, project)
    with transaction.atomic():
        s = _begin(by, project, "withdraw", reason)
        p = s.project
        told = _owner_people(p)
        _clear_owner(p)
        p.state = Project.State.DRAFT
        _finish(s, by, "withdraw", START_FIELDS, note=reason.strip())
        _tell(told, p, f"项目已撤回：{p.title}", reason.strip())
    return p


def _milestone_values(m) -> dict:
    if isinstance(m, str):
        m = {"title": m}
    return {
        "title": _text(m.get("title"), "milestones", "节点名称", required=True, max_length=100),
        "due": _date(m.get("due"), "milestones"),
        "note": _text(m.get("note"), "milestones", "节点说明"),
    }


def milestone_add(*, by, project: Project, title: str, due=None, note: str = "") -> Milestone:
    """Add a step to the plan (staff or the owner, before completion)."""
    _project_visible(by, project)
    values = _milestone_values({"title": title, "due": due, "note": note})
    with transaction.atomic():
        locked = _lock(Project, project)
        if not is_owner_or_staff(by, locked):
            raise DomainError("forbidden", _("只有工作人员或项目负责方可以添加节点"), status=403)
        if locked.state in (Project.State.COMPLETED, Project.State.CLOSED):
            raise PROJECT.conflict(locked, "wrong_state", "项目已完成，不能添加节点")
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


def milestone_done(*, by, project: Project, milestone_id: int, note: str = "") -> Milestone:
    """完成节点: the progress is the share of done milestones."""
    _project_visible(by, project)
    note = _text(note, "note", "说明")
    with transaction.atomic():
        s = _begin(by, project, "milestone")
        milestone = Milestone.objects.select_for_update().filter(pk=milestone_id, project=s.project).first()
        if milestone is None:
            raise NotFound(_("节点不存在"), field="milestone")
        if milestone.done_at is not None:
            raise Conflict("already_done", _("该节点已完成"), "milestone")
        milestone.done_at, milestone.done_by = timezone.now(), by
        if note:
            milestone.note = note
        milestone.save(update_fields=["done_at", "done_by", "note"])
        _progress_from_milestones(s.project)
        _finish(
            s,
            by,
            "milestone",
            ["progress"],
            note=milestone.title,
            data={"milestone": milestone.pk, "progress": s.project.progress},
        )
    return milestone


def project_set_progress(*, by, project: Project, progress: int, note: str = "") -> Project:
    """Set the progress by hand (a project without milestones)."""
    _project_visible(by, project)
    value = _int(progress, "progress", "进度", low=0, high=100)
    with transaction.atomic():
        s = _begin(by, project, "milestone")
        if s.project.milestones.exists():
            raise DomainError("invalid", _("有节点的项目按已完成节点计算进度"), "progress")
        s.project.progress = value
        return _finish(
            s, by, "progress", ["progress"], note=_text(note, "note", "说明"), data={"progress": value}
        )


def project_complete(*, by, project: Project, summary: str) -> Project:
    """完成: the owner reports what was done (required); linked needs become 已解决; residents may evaluate."""
    _project_visible(by, project)
    with transaction.atomic():
        s = _begin(by, project, "complete")
        summary = _text(summary, "summary", "完成情况", required=True)
        p = s.project
        p.state, p.summary, p.progress, p.completed_at = Project.State.COMPLETED, summary, 100, timezone.now()
        _finish(s, by, "complete", ["state", "summary", "progress", "completed_at"], note=summary)
        needs = list(p.needs.select_for_update().filter(state__in=[Need.State.OPEN, Need.State.PLANNED]))
        _needs_move(needs, by, Need.State.MET, "met", note=f"项目完成：{p.title}")
        _tell(_area_people(p), p, f"项目已完成：{p.title}", summary)
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
    *, by, project: Project, score: int | None = None, rating: str | None = None, comment: str = ""
) -> ProjectEvaluation:
    """居民评价: a score 1–5 (or 满意/基本满意/不满意), once per resident per completed project."""
    _project_visible(by, project)
    if score in (None, "") and rating:
        _choice(rating, Rating, "rating", "评价")
        score = SCORE_OF_RATING[rating]
    if score in (None, ""):
        raise DomainError("required", _("请评分（1–5）"), "score")
    score = _int(score, "score", "评分", low=1, high=5)
    comment = _text(comment, "comment", "意见", max_length=500)
    try:
        with transaction.atomic():
            s = _begin(by, project, "evaluate")
            if ProjectEvaluation.objects.filter(project=s.project, user=by).exists():
                raise Conflict("already_evaluated", _("您已评价过该项目"), "score")
            evaluation = ProjectEvaluation.objects.create(
                project=s.project,
                user=by,
                score=score,
                rating=RATING_OF_SCORE[score],
                comment=comment,
                created_at=timezone.now(),
            )
            step(s.project, by, "evaluate", s.from_state, note=comment, data={"score": score})
    except IntegrityError:
        raise Conflict("already_evaluated", _("您已评价过该项目"), "score") from None
    return evaluation


def project_close(*, by, project: Project, note: str = "") -> Project:
    """关闭: staff close a completed project after the evaluation period."""
    _project_visible(by, project)
    with transaction.atomic():
        s = _begin(by, project, "close")
        s.project.state, s.project.closed_at = Project.State.CLOSED, timezone.now()
        return _finish(s, by, "close", ["state", "closed_at"], note=_text(note, "note", "说明"))


# ---------------------------------------------------------------- 双报到: rules and year-end scores


def may_score(user, community: Area) -> bool:
    """Community staff (and street, district staff above it; admins) score the units of a community."""
    return command_staff_in_scope(user, community.code)


def cobuilding_rule_set(*, by, area: str, required_projects: int) -> CoBuildingRule:
    """Set N for a street or community (staff of that area or above)."""
    place = _area_in_scope(by, area)
    if not may_score(by, place):
        raise DomainError("forbidden", _("只有社区及以上工作人员可以设置双报到规则"), status=403)
    if place.level not in (Level.STREET, Level.COMMUNITY):
        raise DomainError("invalid", _("双报到规则设在街道或社区"), "area")
    n = _int(required_projects, "required_projects", "每年须完成项目数", low=1, high=50)
    with transaction.atomic():
        rule, created = CoBuildingRule.objects.select_for_update().get_or_create(
            area=place, defaults={"required_projects": n}
        )
        before = None if created else {"required_projects": rule.required_projects}
        rule.required_projects = n
        rule.save(update_fields=["required_projects"])
        audit.record(
            actor=by, verb="cobuilding_rule.set", obj=rule, before=before, after={"required_projects": n}
        )
    return rule


def unit_score(
    *, by, unit: Unit | int, community: str, year: int, score: int, comment: str = ""
) -> UnitYearScore:
    """年终评分 of a co-building unit by a community: 0–100, a comment required below 60. Scoring again the
    same unit, community and year replaces the score (the audit log keeps the earlier one)."""
    place = _area_in_scope(by, community)
    if not may_score(by, place):
        raise DomainError("forbidden", _("只有社区及以上工作人员可以为共建单位评分"), status=403)
    if place.level != Level.COMMUNITY:
        raise DomainError("invalid", _("请选择社区"), "community")
    if not isinstance(unit, Unit):
        unit = Unit.objects.filter(pk=_int(unit, "unit", "单位")).first()
        if unit is None:
            raise NotFound(_("单位不存在"), field="unit")
    year = _int(year, "year", "年度", low=2000, high=2100)
    score = _int(score, "score", "评分", low=0, high=100)
    comment = _text(comment, "comment", "评语", max_length=1000)
    if score < SCORE_COMMENT_BELOW and not comment:
        raise DomainError("required", f"评分低于 {SCORE_COMMENT_BELOW} 分须填写评语", "comment")
    now = timezone.now()
    with transaction.atomic():
        row = UnitYearScore.objects.select_for_update().filter(unit=unit, area=place, year=year).first()
        before = {"score": row.score, "comment": row.comment} if row else None
        if row is None:
            try:
                with transaction.atomic():
                    row = UnitYearScore.objects.create(
                        unit=unit,
                        area=place,
                        area_code=place.code,
                        year=year,
                        score=score,
                        comment=comment,
                        scored_by=by,
                        scored_at=now,
                    )
            except IntegrityError:
                row = UnitYearScore.objects.select_for_update().get(unit=unit, area=place, year=year)
                before = {"score": row.score, "comment": row.comment}
        if before is not None:
            row.score, row.comment, row.scored_by, row.scored_at = score, comment, by, now
            row.save(update_fields=["score", "comment", "scored_by", "scored_at"])
        audit.record(
            actor=by,
            verb="unit_year_score.set",
            obj=row,
            before=before,
            after={
                "unit": unit.pk,
                "community": place.code,
                "year": year,
                "score": score,
                "comment": comment,
            },
        )
    return row
