"""Every write of the party organisation module (M6): organisations and their history, members (the one
source of a resident's political status), household contacts (包联户) and their reassignment, members'
双报到, co-building agreements, red property and its ratings, duty cards, party activities.

Organisations, members, contacts, cards, agreements and activities are kept by the command staff
(community, street, district) of the area concerned; grid workers assign the contacts of their grids.
Every action checks, writes in one transaction and leaves an audit entry.
"""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.accounts.models import Role, Unit, User
from gridgov.accounts.selectors import area_staff
from gridgov.areas.models import Area, Level
from gridgov.core import audit, cleaners, uploads
from gridgov.core.cleaners import REASON_LIMIT, limit
from gridgov.core.errors import Conflict, DomainError, NotFound
from gridgov.core.models import Upload
from gridgov.core.scope import command_staff_in_scope, staff_in_scope
from gridgov.ledger.models import Building, Household, Resident
from gridgov.notify.actions import tell
from gridgov.notify.models import Kind
from gridgov.party.models import (
    AREA_LEVELS,
    PARENT_KINDS,
    Activity,
    ActivityKind,
    Agreement,
    Commitment,
    Contact,
    DutyCard,
    Member,
    MemberReport,
    MemberStatus,
    Office,
    Org,
    OrgChange,
    OrgKind,
    PropertyRating,
    RedProperty,
    ReportState,
)
from gridgov.party.workflow import MACHINE
from gridgov.projects.models import Project

PARTY_STATUS = {
    MemberStatus.FULL: Resident.PoliticalStatus.PARTY_MEMBER,
    MemberStatus.PROBATIONARY: Resident.PoliticalStatus.PROBATIONARY,
}


# ---------------------------------------------------------------- checks


def _require_keeper(by: User, code: str) -> None:
    """The organisation, its members, cards, agreements and activities are kept by the command staff
    (community, street, district) of the area; everyone else gets 403 (out of scope: the lookups' 404)."""
    if not command_staff_in_scope(by, code):
        raise DomainError("forbidden", _("只有本辖区社区、街道或区级工作人员可以维护党组织信息"), status=403)


def _area(code: str, field: str = "area") -> Area:
    area = Area.objects.filter(code=(code or "").strip(), is_active=True).first()
    if area is None:
        raise NotFound(_("区域 %(code)s 不存在或已撤销") % {"code": code}, field=field)
    return area


def _org(by: User, org_id: int | None, field: str = "org", *, lock: bool = False) -> Org:
    qs = Org.objects.select_for_update(of=("self",)) if lock else Org.objects
    org = qs.filter(pk=org_id).select_related("area").first() if org_id else None
    if org is None or not staff_in_scope(by, org.area_code):
        raise NotFound(_("党组织 %(id)s 不存在或不在您的管辖范围内") % {"id": org_id or ""}, field=field)
    return org


def _member(by: User, member_id: int | None, field: str = "member", *, lock: bool = False) -> Member:
    qs = Member.objects.select_for_update(of=("self",)) if lock else Member.objects
    member = qs.filter(pk=member_id).select_related("resident", "org").first() if member_id else None
    if member is None or not staff_in_scope(by, member.area_code):
        raise NotFound(_("党员 %(id)s 不存在或不在您的管辖范围内") % {"id": member_id or ""}, field=field)
    return member


def _user(user_id: int | None, field: str) -> User | None:
    if user_id is None:
        return None
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        raise NotFound(_("账号 %(id)s 不存在或已停用") % {"id": user_id}, field=field)
    return user


def _check_binding(
    kind: str, area: Area, parent: Org | None, building: Building | None, household: Household | None
) -> None:
    if area.level not in AREA_LEVELS[kind]:
        levels = "、".join(str(Level(level).label) for level in AREA_LEVELS[kind])
        raise DomainError(
            "invalid_area",
            _("%(kind)s只能设在%(levels)s上") % {"kind": OrgKind(kind).label, "levels": levels},
            "area",
        )
    parent_kind = parent.kind if parent else None
    if parent_kind not in PARENT_KINDS[kind]:
        allowed = "、".join(str(OrgKind(k).label) if k else _("（无上级）") for k in PARENT_KINDS[kind])
        raise DomainError(
            "invalid_parent",
            _("%(kind)s的上级只能是：%(allowed)s") % {"kind": OrgKind(kind).label, "allowed": allowed},
            "parent",
        )
    if parent is not None and not area.code.startswith(parent.area_code):
        raise DomainError(
            "invalid_area",
            _("覆盖区域必须在上级组织「%(parent)s」的区域之内") % {"parent": parent.name},
            "area",
        )
    if building is not None and building.area_code != area.code:
        raise DomainError("invalid_building", _("楼栋不在该网格内"), "building")
    if household is not None and household.area_code != area.code:
        raise DomainError("invalid_household", _("该户不在该网格内"), "household")
    if kind == OrgKind.CENTRAL_HOUSEHOLD and household is None:
        raise DomainError("required", _("党员中心户须指定所在的户"), "household")


def _snapshot(org: Org) -> dict:
    return {
        "kind": org.kind,
        "name": org.name,
        "parent": org.parent_id,
        "area": org.area_code,
        "liaison": org.liaison_id,
    }


# ---------------------------------------------------------------- organisations


def org_create(
    *,
    by: User,
    kind: str,
    name: str,
    area: str,
    parent: int | None = None,
    building: int | None = None,
    household: int | None = None,
    liaison: int | None = None,
    units: list[int] | None = None,
    set_up_on: date | str | None = None,
    note: str = "",
) -> Org:
    """Set up (成立) an organisation on the area it covers, under its parent (a branch on a grid, a group on a
    building of the grid, a central household at one household)."""
    kind = cleaners.choice(kind, "kind", OrgKind, label=_("组织类型"))
    name = cleaners.text(name, "name", limit=limit(Org, "name"), required=True, label=_("名称"))
    note = cleaners.text(note, "note", limit=limit(Org, "note"))
    target = _area(area)
    _require_keeper(by, target.code)
    parent_org = _org(by, parent, "parent") if parent else None
    if parent_org is not None and not parent_org.is_active:
        raise Conflict("inactive_parent", _("上级组织已撤销"), "parent")
    place = Building.objects.filter(pk=building, is_active=True).first() if building else None
    if building and place is None:
        raise NotFound(_("楼栋不存在"), field="building")
    home = Household.objects.filter(pk=household).first() if household else None
    if household and home is None:
        raise NotFound(_("户不存在"), field="household")
    _check_binding(kind, target, parent_org, place, home)
    contact = _user(liaison, "liaison")
    partners = list(Unit.objects.filter(pk__in=units or [], is_active=True))
    if units and len(partners) != len(set(units)):
        raise NotFound(_("成员单位不存在或已停用"), field="units")
    on = cleaners.a_date(set_up_on, "set_up_on", label=_("成立日期")) or timezone.localdate()
    with transaction.atomic():
        org = Org.objects.create(
            kind=kind,
            name=name,
            parent=parent_org,
            area=target,
            area_code=target.code,
            building=place,
            household=home,
            liaison=contact,
            set_up_on=on,
            note=note,
        )
        if partners:
            org.units.set(partners)
        OrgChange.objects.create(
            org=org, kind=OrgChange.Kind.SET_UP, after=_snapshot(org), by=by, at=timezone.now()
        )
        audit.record(actor=by, verb="party.org.create", obj=org, after=_snapshot(org))
    return org


def org_update(
    *,
    by: User,
    org_id: int,
    reason: str = "",
    name: str | None = None,
    parent: int | None = None,
    liaison: int | None = None,
    units: list[int] | None = None,
    note: str | None = None,
) -> Org:
    """Rename (更名), change the parent or the liaison (包联人), the member units or the note; a rename or a new
    parent is a change in the organisation's history."""
    reason = cleaners.text(reason, "reason", limit=REASON_LIMIT)
    with transaction.atomic():
        org = _org(by, org_id, lock=True)
        _require_keeper(by, org.area_code)
        if not org.is_active:
            raise Conflict("dissolved", _("该组织已撤销"), "org")
        before = _snapshot(org)
        kinds = []
        if name is not None:
            new_name = cleaners.text(name, "name", limit=limit(Org, "name"), required=True, label=_("名称"))
            if new_name != org.name:
                org.name = new_name
                kinds.append(OrgChange.Kind.RENAME)
        if parent is not None and parent != org.parent_id:
            new_parent = _org(by, parent, "parent")
            if new_parent.pk == org.pk or _is_below(new_parent, org):
                raise DomainError("invalid_parent", _("不能把组织放到它自己或下级组织之下"), "parent")
            _check_binding(org.kind, org.area, new_parent, org.building, org.household)
            org.parent = new_parent
            kinds.append(OrgChange.Kind.MOVE)
        if liaison is not None:
            org.liaison = _user(liaison, "liaison") if liaison else None
        if note is not None:
            org.note = cleaners.text(note, "note", limit=limit(Org, "note"))
        org.save()
        if units is not None:
            partners = list(Unit.objects.filter(pk__in=units, is_active=True))
            if len(partners) != len(set(units)):
                raise NotFound(_("成员单位不存在或已停用"), field="units")
            org.units.set(partners)
        after = _snapshot(org)
        for kind in kinds:
            OrgChange.objects.create(
                org=org, kind=kind, before=before, after=after, reason=reason, by=by, at=timezone.now()
            )
        audit.record(actor=by, verb="party.org.update", obj=org, before=before, after=after, reason=reason)
    return org


def _is_below(candidate: Org, org: Org) -> bool:
    node = candidate
    seen = set()
    while node is not None and node.pk not in seen:
        if node.parent_id == org.pk:
            return True
        seen.add(node.pk)
        node = node.parent
    return False


def org_dissolve(*, by: User, org_id: int, reason: str, on: date | str | None = None) -> Org:
    """Dissolve (撤销): only an organisation with no active member and no active organisation below it."""
    reason = cleaners.text(reason, "reason", limit=REASON_LIMIT, required=_("请填写撤销原因"))
    on = cleaners.a_date(on, "on") or timezone.localdate()
    with transaction.atomic():
        org = _org(by, org_id, lock=True)
        _require_keeper(by, org.area_code)
        if not org.is_active:
            raise Conflict("dissolved", _("该组织已撤销"), "org")
        if org.children.filter(is_active=True).exists():
            raise Conflict("has_children", _("该组织下还有在用的组织，请先撤销或合并它们"), "org")
        if org.members.filter(is_active=True).exists():
            raise Conflict("has_members", _("该组织还有在册党员，请先把党员转到其他组织"), "org")
        org.is_active = False
        org.dissolved_on = on
        org.save(update_fields=["is_active", "dissolved_on", "updated_at"])
        OrgChange.objects.create(
            org=org,
            kind=OrgChange.Kind.DISSOLVE,
            before=_snapshot(org),
            reason=reason,
            by=by,
            at=timezone.now(),
        )
        audit.record(actor=by, verb="party.org.dissolve", obj=org, reason=reason)
    return org


def org_merge(*, by: User, org_id: int, into: int, reason: str) -> Org:
    """Merge (合并): the members and the organisations below ``org_id`` move to ``into`` (same kind), which goes on;
    ``org_id`` is dissolved and points to it."""
    reason = cleaners.text(reason, "reason", limit=REASON_LIMIT, required=_("请填写合并原因"))
    with transaction.atomic():
        org = _org(by, org_id, lock=True)
        target = _org(by, into, "into", lock=True)
        _require_keeper(by, org.area_code)
        _require_keeper(by, target.area_code)
        if org.pk == target.pk:
            raise DomainError("invalid", _("不能与自己合并"), "into")
        if not (org.is_active and target.is_active):
            raise Conflict("dissolved", _("已撤销的组织不能合并"), "into")
        if org.kind != target.kind:
            raise DomainError("invalid", _("只能合并同一类型的组织"), "into")
        moved = org.members.filter(is_active=True).update(org=target, area_code=target.area_code)
        org.children.filter(is_active=True).update(parent=target)
        org.is_active = False
        org.dissolved_on = timezone.localdate()
        org.merged_into = target
        org.save(update_fields=["is_active", "dissolved_on", "merged_into", "updated_at"])
        OrgChange.objects.create(
            org=org,
            kind=OrgChange.Kind.MERGE,
            into=target,
            before=_snapshot(org),
            after={"members_moved": moved},
            reason=reason,
            by=by,
            at=timezone.now(),
        )
        audit.record(actor=by, verb="party.org.merge", obj=org, after={"into": target.pk}, reason=reason)
    return target


# ---------------------------------------------------------------- members


def _derive_status(resident: Resident, status: str) -> None:
    """The ledger's political status follows the membership (its one source)."""
    resident.political_status = PARTY_STATUS[status]
    resident.political_status_by_party = True
    resident.save(update_fields=["political_status", "political_status_by_party", "updated_at"])


def member_create(
    *,
    by: User,
    org: int,
    status: str,
    resident: int | None = None,
    name: str = "",
    unit: int | None = None,
    office: str = Office.MEMBER,
    joined_on: date | str | None = None,
    is_floating: bool = False,
    is_in_work: bool = False,
    work_unit: int | None = None,
    home_community: str | None = None,
    user: int | None = None,
) -> Member:
    """Register a member (登记党员): a resident of the ledger (their row; nothing personal is copied) or a unit employee (name and
    unit). A resident's political status then follows the membership."""
    group = _org(by, org)
    _require_keeper(by, group.area_code)
    if not group.is_active:
        raise Conflict("dissolved", _("该组织已撤销"), "org")
    status = cleaners.choice(status, "status", MemberStatus, label=_("党员类别"))
    office = cleaners.choice(office or Office.MEMBER, "office", Office, label=_("职务"))
    joined = cleaners.a_date(joined_on, "joined_on", label=_("入党日期"))
    person = None
    employer = None
    if resident:
        person = Resident.objects.filter(pk=resident, is_active=True).first()
        if person is None or not staff_in_scope(by, person.area_code):
            raise NotFound(_("居民不存在或不在您的管辖范围内"), field="resident")
        name = ""
    else:
        name = cleaners.text(
            name, "name", limit=limit(Member, "name"), required=_("请选择台账中的居民，或填写单位党员的姓名")
        )
    employer_id = unit if not resident else work_unit
    if employer_id:
        employer = Unit.objects.filter(pk=employer_id, is_active=True).first()
        if employer is None:
            raise NotFound(_("单位不存在或已停用"), field="unit" if not resident else "work_unit")
    if not resident and employer is None:
        raise DomainError("required", _("单位党员须填写工作单位"), "unit")
    home = _area(home_community, "home_community") if home_community else None
    if home is not None and home.level != Level.COMMUNITY:
        raise DomainError("invalid_area", _("居住社区须是社区"), "home_community")
    account = _user(user, "user")
    try:
        with transaction.atomic():
            member = Member.objects.create(
                resident=person,
                name=name,
                unit=employer,
                user=account,
                org=group,
                area_code=group.area_code,
                status=status,
                office=office,
                joined_on=joined,
                is_floating=bool(is_floating),
                is_in_work=bool(is_in_work) or (person is None),
                home_community=home,
            )
            if person is not None:
                _derive_status(person, status)
            audit.record(
                actor=by, verb="party.member.create", obj=member, after={"org": group.pk, "status": status}
            )
    except IntegrityError:
        raise Conflict("duplicate", _("该居民已登记为党员，或该账号已关联其他党员"), "resident") from None
    return member


def member_update(
    *,
    by: User,
    member_id: int,
    org: int | None = None,
    status: str | None = None,
    office: str | None = None,
    is_floating: bool | None = None,
    is_in_work: bool | None = None,
    work_unit: int | None = None,
    home_community: str | None = None,
    user: int | None = None,
) -> Member:
    """Full membership (转正, probationary → full), a new office, a move to another organisation, the flags."""
    with transaction.atomic():
        member = _member(by, member_id, lock=True)
        _require_keeper(by, member.area_code)
        if not member.is_active:
            raise Conflict("left", _("该党员已离册"), "member")
        before = {"org": member.org_id, "status": member.status, "office": member.office}
        if org is not None and org != member.org_id:
            target = _org(by, org)
            _require_keeper(by, target.area_code)
            if not target.is_active:
                raise Conflict("dissolved", _("该组织已撤销"), "org")
            member.org = target
            member.area_code = target.area_code
        if status is not None:
            member.status = cleaners.choice(status, "status", MemberStatus, label=_("党员类别"))
        if office is not None:
            member.office = cleaners.choice(office, "office", Office, label=_("职务"))
        if is_floating is not None:
            member.is_floating = bool(is_floating)
        if is_in_work is not None:
            member.is_in_work = bool(is_in_work)
        if work_unit is not None:
            employer = Unit.objects.filter(pk=work_unit, is_active=True).first() if work_unit else None
            if work_unit and employer is None:
                raise NotFound(_("单位不存在或已停用"), field="work_unit")
            member.unit = employer
        if home_community is not None:
            home = _area(home_community, "home_community") if home_community else None
            if home is not None and home.level != Level.COMMUNITY:
                raise DomainError("invalid_area", _("居住社区须是社区"), "home_community")
            member.home_community = home
        if user is not None:
            member.user = _user(user, "user") if user else None
        try:
            member.save()
        except IntegrityError:
            raise Conflict("duplicate", _("该账号已关联其他党员"), "user") from None
        if member.resident_id:
            _derive_status(member.resident, member.status)
        audit.record(
            actor=by,
            verb="party.member.update",
            obj=member,
            before=before,
            after={"org": member.org_id, "status": member.status, "office": member.office},
        )
    return member


def member_leave(
    *, by: User | None, member_id: int, reason: str, on: date | str | None = None, note: str = ""
) -> Member:
    """Leave the register (离册: transferred out, moved away, deceased): the membership ends, the ledger's status is no longer
    derived from it (it keeps what it says), and the households the member looked after are handed over."""
    reason = cleaners.choice(reason, "reason", Member.LeftReason, label=_("离册原因"))
    note = cleaners.text(note, "note", limit=REASON_LIMIT)
    on = cleaners.a_date(on, "on") or timezone.localdate()
    with transaction.atomic():
        if by is None:
            member = (
                Member.objects.select_for_update(of=("self",)).select_related("resident").get(pk=member_id)
            )
        else:
            member = _member(by, member_id, lock=True)
            _require_keeper(by, member.area_code)
        if not member.is_active:
            raise Conflict("left", _("该党员已离册"), "member")
        _end_membership(member, by, reason, on, note)
    return member


def _end_membership(member: Member, by: User | None, reason: str, on: date, note: str = "") -> None:
    member.is_active = False
    member.left_on = on
    member.left_reason = reason
    member.save(update_fields=["is_active", "left_on", "left_reason", "updated_at"])
    if member.resident_id:
        Resident.objects.filter(pk=member.resident_id).update(political_status_by_party=False)
    MemberReport.objects.filter(member=member, state__in=[ReportState.PENDING, ReportState.CONFIRMED]).update(
        state=ReportState.ENDED, ended_at=timezone.now()
    )
    handed = contacts_hand_over(member=member, by=by)
    audit.record(
        actor=by,
        verb="party.member.leave",
        obj=member,
        after={"reason": reason, "households_handed_over": handed},
        reason=note,
    )


def on_resident_moved_out(sender, resident: Resident, by, on, **kwargs) -> None:  # noqa: ARG001
    """The ledger's move-out of a resident who is a member ends the membership (reason: moved out) and
    hands the households they looked after to the grid worker."""
    member = Member.objects.select_for_update(of=("self",)).filter(resident=resident, is_active=True).first()
    if member is not None:
        _end_membership(member, by, Member.LeftReason.MOVED_OUT, on or timezone.localdate())


# ---------------------------------------------------------------- contacts (包联户)


def grid_worker_of(area_code: str) -> User | None:
    """The grid worker bound to the household's grid (the first, by name), the contact of last resort."""
    return (
        User.objects.filter(role=Role.GRID_WORKER, area__code=area_code, is_active=True)
        .order_by("display_name", "pk")
        .first()
    )


def contacts_assign(
    *, by: User, households: list[int], member: int | None = None, worker: int | None = None
) -> int:
    """Name the contact of these households: a member (one of the grid's organisation) or a grid worker.
    The households must be in ``by``'s scope and, for a member, under the member's organisation's area."""
    if bool(member) == bool(worker):
        raise DomainError("required", _("请选择一位联系党员或一位网格员"), "member")
    ids = sorted({int(h) for h in households or []})
    if not ids:
        raise DomainError("required", _("请选择要包联的户"), "households")
    person = _member(by, member) if member else None
    if person is not None and not person.is_active:
        raise Conflict("left", _("该党员已离册"), "member")
    helper = _user(worker, "worker") if worker else None
    if helper is not None and helper.role not in (Role.GRID_WORKER, Role.GRID_CHIEF):
        raise DomainError("invalid", _("只能指定网格员或网格长"), "worker")
    found = list(Household.objects.filter(pk__in=ids, is_active=True).values_list("pk", "area_code"))
    if len(found) != len(ids):
        raise NotFound(_("有的户不存在或已注销"), field="households")
    # A member looks after households under their organisation's area; a grid worker, under their grid.
    reach = person.area_code if person else (helper.area.code if helper.area_id else None)
    for _pk, code in found:
        if not staff_in_scope(by, code):
            raise NotFound(_("有的户不在您的管辖范围内"), field="households")
        if reach is None or not code.startswith(reach):
            raise DomainError("outside", _("所选的户不在该联系人负责的区域内"), "households")
    today = timezone.localdate()
    with transaction.atomic():
        for pk, code in found:
            Contact.objects.update_or_create(
                household_id=pk,
                defaults={"member": person, "worker": helper, "area_code": code, "since": today, "by": by},
            )
        audit.record(
            actor=by,
            verb="party.contacts.assign",
            object_type="party.contact",
            object_id=",".join(str(i) for i in ids)[:64],
            after={"households": ids, "member": member, "worker": worker},
        )
    return len(found)


def contacts_clear(*, by: User, households: list[int]) -> int:
    ids = sorted({int(h) for h in households or []})
    rows = Contact.objects.filter(household_id__in=ids)
    for code in rows.values_list("area_code", flat=True):
        if not staff_in_scope(by, code):
            raise NotFound(_("有的户不在您的管辖范围内"), field="households")
    with transaction.atomic():
        n, _detail = rows.delete()
        audit.record(
            actor=by,
            verb="party.contacts.clear",
            object_type="party.contact",
            object_id=",".join(str(i) for i in ids)[:64],
            after={"households": ids},
        )
    return n


def contacts_hand_over(*, member: Member, by: User | None) -> int:
    """The households of a member who left go to their grid's grid worker (or stay without a contact when
    the grid has none); the community staff are told, so a new member can be named."""
    rows = list(Contact.objects.filter(member=member).select_related("household"))
    if not rows:
        return 0
    today = timezone.localdate()
    uncovered = 0
    for contact in rows:
        worker = grid_worker_of(contact.area_code)
        if worker is None:
            contact.delete()
            uncovered += 1
            continue
        contact.member = None
        contact.worker = worker
        contact.since = today
        contact.by = by
        contact.save(update_fields=["member", "worker", "since", "by"])
    community = member.area_code[:12]
    staff = area_staff(community)
    if staff:
        tell(
            staff,
            Kind.PARTY,
            member,
            gettext_lazy("%(name)s 已离册，%(count)s 户需重新指定联系党员"),
            params={"name": member.display_name, "count": len(rows)},
        )
    return len(rows)


# ---------------------------------------------------------------- 双报到 of members


def report_request(*, by: User, community: str, note: str = "") -> MemberReport:
    """An in-work member asks to report to the community where they live (self-service)."""
    member = Member.objects.filter(user=by, is_active=True).select_related("unit").first() if by else None
    if member is None:
        raise DomainError("forbidden", _("只有登记在册并关联了账号的党员可以报到"), status=403)
    place = _area(community, "community")
    if place.level != Level.COMMUNITY:
        raise DomainError("invalid_area", _("请选择报到的社区"), "community")
    note = cleaners.text(note, "note", limit=limit(MemberReport, "note"))
    now = timezone.now()
    try:
        with transaction.atomic():
            report = MemberReport.objects.create(
                member=member,
                community=place,
                area_code=place.code,
                unit=member.unit,
                note=note,
                requested_at=now,
            )
            MACHINE.record(report, by, "request", "", note=note, at=now)
    except IntegrityError:
        raise Conflict("duplicate", _("您已向该社区报到或申请正在确认中"), "community") from None
    staff = area_staff(place.code)
    if staff:
        tell(
            staff,
            Kind.PARTY,
            report,
            gettext_lazy("在职党员 %(name)s 申请到社区报到"),
            params={"name": member.display_name},
        )
    return report


def report_move(*, by: User, report_id: int, action: str, reason: str = "") -> MemberReport:
    """confirm / refuse (reason) by the community; withdraw by the member; end (reason) by either."""
    if action not in MACHINE.by_action:
        raise DomainError("invalid", _("没有「%(action)s」这个操作") % {"action": action}, "action")
    reason = cleaners.text(reason, "reason", limit=REASON_LIMIT)
    with transaction.atomic():
        report = MACHINE.lock(by, pk=report_id, field="report")
        with MACHINE.transition(report, action, by=by, reason=reason or None) as s:
            if action in ("confirm", "refuse"):
                report.decided_at = s.at
            else:
                report.ended_at = s.at
    if action in ("confirm", "refuse") and report.member.user_id:
        title = (
            gettext_lazy("您到 %(community)s 的报到已确认")
            if action == "confirm"
            else gettext_lazy("您到 %(community)s 的报到未通过")
        )
        tell([report.member.user], Kind.PARTY, report, title, params={"community": report.community.name})
    return report


# ---------------------------------------------------------------- co-building agreements


def agreement_create(
    *,
    by: User,
    unit: int,
    area: str,
    title: str,
    starts_on: date | str,
    ends_on: date | str,
    commitments: list[str],
    note: str = "",
) -> Agreement:
    """A co-building agreement (共建协议) between a co-building unit and a community or street, with its commitments as items."""
    place = _area(area)
    _require_keeper(by, place.code)
    if place.level not in (Level.STREET, Level.COMMUNITY):
        raise DomainError("invalid_area", _("共建协议须签在社区或街道"), "area")
    partner = Unit.objects.filter(pk=unit, is_active=True).first()
    if partner is None:
        raise NotFound(_("单位不存在或已停用"), field="unit")
    title = cleaners.text(title, "title", limit=limit(Agreement, "title"), required=True, label=_("协议名称"))
    note = cleaners.text(note, "note", limit=limit(Agreement, "note"))
    start = cleaners.a_date(starts_on, "starts_on", required=True, label=_("起始日期"))
    end = cleaners.a_date(ends_on, "ends_on", required=True, label=_("截止日期"))
    if end < start:
        raise DomainError("invalid", _("截止日期不能早于起始日期"), "ends_on")
    items = [
        cleaners.text(t, "commitments", limit=limit(Commitment, "text"))
        for t in (commitments or [])
        if str(t or "").strip()
    ]
    if not items:
        raise DomainError("required", _("请至少填写一项共建事项"), "commitments")
    with transaction.atomic():
        agreement = Agreement.objects.create(
            unit=partner,
            area=place,
            area_code=place.code,
            title=title,
            starts_on=start,
            ends_on=end,
            note=note,
            created_by=by,
        )
        Commitment.objects.bulk_create([Commitment(agreement=agreement, text=t) for t in items])
        audit.record(
            actor=by,
            verb="party.agreement.create",
            obj=agreement,
            after={"unit": partner.pk, "items": len(items)},
        )
    return agreement


def commitment_done(
    *, by: User, commitment_id: int, done_on: date | str | None = None, project: int | None = None
) -> Commitment:
    """A commitment carried out (on a date), optionally as one of the community's projects."""
    item = Commitment.objects.select_related("agreement").filter(pk=commitment_id).first()
    if item is None or not staff_in_scope(by, item.agreement.area_code):
        raise NotFound(_("共建事项不存在或不在您的管辖范围内"), field="commitment")
    _require_keeper(by, item.agreement.area_code)
    work = None
    if project:
        work = Project.objects.filter(pk=project, area_code__startswith=item.agreement.area_code).first()
        if work is None:
            raise NotFound(_("项目不存在或不在该协议的区域内"), field="project")
    with transaction.atomic():
        item.done_on = cleaners.a_date(done_on, "done_on") or timezone.localdate()
        item.project = work
        item.save(update_fields=["done_on", "project"])
        audit.record(actor=by, verb="party.commitment.done", obj=item, after={"project": project})
    return item


def agreement_end(*, by: User, agreement_id: int, reason: str) -> Agreement:
    """End (终止) an agreement before its end (the reason is kept)."""
    reason = cleaners.text(reason, "reason", limit=REASON_LIMIT, required=_("请填写终止原因"))
    agreement = Agreement.objects.filter(pk=agreement_id).first()
    if agreement is None or not staff_in_scope(by, agreement.area_code):
        raise NotFound(_("共建协议不存在或不在您的管辖范围内"), field="agreement")
    _require_keeper(by, agreement.area_code)
    if agreement.state != Agreement.State.ACTIVE:
        raise Conflict("not_active", _("该协议已不在履行中"), "agreement")
    with transaction.atomic():
        agreement.state = Agreement.State.TERMINATED
        agreement.save(update_fields=["state"])
        audit.record(actor=by, verb="party.agreement.terminate", obj=agreement, reason=reason)
    return agreement


# ---------------------------------------------------------------- red property


def red_property_set(
    *, by: User, unit: int, areas: list[str], org: int | None = None, note: str = ""
) -> RedProperty:
    """Register (or update) a property company as red property: its party organisation and the areas it
    manages (estates' grids or whole communities)."""
    company = Unit.objects.filter(pk=unit, is_active=True).first()
    if company is None:
        raise NotFound(_("单位不存在或已停用"), field="unit")
    if company.kind != Unit.Kind.PROPERTY:
        raise DomainError("invalid", _("只有物业企业可以登记为红色物业"), "unit")
    places = [_area(code, "areas") for code in dict.fromkeys(areas or [])]
    if not places:
        raise DomainError("required", _("请选择物业服务的区域"), "areas")
    for place in places:
        _require_keeper(by, place.code)
    branch = _org(by, org, "org") if org else None
    note = cleaners.text(note, "note", limit=limit(RedProperty, "note"))
    common = _common_prefix([p.code for p in places])
    with transaction.atomic():
        item, _created = RedProperty.objects.update_or_create(
            unit=company, defaults={"org": branch, "note": note, "area_code": common}
        )
        item.areas.set(places)
        audit.record(
            actor=by, verb="party.red_property.set", obj=item, after={"areas": [p.code for p in places]}
        )
    return item


def _common_prefix(codes: list[str]) -> str:
    """The code of the smallest area holding all of ``codes`` (a whole number of levels)."""
    prefix = codes[0]
    for code in codes[1:]:
        n = 0
        while n < min(len(prefix), len(code)) and prefix[n] == code[n]:
            n += 1
        prefix = prefix[:n]
    for size in (18, 15, 12, 9, 6):
        if len(prefix) >= size:
            return prefix[:size]
    return prefix


def property_rate(
    *, by: User, property_id: int, score: int | str, comment: str = "", at=None
) -> PropertyRating:
    """A resident rates their property company for this month (1–5); rating again this month replaces it."""
    if by is None or not by.is_authenticated or by.role not in (Role.RESIDENT, Role.VOLUNTEER):
        raise DomainError("forbidden", _("只有居民可以评价物业"), status=403)
    item = RedProperty.objects.filter(pk=property_id).select_related("unit").first()
    if item is None:
        raise NotFound(_("红色物业不存在"), field="property")
    value = cleaners.integer(score, "score", label=_("评分"), low=1, high=5, required=True)
    comment = cleaners.text(comment, "comment", limit=limit(PropertyRating, "comment"))
    now = at or timezone.now()
    month = timezone.localtime(now).date().replace(day=1)
    with transaction.atomic():
        rating, _created = PropertyRating.objects.update_or_create(
            property=item, rater=by, month=month, defaults={"score": value, "comment": comment, "at": now}
        )
        audit.record(actor=by, verb="party.property.rate", obj=rating, after={"score": value})
    return rating


# ---------------------------------------------------------------- duty cards (码上便知)


def card_issue(*, by: User, grid: str, duties: str | None = None) -> DutyCard:
    """The duty card of a grid (made on first use), with its duty list; the QR code points to the grid."""
    place = _area(grid, "grid")
    if place.level not in (Level.GRID, Level.MICROGRID):
        raise DomainError("invalid_area", _("职责卡只能为网格生成"), "grid")
    _require_keeper(by, place.code)
    with transaction.atomic():
        card = DutyCard.objects.select_for_update(of=("self",)).filter(grid=place).first()
        if card is None:
            card = DutyCard(
                grid=place, area_code=place.code, nonce=DutyCard.new_nonce(), issued_at=timezone.now()
            )
        if duties is not None:
            card.duties = cleaners.text(duties, "duties", limit=limit(DutyCard, "duties"))
        card.save()
        audit.record(actor=by, verb="party.card.issue", obj=card, after={"grid": place.code})
    return card


def card_revoke(*, by: User, grid: str, reason: str) -> DutyCard:
    """Revoke (作废) every printed code of the grid (a lost or misused card): a new code must be printed."""
    reason = cleaners.text(reason, "reason", limit=REASON_LIMIT, required=_("请填写作废原因"))
    place = _area(grid, "grid")
    _require_keeper(by, place.code)
    with transaction.atomic():
        card = DutyCard.objects.select_for_update(of=("self",)).filter(grid=place).first()
        if card is None:
            raise NotFound(_("该网格还没有职责卡"), field="grid")
        card.nonce = DutyCard.new_nonce()
        card.revoked_count += 1
        card.issued_at = timezone.now()
        card.save(update_fields=["nonce", "revoked_count", "issued_at"])
        audit.record(actor=by, verb="party.card.revoke", obj=card, reason=reason)
    return card


def worker_photo_set(*, by: User, worker: int, photo) -> Upload:
    """The photo of a grid worker for their grid's duty card (the card is public, so is the photo); a new
    photo replaces the old one. Kept by the command staff of the worker's area."""
    person = User.objects.filter(pk=worker, is_active=True).select_related("area").first()
    if person is None or person.area_id is None or not staff_in_scope(by, person.area.code):
        raise NotFound(_("账号 %(id)s 不存在或已停用") % {"id": worker}, field="worker")
    if person.role not in (Role.GRID_WORKER, Role.GRID_CHIEF):
        raise DomainError("invalid", _("只能为网格员或网格长上传职责卡照片"), "worker")
    _require_keeper(by, person.area.code)
    batch = uploads.prepare([photo] if photo else [], "photo")
    if not batch.images:
        raise DomainError("required", _("请选择照片"), "photo")
    with transaction.atomic():
        uploads.discard(uploads.of(person, Upload.Role.PHOTO))
        saved = uploads.save(batch, owner=person, role=Upload.Role.PHOTO, by=by)
        audit.record(actor=by, verb="party.worker_photo.set", obj=person, after={"upload": saved[0].pk})
    return saved[0]


# ---------------------------------------------------------------- activities


def activity_record(
    *,
    by: User,
    org: int,
    kind: str,
    held_on: date | str,
    topic: str,
    place: str = "",
    summary: str = "",
    attendees: list[int] | None = None,
    residents_count: int | str | None = 0,
) -> Activity:
    """Record (记录) a meeting or activity of an organisation with who attended (its members only)."""
    group = _org(by, org)
    _require_keeper(by, group.area_code)
    kind = cleaners.choice(kind, "kind", ActivityKind, label=_("活动类型"))
    day = cleaners.a_date(held_on, "held_on", required=True, label=_("日期"))
    if day > timezone.localdate():
        raise DomainError("invalid", _("不能登记将来的活动"), "held_on")
    topic = cleaners.text(topic, "topic", limit=limit(Activity, "topic"), required=True, label=_("主题"))
    place = cleaners.text(place, "place", limit=limit(Activity, "place"))
    summary = cleaners.text(summary, "summary", limit=limit(Activity, "summary"))
    count = (
        cleaners.integer(residents_count, "residents_count", label=_("参加群众人数"), low=0, high=100_000)
        or 0
    )
    ids = sorted({int(i) for i in attendees or []})
    present = list(Member.objects.filter(pk__in=ids, is_active=True, area_code__startswith=group.area_code))
    if len(present) != len(ids):
        raise DomainError("invalid", _("出席人中有不属于该组织的党员"), "attendees")
    with transaction.atomic():
        activity = Activity.objects.create(
            org=group,
            area_code=group.area_code,
            kind=kind,
            held_on=day,
            place=place,
            topic=topic,
            summary=summary,
            residents_count=count,
            recorded_by=by,
            recorded_at=timezone.now(),
        )
        activity.attendees.set(present)
        audit.record(actor=by, verb="party.activity.record", obj=activity, after={"attendees": len(present)})
    return activity
