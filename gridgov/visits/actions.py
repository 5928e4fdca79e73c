"""Every write to the visits app: recording, correcting and removing a visit, turning its finding into a
case (one click, never twice), and the must-visit rules and plans. Each action checks role (403) and scope
(404), validates, runs in one transaction and writes the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.files import File
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts.models import Role, User
from gridgov.areas.models import Area, Level
from gridgov.cases.models import Case, Channel
from gridgov.core import audit, uploads
from gridgov.core.errors import Conflict, DomainError, NotFound
from gridgov.core.models import Upload
from gridgov.core.scope import in_scope, is_staff, require_staff
from gridgov.ledger.models import FocusTag, Household
from gridgov.visits.models import Visit, VisitRule

# A visit is recorded at the door or soon after; older records would distort the worklist and coverage.
MAX_AGE_DAYS = 90
# Clocks of phones drift: a visit a few minutes "in the future" is still now.
CLOCK_SKEW = timedelta(minutes=5)
# The recorder may take back a visit recorded by mistake within this window; admins at any time.
DELETE_WINDOW = timedelta(hours=24)
TEXT_FIELDS = ("situation", "needs", "problems", "skills")
MAX_TEXT = 2000
# Roles that look after other people's visits (and may correct them): the community and above.
SUPERVISOR_ROLES = frozenset({Role.DISTRICT, Role.STREET, Role.COMMUNITY, Role.GRID_CHIEF})
SNAPSHOT_FIELDS = ("visited_at", "duration_minutes", "kind", *TEXT_FIELDS)


def _snapshot(visit: Visit) -> dict:
    out: dict = {}
    for name in SNAPSHOT_FIELDS:
        value = getattr(visit, name)
        out[name] = value.isoformat() if isinstance(value, datetime) else value
    photo = _photo(visit) if visit.pk else None
    out["photo"] = photo.path if photo else ""
    out["visitors"] = sorted(visit.visitors.values_list("pk", flat=True)) if visit.pk else []
    return out


def _clean_when(value, now: datetime) -> datetime:
    if value is None:
        raise DomainError("required", _("请填写走访时间"), "visited_at")
    if not isinstance(value, datetime):
        raise DomainError("invalid", _("走访时间格式不正确"), "visited_at")
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    if value > now + CLOCK_SKEW:
        raise DomainError("invalid_date", _("走访时间不能晚于现在"), "visited_at")
    if value < now - timedelta(days=MAX_AGE_DAYS):
        raise DomainError(
            "invalid_date",
            (_("只能补录 %(max_age_days)s 天以内的走访") % {"max_age_days": MAX_AGE_DAYS}),
            "visited_at",
        )
    return value


def _clean_duration(value) -> int:
    try:
        minutes = int(value)
    except (TypeError, ValueError):
        raise DomainError("invalid", _("走访时长请填写分钟数"), "duration_minutes") from None
    if not 1 <= minutes <= 600:
        raise DomainError("invalid", _("走访时长应在 1 到 600 分钟之间"), "duration_minutes")
    return minutes


def _clean_kind(value) -> str:
    value = (value or Visit.Kind.ROUTINE).strip()
    if value not in Visit.Kind.values:
        raise DomainError("invalid", (_("走访类型「%(kind)s」无效") % {"kind": value}), "kind")
    return value


def _clean_texts(values: dict[str, str]) -> dict[str, str]:
    out = {}
    for name in TEXT_FIELDS:
        text = (values.get(name) or "").strip()
        if len(text) > MAX_TEXT:
            raise DomainError(
                "too_long", (_("每项内容不能超过 %(max_text)s 字") % {"max_text": MAX_TEXT}), name
            )
        out[name] = text
    if not any(out.values()):
        raise DomainError(
            "required", _("请至少填写家庭情况、需求、问题与诉求、特长爱好中的一项"), "situation"
        )
    return out


def _clean_visitors(by, household: Household, visitors) -> list[User]:
    """The people who went along: active staff whose scope holds the household. The recorder is always
    one of them."""
    ids: set[int] = set()
    for v in visitors or []:
        pk = getattr(v, "pk", v)
        try:
            ids.add(int(pk))
        except (TypeError, ValueError):
            raise DomainError("invalid_visitor", _("走访人无效"), "visitors") from None
    found = {u.pk: u for u in User.objects.filter(pk__in=ids).select_related("area")}
    people = [by]
    for pk in sorted(ids - {by.pk}):
        user = found.get(pk)
        if user is None or not is_staff(user) or not in_scope(user, household.area_code):
            raise DomainError("invalid_visitor", _("走访人必须是负责该户的工作人员"), "visitors")
        people.append(user)
    return people


def _check_photo(photo) -> uploads.Batch:
    return uploads.prepare([photo] if photo is not None else [], "photo")


def _photo(visit: Visit) -> Upload | None:
    return uploads.of(visit, Upload.Role.PHOTO).first()


def _household_in_scope(by, household: Household) -> Household:
    if household is None or not in_scope(by, household.area_code):
        raise NotFound(field="household")
    if not household.is_active:
        raise Conflict("invalid_state", _("该户已注销，不能记录走访"), "household")
    return household


def visit_record(
    *,
    by: User,
    household: Household,
    visited_at: datetime,
    duration_minutes: int = 20,
    kind: str = Visit.Kind.ROUTINE,
    situation: str = "",
    needs: str = "",
    problems: str = "",
    skills: str = "",
    visitors=(),
    photo=None,
    client_key: str = "",
) -> Visit:
    """入户走访: record one visit to one household in the recorder's scope.

    ``client_key`` is the form's one-time key: sending the same key again (a retry after a lost answer,
    the offline queue replaying) returns the visit made the first time instead of a second one."""
    require_staff(by, _("只有工作人员可以记录走访"))
    key = _clean_client_key(client_key)
    if key:
        existing = _visit_with_client_key(by, key)
        if existing is not None:
            return existing
    _household_in_scope(by, household)
    now = timezone.now()
    when = _clean_when(visited_at, now)
    minutes = _clean_duration(duration_minutes)
    kind = _clean_kind(kind)
    texts = _clean_texts({"situation": situation, "needs": needs, "problems": problems, "skills": skills})
    people = _clean_visitors(by, household, visitors)
    checked = _check_photo(photo)
    try:
        with transaction.atomic():
            visit = Visit(
                household=household,
                area_code=household.area_code,
                visited_at=when,
                duration_minutes=minutes,
                kind=kind,
                recorded_by=by,
                client_key=key,
                **texts,
            )
            visit.save()
            uploads.save(checked, owner=visit, role=Upload.Role.PHOTO, by=by)
            visit.visitors.set(people)
            audit.record(actor=by, verb="visits.visit.record", obj=visit, after=_snapshot(visit))
    except IntegrityError:
        # two sends of the same key at once: the other one's visit is the answer
        existing = _visit_with_client_key(by, key) if key else None
        if existing is None:
            raise
        return existing
    return visit


CLIENT_KEY_MAX = 64


def _clean_client_key(value) -> str:
    key = (value or "").strip()
    if len(key) > CLIENT_KEY_MAX:
        raise DomainError("invalid", _("客户端键不能超过 %(n)d 个字符") % {"n": CLIENT_KEY_MAX}, "client_key")
    if key and not all(c.isascii() and (c.isalnum() or c in "-_") for c in key):
        raise DomainError("invalid", _("客户端键只能包含字母、数字、连字符和下划线"), "client_key")
    return key


def _visit_with_client_key(by: User, key: str) -> Visit | None:
    return Visit.objects.filter(recorded_by=by, client_key=key).first()


def may_change(user: User, visit: Visit) -> bool:
    """The recorder, or supervising staff (grid chief, community and above) whose scope holds the visit."""
    if not is_staff(user) or not in_scope(user, visit.area_code):
        return False
    return visit.recorded_by_id == user.pk or user.is_admin or user.role in SUPERVISOR_ROLES


def may_delete(user: User, visit: Visit, now: datetime | None = None) -> bool:
    if not is_staff(user) or not in_scope(user, visit.area_code):
        return False
    if user.is_admin:
        return True
    now = now or timezone.now()
    return visit.recorded_by_id == user.pk and now - visit.created_at <= DELETE_WINDOW


def _visible_visit(by, visit: Visit) -> Visit:
    if visit is None or not is_staff(by) or not in_scope(by, visit.area_code):
        raise NotFound(field="visit")
    return visit


def visit_update(*, by: User, visit: Visit, photo=None, remove_photo: bool = False, **changes) -> Visit:
    """Correct a visit (the recorder, or supervising staff in scope). Only the given fields change."""
    require_staff(by, _("只有工作人员可以记录走访"))
    _visible_visit(by, visit)
    if not may_change(by, visit):
        raise DomainError("forbidden", _("只有记录人或社区工作人员可以修改走访记录"), status=403)
    unknown = set(changes) - {"visited_at", "duration_minutes", "kind", "visitors", *TEXT_FIELDS}
    if unknown:
        raise DomainError(
            "invalid",
            (_("不能修改：%(unknown)s") % {"unknown": ", ".join(sorted(unknown))}),
            sorted(unknown)[0],
        )
    now = timezone.now()
    data: dict = {}
    if "visited_at" in changes:
        data["visited_at"] = _clean_when(changes["visited_at"], now)
    if "duration_minutes" in changes:
        data["duration_minutes"] = _clean_duration(changes["duration_minutes"])
    if "kind" in changes:
        data["kind"] = _clean_kind(changes["kind"])
    texts = {name: changes.get(name, getattr(visit, name)) for name in TEXT_FIELDS}
    if any(name in changes for name in TEXT_FIELDS):
        data.update(_clean_texts(texts))
    people = None
    if "visitors" in changes:
        people = _clean_visitors(visit.recorded_by, visit.household, changes["visitors"])
    checked = _check_photo(photo)
    before = _snapshot(visit)
    with transaction.atomic():
        for name, value in data.items():
            setattr(visit, name, value)
        visit.save()
        if checked or remove_photo:
            # the earlier photo's file goes once this commits
            uploads.discard(uploads.of(visit, Upload.Role.PHOTO))
        uploads.save(checked, owner=visit, role=Upload.Role.PHOTO, by=by)
        if people is not None:
            visit.visitors.set(people)
        audit.record(actor=by, verb="visits.visit.update", obj=visit, before=before, after=_snapshot(visit))
    return visit


def visit_delete(*, by: User, visit: Visit, reason: str) -> None:
    """Take back a visit recorded by mistake: the recorder within 24 hours, an admin at any time. A visit
    that became a case stays (the case points at it). The audit entry keeps what was deleted."""
    require_staff(by, _("只有工作人员可以记录走访"))
    _visible_visit(by, visit)
    if not may_delete(by, visit):
        raise DomainError(
            "forbidden", _("只有记录人在录入后 24 小时内（或系统管理员）可以删除走访记录"), status=403
        )
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("required", _("请填写删除原因"), "reason")
    if visit.cases.exists():
        raise Conflict("has_case", _("该走访已转为事件，不能删除"), "visit")
    with transaction.atomic():
        snapshot = _snapshot(visit)
        snapshot["household"] = visit.household_id
        audit.record(actor=by, verb="visits.visit.delete", obj=visit, before=snapshot, reason=reason)
        uploads.discard(uploads.of(visit))
        visit.delete()


# ---------------------------------------------------------------- visit → case


@dataclass
class VisitCase:
    case: Case
    created: bool


def _case_place(household: Household) -> dict:
    """The case's location: the building's point when it lies in the building's own grid, else its grid."""
    building = household.building
    grid = building.area
    if building.lng is not None and building.lat is not None:
        from gridgov.areas.lookup import get_index

        code = get_index().lookup(building.lng, building.lat)
        grid_code = grid.parent.code if grid.level == Level.MICROGRID else grid.code
        if code == grid_code:
            return {"lng": building.lng, "lat": building.lat}
    return {"grid_code": grid.code}


def _address(household: Household) -> str:
    building = household.building
    return f"{building.address} {household.label}".strip()[:200]


# A point chosen this far from the household's building is somewhere else: its address must be said.
MOVED_M = 30
CONTACTS = ("household", "worker")


def _metres(lng1: float, lat1: float, lng2: float, lat2: float) -> float:
    from gridgov.cases.selectors import _metres as metres

    return metres(lat1, lng1, lat2, lng2)


def case_place(household: Household, lng=None, lat=None, address: str | None = None) -> dict:
    """Where the case of a visit's finding is: the point chosen on the map (by default the building's) and
    the address that goes with it. At the building the address defaults to the household's; a point moved
    away from the building needs its own address (a wall at 3号楼 is not at the 2号楼 flat's address)."""
    if (lng is None) != (lat is None):
        raise DomainError("required", _("经度和纬度必须同时提供"), "lng" if lng is None else "lat")
    if address is not None:
        address = address.strip()
        if len(address) > 200:
            raise DomainError("too_long", _("地址不能超过 200 字"), "address")
    building = household.building
    if lng is None:
        place = _case_place(household)
        moved = False
    else:
        place = {"lng": float(lng), "lat": float(lat)}
        moved = (
            building.lng is None
            or building.lat is None
            or (_metres(place["lng"], place["lat"], building.lng, building.lat) > MOVED_M)
        )
    if not moved:
        return {**place, "address": address or _address(household)}
    if not address or address == _address(household):
        raise DomainError(
            "required", _("位置已移离该户所在楼栋，请填写问题所在的地址（如几号楼、哪个路口）"), "address"
        )
    return {**place, "address": address}


def visit_to_case(
    *,
    by: User,
    visit: Visit,
    category_code: str,
    description: str | None = None,
    reporter_phone: str = "",
    lng: float | None = None,
    lat: float | None = None,
    address: str | None = None,
    contact: str = "household",
) -> VisitCase:
    """转为事件: one click makes a case of a visit's finding (channel 网格员上报), pre-filled from the visit
    and the ledger: description from the problems, location from the building — or the point chosen on the
    map, with its own address when it is away from the building (:func:`case_place`) —, address from
    building and room, contact from the head of household (their phone, or else the visiting worker's so the
    case can be followed up) or, with ``contact="worker"``, the visiting worker. A visit makes at most one
    case: a second call (a double click, a colleague at the same time) returns the first one."""
    require_staff(by, _("只有工作人员可以记录走访"))
    _visible_visit(by, visit)
    if contact not in CONTACTS:
        raise DomainError("invalid_choice", _("联系人只能是户主或走访人"), "contact")
    with transaction.atomic():
        locked = (
            Visit.objects.select_for_update().select_related("household__building__area").get(pk=visit.pk)
        )
        existing = locked.cases.order_by("pk").first()
        if existing is not None:
            return VisitCase(case=existing, created=False)
        household = locked.household
        place = case_place(household, lng, lat, address)
        if contact == "worker":
            name, phone = by.display_name or by.username, (reporter_phone or "").strip() or by.phone
        else:
            head = household.head if household.head_id and household.head.is_active else None
            name = head.name if head else ""
            phone = (reporter_phone or "").strip() or (head.phone if head else "") or by.phone
        text = locked.problems if description is None else description
        photos = []
        photo = _photo(locked)
        source = uploads.file_path(photo) if photo else None
        if source is not None:
            photos.append(File(open(source, "rb"), name=source.name))  # noqa: SIM115
        try:
            from gridgov.cases.actions import case_report

            intake = case_report(
                by=by,
                category_code=category_code,
                description=text,
                reporter_name=name,
                reporter_phone=phone,
                channel=Channel.GRID_WORKER,
                photos=photos,
                idempotency_key=f"visit:{locked.pk}",
                **place,
            )
        finally:
            for f in photos:
                f.close()
        locked.cases.add(intake.case)
        audit.record(
            actor=by,
            verb="visits.visit.to_case",
            obj=locked,
            after={
                "case": intake.case.ref,
                "category": category_code,
                **({"contact": contact} if contact != "household" else {}),
            },
        )
    return VisitCase(case=intake.case, created=intake.created)


def visit_link_case(*, by: User, visit: Visit, ref: str) -> VisitCase:
    """关联已有事件: instead of a new case, the visit's finding is linked to an open case that already
    reports it (a duplicate the form showed); the case is told on its timeline. A visit that already has a
    case keeps it (409)."""
    from gridgov.cases.events import step as case_step
    from gridgov.cases.models import OPEN_STATES
    from gridgov.cases.selectors import cases_visible_to

    require_staff(by, _("只有工作人员可以记录走访"))
    _visible_visit(by, visit)
    ref = (ref or "").strip()
    if not ref:
        raise DomainError("required", _("请选择要关联的事件"), "case")
    with transaction.atomic():
        locked = Visit.objects.select_for_update().get(pk=visit.pk)
        existing = locked.cases.order_by("pk").first()
        if existing is not None:
            if existing.ref == ref:
                return VisitCase(case=existing, created=False)
            raise Conflict("already_linked", _("该走访已转为事件 %(ref)s") % {"ref": existing.ref}, "case")
        case = cases_visible_to(by).select_for_update().filter(ref=ref).first()
        if case is None:
            raise NotFound(_("事件 %(ref)s 不存在或不在您的管辖范围内") % {"ref": ref[:40]}, field="case")
        if case.state not in OPEN_STATES or case.merged_into_id:
            raise Conflict("case_finished", _("事件 %(ref)s 已办结，不能再关联") % {"ref": case.ref}, "case")
        locked.cases.add(case)
        case_step(case, by, "visit_linked", case.state, data={"visit": locked.pk})
        audit.record(actor=by, verb="visits.visit.link_case", obj=locked, after={"case": case.ref})
    return VisitCase(case=case, created=False)


# ---------------------------------------------------------------- visit → need


@dataclass
class VisitNeed:
    need: object  # gridgov.projects.models.Need
    created: bool


def _need_title(text: str) -> str:
    first = next((line.strip() for line in (text or "").splitlines() if line.strip()), "")
    return first[:100] or _("走访发现的需求")


def visit_to_need(
    *,
    by: User,
    visit: Visit,
    category: str,
    title: str | None = None,
    description: str | None = None,
    beneficiaries: int = 1,
    urgency: str = "normal",
) -> VisitNeed:
    """转为需求: one click puts a visit's finding on the needs list (需求清单), pre-filled from the visit —
    area = the household's grid, description = what the household needs (else its problems), title = the
    first line of it. A visit makes at most one need: a second call (a double click, a colleague at the same
    time) returns the first one. The need keeps the visit as its source, so the visit page shows it."""
    from gridgov.projects.actions import need_record_once

    require_staff(by, _("只有工作人员可以记录走访"))
    _visible_visit(by, visit)
    with transaction.atomic():
        locked = Visit.objects.select_for_update().get(pk=visit.pk)
        text = (locked.needs or "").strip() or (locked.problems or "").strip()
        need, created = need_record_once(
            by=by,
            title=title if (title or "").strip() else _need_title(text),
            category=category,
            area=locked.area_code,
            description=text if description is None else description,
            beneficiaries=beneficiaries,
            urgency=urgency,
            source="visit",
            source_id=locked.pk,
        )
        if created:
            audit.record(
                actor=by,
                verb="visits.visit.to_need",
                obj=locked,
                after={"need": need.pk, "category": category},
            )
    return VisitNeed(need=need, created=created)


# ---------------------------------------------------------------- rules and plans


def may_configure(user: User, district: Area) -> bool:
    """District staff for their district, admins everywhere."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_admin:
        return True
    return user.role == Role.DISTRICT and user.area_id is not None and user.area.code == district.code


def _district(by, code: str) -> Area:
    area = Area.objects.filter(code=(code or "").strip(), level=Level.DISTRICT, is_active=True).first()
    # Staff see the rules of the district they work in (the worklist applies them), so there it is 403.
    works_there = (
        is_staff(by) and by.area_id is not None and by.area.code.startswith(area.code if area else "-")
    )
    if area is None or not (in_scope(by, area.code) or works_there):
        raise NotFound(_("区不存在或不在您的管辖范围内"), field="district")
    if not may_configure(by, area):
        raise DomainError("forbidden", _("只有区级工作人员可以设置必访规则"), status=403)
    return area


def _interval(value) -> int:
    try:
        days = int(value)
    except (TypeError, ValueError):
        raise DomainError("invalid", _("走访周期请填写天数"), "interval_days") from None
    if not 1 <= days <= 730:
        raise DomainError("invalid", _("走访周期应在 1 到 730 天之间"), "interval_days")
    return days


def _rule_snapshot(rule: VisitRule) -> dict:
    return {
        "district": rule.district.code,
        "tag": rule.tag.code if rule.tag_id else None,
        "interval_days": rule.interval_days,
        "is_active": rule.is_active,
    }


def rule_create(
    *, by: User, district: str, tag: str | None, interval_days: int, is_active: bool = True
) -> VisitRule:
    area = _district(by, district)
    found = None
    if tag:
        found = FocusTag.objects.filter(code=tag.strip()).first() or FocusTag.objects.filter(name=tag).first()
        if found is None:
            raise DomainError("invalid_tag", (_("标签「%(tag)s」不存在") % {"tag": tag}), "tag")
    days = _interval(interval_days)
    try:
        with transaction.atomic():
            rule = VisitRule.objects.create(district=area, tag=found, interval_days=days, is_active=is_active)
            audit.record(actor=by, verb="visits.rule.create", obj=rule, after=_rule_snapshot(rule))
    except IntegrityError:
        raise Conflict("duplicate", _("该区已有这个标签的必访规则"), "tag") from None
    return rule


def rule_update(
    *, by: User, rule: VisitRule, interval_days: int | None = None, is_active: bool | None = None
) -> VisitRule:
    if rule is None:
        raise NotFound(field="rule")
    _district(by, rule.district.code)
    before = _rule_snapshot(rule)
    with transaction.atomic():
        if interval_days is not None:
            rule.interval_days = _interval(interval_days)
        if is_active is not None:
            rule.is_active = bool(is_active)
        rule.save(update_fields=["interval_days", "is_active"])
        audit.record(actor=by, verb="visits.rule.update", obj=rule, before=before, after=_rule_snapshot(rule))
    return rule
