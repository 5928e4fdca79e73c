"""Every write to a case. Each action: loads and locks the case, checks scope (404), state (409 with the
actions the state admits), role (403) and required reason (400), changes the case in one transaction,
appends the timeline event and the audit entry, and notifies whom it concerns."""

from __future__ import annotations

import hashlib
import math
import secrets
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts.models import Role, Unit
from gridgov.accounts.selectors import area_staff, unit_handlers
from gridgov.areas.models import Area, Level
from gridgov.cases import category_cache
from gridgov.cases.models import (
    NEXT_LEVEL,
    OPEN_STATES,
    Case,
    CaseEvent,
    CaseReporter,
    Channel,
    Dispatch,
    LimitUnit,
    Rating,
    RefCounter,
    Sla,
    State,
    Whistle,
    WhistleCall,
)
from gridgov.cases.selectors import propose_routing
from gridgov.cases.workflow import MACHINE, actions_in_state
from gridgov.core import audit, ratelimit, uploads
from gridgov.core.calendar import add_limit
from gridgov.core.crypto import blind_index
from gridgov.core.db import insert_together, prepared_statements
from gridgov.core.deadlines import due_with_warning, warn_moment
from gridgov.core.errors import Conflict, DomainError, NotFound
from gridgov.core.models import AuditEntry, Upload
from gridgov.core.scope import in_scope
from gridgov.core.sequences import next_daily_number
from gridgov.core.timeline import actor_label
from gridgov.core.validators import normalise_phone
from gridgov.notify.actions import notify
from gridgov.notify.models import Kind

CODE_LEN = {Level.DISTRICT: 6, Level.STREET: 9, Level.COMMUNITY: 12, Level.GRID: 15}


# ---------------------------------------------------------------- helpers


def _now() -> datetime:
    return timezone.now()


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _label(user) -> str:
    return actor_label(user, nobody="上报人")


def _event(*args, **kwargs) -> CaseEvent:
    """Write a step of the case's timeline and its audit entry (the arguments of :func:`_event_rows`)."""
    event, entry = _event_rows(*args, **kwargs)
    event.save()
    entry.save()
    return event


def _event_rows(
    case: Case,
    by,
    action: str,
    from_state: str,
    note: str = "",
    data: dict | None = None,
    at: datetime | None = None,
) -> tuple[CaseEvent, AuditEntry]:
    """A step of the case's timeline and its audit entry, not yet saved."""
    actor = by if getattr(by, "pk", None) else None
    event = CaseEvent(
        case=case,
        at=at or _now(),
        actor=actor,
        actor_label=_label(by),
        action=action,
        from_state=from_state,
        to_state=case.state,
        note=note,
        data=data or {},
    )
    entry = audit.entry(
        actor=actor,
        verb=f"case.{action}",
        obj=case,
        object_id=case.ref,
        before={"state": from_state},
        after={"state": case.state, **(data or {})},
        reason=note,
    )
    return event, entry


def _case_url(case: Case) -> str:
    return f"/cases/{case.ref}/"


def _tell(users, kind: str, case: Case, title: str, body: str = "") -> None:
    notify(
        users=users,
        kind=kind,
        title=f"{case.ref} {title}",
        body=body or case.description[:120],
        url=_case_url(case),
        case=case,
    )


def _lock(ref: str, by) -> Case:
    """Lock the case row and check it is visible to ``by`` (404 otherwise)."""
    from gridgov.cases.selectors import case_is_visible

    case = Case.objects.select_for_update().filter(ref=ref).first()
    if case is None or not case_is_visible(by, case):
        raise NotFound(f"事件 {ref} 不存在或不在您的管辖范围内", field="ref")
    return case


def _require(by, case: Case, action: str, reason: str | None = None) -> str:
    return MACHINE.require(by, case, action, reason)


def _ancestor(case: Case, level: str) -> Area:
    return Area.objects.get(code=case.area_code[: CODE_LEN[level]])


def set_deadlines(case: Case, start: datetime, *, response: bool = True) -> None:
    """Compute response/resolution deadlines (and their warning moments) from ``start`` on the working-day
    calendar. A year the calendar does not know yet gives a provisional deadline, never an error."""
    cat = case.category
    provisional = False
    if response:
        d = due_with_warning(start, cat.response_limit, cat.response_unit, cat.warning_ratio)
        case.response_due, case.response_warn_at, provisional = d.due, d.warn_at, d.provisional
    d = due_with_warning(start, cat.resolution_limit, cat.resolution_unit, cat.warning_ratio)
    case.resolution_due, case.resolution_warn_at = d.due, d.warn_at
    case.deadline_provisional = provisional or d.provisional


def _next_ref(district: str, day) -> str:
    """The next reference number of the district's day. It is taken in one statement of its own, outside
    the intake transaction: in autocommit it commits at once, so the counter row is locked only for that
    statement, not for the whole intake. The first intake of a day creates the row in the same statement
    (an upsert; SQLite has had it, with RETURNING, since 3.35). An intake that then fails leaves a gap in
    the day's numbers; numbers are never issued twice."""
    last = next_daily_number(RefCounter, day, district=district)
    return f"{district}-{day:%Y%m%d}-{last:06d}"


# ---------------------------------------------------------------- intake


@dataclass
class Intake:
    case: Case
    created: bool
    rate_token: str | None = None
    duplicates: list[str] = field(default_factory=list)


STAFF_CHANNELS = {Channel.GRID_WORKER, Channel.HOTLINE}


def _place(by, lng, lat, grid_code: str | None) -> Area:
    from gridgov.areas.lookup import grid_at

    if lng is not None or lat is not None:
        if lng is None or lat is None:
            raise DomainError("required", _("经度和纬度必须同时提供"), "lng" if lng is None else "lat")
        if not (-180 <= lng <= 180 and -90 <= lat <= 90):
            raise DomainError("invalid_location", _("坐标超出经纬度范围"), "lat")
        grid = grid_at(lng, lat)
        if grid is None:
            raise DomainError("outside_district", _("该位置不在本区任何网格内，请重新选择位置"), "lat")
        return grid
    if grid_code:
        area = Area.objects.filter(code=grid_code, is_active=True).first()
        if (
            area is None
            or area.level not in (Level.GRID, Level.MICROGRID)
            or not (by is not None and getattr(by, "is_authenticated", False) and in_scope(by, area.code))
        ):
            raise DomainError("invalid_grid", f"网格 {grid_code} 不存在或不在您的管辖范围内", "grid")
        return area.parent if area.level == Level.MICROGRID else area
    districts = list(Area.objects.filter(level=Level.DISTRICT, is_active=True)[:2])
    if len(districts) != 1:
        raise DomainError("required", _("请在地图上标注位置"), "lat")
    return districts[0]


def _case_with_idempotency_key(key: str) -> Case | None:
    """The case an earlier attempt with this key made, looked up when an intake fails: a one-column read on
    the unique index; the case itself is loaded only when there is one."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {Case._meta.db_table} WHERE idempotency_key = %s", [key])
        row = cursor.fetchone()
    return Case.objects.get(pk=row[0]) if row else None


def case_report(
    *,
    by,
    category_code: str,
    description: str,
    lng: float | None = None,
    lat: float | None = None,
    address: str = "",
    grid_code: str | None = None,
    reporter_name: str = "",
    reporter_phone: str = "",
    anonymous: bool = False,
    channel: str | None = None,
    reported_at: datetime | None = None,
    photos: list | None = None,
    idempotency_key: str | None = None,
) -> Intake:
    """Take in one report (上报). One transaction; a repeated ``idempotency_key`` returns the case made the
    first time instead of a second one."""
    user = by if getattr(by, "is_authenticated", False) else None
    key = None
    if idempotency_key:
        idempotency_key = idempotency_key.strip()
        if len(idempotency_key) > 100:
            raise DomainError("invalid", _("幂等键不能超过 100 个字符"), "idempotency_key")
        key = f"{user.pk if user else 'anon'}:{idempotency_key}"
    try:
        return _intake(
            user=user,
            key=key,
            category_code=category_code,
            description=description,
            lng=lng,
            lat=lat,
            address=address,
            grid_code=grid_code,
            reporter_name=reporter_name,
            reporter_phone=reporter_phone,
            anonymous=anonymous,
            channel=channel,
            reported_at=reported_at,
            photos=photos,
        )
    except (DomainError, IntegrityError):
        # A retry is found when it fails: its key is taken (the unique constraint), or what was valid the
        # first time is refused now. Then the case made the first time is the answer. Looking the key up
        # only then saves every other intake a statement; a retry takes a reference number it never uses.
        existing = _case_with_idempotency_key(key) if key else None
        if existing is None:
            raise
        return Intake(case=existing, created=False)


def _intake(
    *,
    user,
    key: str | None,
    category_code: str,
    description: str,
    lng: float | None,
    lat: float | None,
    address: str,
    grid_code: str | None,
    reporter_name: str,
    reporter_phone: str,
    anonymous: bool,
    channel: str | None,
    reported_at: datetime | None,
    photos: list | None,
) -> Intake:
    """case_report's checks and writes, for a report that is not yet known to be a retry."""
    category = category_cache.active_category(category_code)
    if category is None:
        raise DomainError("invalid_category", f"事项分类「{category_code}」不存在", "category")
    description = (description or "").strip()
    if len(description) < 5:
        raise DomainError("required", _("请描述问题（至少 5 个字）"), "description")
    if len(description) > 2000:
        raise DomainError("too_long", _("描述不能超过 2000 字"), "description")
    address = (address or "").strip()[:200]
    is_staff = user is not None and user.role not in (Role.RESIDENT, Role.VOLUNTEER, Role.UNIT)
    if channel is None:
        channel = Channel.GRID_WORKER if is_staff else Channel.PORTAL
    if channel not in Channel.values:
        raise DomainError("invalid", f"来源「{channel}」无效", "channel")
    if channel in STAFF_CHANNELS and not is_staff:
        raise DomainError("forbidden", _("只有工作人员可以代居民录入"), "channel", status=403)
    now = _now()
    if reported_at is not None:
        if channel != Channel.HOTLINE:
            raise DomainError("invalid", _("只有热线转办可以填写原始上报时间"), "reported_at")
        if timezone.is_naive(reported_at):
            reported_at = timezone.make_aware(reported_at)
        if reported_at > now + timedelta(minutes=1):
            raise DomainError("invalid", _("上报时间不能晚于现在"), "reported_at")
        if reported_at < now - timedelta(days=30):
            raise DomainError("invalid", _("上报时间不能早于 30 天前"), "reported_at")
    phone = normalise_phone(reporter_phone, "reporter_phone")
    name = (reporter_name or "").strip()[:50]
    if user is not None and not is_staff:
        name = name or user.display_name or user.username
        phone = phone or user.phone
    if anonymous:
        if not category.anonymous_allowed:
            raise DomainError("anonymous_not_allowed", f"「{category.name}」类事项不能匿名上报", "anonymous")
        name, phone = "", ""
    elif (user is None or is_staff) and not phone:
        raise DomainError("required", _("请留下联系电话，以便回访"), "reporter_phone")
    area = _place(user, lng, lat, grid_code)
    checked = uploads.prepare(photos, "photos")

    # the intake's statements have one shape and plans that do not depend on their values
    with prepared_statements():
        ref = _next_ref(area.code[:6], timezone.localdate(now))
        level = Level.GRID if area.level == Level.GRID else Level.DISTRICT
        case = Case(
            ref=ref,
            category=category,
            description=description,
            address=address,
            lng=lng,
            lat=lat,
            area=area,
            area_code=area.code,
            level=level,
            handling_area=area,
            channel=channel,
            reporter=None if is_staff else user,
            entered_by=user if is_staff else None,
            reporter_name=name,
            reporter_phone=phone,
            reporter_phone_hash=blind_index(phone) if phone else "",
            anonymous=anonymous,
            reported_at=reported_at or now,
            idempotency_key=key,
        )
        token = secrets.token_urlsafe(16)
        case.rate_token_hash = _hash_token(token)
        reporter = CaseReporter(
            case=case,
            source=case,
            user=case.reporter,
            name=name,
            phone=phone,
            phone_hash=case.reporter_phone_hash,
        )
        event, entry = _event_rows(case, user, "report", "", data={"channel": channel}, at=now)
        # without photos the four rows are one statement (PostgreSQL), in a transaction of its own
        with transaction.atomic() if checked else nullcontext():
            insert_together(case, (reporter, ("case", "source")), (event, ("case",)), (entry, ()))
            uploads.save(checked, owner=case, role=Upload.Role.PHOTO, step=event, by=user, at=now)
    from gridgov.cases.selectors import duplicate_candidates

    return Intake(
        case=case,
        created=True,
        rate_token=token,
        duplicates=[c.ref for c in duplicate_candidates(case, user)],
    )


def case_add_photos(*, ref: str, by, photos: list) -> int:
    """补充材料: the reporter or staff in scope add photos to an open case."""
    from gridgov.cases.workflow import is_reporter, is_verifier

    checked = uploads.prepare(photos, "photos")
    if not checked:
        raise DomainError("required", _("请选择要上传的照片"), "photos")
    with transaction.atomic():
        case = _lock(ref, by)
        if case.state not in OPEN_STATES:
            raise Conflict(
                "wrong_state",
                _("事件已办结，不能再补充照片"),
                "state",
                extra={"state": case.state, "allowed_actions": actions_in_state(case)},
            )
        if not (is_reporter(by, case) or is_verifier(by, case)):
            raise DomainError("forbidden", _("只有上报人和网格、社区工作人员可以补充照片"), status=403)
        now = _now()
        event = _event(case, by, "add_photos", case.state, data={"count": len(checked)}, at=now)
        uploads.save(checked, owner=case, role=Upload.Role.PHOTO, step=event, by=by, at=now)
    return len(checked)


# ---------------------------------------------------------------- triage


def case_accept(*, ref: str, by, note: str = "") -> Case:
    with transaction.atomic():
        case = _lock(ref, by)
        before = _require(by, case, "accept")
        case.state, case.accepted_at = State.ACCEPTED, _now()
        case.save(update_fields=["state", "accepted_at"])
        _event(case, by, "accept", before, note)
    return case


def case_reject(*, ref: str, by, reason: str) -> Case:
    with transaction.atomic():
        case = _lock(ref, by)
        before = _require(by, case, "reject", reason)
        case.state = State.REJECTED
        case.save(update_fields=["state"])
        _event(case, by, "reject", before, reason.strip())
        _tell(
            [r.user for r in case.reporters.select_related("user") if r.user],
            Kind.CLOSED,
            case,
            "不予受理",
            reason.strip(),
        )
    return case


def case_merge(*, ref: str, by, into: str, note: str = "") -> Case:
    """Merge a duplicate into another open case; all its reporters become reporters of the target and are
    told where to follow it."""
    if not into or into == ref:
        raise DomainError("invalid", _("请选择要合并到的另一个事件"), "into")
    with transaction.atomic():
        case = _lock(ref, by)
        before = _require(by, case, "merge")
        target = _lock(into, by)
        if target.state not in OPEN_STATES:
            raise Conflict("invalid_target", f"目标事件 {into} 已办结，不能合并到它", "into")
        if target.merged_into_id:
            raise Conflict("invalid_target", f"目标事件 {into} 本身已被合并", "into")
        case.state, case.merged_into = State.MERGED, target
        case.save(update_fields=["state", "merged_into"])
        for rep in case.reporters.all():
            CaseReporter.objects.get_or_create(
                case=target,
                source=rep.source,
                defaults={
                    "user": rep.user,
                    "name": rep.name,
                    "phone": rep.phone,
                    "phone_hash": rep.phone_hash,
                },
            )
        _event(case, by, "merge", before, note, data={"into": target.ref})
        _event(target, by, "merge", target.state, note, data={"merged": case.ref})
        users = [r.user for r in case.reporters.select_related("user") if r.user]
        _tell(
            users,
            Kind.MERGED,
            case,
            f"已与 {target.ref} 合并办理",
            f"您反映的问题与 {target.ref} 为同一问题，已合并办理，请通过 /track/{target.ref} 查看进度。",
        )
    return case


# ---------------------------------------------------------------- dispatch and handling


def _units(ids, field: str) -> list[Unit]:
    ids = list(dict.fromkeys(int(i) for i in ids or []))
    units = {u.pk: u for u in Unit.objects.filter(pk__in=ids, is_active=True)}
    missing = [i for i in ids if i not in units]
    if missing:
        raise DomainError("invalid_unit", f"单位 {missing[0]} 不存在或已停用", field)
    return [units[i] for i in ids]


def _open_round(case: Case, by, now, lead: Unit | None, assists: list[Unit], candidates: list[Unit]) -> int:
    case.dispatches.filter(state=Dispatch.DState.PENDING).update(state=Dispatch.DState.WITHDRAWN)
    rnd = (case.dispatches.order_by("-round").values_list("round", flat=True).first() or 0) + 1
    rows = [Dispatch(case=case, unit=lead, role=Dispatch.Role.LEAD)] if lead else []
    rows += [Dispatch(case=case, unit=u, role=Dispatch.Role.CANDIDATE) for u in candidates]
    rows += [Dispatch(case=case, unit=u, role=Dispatch.Role.ASSIST) for u in assists]
    for row in rows:
        row.round, row.dispatched_at, row.dispatched_by = rnd, now, by
    Dispatch.objects.bulk_create(rows)
    return rnd


def _reset_sla(case: Case) -> None:
    case.sla = Sla.NORMAL
    case.response_warned_at = case.response_overdue_at = None
    case.resolution_warned_at = case.resolution_overdue_at = None


SLA_FIELDS = [
    "sla",
    "response_warned_at",
    "response_overdue_at",
    "resolution_warned_at",
    "resolution_overdue_at",
]
DEADLINE_FIELDS = [
    "response_due",
    "resolution_due",
    "response_warn_at",
    "resolution_warn_at",
    "deadline_provisional",
]


def case_dispatch(
    *,
    ref: str,
    by,
    lead_unit_id: int | None = None,
    assist_unit_ids=(),
    candidate_unit_ids=(),
    note: str = "",
) -> Case:
    """派遣 to a lead unit (with optional assist units), or to several candidate units of which the first
    to claim leads. Without any unit, the routing rule's proposal is used."""
    with transaction.atomic():
        case = _lock(ref, by)
        before = _require(by, case, "dispatch")
        candidates = _units(candidate_unit_ids, "candidate_unit_ids")
        assists = _units(assist_unit_ids, "assist_unit_ids")
        lead = _units([lead_unit_id], "lead_unit_id")[0] if lead_unit_id else None
        if lead and candidates:
            raise DomainError("invalid", _("指定主办单位时不能再设候选主办单位"), "candidate_unit_ids")
        if len(candidates) == 1:
            raise DomainError(
                "invalid", _("候选主办单位至少两个（只有一个时请直接指定主办单位）"), "candidate_unit_ids"
            )
        if lead is None and not candidates:
            lead, proposed = propose_routing(case)
            if lead is None:
                raise DomainError("required", _("没有适用的派单规则，请选择主办单位"), "lead_unit_id")
            assists = assists or proposed
        main = {u.pk for u in ([lead] if lead else candidates)}
        assists = [u for u in assists if u.pk not in main]
        now = _now()
        rnd = _open_round(case, by, now, lead, assists, candidates)
        case.state, case.lead_unit, case.dispatched_at = State.DISPATCHED, lead, now
        case.claimed_at = case.started_at = None
        if case.first_dispatched_at is None:
            case.first_dispatched_at = now
        set_deadlines(case, now)
        if case.first_response_due is None:
            case.first_response_due = case.response_due
        _reset_sla(case)
        case.save(
            update_fields=[
                "state",
                "lead_unit",
                "dispatched_at",
                "claimed_at",
                "started_at",
                "first_dispatched_at",
                "first_response_due",
                *DEADLINE_FIELDS,
                *SLA_FIELDS,
            ]
        )
        data = {
            "round": rnd,
            "lead_unit": lead.name if lead else None,
            "candidate_units": [u.name for u in candidates],
            "assist_units": [u.name for u in assists],
            "response_due": case.response_due.isoformat(),
            "resolution_due": case.resolution_due.isoformat(),
            "provisional": case.deadline_provisional,
        }
        _event(case, by, "dispatch", before, note, data=data)
        _tell(
            unit_handlers(u.pk for u in [*([lead] if lead else []), *candidates, *assists]),
            Kind.DISPATCH,
            case,
            "新派单",
            f"{case.category.name}：{case.description[:80]}（签收时限 "
            f"{timezone.localtime(case.response_due):%m-%d %H:%M}）",
        )
    return case


def case_claim(*, ref: str, by) -> Case:
    """签收. The first claim wins; a second (another candidate unit, or the same unit twice) gets 409."""
    with transaction.atomic():
        case = _lock(ref, by)
        before = _require(by, case, "claim")
        now = _now()
        rows = list(
            case.dispatches.select_for_update()
            .filter(state=Dispatch.DState.PENDING, unit_id=by.unit_id)
            .exclude(role=Dispatch.Role.ASSIST)
        )
        if not rows:
            raise Conflict(
                "already_claimed",
                _("该派单已被签收"),
                "state",
                extra={"state": case.state, "allowed_actions": actions_in_state(case)},
            )
        mine = rows[0]
        mine.state, mine.claimed_at, mine.claimed_by = Dispatch.DState.CLAIMED, now, by
        if mine.role == Dispatch.Role.CANDIDATE:
            mine.role = Dispatch.Role.LEAD
            case.dispatches.filter(
                round=mine.round, role=Dispatch.Role.CANDIDATE, state=Dispatch.DState.PENDING
            ).exclude(pk=mine.pk).update(state=Dispatch.DState.WITHDRAWN)
        mine.save(update_fields=["state", "claimed_at", "claimed_by", "role"])
        case.state, case.lead_unit, case.claimed_at = State.CLAIMED, mine.unit, now
        if case.first_claimed_at is None:
            case.first_claimed_at = now
        case.sla = (
            Sla.OVERDUE
            if case.resolution_overdue_at
            else Sla.WARNING
            if case.resolution_warned_at
            else Sla.NORMAL
        )
        case.save(update_fields=["state", "lead_unit", "claimed_at", "first_claimed_at", "sla"])
        _event(case, by, "claim", before, data={"unit": mine.unit.name, "on_time": now <= case.response_due})
    return case


def case_return(*, ref: str, by, reason: str) -> Case:
    """退回: the lead unit sends the case back for re-dispatch."""
    with transaction.atomic():
        case = _lock(ref, by)
        before = _require(by, case, "return", reason)
        case.dispatches.filter(
            unit_id=by.unit_id, state__in=[Dispatch.DState.PENDING, Dispatch.DState.CLAIMED]
        ).update(state=Dispatch.DState.RETURNED)
        case.dispatches.filter(state=Dispatch.DState.PENDING).update(state=Dispatch.DState.WITHDRAWN)
        case.state, case.lead_unit = State.ACCEPTED, None
        case.return_count += 1
        case.response_due = case.resolution_due = case.response_warn_at = case.resolution_warn_at = None
        _reset_sla(case)
        case.save(update_fields=["state", "lead_unit", "return_count", *DEADLINE_FIELDS, *SLA_FIELDS])
        _event(case, by, "return", before, reason.strip(), data={"unit": by.unit.name})
        _tell(
            area_staff(case.handling_area.code), Kind.RETURNED, case, f"被{by.unit.name}退回", reason.strip()
        )
    return case


def case_start(*, ref: str, by) -> Case:
    with transaction.atomic():
        case = _lock(ref, by)
        before = _require(by, case, "start")
        case.state, case.started_at = State.IN_PROGRESS, _now()
        case.save(update_fields=["state", "started_at"])
        _event(case, by, "start", before)
    return case


def case_resolve(*, ref: str, by, result: str, evidence: list | None = None) -> Case:
    """处置反馈 with the result and optional evidence photos; the grid/community verifies next."""
    result = (result or "").strip()
    # decoded before the case is locked; a refusal is raised after the checks that come first
    checked = uploads.prepare(evidence, "evidence", refuse_later=True)
    with transaction.atomic():
        case = _lock(ref, by)
        before = _require(by, case, "resolve")
        if len(result) < 2:
            raise DomainError("required", _("请填写处置结果"), "result")
        checked.require()
        now = _now()
        case.state, case.resolved_at, case.result = State.RESOLVED, now, result
        case.sla = Sla.NORMAL
        case.save(update_fields=["state", "resolved_at", "result", "sla"])
        event = _event(case, by, "resolve", before, result, data={"on_time": now <= case.resolution_due})
        uploads.save(checked, owner=case, role=Upload.Role.EVIDENCE, step=event, by=by, at=now)
        _tell(
            area_staff(case.area.code) + area_staff(case.handling_area.code),
            Kind.RESOLVED,
            case,
            "已处置，请核实",
            result[:120],
        )
    return case


def case_verify(*, ref: str, by, note: str = "") -> Case:
    with transaction.atomic():
        case = _lock(ref, by)
        before = _require(by, case, "verify")
        case.state, case.verified_at = State.VERIFIED, _now()
        case.save(update_fields=["state", "verified_at"])
        _event(case, by, "verify", before, note)
    return case


def case_rework(*, ref: str, by, reason: str) -> Case:
    """返工: verification failed; back to the lead unit, counted."""
    with transaction.atomic():
        case = _lock(ref, by)
        before = _require(by, case, "rework", reason)
        case.state = State.IN_PROGRESS
        case.rework_count += 1
        case.resolved_at = None
        case.sla = (
            Sla.OVERDUE
            if case.resolution_overdue_at
            else Sla.WARNING
            if case.resolution_warned_at
            else Sla.NORMAL
        )
        case.save(update_fields=["state", "rework_count", "resolved_at", "sla"])
        _event(case, by, "rework", before, reason.strip(), data={"rework_count": case.rework_count})
        _tell(unit_handlers([case.lead_unit_id]), Kind.REWORK, case, "核实未通过，需返工", reason.strip())
    return case


def case_close(*, ref: str, by, note: str = "") -> Case:
    with transaction.atomic():
        case = _lock(ref, by)
        before = _require(by, case, "close")
        now = _now()
        case.state, case.closed_at = State.CLOSED, now
        case.save(update_fields=["state", "closed_at"])
        _event(
            case,
            by,
            "close",
            before,
            note,
            data={
                "on_time": bool(
                    case.resolution_due and case.resolved_at and case.resolved_at <= case.resolution_due
                )
            },
        )
        _tell(
            [r.user for r in case.reporters.select_related("user") if r.user],
            Kind.CLOSED,
            case,
            "已结案，请评价",
            case.result[:120],
        )
    return case


def _code_matches(stored_hash: str, token: str) -> bool:
    return bool(stored_hash) and secrets.compare_digest(stored_hash, _hash_token(token))


def _bad_code(ref: str) -> NotFound:
    return NotFound(f"事件 {ref} 不存在或评价码无效", field="token")


def _code_attempt(ref: str, token: str) -> None:
    """Count an attempt with a rating code on ``ref``, before the action's transaction (so a wrong code
    stays counted): ``RATING_CODE_ATTEMPTS`` wrong codes within ``RATING_CODE_WINDOW_SECONDS`` lock the code
    for this case — rating codes cannot be guessed by brute force. The right code is not counted."""
    stored = Case.objects.filter(ref=ref).values_list("rate_token_hash", flat=True).first()
    if stored is None:
        raise _bad_code(ref)
    counted = ratelimit.hit(
        "rating_code",
        ref,
        limit=settings.RATING_CODE_ATTEMPTS,
        seconds=settings.RATING_CODE_WINDOW_SECONDS,
    )
    if counted.exceeded:
        raise DomainError(
            "code_locked",
            _("评价码输错次数过多，已暂停使用。请 %(minutes)s 分钟后再试，或联系所在社区办理评价或重办")
            % {"minutes": math.ceil(counted.retry_after / 60)},
            "token",
            status=429,
            extra={"retry_after": counted.retry_after},
        )
    if not _code_matches(stored, token):
        raise _bad_code(ref)
    ratelimit.release(counted)


def _reporter_or_token(ref: str, by, token: str | None) -> tuple[Case, object]:
    """The reporter acts either signed in or with the one-time token given at intake."""
    if token:
        case = Case.objects.select_for_update().filter(ref=ref).first()
        if case is None or not _code_matches(case.rate_token_hash, token):
            raise _bad_code(ref)
        return case, None
    if by is None or not getattr(by, "is_authenticated", False):
        raise DomainError("required", _("请输入评价码"), "token", status=401)
    return _lock(ref, by), by


def case_rate(*, ref: str, by=None, token: str | None = None, rating: str, comment: str = "") -> Case:
    if rating not in Rating.values:
        raise DomainError("invalid", f"评价只能是：{', '.join(Rating.values)}", "rating")
    comment = (comment or "").strip()[:500]
    if token:
        _code_attempt(ref, token)
    with transaction.atomic():
        case, actor = _reporter_or_token(ref, by, token)
        if case.state != State.CLOSED:
            raise Conflict(
                "wrong_state",
                f"事件当前状态为「{case.get_state_display()}」，结案后才能评价",
                "state",
                extra={"state": case.state, "allowed_actions": actions_in_state(case)},
            )
        if case.rated_at:
            raise Conflict(
                "already_rated",
                _("事件已评价"),
                "rating",
                extra={"state": case.state, "allowed_actions": actions_in_state(case)},
            )
        if actor is not None:
            _require(actor, case, "rate")
        case.rating, case.rating_comment, case.rated_at = rating, comment, _now()
        case.save(update_fields=["rating", "rating_comment", "rated_at"])
        _event(case, actor, "rate", case.state, comment, data={"rating": rating})
    return case


def case_reopen(*, ref: str, by=None, token: str | None = None, reason: str) -> Case:
    """重办: an unsatisfied reporter (or the dispatcher for them) reopens within the category's window."""
    if token:
        _code_attempt(ref, token)
    with transaction.atomic():
        case, actor = _reporter_or_token(ref, by, token)
        if actor is not None:
            before = _require(actor, case, "reopen", reason)
        else:
            if case.state != State.CLOSED:
                raise Conflict(
                    "wrong_state",
                    _("只有已结案的事件才能重办"),
                    "state",
                    extra={"state": case.state, "allowed_actions": actions_in_state(case)},
                )
            if case.rating != Rating.UNSATISFIED:
                raise Conflict(
                    "not_allowed_now",
                    _("只有评价为不满意的事件才能重办"),
                    "state",
                    extra={"state": case.state, "allowed_actions": actions_in_state(case)},
                )
            if not (reason or "").strip():
                raise DomainError("required", _("重办必须填写原因"), "reason")
            before = case.state
        window = timedelta(days=case.category.reopen_window_days)
        if _now() > (case.rated_at or case.closed_at) + window:
            raise Conflict(
                "reopen_window_passed", f"已超过 {case.category.reopen_window_days} 天的重办期限", "state"
            )
        case.state = State.ACCEPTED
        case.reopen_count += 1
        case.lead_unit = None
        case.resolved_at = case.verified_at = case.closed_at = case.rated_at = None
        case.rating, case.rating_comment = "", ""
        case.response_due = case.resolution_due = case.response_warn_at = case.resolution_warn_at = None
        _reset_sla(case)
        case.save(
            update_fields=[
                "state",
                "reopen_count",
                "lead_unit",
                "resolved_at",
                "verified_at",
                "closed_at",
                "rated_at",
                "rating",
                "rating_comment",
                *DEADLINE_FIELDS,
                *SLA_FIELDS,
            ]
        )
        _event(case, actor, "reopen", before, reason.strip(), data={"reopen_count": case.reopen_count})
        _tell(area_staff(case.handling_area.code), Kind.REOPENED, case, "居民不满意，已重办", reason.strip())
    return case


# ---------------------------------------------------------------- tiers, whistle, extension


def escalate(case: Case, by, reason: str, *, auto: bool = False) -> None:
    """Move ``case`` (locked by the caller) one level up to that level's command centre."""
    before_level = case.level
    case.level = NEXT_LEVEL[case.level]
    case.handling_area = _ancestor(case, case.level)
    case.escalation_count += 1
    fields = ["level", "handling_area", "escalation_count"]
    if auto:
        case.auto_escalated_at = _now()
        fields.append("auto_escalated_at")
    case.save(update_fields=fields)
    _event(
        case,
        by,
        "escalate",
        case.state,
        reason,
        data={"from_level": before_level, "to_level": case.level, "auto": auto},
    )
    _tell(
        area_staff(case.handling_area.code),
        Kind.ESCALATION,
        case,
        f"升级至{case.handling_area.name}处置",
        reason,
    )


def case_escalate(*, ref: str, by, reason: str) -> Case:
    with transaction.atomic():
        case = _lock(ref, by)
        _require(by, case, "escalate", reason)
        escalate(case, by, reason.strip())
    return case


def case_whistle(
    *, ref: str, by, unit_ids, lead_unit_id: int, report_hours: Decimal | float | None = None, note: str = ""
) -> Case:
    """吹哨: summon several units, naming the lead; each must report (报到) within ``report_hours``."""
    hours = Decimal(str(report_hours if report_hours is not None else settings.WHISTLE_REPORT_HOURS))
    if hours <= 0 or hours > 72:
        raise DomainError("invalid", _("报到时限须在 0 到 72 小时之间"), "report_hours")
    with transaction.atomic():
        case = _lock(ref, by)
        before = _require(by, case, "whistle")
        units = _units(unit_ids, "unit_ids")
        lead = _units([lead_unit_id], "lead_unit_id")[0]
        if lead.pk not in {u.pk for u in units}:
            units.insert(0, lead)
        if len(units) < 2:
            raise DomainError("invalid", _("吹哨至少召集两个单位"), "unit_ids")
        assists = [u for u in units if u.pk != lead.pk]
        now = _now()
        if case.state in (State.CLAIMED, State.IN_PROGRESS):
            if case.lead_unit_id != lead.pk:
                raise DomainError(
                    "invalid", f"事件已由{case.lead_unit}签收办理，牵头单位须为该单位", "lead_unit_id"
                )
            rnd = case.dispatches.order_by("-round").values_list("round", flat=True).first() or 1
            have = set(case.dispatches.filter(round=rnd).values_list("unit_id", flat=True))
            Dispatch.objects.bulk_create(
                [
                    Dispatch(
                        case=case,
                        unit=u,
                        role=Dispatch.Role.ASSIST,
                        round=rnd,
                        dispatched_at=now,
                        dispatched_by=by,
                    )
                    for u in assists
                    if u.pk not in have
                ]
            )
        else:  # accepted or dispatched: the whistle is the dispatch
            rnd = _open_round(case, by, now, lead, assists, [])
            case.state, case.lead_unit, case.dispatched_at = State.DISPATCHED, lead, now
            if case.first_dispatched_at is None:
                case.first_dispatched_at = now
            set_deadlines(case, now)
            if case.first_response_due is None:
                case.first_response_due = case.response_due
            _reset_sla(case)
        whistler_level = by.area.level if by.area_id else "district"
        if whistler_level in ("street", "district") and (
            case.level in ("grid", "community") or whistler_level == "district" and case.level == "street"
        ):
            case.level = whistler_level
            case.handling_area = _ancestor(case, whistler_level)
        case.save()
        whistle = Whistle.objects.create(
            case=case,
            by=by,
            at=now,
            lead_unit=lead,
            note=note,
            report_due=add_limit(now, hours, LimitUnit.URGENT_HOURS).due,
        )
        WhistleCall.objects.bulk_create([WhistleCall(whistle=whistle, unit=u) for u in units])
        _event(
            case,
            by,
            "whistle",
            before,
            note,
            data={
                "lead_unit": lead.name,
                "units": [u.name for u in units],
                "report_due": whistle.report_due.isoformat(),
            },
        )
        _tell(
            unit_handlers(u.pk for u in units),
            Kind.WHISTLE,
            case,
            "吹哨报到",
            f"牵头单位：{lead.name}；请于 {timezone.localtime(whistle.report_due):%m-%d %H:%M} 前报到。{note}",
        )
    return case


def case_report_in(*, ref: str, by, note: str = "") -> Case:
    """报到: a summoned unit reports in."""
    with transaction.atomic():
        case = _lock(ref, by)
        before = _require(by, case, "report")
        now = _now()
        calls = list(
            WhistleCall.objects.select_for_update().filter(
                whistle__case=case, unit_id=by.unit_id, reported_at__isnull=True
            )
        )
        for call in calls:
            call.reported_at, call.reported_by = now, by
            call.save(update_fields=["reported_at", "reported_by"])
        late = any(now > c.whistle.report_due for c in calls)
        _event(case, by, "report_in", before, note, data={"unit": by.unit.name, "late": late})
    return case


def case_extend(*, ref: str, by, amount: Decimal | float | int, reason: str) -> Case:
    """延期: the dispatcher grants more time, in the category's resolution unit; counted."""
    with transaction.atomic():
        case = _lock(ref, by)
        before = _require(by, case, "extend", reason)
        try:
            amount = Decimal(str(amount))
        except ArithmeticError as exc:
            raise DomainError("invalid", _("延期时长必须是数字"), "amount") from exc
        if amount <= 0 or amount > 365:
            raise DomainError("invalid", _("延期时长必须大于 0"), "amount")
        cat = case.category
        old_due = case.resolution_due
        d = add_limit(old_due, amount, cat.resolution_unit)
        case.resolution_due = d.due
        case.resolution_warn_at = warn_moment(
            case.dispatched_at, d.due, cat.warning_ratio, cat.resolution_unit
        )
        case.deadline_provisional = case.deadline_provisional or d.provisional
        case.extension_count += 1
        case.resolution_warned_at = case.resolution_overdue_at = None
        if case.state != State.DISPATCHED:
            case.sla = Sla.NORMAL
        case.save(
            update_fields=[
                "resolution_due",
                "resolution_warn_at",
                "deadline_provisional",
                "extension_count",
                "resolution_warned_at",
                "resolution_overdue_at",
                "sla",
            ]
        )
        _event(
            case,
            by,
            "extend",
            before,
            reason.strip(),
            data={
                "amount": str(amount),
                "unit": cat.resolution_unit,
                "from": old_due.isoformat(),
                "to": d.due.isoformat(),
            },
        )
    return case


def recompute_provisional_deadlines(year: int) -> int:
    """After a year's schedule is configured: recompute every open provisional deadline from its dispatch."""
    count = 0
    qs = Case.objects.filter(
        deadline_provisional=True, state__in=[State.DISPATCHED, State.CLAIMED, State.IN_PROGRESS]
    )
    for case_id in qs.values_list("pk", flat=True):
        with transaction.atomic():
            case = Case.objects.select_for_update().select_related("category").get(pk=case_id)
            if not case.deadline_provisional or case.dispatched_at is None:
                continue
            old = (case.response_due, case.resolution_due)
            set_deadlines(case, case.dispatched_at, response=case.state == State.DISPATCHED)
            # extensions granted since this dispatch are applied again on the corrected deadline
            for ext in case.events.filter(action="extend", at__gte=case.dispatched_at).order_by("at", "id"):
                d = add_limit(case.resolution_due, Decimal(ext.data["amount"]), ext.data["unit"])
                case.resolution_due = d.due
                case.deadline_provisional = case.deadline_provisional or d.provisional
            case.resolution_warn_at = warn_moment(
                case.dispatched_at,
                case.resolution_due,
                case.category.warning_ratio,
                case.category.resolution_unit,
            )
            case.save(update_fields=DEADLINE_FIELDS)
            if old != (case.response_due, case.resolution_due):
                _event(
                    case,
                    None,
                    "recompute",
                    case.state,
                    f"{year} 年节假日安排已配置，时限重新计算",
                    data={
                        "response_due": case.response_due.isoformat(),
                        "resolution_due": case.resolution_due.isoformat(),
                    },
                )
            count += 1
    return count
