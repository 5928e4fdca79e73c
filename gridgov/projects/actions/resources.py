"""The resources list: the resources units, volunteers and organisations offer."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts.models import Role, Unit, User
from gridgov.core import audit, cleaners
from gridgov.core.cleaners import limit
from gridgov.core.errors import DomainError, NotFound
from gridgov.core.scope import in_scope, is_staff
from gridgov.projects.actions.shared import area_in_scope, plain
from gridgov.projects.models import (
    Resource,
)
from gridgov.projects.workflow import is_unit_handler
from gridgov.services.selectors import active_category

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
        data["title"] = cleaners.text(
            changes["title"], "title", limit=limit(Resource, "title"), required=True, label=_("资源名称")
        )
    if "description" in changes:
        data["description"] = cleaners.text(
            changes["description"], "description", limit=limit(Resource, "description"), label=_("说明")
        )
    if "category" in changes:
        data["category"] = active_category(changes["category"])
    if "kind" in changes:
        data["kind"] = cleaners.choice(changes["kind"], "kind", Resource.Kind, label=_("资源类型"))
    if "quantity" in changes:
        data["quantity"] = cleaners.text(
            changes["quantity"], "quantity", limit=limit(Resource, "quantity"), label=_("数量")
        )
    if "capacity" in changes:
        cap = changes["capacity"]
        data["capacity"] = (
            None
            if cap in (None, "")
            else cleaners.integer(cap, "capacity", label=_("可服务人次"), low=0, required=True)
        )
    for name in ("available_from", "available_until"):
        if name in changes:
            data[name] = cleaners.a_date(changes[name], name)
    if "availability" in changes:
        data["availability"] = cleaners.text(
            changes["availability"],
            "availability",
            limit=limit(Resource, "availability"),
            label=_("可用时间"),
        )
    if "area" in changes:
        place = area_in_scope(by, changes["area"])
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
        unit = Unit.objects.filter(
            pk=cleaners.integer(owner_unit, "owner_unit", label=_("单位"), required=True), is_active=True
        ).first()
        if unit is None:
            raise DomainError("invalid", _("单位不存在或已停用"), "owner_unit")
        return {"owner_unit": unit}
    if owner_user not in (None, ""):
        person = User.objects.filter(
            pk=cleaners.integer(owner_user, "owner_user", label=_("提供人"), required=True),
            is_active=True,
            role__in=[Role.VOLUNTEER, Role.RESIDENT],
        ).first()
        if person is None:
            raise DomainError("invalid", _("提供人须为党员/志愿者或居民账号"), "owner_user")
        return {"owner_user": person}
    from gridgov.ledger.models import Organisation

    org = Organisation.objects.filter(
        pk=cleaners.integer(owner_org, "owner_org", label=_("组织"), required=True)
    ).first()
    if org is None or not in_scope(by, org.area_code):
        raise NotFound(_("组织不存在或不在您的管辖范围内"), field="owner_org")
    return {"owner_org": org}


def resource_create(
    *,
    by: User,
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
    """Register a resource: staff in scope for any provider; a unit handler for their own unit."""
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
        raise NotFound(_("区域 %(code)s 不存在或不在您的管辖范围内") % {"code": area}, field="area")
    with transaction.atomic():
        resource = Resource.objects.create(
            **data, created_by=by if getattr(by, "pk", None) else None, created_at=timezone.now()
        )
        audit.record(
            actor=by,
            verb="resource.create",
            obj=resource,
            after={k: plain(v) for k, v in data.items() if k != "area"},
        )
    return resource


def _check_window(start: date | None, end: date | None) -> None:
    if start and end and end < start:
        raise DomainError("invalid", _("可用至不能早于可用起"), "available_until")


def resource_update(*, by: User, resource: Resource, **changes) -> Resource:
    """Edit or retire a resource (staff in scope, or a handler of the providing unit)."""
    if resource is None or not may_edit_resource(by, resource):
        raise NotFound(_("资源不存在或不在您的管辖范围内"), field="resource")
    unknown = set(changes) - set(RESOURCE_FIELDS)
    if unknown:
        raise DomainError(
            "invalid", _("不能修改：%(fields)s") % {"fields": ", ".join(sorted(unknown))}, sorted(unknown)[0]
        )
    data = _resource_values(by, changes)
    with transaction.atomic():
        locked = Resource.objects.select_for_update().get(pk=resource.pk)
        _check_window(
            data.get("available_from", locked.available_from),
            data.get("available_until", locked.available_until),
        )
        if "area_code" in data and not may_register_resource(by, data["area_code"], locked.owner_unit_id):
            raise NotFound(field="area")
        before = {k: plain(getattr(locked, k)) for k in data if k != "area"}
        for name, value in data.items():
            setattr(locked, name, value)
        locked.save()
        audit.record(
            actor=by,
            verb="resource.update",
            obj=locked,
            before=before,
            after={k: plain(getattr(locked, k)) for k in data if k != "area"},
        )
    return locked
