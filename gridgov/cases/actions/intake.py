"""Intake (found by grid workers, called in by residents): reports from residents, grid workers and the hotline, and photos added later."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts.models import Role, User
from gridgov.areas.models import Area, Level
from gridgov.cases import category_cache
from gridgov.cases.actions.shared import hash_token
from gridgov.cases.attributes import clean_attributes
from gridgov.cases.events import event_rows, published
from gridgov.cases.events import step as case_step
from gridgov.cases.models import (
    OPEN_STATES,
    Case,
    CaseReporter,
    Channel,
    RefCounter,
)
from gridgov.cases.workflow import MACHINE, actions_in_state
from gridgov.core import events, uploads
from gridgov.core.crypto import blind_index
from gridgov.core.db import insert_together, prepared_statements
from gridgov.core.errors import Conflict, DomainError
from gridgov.core.models import Upload
from gridgov.core.scope import in_scope
from gridgov.core.sequences import next_ref
from gridgov.core.validators import normalise_phone

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
            raise DomainError(
                "invalid_grid", _("网格 %(code)s 不存在或不在您的管辖范围内") % {"code": grid_code}, "grid"
            )
        return area.parent if area.level == Level.MICROGRID else area
    districts = list(Area.objects.filter(level=Level.DISTRICT, is_active=True)[:2])
    if len(districts) != 1:
        raise DomainError("required", _("请在地图上标注位置"), "lat")
    return districts[0]


def _address_point(address: str) -> tuple[float | None, float | None]:
    """A report without a point whose address names one building of the ledger is placed at that building
    (so it reaches the building's grid, not the district); otherwise it stays without a point."""
    from gridgov.areas.lookup import grid_at
    from gridgov.ledger.places import place_of_address

    point = place_of_address(address)
    if point is None or grid_at(*point) is None:
        return None, None
    return point


def _case_with_idempotency_key(key: str) -> Case | None:
    """The case an earlier attempt with this key made, looked up when an intake fails: a one-column read on
    the unique index; the case itself is loaded only when there is one."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {Case._meta.db_table} WHERE idempotency_key = %s", [key])
        row = cursor.fetchone()
    return Case.objects.get(pk=row[0]) if row else None


def case_report(
    *,
    by: User | None,
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
    attributes: Mapping[str, Any] | None = None,
    source: Mapping[str, Any] | None = None,
) -> Intake:
    """Take in one report. One transaction; a repeated ``idempotency_key`` returns the case made the
    first time instead of a second one.

    ``attributes`` are the values for the category's attributes (``cases.attributes``: code → value), from
    a channel that asks for them (Open311): each is checked and required ones are enforced. ``None`` is a
    channel that does not ask (the report page, a visit, the hotline): nothing is checked or stored.
    ``source`` is what the channel knows of where the report came from (Open311: the client application
    and the building named as the place), kept with the channel in the data of the intake's step."""
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
            attributes=attributes,
            source=source,
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
    attributes: Mapping[str, Any] | None,
    source: Mapping[str, Any] | None,
) -> Intake:
    """case_report's checks and writes, for a report that is not yet known to be a retry."""
    category = category_cache.active_category(category_code)
    if category is None:
        raise DomainError(
            "invalid_category", _("事项分类「%(code)s」不存在") % {"code": category_code}, "category"
        )
    description = (description or "").strip()
    if len(description) < 5:
        raise DomainError("required", _("请描述问题（至少 5 个字）"), "description")
    if len(description) > 2000:
        raise DomainError("too_long", _("描述不能超过 2000 字"), "description")
    values = clean_attributes(category, attributes) if attributes is not None else {}
    address = (address or "").strip()[:200]
    is_staff = user is not None and user.role not in (Role.RESIDENT, Role.VOLUNTEER, Role.UNIT)
    if channel is None:
        channel = Channel.GRID_WORKER if is_staff else Channel.PORTAL
    if channel not in Channel.values:
        raise DomainError("invalid", _("来源「%(source)s」无效") % {"source": channel}, "channel")
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
            raise DomainError(
                "anonymous_not_allowed",
                _("「%(category)s」类事项不能匿名上报") % {"category": category.name},
                "anonymous",
            )
        name, phone = "", ""
    elif (user is None or is_staff) and not phone:
        raise DomainError("required", _("请留下联系电话，以便回访"), "reporter_phone")
    if lng is None and lat is None and not grid_code and address:
        lng, lat = _address_point(address)
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
            attributes=values,
            reported_at=reported_at or now,
            idempotency_key=key,
        )
        token = secrets.token_urlsafe(16)
        case.rate_token_hash = hash_token(token)
        reporter = CaseReporter(
            case=case,
            source=case,
            user=case.reporter,
            name=name,
            phone=phone,
            phone_hash=case.reporter_phone_hash,
        )
        data = {**(source or {}), "channel": channel}
        event, entry = event_rows(case, user, "report", "", data=data, at=now)
        # without photos (and without anyone outside to tell) the four rows are one statement
        # (PostgreSQL), in a transaction of its own
        told = events.interested("cases.case")
        with transaction.atomic() if checked or told else nullcontext():
            insert_together(case, (reporter, ("case", "source")), (event, ("case",)), (entry, ()))
            uploads.save(checked, owner=case, role=Upload.Role.PHOTO, step=event, by=user, at=now)
            if told:
                published(event)
    from gridgov.cases.selectors import duplicate_candidates

    return Intake(
        case=case,
        created=True,
        rate_token=token,
        duplicates=[c.ref for c in duplicate_candidates(case, user)],
    )


def case_add_photos(*, ref: str, by: User, photos: list) -> int:
    """Add material: the reporter or staff in scope add photos to an open case."""
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
