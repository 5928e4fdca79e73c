"""Writes of the Open311 interface: issuing, rotating and revoking client applications' keys, checking a
key on a report, and the report itself (through the normal intake, ``cases.actions.case_report``)."""

from __future__ import annotations

import hmac
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from gridgov.accounts.models import User
from gridgov.areas import lookup
from gridgov.cases.actions import case_report
from gridgov.cases.models import Case, Channel
from gridgov.core import audit, cleaners, ratelimit
from gridgov.core.crypto import blind_index, blind_indexes
from gridgov.core.errors import DomainError, Throttled
from gridgov.ledger import places
from gridgov.open311 import cache, selectors, tokens
from gridgov.open311.models import ClientApp
from gridgov.open311.params import number

KEY_PREFIX_BYTES = 5  # 10 hex characters, stored in clear to find the application
KEY_SECRET_BYTES = 32  # 256 bits, of which only a keyed hash is stored
TOUCH_SECONDS = 60  # last_used_at is written at most once a minute per process
RATE_SCOPE = "open311"  # the per-application rate limit's counter (core.ratelimit)
KEY_LIMIT = 100  # the longest api_key looked at (a real one is 54 characters)
IDEMPOTENCY_KEY_LIMIT = 100
CJK = re.compile(r"[\u3400-\u9fff]")

# ---------------------------------------------------------------- keys


def _new_key() -> tuple[str, str]:
    """A fresh key and its prefix: ``<prefix>.<secret>``."""
    prefix = secrets.token_hex(KEY_PREFIX_BYTES)
    return prefix, f"{prefix}.{secrets.token_urlsafe(KEY_SECRET_BYTES)}"


def _admin_only(by: User | None) -> None:
    if by is not None and not (by.is_active and (by.is_superuser or getattr(by, "is_admin", False))):
        raise DomainError("forbidden", _("只有系统管理员可以管理 Open311 客户端应用"), status=403)


def client_app_create(
    *, by: User | None, name: str, contact: str = "", rate_limit: int | None = None
) -> tuple[ClientApp, str]:
    """Register a client application and issue its key. The key is returned once: only its prefix and
    keyed hash are stored. ``by`` is ``None`` on the command line."""
    _admin_only(by)
    name = cleaners.text(name, "name", limit=cleaners.limit(ClientApp, "name"), required=_("请填写应用名称"))
    contact = cleaners.text(contact, "contact", limit=cleaners.limit(ClientApp, "contact"))
    if rate_limit is not None:
        rate_limit = cleaners.integer(
            rate_limit, "rate_limit", label=_("每分钟上报上限"), low=0, high=100_000
        )
    prefix, key = _new_key()
    with transaction.atomic():
        if ClientApp.objects.filter(name=name).exists():
            raise DomainError(
                "name_taken", _("已有名为「%(name)s」的应用") % {"name": name}, "name", status=409
            )
        app = ClientApp.objects.create(
            name=name,
            contact=contact,
            key_prefix=prefix,
            key_hash=blind_index(key),
            key_issued_at=timezone.now(),
            **({"rate_limit": rate_limit} if rate_limit is not None else {}),
        )
        audit.record(
            actor=by,
            verb="open311.app.create",
            obj=app,
            after={"name": app.name, "key_prefix": prefix, "rate_limit": app.rate_limit},
        )
    return app, key


def client_app_rotate_key(*, by: User | None, app: ClientApp) -> str:
    """Issue a new key to ``app`` (active again if it was revoked); the old key stops working at once in
    this process and within ``cache.APP_SECONDS`` in the others."""
    _admin_only(by)
    prefix, key = _new_key()
    with transaction.atomic():
        app = ClientApp.objects.select_for_update().get(pk=app.pk)
        before = {"key_prefix": app.key_prefix, "is_active": app.is_active}
        app.key_prefix, app.key_hash, app.key_issued_at = prefix, blind_index(key), timezone.now()
        app.is_active, app.revoked_at = True, None
        app.save(update_fields=["key_prefix", "key_hash", "key_issued_at", "is_active", "revoked_at"])
        audit.record(
            actor=by,
            verb="open311.app.rotate_key",
            obj=app,
            before=before,
            after={"key_prefix": prefix, "is_active": True},
        )
    return key


def client_app_revoke(*, by: User | None, app: ClientApp, reason: str = "") -> ClientApp:
    """Revoke ``app``'s key: its reports are refused (403) until a new key is issued."""
    _admin_only(by)
    reason = cleaners.text(reason, "reason", limit=cleaners.REASON_LIMIT)
    with transaction.atomic():
        app = ClientApp.objects.select_for_update().get(pk=app.pk)
        if app.is_active:
            app.is_active, app.revoked_at = False, timezone.now()
            app.save(update_fields=["is_active", "revoked_at"])
            audit.record(
                actor=by,
                verb="open311.app.revoke",
                obj=app,
                before={"is_active": True},
                after={"is_active": False},
                reason=reason,
            )
    return app


# ---------------------------------------------------------------- a report's key

_FIELDS = [f.attname for f in ClientApp._meta.concrete_fields]
_touched: dict[str, float] = {}  # by key prefix: when this process last wrote last_used_at


def _row(prefix: str) -> tuple | None:
    return cache.get(
        ("app", prefix),
        cache.APP_SECONDS,
        lambda: ClientApp.objects.filter(key_prefix=prefix).values_list(*_FIELDS).first(),
    )


def _refused(request, message: str, code: str) -> DomainError:
    # a wrong key counts like a failed sign-in from that address, so keys cannot be tried at speed
    ratelimit.limit(request, "signin")
    return DomainError(code, message, "api_key", status=403)


def client_app_authenticate(*, request, key: str | None) -> ClientApp:
    """The active application whose key this is (403 otherwise), within its rate limit (429 over it).
    Marks it used (``last_used_at``, at most once a minute per process)."""
    key = (key or "").strip()
    if not key:
        raise _refused(request, _("请提供 api_key（向平台管理员申请）"), "api_key_required")
    prefix = key.split(".", 1)[0]
    row = _row(prefix) if len(key) <= KEY_LIMIT and "." in key else None
    app = ClientApp.from_db("default", _FIELDS, row) if row is not None else None
    given = blind_indexes(key) if app is not None else []
    if app is None or not any(hmac.compare_digest(app.key_hash, h) for h in given):
        raise _refused(request, _("api_key 无效"), "invalid_api_key")
    if not app.is_active:
        raise _refused(request, _("api_key 已被吊销，请向平台管理员申请新的密钥"), "revoked_api_key")
    if app.rate_limit:
        counted = ratelimit.hit(
            RATE_SCOPE, f"app:{app.pk}", limit=app.rate_limit, seconds=settings.RATE_LIMIT_WINDOW_SECONDS
        )
        if counted.exceeded:
            raise Throttled(
                "rate_limited",
                _("请求过于频繁，请 %(seconds)s 秒后再试") % {"seconds": counted.retry_after},
                None,
                extra={"retry_after": counted.retry_after},
            )
    _touch(app, rehash=given[0] if given[0] != app.key_hash else None)
    return app


def _touch(app: ClientApp, rehash: str | None) -> None:
    """Note that the application reported; after a rotation of the field key, keep its key's hash under the
    newest key (matching still tries every configured key until then)."""
    now = time.monotonic()
    if rehash is None and now - _touched.get(app.key_prefix, -TOUCH_SECONDS) < TOUCH_SECONDS:
        return
    _touched[app.key_prefix] = now
    changes: dict[str, Any] = {"last_used_at": timezone.now()}
    if rehash is not None:
        changes["key_hash"] = rehash
    ClientApp.objects.filter(pk=app.pk).update(**changes)
    if rehash is not None:
        cache.drop(lambda k: k == ("app", app.key_prefix))


# ---------------------------------------------------------------- a report


@dataclass
class Submitted:
    case: Case
    token: str
    created: bool


# The intake's names of what it refuses, as an Open311 client named them.
FIELD_NAMES = {
    "category": "service_code",
    "lng": "long",
    "reporter_phone": "phone",
    "reporter_name": "first_name",
    "anonymous": "phone",
    "idempotency_key": "Idempotency-Key",
    "address": "address_string",
}


def _open311_field(field: str | None) -> str | None:
    if field is None:
        return None
    if field.startswith("photos"):
        return "media" + field[len("photos") :]
    return FIELD_NAMES.get(field, field)


def _name(first: str, last: str) -> str:
    """The reporter's name: family name first without a space for Chinese names, else "first last"."""
    if CJK.search(first + last):
        return f"{last}{first}"
    return " ".join(part for part in (first, last) if part)


def _idempotency_key(app: ClientApp, given: str | None) -> str | None:
    """The intake's key for a client's ``Idempotency-Key``: per application, and not the client's text (a
    keyed hash), so no other client can guess it."""
    given = (given or "").strip()
    if not given:
        return None
    if len(given) > IDEMPOTENCY_KEY_LIMIT:
        raise DomainError(
            "invalid",
            _("幂等键不能超过 %(limit)s 个字符") % {"limit": IDEMPOTENCY_KEY_LIMIT},
            "Idempotency-Key",
        )
    return "o311:" + salted_hmac("gridgov.open311.idempotency", f"{app.pk}:{given}").hexdigest()


def request_submit(
    *,
    app: ClientApp,
    jurisdiction: str,
    fields: Mapping[str, str],
    attributes: Mapping[str, Any],
    media: list | None = None,
    idempotency_key: str | None = None,
) -> Submitted:
    """``POST requests``: one report from a client application, taken in by the normal intake (channel
    ``open311``; checks, grid placement, idempotency, duplicate suggestions), which keeps the application
    and the building named as the place with its first step. A repeated ``Idempotency-Key`` of the same
    application answers with the case made the first time."""
    code = cleaners.text(
        fields.get("service_code"), "service_code", limit=40, required=_("请提供 service_code")
    )
    category = selectors.service(code)
    if category is None:
        raise DomainError(
            "invalid_service_code", _("没有代码为「%(code)s」的服务") % {"code": code}, "service_code"
        )
    lat = number(fields.get("lat"), "lat", -90, 90)
    lng = number(fields.get("long"), "long", -180, 180)
    if (lat is None) != (lng is None):
        raise DomainError("required", _("lat 和 long 须一起提供"), "long" if lng is None else "lat")
    address = cleaners.text(
        fields.get("address_string"), "address_string", limit=cleaners.limit(Case, "address")
    )
    building = None
    if (fields.get("address_id") or "").strip():
        building = selectors.building_by_id(jurisdiction, fields["address_id"])
    elif lat is None and address:
        building = places.building_at_address(address, within=jurisdiction)
    if lat is None and building is not None:
        lng, lat = places.building_point(building)
    if lat is None and building is None:
        if not address:
            raise DomainError("required", _("请提供位置：lat 和 long、address_string 或 address_id"), "lat")
        elif len(selectors.district_codes()) > 1:
            raise DomainError(
                "address_not_found",
                _("找不到地址「%(address)s」，请提供 lat 和 long") % {"address": address[:60]},
                "address_string",
            )
    if lat is not None:
        grid = lookup.grid_at(lng, lat)
        if grid is None or not grid.code.startswith(jurisdiction):
            raise DomainError("outside_jurisdiction", _("该位置不在本辖区的网格内"), "lat")
    if building is not None and not address:
        address = building.address or building.name
    first = cleaners.text(fields.get("first_name"), "first_name", limit=cleaners.limit(Case, "reporter_name"))
    last = cleaners.text(fields.get("last_name"), "last_name", limit=cleaners.limit(Case, "reporter_name"))
    name, most = _name(first, last), cleaners.limit(Case, "reporter_name")
    if len(name) > most:
        raise DomainError("too_long", _("姓名不能超过 %(limit)s 个字") % {"limit": most}, "first_name")
    phone = (fields.get("phone") or "").strip()
    key = _idempotency_key(app, idempotency_key)
    try:
        intake = case_report(
            by=None,
            category_code=category.code,
            description=fields.get("description") or "",
            lng=lng,
            lat=lat,
            address=address,
            reporter_name=name,
            reporter_phone=phone,
            anonymous=not phone and category.anonymous_allowed,
            channel=Channel.OPEN311,
            photos=media or None,
            idempotency_key=key,
            attributes=attributes,
            source={"client_app": app.pk, **({"building": building.pk} if building is not None else {})},
        )
    except DomainError as exc:
        exc.field = _open311_field(exc.field)
        raise
    return Submitted(case=intake.case, token=tokens.token_for(intake.case.ref), created=intake.created)
