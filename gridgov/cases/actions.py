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
from django.utils.translation import gettext_lazy

from gridgov.accounts.models import Role, Unit, User
from gridgov.accounts.selectors import area_staff, unit_handlers
from gridgov.areas.models import Area, Level
from gridgov.cases import category_cache
from gridgov.cases.events import event_rows
from gridgov.cases.events import step as case_step
from gridgov.cases.models import (
    NEXT_LEVEL,
    OPEN_STATES,
    Case,
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
from gridgov.cases.workflow import MACHINE, PHASES, RESOLUTION, RESPONSE, actions_in_state
from gridgov.core import cleaners, ratelimit, uploads
from gridgov.core.calendar import add_limit
from gridgov.core.cleaners import REASON_LIMIT, limit
from gridgov.core.crypto import blind_index
from gridgov.core.db import insert_together, prepared_statements
from gridgov.core.deadlines import Due, arm, deadline_fields, disarm, warn_moment
from gridgov.core.errors import Conflict, DomainError, NotFound
from gridgov.core.models import Upload
from gridgov.core.scope import in_scope
from gridgov.core.sequences import next_ref
from gridgov.core.validators import normalise_phone
from gridgov.notify.actions import tell
from gridgov.notify.models import Kind

CODE_LEN = {Level.DISTRICT: 6, Level.STREET: 9, Level.COMMUNITY: 12, Level.GRID: 15}


# ---------------------------------------------------------------- helpers


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def tell_case(users, kind: str, case: Case, title, body="", *, params=None) -> None:
    """Tell ``users`` about a step of ``case`` (the description when there is nothing else to say)."""
    tell(users, kind, case, title, body or case.description[:120], params=params, case=case)


def _ancestor(case: Case, level: str) -> Area:
    return Area.objects.get(code=case.area_code[: CODE_LEN[level]])


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
    now = timezone.now()
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
        ref = next_ref(RefCounter, area.code[:6], timezone.localdate(now), district=area.code[:6])
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
        event, entry = event_rows(case, user, "report", "", data={"channel": channel}, at=now)
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
        case = MACHINE.lock(by, ref=ref)
        if case.state not in OPEN_STATES:
            raise Conflict(
                "wrong_state",
                _("事件已办结，不能再补充照片"),
                "state",
                extra={"state": case.state, "allowed_actions": actions_in_state(case)},
            )
        if not (is_reporter(by, case) or is_verifier(by, case)):
            raise DomainError("forbidden", _("只有上报人和网格、社区工作人员可以补充照片"), status=403)
        now = timezone.now()
        event = case_step(case, by, "add_photos", case.state, data={"count": len(checked)}, at=now)
        uploads.save(checked, owner=case, role=Upload.Role.PHOTO, step=event, by=by, at=now)
    return len(checked)


# ---------------------------------------------------------------- triage


def _reporters(case: Case) -> list:
    return [r.user for r in case.reporters.select_related("user") if r.user]


def case_accept(*, ref: str, by: User, note: str = "") -> Case:
    """受理."""
    note = cleaners.text(note, "note", limit=REASON_LIMIT)
    with transaction.atomic():
        case = MACHINE.lock(by, ref=ref)
        with MACHINE.transition(case, "accept", by=by, note=note, fields=["accepted_at"]) as s:
            case.accepted_at = s.at
    return case


def case_reject(*, ref: str, by: User, reason: str) -> Case:
    """不予受理 (reason required; the reporters are told)."""
    reason = cleaners.text(reason, "reason", limit=REASON_LIMIT)
    with transaction.atomic():
        case = MACHINE.lock(by, ref=ref)
        with MACHINE.transition(case, "reject", by=by, reason=reason, fields=[]):
            pass
        tell_case(_reporters(case), Kind.CLOSED, case, gettext_lazy("不予受理"), reason)
    return case


def case_merge(*, ref: str, by, into: str, note: str = "") -> Case:
    """Merge a duplicate into another open case; all its reporters become reporters of the target and are
    told where to follow it."""
    if not into or into == ref:
        raise DomainError("invalid", _("请选择要合并到的另一个事件"), "into")
    note = cleaners.text(note, "note", limit=REASON_LIMIT)
    with transaction.atomic():
        case = MACHINE.lock(by, ref=ref)
        with MACHINE.transition(case, "merge", by=by, note=note, fields=["merged_into"]) as s:
            target = MACHINE.lock(by, ref=into)
            if target.state not in OPEN_STATES:
                raise Conflict(
                    "invalid_target", _("目标事件 %(ref)s 已办结，不能合并到它") % {"ref": into}, "into"
                )
            if target.merged_into_id:
                raise Conflict("invalid_target", _("目标事件 %(ref)s 本身已被合并") % {"ref": into}, "into")
            case.merged_into = target
            s.data = {"into": target.ref}
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
        case_step(target, by, "merge", target.state, note, data={"merged": case.ref})
        tell_case(
            _reporters(case),
            Kind.MERGED,
            case,
            gettext_lazy("已与 %(target)s 合并办理"),
            gettext_lazy(
                "您反映的问题与 %(target)s 为同一问题，已合并办理，请通过 /track/%(target)s 查看进度。"
            ),
            params={"target": target.ref},
        )
    return case


# ---------------------------------------------------------------- dispatch and handling


def _units(ids, field: str) -> list[Unit]:
    ids = list(dict.fromkeys(int(i) for i in ids or []))
    units = {u.pk: u for u in Unit.objects.filter(pk__in=ids, is_active=True)}
    missing = [i for i in ids if i not in units]
    if missing:
        raise DomainError("invalid_unit", _("单位 %(id)s 不存在或已停用") % {"id": missing[0]}, field)
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


DISPATCH_FIELDS = [
    "lead_unit",
    "dispatched_at",
    "claimed_at",
    "started_at",
    "first_dispatched_at",
    "first_response_due",
    *deadline_fields(Case, *PHASES),
]


def _dispatched(case: Case, lead: Unit | None, at: datetime) -> None:
    """The case is (again) with units from ``at``: both clocks start from the category's limits."""
    case.lead_unit, case.dispatched_at = lead, at
    case.claimed_at = case.started_at = None
    if case.first_dispatched_at is None:
        case.first_dispatched_at = at
    arm(case, RESPONSE, RESOLUTION)
    if case.first_response_due is None:
        case.first_response_due = case.response_due


def _resolution_sla(case: Case) -> str:
    """The colour of the resolution clock, which keeps running through claim and rework."""
    return RESOLUTION.sla(case)


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
    note = cleaners.text(note, "note", limit=REASON_LIMIT)
    with transaction.atomic():
        case = MACHINE.lock(by, ref=ref)
        s = MACHINE.begin(case, "dispatch", by=by, note=note)
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
        rnd = _open_round(case, by, s.at, lead, assists, candidates)
        _dispatched(case, lead, s.at)
        data = {
            "round": rnd,
            "lead_unit": lead.name if lead else None,
            "candidate_units": [u.name for u in candidates],
            "assist_units": [u.name for u in assists],
            "response_due": case.response_due.isoformat(),
            "resolution_due": case.resolution_due.isoformat(),
            "provisional": case.deadline_provisional,
        }
        s.data = data
        MACHINE.complete(case, s, fields=DISPATCH_FIELDS)
        tell_case(
            unit_handlers(u.pk for u in [*([lead] if lead else []), *candidates, *assists]),
            Kind.DISPATCH,
            case,
            gettext_lazy("新派单"),
            gettext_lazy("%(category)s：%(description)s（签收时限 %(due)s）"),
            params={
                "category": case.category.name,
                "description": case.description[:80],
                "due": f"{timezone.localtime(case.response_due):%m-%d %H:%M}",
            },
        )
    return case


def case_claim(*, ref: str, by: User) -> Case:
    """签收. The first claim wins; a second (another candidate unit, or the same unit twice) gets 409."""
    fields = ["lead_unit", "claimed_at", "first_claimed_at", "sla"]
    with transaction.atomic():
        case = MACHINE.lock(by, ref=ref)
        with MACHINE.transition(case, "claim", by=by, fields=fields) as s:
            rows = list(
                case.dispatches.select_for_update()
                .filter(state=Dispatch.DState.PENDING, unit_id=by.unit_id)
                .exclude(role=Dispatch.Role.ASSIST)
            )
            if not rows:
                raise MACHINE.conflict(case, "already_claimed", _("该派单已被签收"))
            mine = rows[0]
            mine.state, mine.claimed_at, mine.claimed_by = Dispatch.DState.CLAIMED, s.at, by
            if mine.role == Dispatch.Role.CANDIDATE:
                mine.role = Dispatch.Role.LEAD
                case.dispatches.filter(
                    round=mine.round, role=Dispatch.Role.CANDIDATE, state=Dispatch.DState.PENDING
                ).exclude(pk=mine.pk).update(state=Dispatch.DState.WITHDRAWN)
            mine.save(update_fields=["state", "claimed_at", "claimed_by", "role"])
            case.lead_unit, case.claimed_at = mine.unit, s.at
            if case.first_claimed_at is None:
                case.first_claimed_at = s.at
            case.sla = _resolution_sla(case)
            s.data = {"unit": mine.unit.name, "on_time": s.at <= case.response_due}
    return case


def case_return(*, ref: str, by: User, reason: str) -> Case:
    """退回: the lead unit sends the case back for re-dispatch."""
    reason = cleaners.text(reason, "reason", limit=REASON_LIMIT)
    fields = ["lead_unit", "return_count", *deadline_fields(Case, *PHASES)]
    with transaction.atomic():
        case = MACHINE.lock(by, ref=ref)
        with MACHINE.transition(case, "return", by=by, reason=reason, fields=fields) as s:
            case.dispatches.filter(
                unit_id=by.unit_id, state__in=[Dispatch.DState.PENDING, Dispatch.DState.CLAIMED]
            ).update(state=Dispatch.DState.RETURNED)
            case.dispatches.filter(state=Dispatch.DState.PENDING).update(state=Dispatch.DState.WITHDRAWN)
            case.lead_unit = None
            case.return_count += 1
            disarm(case, RESPONSE, RESOLUTION)
            s.data = {"unit": by.unit.name}
        tell_case(
            area_staff(case.handling_area.code),
            Kind.RETURNED,
            case,
            gettext_lazy("被%(unit)s退回"),
            reason,
            params={"unit": by.unit.name},
        )
    return case


def case_start(*, ref: str, by: User) -> Case:
    """开始处置."""
    with transaction.atomic():
        case = MACHINE.lock(by, ref=ref)
        with MACHINE.transition(case, "start", by=by, fields=["started_at"]) as s:
            case.started_at = s.at
    return case


def case_resolve(*, ref: str, by: User, result: str, evidence: list | None = None) -> Case:
    """处置反馈 with the result and optional evidence photos; the grid/community verifies next."""
    # decoded before the case is locked; a refusal is raised after the checks that come first
    checked = uploads.prepare(evidence, "evidence", refuse_later=True)
    with transaction.atomic():
        case = MACHINE.lock(by, ref=ref)
        with MACHINE.transition(case, "resolve", by=by, fields=["resolved_at", "result", "sla"]) as s:
            result = cleaners.text(result, "result", limit=limit(Case, "result"))
            if len(result) < 2:
                raise DomainError("required", _("请填写处置结果"), "result")
            checked.require()
            case.resolved_at, case.result, case.sla = s.at, result, Sla.NORMAL
            s.note = result
            s.data = {"on_time": s.at <= case.resolution_due}
        uploads.save(checked, owner=case, role=Upload.Role.EVIDENCE, step=s.event, by=by, at=s.at)
        tell_case(
            area_staff(case.area.code) + area_staff(case.handling_area.code),
            Kind.RESOLVED,
            case,
            gettext_lazy("已处置，请核实"),
            result[:120],
        )
    return case


def case_verify(*, ref: str, by: User, note: str = "") -> Case:
    """核实通过."""
    note = cleaners.text(note, "note", limit=REASON_LIMIT)
    with transaction.atomic():
        case = MACHINE.lock(by, ref=ref)
        with MACHINE.transition(case, "verify", by=by, note=note, fields=["verified_at"]) as s:
            case.verified_at = s.at
    return case


def case_rework(*, ref: str, by: User, reason: str) -> Case:
    """返工: verification failed; back to the lead unit, counted."""
    reason = cleaners.text(reason, "reason", limit=REASON_LIMIT)
    fields = ["rework_count", "resolved_at", "sla"]
    with transaction.atomic():
        case = MACHINE.lock(by, ref=ref)
        with MACHINE.transition(case, "rework", by=by, reason=reason, fields=fields) as s:
            case.rework_count += 1
            case.resolved_at = None
            case.sla = _resolution_sla(case)
            s.data = {"rework_count": case.rework_count}
        tell_case(
            unit_handlers([case.lead_unit_id]), Kind.REWORK, case, gettext_lazy("核实未通过，需返工"), reason
        )
    return case


def case_close(*, ref: str, by: User, note: str = "") -> Case:
    """结案; the reporters are asked to rate."""
    note = cleaners.text(note, "note", limit=REASON_LIMIT)
    with transaction.atomic():
        case = MACHINE.lock(by, ref=ref)
        with MACHINE.transition(case, "close", by=by, note=note, fields=["closed_at"]) as s:
            case.closed_at = s.at
            on_time = case.resolution_due and case.resolved_at and case.resolved_at <= case.resolution_due
            s.data = {"on_time": bool(on_time)}
        tell_case(_reporters(case), Kind.CLOSED, case, gettext_lazy("已结案，请评价"), case.result[:120])
    return case


def _code_matches(stored_hash: str, token: str) -> bool:
    return bool(stored_hash) and secrets.compare_digest(stored_hash, _hash_token(token))


def _bad_code(ref: str) -> NotFound:
    return NotFound(_("事件 %(ref)s 不存在或评价码无效") % {"ref": ref}, field="token")


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
    return MACHINE.lock(by, ref=ref), by


def case_rate(
    *, ref: str, by: User | None = None, token: str | None = None, rating: str, comment: str = ""
) -> Case:
    """评价: the reporter rates a closed case, signed in or with the code given at intake."""
    if rating not in Rating.values:
        raise DomainError(
            "invalid", _("评价只能是：%(values)s") % {"values": ", ".join(Rating.values)}, "rating"
        )
    comment = cleaners.text(comment, "comment", limit=limit(Case, "rating_comment"))
    if token:
        _code_attempt(ref, token)
    with transaction.atomic():
        case, actor = _reporter_or_token(ref, by, token)
        if case.state != State.CLOSED:
            raise MACHINE.conflict(
                case,
                "wrong_state",
                _("事件当前状态为「%(state)s」，结案后才能评价") % {"state": case.get_state_display()},
            )
        if case.rated_at:
            raise MACHINE.conflict(case, "already_rated", _("事件已评价"), "rating")
        fields = ["rating", "rating_comment", "rated_at"]
        with MACHINE.transition(
            case, "rate", by=actor, note=comment, fields=fields, check=actor is not None
        ) as s:
            case.rating, case.rating_comment, case.rated_at = rating, comment, s.at
            s.data = {"rating": rating}
    return case


REOPEN_FIELDS = [
    "reopen_count",
    "lead_unit",
    "resolved_at",
    "verified_at",
    "closed_at",
    "rated_at",
    "rating",
    "rating_comment",
    *deadline_fields(Case, *PHASES),
]


def case_reopen(*, ref: str, by: User | None = None, token: str | None = None, reason: str) -> Case:
    """重办: an unsatisfied reporter (or the dispatcher for them) reopens within the category's window."""
    reason = cleaners.text(reason, "reason", limit=REASON_LIMIT)
    if token:
        _code_attempt(ref, token)
    with transaction.atomic():
        case, actor = _reporter_or_token(ref, by, token)
        if actor is None:  # with the code: the checks the machine makes of a person
            if case.state != State.CLOSED:
                raise MACHINE.conflict(case, "wrong_state", _("只有已结案的事件才能重办"))
            if case.rating != Rating.UNSATISFIED:
                raise MACHINE.conflict(case, "not_allowed_now", _("只有评价为不满意的事件才能重办"))
            if not reason:
                raise DomainError("required", _("重办必须填写原因"), "reason")
        check = actor is not None
        with MACHINE.transition(
            case, "reopen", by=actor, reason=reason, fields=REOPEN_FIELDS, check=check
        ) as s:
            window = timedelta(days=case.category.reopen_window_days)
            if s.at > (case.rated_at or case.closed_at) + window:
                raise Conflict(
                    "reopen_window_passed",
                    _("已超过 %(days)s 天的重办期限") % {"days": case.category.reopen_window_days},
                    "state",
                )
            case.reopen_count += 1
            case.lead_unit = None
            case.resolved_at = case.verified_at = case.closed_at = case.rated_at = None
            case.rating, case.rating_comment = "", ""
            disarm(case, RESPONSE, RESOLUTION)
            s.data = {"reopen_count": case.reopen_count}
        tell_case(
            area_staff(case.handling_area.code),
            Kind.REOPENED,
            case,
            gettext_lazy("居民不满意，已重办"),
            reason,
        )
    return case


# ---------------------------------------------------------------- tiers, whistle, extension


def escalate(case: Case, by: User | None, reason, *, auto: bool = False) -> None:
    """上报上级: move ``case`` (locked by the caller) one level up to that level's command centre — by a
    dispatcher (checked), or by the sweep (``by=None``, ``auto``)."""
    with MACHINE.transition(case, "escalate", by=by, reason=reason, check=by is not None, fields=[]) as s:
        before_level = case.level
        case.level = NEXT_LEVEL[case.level]
        case.handling_area = _ancestor(case, case.level)
        case.escalation_count += 1
        s.fields += ["level", "handling_area", "escalation_count"]
        if auto:
            case.auto_escalated_at = s.at
            s.fields.append("auto_escalated_at")
        s.data = {"from_level": before_level, "to_level": case.level, "auto": auto}
    why = reason if isinstance(reason, str) else gettext_lazy(reason.msgid)  # a sweep's message
    tell_case(
        area_staff(case.handling_area.code),
        Kind.ESCALATION,
        case,
        gettext_lazy("升级至%(area)s处置"),
        why,
        params={"area": case.handling_area.name},
    )


def case_escalate(*, ref: str, by: User, reason: str) -> Case:
    """上报上级 by a dispatcher (reason required)."""
    reason = cleaners.text(reason, "reason", limit=REASON_LIMIT)
    with transaction.atomic():
        case = MACHINE.lock(by, ref=ref)
        escalate(case, by, reason)
    return case


def case_whistle(
    *, ref: str, by, unit_ids, lead_unit_id: int, report_hours: Decimal | float | None = None, note: str = ""
) -> Case:
    """吹哨: summon several units, naming the lead; each must report (报到) within ``report_hours``."""
    hours = Decimal(str(report_hours if report_hours is not None else settings.WHISTLE_REPORT_HOURS))
    if hours <= 0 or hours > 72:
        raise DomainError("invalid", _("报到时限须在 0 到 72 小时之间"), "report_hours")
    note = cleaners.text(note, "note", limit=limit(Whistle, "note"))
    with transaction.atomic():
        case = MACHINE.lock(by, ref=ref)
        s = MACHINE.begin(case, "whistle", by=by, note=note)
        units = _units(unit_ids, "unit_ids")
        lead = _units([lead_unit_id], "lead_unit_id")[0]
        if lead.pk not in {u.pk for u in units}:
            units.insert(0, lead)
        if len(units) < 2:
            raise DomainError("invalid", _("吹哨至少召集两个单位"), "unit_ids")
        assists = [u for u in units if u.pk != lead.pk]
        now = s.at
        if case.state in (State.CLAIMED, State.IN_PROGRESS):
            if case.lead_unit_id != lead.pk:
                raise DomainError(
                    "invalid",
                    _("事件已由%(unit)s签收办理，牵头单位须为该单位") % {"unit": case.lead_unit},
                    "lead_unit_id",
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
            _dispatched(case, lead, now)
        whistler_level = by.area.level if by.area_id else "district"
        if whistler_level in ("street", "district") and (
            case.level in ("grid", "community") or whistler_level == "district" and case.level == "street"
        ):
            case.level = whistler_level
            case.handling_area = _ancestor(case, whistler_level)
        whistle = Whistle.objects.create(
            case=case,
            by=by,
            at=now,
            lead_unit=lead,
            note=note,
            report_due=add_limit(now, hours, LimitUnit.URGENT_HOURS).due,
        )
        WhistleCall.objects.bulk_create([WhistleCall(whistle=whistle, unit=u) for u in units])
        s.data = {
            "lead_unit": lead.name,
            "units": [u.name for u in units],
            "report_due": whistle.report_due.isoformat(),
        }
        MACHINE.complete(case, s)
        tell_case(
            unit_handlers(u.pk for u in units),
            Kind.WHISTLE,
            case,
            gettext_lazy("吹哨报到"),
            gettext_lazy("牵头单位：%(lead)s；请于 %(due)s 前报到。%(note)s"),
            params={
                "lead": lead.name,
                "due": f"{timezone.localtime(whistle.report_due):%m-%d %H:%M}",
                "note": note,
            },
        )
    return case


def case_report_in(*, ref: str, by: User, note: str = "") -> Case:
    """报到: a summoned unit reports in (kept on the timeline as ``report_in``)."""
    note = cleaners.text(note, "note", limit=REASON_LIMIT)
    with transaction.atomic():
        case = MACHINE.lock(by, ref=ref)
        before = MACHINE.require(by, case, "report")
        now = timezone.now()
        calls = list(
            WhistleCall.objects.select_for_update().filter(
                whistle__case=case, unit_id=by.unit_id, reported_at__isnull=True
            )
        )
        for call in calls:
            call.reported_at, call.reported_by = now, by
            call.save(update_fields=["reported_at", "reported_by"])
        late = any(now > c.whistle.report_due for c in calls)
        case_step(case, by, "report_in", before, note, data={"unit": by.unit.name, "late": late})
    return case


def case_extend(*, ref: str, by: User, amount: Decimal | float | int, reason: str) -> Case:
    """延期: the dispatcher grants more time, in the category's resolution unit; counted. The extension is
    kept on the timeline, and the resolution clock's declared limit adds it again wherever it is computed."""
    reason = cleaners.text(reason, "reason", limit=REASON_LIMIT)
    fields = [*deadline_fields(Case, RESOLUTION), "extension_count"]
    with transaction.atomic():
        case = MACHINE.lock(by, ref=ref)
        with MACHINE.transition(case, "extend", by=by, reason=reason, fields=fields) as s:
            try:
                amount = Decimal(str(amount))
            except ArithmeticError as exc:
                raise DomainError("invalid", _("延期时长必须是数字"), "amount") from exc
            if not amount.is_finite() or amount <= 0 or amount > 365:
                raise DomainError("invalid", _("延期时长必须大于 0"), "amount")
            cat = case.category
            old_due = case.resolution_due
            d = add_limit(old_due, amount, cat.resolution_unit)
            warn_at = warn_moment(case.dispatched_at, d.due, cat.warning_ratio, cat.resolution_unit)
            sla = case.sla
            arm(case, RESOLUTION, due=Due(d.due, warn_at, case.deadline_provisional or d.provisional))
            if case.state == State.DISPATCHED:  # the response clock runs on: its colour stays
                case.sla = sla
            case.extension_count += 1
            s.data = {
                "amount": str(amount),
                "unit": cat.resolution_unit,
                "from": old_due.isoformat(),
                "to": d.due.isoformat(),
            }
    return case
