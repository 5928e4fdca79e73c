"""One-time sign-in codes sent to a mobile number (residents' sign-in, docs/residents.md).

A code is six digits from :mod:`secrets`. Only keyed hashes are stored (``SignInCode``: the number's
``blind_index`` and the code's HMAC keyed by the number), so neither the number nor the code can be read back
from the database. A code lives ``CODE_TTL_SECONDS``, works once, and dies after ``CODE_ATTEMPTS`` wrong
tries; verifying compares hashes in constant time. Sending is limited per number
(one per ``CODE_PHONE_INTERVAL_SECONDS``, ``CODE_PHONE_PER_HOUR`` an hour; counted from the rows) and per
client address (``core.ratelimit``, class ``code``).

Delivery goes through the sender named by ``CODE_SENDER`` (a dotted path to a class with
``send(phone, code)``): :class:`LogSender`, the default, writes the code to the server log with the number
masked — for the demo and development only; :class:`GatewaySender` posts it to the SMS gateway
(``GRIDGOV_SMS_GATEWAY_URL``, signed like the notifications' SMS, ``core.outbound``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import math
import re
import secrets
from datetime import timedelta
from functools import lru_cache

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from gridgov.accounts.models import SignInCode
from gridgov.core import outbound, ratelimit
from gridgov.core.crypto import blind_index, blind_indexes, mask_phone
from gridgov.core.errors import DomainError, Throttled
from gridgov.core.validators import MOBILE_RE, normalise_phone

log = logging.getLogger(__name__)

CODE_DIGITS = 6


class SendFailed(DomainError):
    status = 503


class LogSender:
    """Writes the code to the server log (``gridgov.accounts.codes``), the number masked. Demo only: anyone
    who reads the log can sign in as anyone who asks for a code."""

    def send(self, phone: str, code: str) -> None:
        log.warning("sign-in code for %s: %s", mask_phone(phone), code)


class GatewaySender:
    """Posts ``{"id", "to", "text", "kind": "sign_in_code"}`` to the SMS gateway, signed with its secret."""

    def send(self, phone: str, code: str) -> None:
        url = settings.SMS_GATEWAY_URL
        keys = [s for s in re.split(r"[\s,]+", settings.SMS_GATEWAY_SECRET or "") if s]
        if not url or not keys:
            log.error("sign-in code not sent: no SMS gateway is configured")
            raise SendFailed("send_failed", _("验证码发送失败，请稍后再试"), "phone")
        msg_id = "code_" + secrets.token_hex(12)
        text = _("您的登录验证码为 %(code)s，%(minutes)s 分钟内有效。请勿告诉他人。") % {
            "code": code,
            "minutes": max(1, settings.CODE_TTL_SECONDS // 60),
        }
        body = json.dumps(
            {"id": msg_id, "to": phone, "text": text, "kind": "sign_in_code"},
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
        try:
            destination = outbound.check_destination(url)
            answer = outbound.post(
                destination,
                body,
                outbound.signed_headers(keys, msg_id, body),
                timeout=settings.GATEWAY_TIMEOUT,
            )
        except (outbound.Refused, ValueError) as exc:
            log.error("sign-in code not sent: %s", type(exc).__name__)
            raise SendFailed("send_failed", _("验证码发送失败，请稍后再试"), "phone") from exc
        if not answer.ok:
            log.error("sign-in code not sent: the gateway answered %s", answer.status)
            raise SendFailed("send_failed", _("验证码发送失败，请稍后再试"), "phone")


@lru_cache(maxsize=4)
def _sender_class(path: str):
    return import_string(path)


def sender():
    return _sender_class(settings.CODE_SENDER)()


def mobile(phone: str, field: str = "phone") -> str:
    """A mainland mobile number (11 digits), or a clear refusal: codes go by SMS, so no landline."""
    phone = normalise_phone(phone, field)
    if not phone:
        raise DomainError("required", _("请输入手机号"), field)
    if not MOBILE_RE.match(phone):
        raise DomainError("invalid_phone", _("请输入 11 位手机号（验证码以短信发送）"), field)
    return phone


def _code_hash(phone_hash: str, code: str) -> str:
    return hmac.new(phone_hash.encode(), code.encode(), hashlib.sha256).hexdigest()


def _wait(seconds: float) -> Throttled:
    retry = max(1, math.ceil(seconds))
    return Throttled(
        "code_rate_limited",
        _("验证码发送过于频繁，请 %(seconds)s 秒后再试") % {"seconds": retry},
        "phone",
        extra={"retry_after": retry},
    )


def code_send(*, phone: str, request) -> SignInCode:
    """Send a new sign-in code to ``phone`` (a refusal names the field; 429 with ``retry_after`` when too
    soon). Earlier unused codes of the number die: only the newest works."""
    phone = mobile(phone)
    ratelimit.limit(request, "code")
    phone_hash = blind_index(phone)
    now = timezone.now()
    with transaction.atomic():
        recent = list(
            SignInCode.objects.select_for_update()
            .filter(phone_hash__in=blind_indexes(phone), created_at__gt=now - timedelta(hours=1))
            .order_by("-created_at")
            .values_list("created_at", flat=True)
        )
        interval = timedelta(seconds=settings.CODE_PHONE_INTERVAL_SECONDS)
        if recent and now - recent[0] < interval:
            raise _wait((recent[0] + interval - now).total_seconds())
        if len(recent) >= settings.CODE_PHONE_PER_HOUR:
            raise _wait((recent[settings.CODE_PHONE_PER_HOUR - 1] + timedelta(hours=1) - now).total_seconds())
        code = "".join(secrets.choice("0123456789") for _i in range(CODE_DIGITS))
        SignInCode.objects.filter(phone_hash__in=blind_indexes(phone), used_at__isnull=True).update(
            used_at=now
        )
        row = SignInCode.objects.create(
            phone_hash=phone_hash,
            code_hash=_code_hash(phone_hash, code),
            created_at=now,
            expires_at=now + timedelta(seconds=settings.CODE_TTL_SECONDS),
        )
        # Inside the transaction: a code that could not be delivered is not counted against the number.
        sender().send(phone, code)
    return row


def code_verify(*, phone: str, code: str) -> str:
    """Use the newest live code of ``phone``; return the normalised number. A wrong code counts a try (the
    code dies at ``CODE_ATTEMPTS``); an expired, used or dead code is refused, each with its own reason."""
    phone = mobile(phone)
    code = (code or "").strip()
    if not code:
        raise DomainError("required", _("请输入验证码"), "code")
    if len(code) != CODE_DIGITS or not code.isdigit():
        raise DomainError("invalid_code", _("验证码为 6 位数字"), "code")
    now = timezone.now()
    wrong = False
    with transaction.atomic():
        row = (
            SignInCode.objects.select_for_update()
            .filter(phone_hash__in=blind_indexes(phone), purpose=SignInCode.Purpose.SIGN_IN)
            .order_by("-created_at")
            .first()
        )
        if row is None:
            raise DomainError("no_code", _("请先获取验证码"), "code")
        if row.used_at is not None:
            raise DomainError("code_used", _("验证码已使用或已失效，请重新获取"), "code")
        if row.attempts >= settings.CODE_ATTEMPTS:
            raise DomainError("code_dead", _("验证码错误次数过多，已失效，请重新获取"), "code")
        if row.expires_at <= now:
            raise DomainError("code_expired", _("验证码已过期，请重新获取"), "code")
        if hmac.compare_digest(row.code_hash, _code_hash(row.phone_hash, code)):
            row.used_at = now
            row.save(update_fields=["used_at"])
        else:
            row.attempts += 1
            row.save(update_fields=["attempts"])
            wrong = True
    if wrong:
        left = settings.CODE_ATTEMPTS - row.attempts
        if left <= 0:
            raise DomainError("code_dead", _("验证码错误次数过多，已失效，请重新获取"), "code")
        raise DomainError("wrong_code", _("验证码不正确，还可尝试 %(left)s 次") % {"left": left}, "code")
    return phone


def ttl_minutes() -> int:
    return max(1, settings.CODE_TTL_SECONDS // 60)
