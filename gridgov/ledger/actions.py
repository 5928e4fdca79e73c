"""Every write to the ledger. Each action checks the role and the scope, validates with
:mod:`gridgov.ledger.rules`, runs in one transaction and writes the audit log (without personal data:
the audit keeps masks, never plain ID numbers or phones)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts.models import User
from gridgov.areas.models import Area, Level
from gridgov.core import audit
from gridgov.core.crypto import blind_indexes
from gridgov.core.errors import Conflict, DomainError, NotFound
from gridgov.core.scope import in_scope, is_staff
from gridgov.ledger import rules
from gridgov.ledger.models import Building, FocusTag, Household, Organisation, Resident, TagAssignment
from gridgov.ledger.signals import resident_moved_out

REVEAL_PERMISSION = "ledger.reveal_personal"
REVEALABLE = {
    "resident": (Resident, ("id_number", "phone")),
    "organisation": (Organisation, ("contact_phone",)),
}


def may_reveal(user: User) -> bool:
    return is_staff(user) and user.has_perm(REVEAL_PERMISSION)


def _require_editor(by) -> None:
    if not is_staff(by):
        raise DomainError("forbidden", _("只有工作人员可以维护台账"), status=403)


def _require_scope(by, code: str, field: str | None = None) -> None:
    if not in_scope(by, code):
        raise NotFound(field=field)


def _grid(by, code: str, field: str = "grid") -> Area:
    area = Area.objects.filter(code=(code or "").strip(), is_active=True).first()
    if area is None or not in_scope(by, area.code):
        raise DomainError(
            "invalid_grid", (_("网格「%(code)s」不存在或不在您的管辖范围内") % {"code": code}), field
        )
    if area.level not in (Level.GRID, Level.MICROGRID):
        raise DomainError(
            "invalid_grid", (_("「%(name)s」不是网格，请填写网格编码") % {"name": area.name}), field
        )
    return area


def _building(by, code: str, field: str = "building") -> Building:
    building = (
        Building.objects.filter(code=(code or "").strip(), is_active=True).select_related("area").first()
    )
    if building is None or not in_scope(by, building.area_code):
        raise DomainError(
            "invalid_building", (_("楼栋「%(code)s」不存在或不在您的管辖范围内") % {"code": code}), field
        )
    return building


def _snapshot(obj, names) -> dict[str, Any]:
    out = {}
    for name in names:
        value = getattr(obj, name)
        out[name] = value.isoformat() if isinstance(value, date) else value
    return out


def _save_changes(
    *, by: User, obj, data: dict[str, Any], fields, verb: str, duplicate: Conflict | None = None
):
    """Set the cleaned ``data`` on ``obj``, save it and audit before/after (masks only) in one transaction;
    a unique-constraint clash becomes ``duplicate``. Call inside the caller's transaction for extra writes."""
    before = _snapshot(obj, fields)
    try:
        with transaction.atomic():
            for name, value in data.items():
                setattr(obj, name, value)
            obj.save()
            audit.record(actor=by, verb=verb, obj=obj, before=before, after=_snapshot(obj, fields))
    except IntegrityError:
        if duplicate is None:
            raise
        raise duplicate from None
    return obj


# ---------------------------------------------------------------- buildings

BUILDING_FIELDS = ("code", "name", "address", "kind", "units", "floors", "lng", "lat", "note")


def building_create(*, by: User, **raw) -> Building:
    _require_editor(by)
    data = rules.clean_fields(rules.BUILDING_COLUMNS, raw)
    grid = _grid(by, data.pop("grid"))
    if Building.objects.filter(code=data["code"]).exists():
        raise Conflict("duplicate", (_("楼栋编码「%(code)s」已存在") % {"code": data["code"]}), "code")
    data = {k: v for k, v in data.items() if v is not None}
    with transaction.atomic():
        building = Building.objects.create(area=grid, area_code=grid.code, **data)
        audit.record(
            actor=by, verb="ledger.building.create", obj=building, after=_snapshot(building, BUILDING_FIELDS)
        )
    return building


def building_update(*, by: User, building: Building, **raw) -> Building:
    _require_editor(by)
    _require_scope(by, building.area_code)
    raw.pop("code", None)  # the code is the building's identity for re-imports; it does not change
    data = rules.clean_fields(rules.BUILDING_COLUMNS, raw, partial=True)
    if data.get("units", 0) is None:
        data["units"] = 1
    with transaction.atomic():
        if "grid" in data:
            grid = _grid(by, data.pop("grid"))
            data.update(area=grid, area_code=grid.code)
            Household.objects.filter(building=building).update(area_code=grid.code)
            Resident.objects.filter(household__building=building).update(area_code=grid.code)
            TagAssignment.objects.filter(household__building=building).update(area_code=grid.code)
            TagAssignment.objects.filter(resident__household__building=building).update(area_code=grid.code)
        _save_changes(by=by, obj=building, data=data, fields=BUILDING_FIELDS, verb="ledger.building.update")
    return building


# ---------------------------------------------------------------- households

HOUSEHOLD_FIELDS = ("unit", "room", "occupancy", "note")


def household_create(
    *, by: User, building: str, unit: str = "", room: str, occupancy: str = "", note: str = ""
) -> Household:
    _require_editor(by)
    data = rules.clean_fields(
        rules.HOUSEHOLD_COLUMNS,
        {"building": building, "unit": unit, "room": room, "occupancy": occupancy, "note": note},
    )
    place = _building(by, data.pop("building"))
    data.pop("tags", None)
    data.pop("tag_reason", None)
    try:
        with transaction.atomic():
            household = Household.objects.create(building=place, area_code=place.area_code, **data)
            audit.record(
                actor=by,
                verb="ledger.household.create",
                obj=household,
                after=_snapshot(household, HOUSEHOLD_FIELDS),
            )
    except IntegrityError:
        raise Conflict(
            "duplicate",
            (
                _("%(building)s%(unit)s%(room)s 已登记为一户")
                % {"building": place.name, "unit": data.get("unit") or "", "room": data["room"]}
            ),
            "room",
        ) from None
    return household


def household_update(*, by: User, household: Household, **raw) -> Household:
    _require_editor(by)
    _require_scope(by, household.area_code)
    allowed = {k: v for k, v in raw.items() if k in ("unit", "room", "occupancy", "note")}
    data = rules.clean_fields(rules.HOUSEHOLD_COLUMNS, allowed, partial=True)
    _save_changes(
        by=by,
        obj=household,
        data=data,
        fields=HOUSEHOLD_FIELDS,
        verb="ledger.household.update",
        duplicate=Conflict("duplicate", _("该房间已登记为另一户"), "room"),
    )
    return household


def household_set_head(*, by: User, household: Household, resident: Resident) -> Household:
    _require_editor(by)
    _require_scope(by, household.area_code)
    if resident.household_id != household.pk or not resident.is_active:
        raise DomainError("invalid", _("户主必须是本户在册成员"), "head")
    with transaction.atomic():
        old = household.head_id
        household.head = resident
        household.save(update_fields=["head", "updated_at"])
        if resident.relation != Resident.Relation.HEAD:
            resident.relation = Resident.Relation.HEAD
            resident.save(update_fields=["relation", "updated_at"])
        audit.record(
            actor=by,
            verb="ledger.household.head",
            obj=household,
            before={"head": old},
            after={"head": resident.pk},
        )
    return household


# ---------------------------------------------------------------- residents

RESIDENT_FIELDS = (
    "name",
    "id_number_masked",
    "phone_masked",
    "birth_date",
    "gender",
    "relation",
    "residence_type",
    "ethnicity",
    "political_status",
    "workplace",
    "note",
)
RESIDENT_EDITABLE = (
    "name",
    "id_number",
    "phone",
    "relation",
    "residence_type",
    "ethnicity",
    "political_status",
    "workplace",
    "note",
)


def find_resident_by_id_number(value: str) -> Resident | None:
    """The resident with this ID number, found by its keyed hash (under every configured key)."""
    parsed = rules.id_number(value, "id_number")
    if not parsed:
        return None
    return Resident.objects.filter(id_number_hash__in=blind_indexes(parsed.value)).first()


def _resident_data(raw: dict, *, partial: bool) -> dict[str, Any]:
    allowed = {k: v for k, v in raw.items() if k in RESIDENT_EDITABLE}
    columns = [c for c in rules.RESIDENT_COLUMNS if c.name in RESIDENT_EDITABLE]
    data = rules.clean_fields(columns, allowed, partial=partial)
    id_value, phone_value = data.pop("id_number", None), data.pop("phone", None)
    if not partial or "id_number" in allowed:
        id_value = id_value or ""  # an empty value clears the number
    if not partial or "phone" in allowed:
        phone_value = phone_value or ""
    data.update(rules.personal_fields(id_value, phone_value))
    return data


def _check_id_unique(by, data: dict, exclude_pk: int | None = None) -> None:
    """One person, one row. Who holds the number is said only to someone whose scope holds that row;
    anyone else learns just that it is registered elsewhere (no name, no id: no identity oracle)."""
    if data.get("id_number"):
        qs = Resident.objects.filter(id_number_hash__in=blind_indexes(data["id_number"]))
        if exclude_pk:
            qs = qs.exclude(pk=exclude_pk)
        other = qs.first()
        if other is None:
            return
        if not in_scope(by, other.area_code):
            raise Conflict("duplicate", _("该身份证号已在其他辖区登记"), "id_number")
        raise Conflict(
            "duplicate",
            _("身份证号 %(number)s 已登记（%(name)s，编号 %(id)s）")
            % {"number": data["id_number_masked"], "name": other.name, "id": other.pk},
            "id_number",
        )


def resident_create(*, by: User, household: Household, **raw) -> Resident:
    _require_editor(by)
    _require_scope(by, household.area_code, "household")
    if "relation" not in raw or not raw["relation"]:
        raw["relation"] = Resident.Relation.OTHER
    data = _resident_data(raw, partial=False)
    _check_id_unique(by, data)
    try:
        with transaction.atomic():
            resident = Resident.objects.create(household=household, area_code=household.area_code, **data)
            if resident.relation == Resident.Relation.HEAD and household.head_id is None:
                household.head = resident
                household.save(update_fields=["head", "updated_at"])
            audit.record(
                actor=by,
                verb="ledger.resident.create",
                obj=resident,
                after=_snapshot(resident, RESIDENT_FIELDS),
            )
    except IntegrityError:
        raise Conflict("duplicate", _("该身份证号已登记"), "id_number") from None
    return resident


def resident_update(*, by: User, resident: Resident, **raw) -> Resident:
    _require_editor(by)
    _require_scope(by, resident.area_code)
    data = _resident_data(raw, partial=True)
    if (
        resident.political_status_by_party
        and "political_status" in data
        and data["political_status"] != resident.political_status
    ):
        raise Conflict(
            "party_managed",
            _("该居民是在册党员，政治面貌由党组织关系维护，请在党员管理中办理"),
            "political_status",
        )
    _check_id_unique(by, data, exclude_pk=resident.pk)
    _save_changes(
        by=by,
        obj=resident,
        data=data,
        fields=RESIDENT_FIELDS,
        verb="ledger.resident.update",
        duplicate=Conflict("duplicate", _("该身份证号已登记"), "id_number"),
    )
    return resident


def resident_move(*, by: User, resident: Resident, household: Household, relation: str = "") -> Resident:
    """Move a resident to another household (搬家、分户) inside the user's scope."""
    _require_editor(by)
    _require_scope(by, resident.area_code)
    _require_scope(by, household.area_code, "household")
    before = {"household": resident.household_id, "relation": resident.relation}
    with transaction.atomic():
        old = resident.household
        resident.household, resident.area_code = household, household.area_code
        if relation:
            resident.relation = rules.choice(Resident.Relation)(relation, "relation")
        resident.save()
        TagAssignment.objects.filter(resident=resident).update(area_code=household.area_code)
        if old.head_id == resident.pk:
            old.head = None
            old.save(update_fields=["head", "updated_at"])
        audit.record(
            actor=by,
            verb="ledger.resident.move",
            obj=resident,
            before=before,
            after={"household": household.pk, "relation": resident.relation},
        )
    return resident


def resident_move_out(*, by: User, resident: Resident, reason: str, on: date | None = None) -> Resident:
    """迁出/注销: the resident leaves the ledger's active list; the row and its history stay."""
    _require_editor(by)
    _require_scope(by, resident.area_code)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("required", _("请填写迁出原因"), "reason")
    if not resident.is_active:
        raise Conflict("invalid_state", _("该居民已迁出"), "resident")
    with transaction.atomic():
        resident.is_active = False
        resident.moved_out_at = on or timezone.localdate()
        resident.save(update_fields=["is_active", "moved_out_at", "updated_at"])
        household = resident.household
        if household.head_id == resident.pk:
            household.head = None
            household.save(update_fields=["head", "updated_at"])
        audit.record(actor=by, verb="ledger.resident.move_out", obj=resident, reason=reason)
        # In the same transaction: the apps that hang work on a resident (the party organisation's members
        # and their households' contacts) follow the move-out or the whole move-out is undone.
        resident_moved_out.send(sender=Resident, resident=resident, by=by, on=resident.moved_out_at)
    return resident


# ---------------------------------------------------------------- organisations

ORGANISATION_FIELDS = (
    "kind",
    "name",
    "credit_code",
    "address",
    "industry",
    "contact_name",
    "contact_phone_masked",
    "staff_count",
    "note",
)


def _organisation_data(by, raw: dict, *, partial: bool) -> dict[str, Any]:
    data = rules.clean_fields(rules.ORGANISATION_COLUMNS, raw, partial=partial)
    if "grid" in data:
        grid = _grid(by, data.pop("grid"))
        data.update(area=grid, area_code=grid.code)
    if "building" in data:
        code = data.pop("building")
        data["building"] = _building(by, code) if code else None
    if "contact_phone" in data:
        from gridgov.core.crypto import blind_index, mask_phone

        value = data["contact_phone"]
        data.update(
            contact_phone_hash=blind_index(value) if value else "", contact_phone_masked=mask_phone(value)
        )
    return data


def organisation_create(*, by: User, **raw) -> Organisation:
    _require_editor(by)
    data = _organisation_data(by, raw, partial=False)
    data = {k: v for k, v in data.items() if v is not None or k == "building"}
    if data.get("credit_code") and Organisation.objects.filter(credit_code=data["credit_code"]).exists():
        raise Conflict(
            "duplicate",
            (_("统一社会信用代码「%(credit_code)s」已登记") % {"credit_code": data["credit_code"]}),
            "credit_code",
        )
    try:
        with transaction.atomic():
            org = Organisation.objects.create(**data)
            audit.record(
                actor=by,
                verb="ledger.organisation.create",
                obj=org,
                after=_snapshot(org, ORGANISATION_FIELDS),
            )
    except IntegrityError:
        raise Conflict("duplicate", _("统一社会信用代码已登记"), "credit_code") from None
    return org


def organisation_update(*, by: User, organisation: Organisation, **raw) -> Organisation:
    _require_editor(by)
    _require_scope(by, organisation.area_code)
    data = _organisation_data(by, raw, partial=True)
    if (
        data.get("credit_code")
        and Organisation.objects.filter(credit_code=data["credit_code"]).exclude(pk=organisation.pk).exists()
    ):
        raise Conflict(
            "duplicate",
            (_("统一社会信用代码「%(credit_code)s」已登记") % {"credit_code": data["credit_code"]}),
            "credit_code",
        )
    _save_changes(
        by=by, obj=organisation, data=data, fields=ORGANISATION_FIELDS, verb="ledger.organisation.update"
    )
    return organisation


def retire(*, by: User, obj, reason: str):
    """Take a building, household or organisation off the active lists (the row and its history stay)."""
    _require_editor(by)
    _require_scope(by, obj.area_code)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("required", _("请填写原因"), "reason")
    if isinstance(obj, Building) and obj.households.filter(is_active=True).exists():
        raise Conflict("in_use", _("楼栋内还有在册的户，不能注销"), "building")
    if isinstance(obj, Household) and obj.members.filter(is_active=True).exists():
        raise Conflict("in_use", _("户内还有在册居民，请先迁出"), "household")
    with transaction.atomic():
        obj.is_active = False
        obj.save(update_fields=["is_active", "updated_at"])
        audit.record(actor=by, verb=f"ledger.{obj._meta.model_name}.retire", obj=obj, reason=reason)
    return obj


# ---------------------------------------------------------------- tags


def find_tag(value: str, *, for_resident: bool, field: str = "tag") -> FocusTag:
    value = (value or "").strip()
    tag = (
        FocusTag.objects.filter(is_active=True).filter(code=value).first()
        or FocusTag.objects.filter(is_active=True, name=value).first()
    )
    if tag is None:
        raise DomainError("invalid_tag", (_("标签「%(tag)s」不存在") % {"tag": value}), field)
    wanted = FocusTag.AppliesTo.RESIDENT if for_resident else FocusTag.AppliesTo.HOUSEHOLD
    if tag.applies_to not in (wanted, FocusTag.AppliesTo.BOTH):
        target = _("居民") if for_resident else _("户")
        raise DomainError(
            "invalid_tag",
            (_("标签「%(name)s」不能用于%(target)s") % {"name": tag.name, "target": target}),
            field,
        )
    return tag


def tag_assign(
    *,
    by: User,
    tag: str,
    reason: str,
    resident: Resident | None = None,
    household: Household | None = None,
    since: date | None = None,
) -> TagAssignment:
    _require_editor(by)
    target = resident or household
    if target is None or (resident is not None and household is not None):
        raise DomainError("invalid", _("标签要加在一位居民或一户上"), "target")
    _require_scope(by, target.area_code)
    found = find_tag(tag, for_resident=resident is not None)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("required", _("请填写认定原因"), "reason")
    if len(reason) > 200:
        raise DomainError("too_long", _("原因不能超过 200 字"), "reason")
    since = since or timezone.localdate()
    if since > timezone.localdate():
        raise DomainError("invalid_date", _("认定日期不能晚于今天"), "since")
    try:
        with transaction.atomic():
            assignment = TagAssignment.objects.create(
                tag=found,
                resident=resident,
                household=household,
                area_code=target.area_code,
                reason=reason,
                since=since,
                by=by,
            )
            audit.record(
                actor=by,
                verb="ledger.tag.assign",
                obj=target,
                after={"tag": found.code, "since": since.isoformat()},
                reason=reason,
            )
    except IntegrityError:
        raise Conflict("duplicate", (_("已有标签「%(name)s」") % {"name": found.name}), "tag") from None
    return assignment


def tag_remove(*, by: User, assignment: TagAssignment, reason: str) -> None:
    _require_editor(by)
    _require_scope(by, assignment.area_code)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("required", _("请填写取消原因"), "reason")
    target = assignment.resident or assignment.household
    with transaction.atomic():
        audit.record(
            actor=by,
            verb="ledger.tag.remove",
            obj=target,
            before={
                "tag": assignment.tag.code,
                "since": assignment.since.isoformat(),
                "reason": assignment.reason,
            },
            reason=reason,
        )
        assignment.delete()


# ---------------------------------------------------------------- reveal


def reveal(*, by: User, kind: str, pk: int, field: str, reason: str) -> str:
    """Show one full ID number or phone. Needs the ``ledger.reveal_personal`` permission and a typed reason;
    every reveal is written to the audit log (who, whose, which field, why)."""
    if kind not in REVEALABLE or field not in REVEALABLE[kind][1]:
        raise DomainError(
            "invalid", (_("不能查看「%(kind)s.%(field)s」") % {"kind": kind, "field": field}), "field"
        )
    model = REVEALABLE[kind][0]
    obj = model.objects.filter(pk=pk).first()
    if obj is None or not is_staff(by) or not in_scope(by, obj.area_code):
        raise NotFound()
    if not may_reveal(by):
        raise DomainError("forbidden", _("您没有查看完整个人信息的权限"), "field", status=403)
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise DomainError("required", _("请填写查看原因"), "reason")
    if len(reason) > 200:
        raise DomainError("too_long", _("原因不能超过 200 字"), "reason")
    audit.record(actor=by, verb="ledger.reveal", obj=obj, after={"field": field}, reason=reason)
    return getattr(obj, field)
