"""Every write of the webhooks module: one function per change, each checking who acts and what, in one
transaction with its audit entry. Secrets never reach the audit log.

Who may act is the selectors' rule (``may_manage``): admins anywhere; district, street and community staff
for areas in their scope; unit handlers for their own unit only. A subscription out of scope is 404.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.accounts.models import Unit, User
from gridgov.areas.models import Area
from gridgov.core import audit, cleaners, outbound, outbox
from gridgov.core.errors import Conflict, DomainError, NotFound
from gridgov.core.models import OutboxMessage
from gridgov.core.scope import in_scope, is_command_staff
from gridgov.hooks import fanout
from gridgov.hooks.fanout import CHANNEL
from gridgov.hooks.models import Disabled, Subscription
from gridgov.hooks.selectors import (
    is_unit_handler,
    may_manage,
    require_webhooks,
    subscription_get_visible,
)
from gridgov.hooks.subjects import type_names

DISABLED_TITLE = gettext_lazy("外部推送订阅“%(name)s”已停用")
DISABLED_BODY = gettext_lazy("原因：%(reason)s（%(detail)s）。修复接收端后可在订阅页面重新启用，并从发送记录中重发。")  # fmt: skip


def secret_overlap() -> timedelta:
    """How long the previous secret keeps signing after a rotation (``WEBHOOK_SECRET_OVERLAP_HOURS``)."""
    return timedelta(hours=settings.WEBHOOK_SECRET_OVERLAP_HOURS)


# ---------------------------------------------------------------- input


def _name(value) -> str:
    return cleaners.text(
        value, "name", limit=cleaners.limit(Subscription, "name"), required=True, label=_("名称")
    )


def _url(value) -> str:
    """The URL, refused at once when it leads where the server must never send (``core.outbound``)."""
    url = cleaners.text(
        value, "url", limit=cleaners.limit(Subscription, "url"), required=True, label=_("推送地址")
    )
    try:
        outbound.check_destination(url)
    except outbound.Refused as exc:
        raise DomainError("refused_destination", str(exc), "url") from exc
    return url


def _event_types(value) -> list[str]:
    if isinstance(value, str):
        value = [v for v in value.replace(",", " ").split() if v]
    if not isinstance(value, list | tuple) or not value:
        raise DomainError("required", _("请至少选择一种事件类型"), "event_types")
    known = type_names()
    kinds: list[str] = []
    for kind in value:
        kind = str(kind).strip()
        if kind not in known:
            raise DomainError(
                "unknown_event_type", _("未知的事件类型：%(type)s") % {"type": kind[:60]}, "event_types"
            )
        if kind not in kinds:
            kinds.append(kind)
    return kinds


def _scope(by: User, area, unit) -> tuple[Area | None, Unit | None]:
    """The subscription's scope: an area (admins, and command staff within their scope) or a unit (admins,
    and a unit's handlers for their own unit)."""
    area = (str(area).strip() or None) if area is not None else None
    unit_id = None
    if unit not in (None, ""):
        try:
            unit_id = int(unit)
        except (TypeError, ValueError):
            raise DomainError("invalid", _("单位无效"), "unit") from None
    if is_unit_handler(by) and not by.is_admin:
        if area is not None:
            raise DomainError("forbidden", _("单位只能订阅与本单位有关的事件"), "area", status=403)
        if unit_id is not None and unit_id != by.unit_id:
            raise DomainError("forbidden", _("单位只能管理本单位的推送订阅"), "unit", status=403)
        return None, by.unit
    if area is not None and unit_id is not None:
        raise DomainError("invalid", _("区域和单位只能选择一个"), "unit")
    if unit_id is not None:
        if not by.is_admin:
            raise DomainError("forbidden", _("只有管理员可以为单位创建推送订阅"), "unit", status=403)
        found = Unit.objects.filter(pk=unit_id).first()
        if found is None:
            raise NotFound(_("单位不存在"), field="unit")
        return None, found
    if area is None:
        raise DomainError("required", _("请选择区域"), "area")
    found = Area.objects.filter(code=area, is_active=True).first()
    if found is None or not (by.is_admin or (is_command_staff(by) and in_scope(by, found.code))):
        raise NotFound(_("区域 %(code)s 不存在或不在您的管辖范围内") % {"code": area[:18]}, field="area")
    return found, None


def _shown(sub: Subscription) -> dict:
    """What the audit log keeps of a subscription (never its secrets)."""
    return {
        "name": sub.name,
        "url": sub.url,
        "event_types": list(sub.event_types),
        "area": sub.area_code or None,
        "unit": sub.unit_id,
        "is_active": sub.is_active,
    }


def _locked(by: User, pk) -> Subscription:
    """The subscription ``by`` may manage, locked for the change (404 when out of scope)."""
    require_webhooks(by)
    sub = subscription_get_visible(by, pk)
    if not may_manage(by, sub):
        raise NotFound(_("推送订阅不存在或不在您的管辖范围内"), field="id")
    return Subscription.objects.select_for_update(of=("self",)).select_related("area", "unit").get(pk=sub.pk)


# ---------------------------------------------------------------- changes


def subscription_create(
    *, by: User, name: str, url: str, event_types, area: str | None = None, unit: int | None = None
) -> tuple[Subscription, str]:
    """A new subscription; returns it with its secret (shown this once, stored encrypted)."""
    require_webhooks(by)
    name = _name(name)
    kinds = _event_types(event_types)
    area_row, unit_row = _scope(by, area, unit)
    url = _url(url)  # resolves the name: before the transaction
    secret = outbound.new_secret()
    now = timezone.now()
    with transaction.atomic():
        sub = Subscription.objects.create(
            name=name,
            url=url,
            event_types=kinds,
            area=area_row,
            area_code=area_row.code if area_row else "",
            unit=unit_row,
            secret=secret,
            created_by=by,
            created_at=now,
            updated_at=now,
        )
        audit.record(actor=by, verb="webhook.create", obj=sub, after=_shown(sub))
        fanout.invalidate()
    return sub, secret


def subscription_update(
    *, by: User, subscription: int, name: str | None = None, url: str | None = None, event_types=None
) -> Subscription:
    """Change a subscription's name, URL or event types (its scope stays; make a new one for another)."""
    require_webhooks(by)
    name = _name(name) if name is not None else None
    url = _url(url) if url is not None else None
    kinds = _event_types(event_types) if event_types is not None else None
    with transaction.atomic():
        sub = _locked(by, subscription)
        before = _shown(sub)
        fields = ["updated_at"]
        for field, value in (("name", name), ("url", url), ("event_types", kinds)):
            if value is not None:
                setattr(sub, field, value)
                fields.append(field)
        sub.updated_at = timezone.now()
        sub.save(update_fields=fields)
        audit.record(actor=by, verb="webhook.update", obj=sub, before=before, after=_shown(sub))
        fanout.invalidate()
    return sub


def subscription_rotate_secret(*, by: User, subscription: int) -> tuple[Subscription, str]:
    """A new current secret (returned this once); the previous one keeps signing beside it for
    :func:`secret_overlap`, then it is dropped. A secret older than that is dropped at once."""
    with transaction.atomic():
        sub = _locked(by, subscription)
        now = timezone.now()
        secret = outbound.new_secret()
        sub.previous_secret, sub.previous_until = sub.secret, now + secret_overlap()
        sub.secret, sub.updated_at = secret, now
        sub.save(update_fields=["secret", "previous_secret", "previous_until", "updated_at"])
        audit.record(
            actor=by,
            verb="webhook.rotate_secret",
            obj=sub,
            after={"previous_valid_until": sub.previous_until.isoformat()},
        )
    return sub, secret


def subscription_disable(*, by: User, subscription: int) -> Subscription:
    """Stop sending: pending deliveries are cancelled (they can be replayed from the log once enabled)."""
    with transaction.atomic():
        sub = _locked(by, subscription)
        if not sub.is_active:
            raise Conflict("already_disabled", _("推送订阅已停用"), "is_active")
        _disable(sub, Disabled.MANUAL, "")
        audit.record(actor=by, verb="webhook.disable", obj=sub, after={"reason": Disabled.MANUAL})
    return sub


def subscription_enable(*, by: User, subscription: int) -> Subscription:
    """Send again; the failure count and the reason it was disabled are cleared. The URL is checked again."""
    require_webhooks(by)
    current = subscription_get_visible(by, subscription)
    _url(current.url)
    with transaction.atomic():
        sub = _locked(by, subscription)
        if sub.is_active:
            raise Conflict("already_enabled", _("推送订阅已启用"), "is_active")
        sub.is_active = True
        sub.disabled_at, sub.disabled_reason, sub.disabled_detail = None, "", ""
        sub.failures, sub.last_error = 0, ""
        sub.updated_at = timezone.now()
        sub.save(
            update_fields=[
                "is_active",
                "disabled_at",
                "disabled_reason",
                "disabled_detail",
                "failures",
                "last_error",
                "updated_at",
            ]
        )
        audit.record(actor=by, verb="webhook.enable", obj=sub, after=_shown(sub))
        fanout.invalidate()
    return sub


def subscription_delete(*, by: User, subscription: int) -> None:
    """Remove a subscription; its pending deliveries are cancelled."""
    with transaction.atomic():
        sub = _locked(by, subscription)
        outbox.cancel(OutboxMessage.objects.filter(channel=CHANNEL, target=str(sub.pk)))
        audit.record(actor=by, verb="webhook.delete", obj=sub, before=_shown(sub))
        sub.delete()
        fanout.invalidate()


def delivery_replay(*, by: User, subscription: int, delivery: int) -> OutboxMessage:
    """Send a logged delivery again (same ``webhook-id``, so a receiver that has it can tell), now and with a
    fresh retry schedule. The subscription must be enabled; a delivery still pending is already on its way."""
    with transaction.atomic():
        sub = _locked(by, subscription)
        try:
            pk = int(delivery)
        except (TypeError, ValueError):
            raise NotFound(field="delivery") from None
        msg = (
            OutboxMessage.objects.select_for_update()
            .filter(pk=pk, channel=CHANNEL, target=str(sub.pk))
            .first()
        )
        if msg is None:
            raise NotFound(_("发送记录不存在"), field="delivery")
        if not sub.is_active:
            raise Conflict("disabled", _("推送订阅已停用，请先启用再重发"), "is_active")
        if msg.state == OutboxMessage.State.PENDING:
            raise Conflict("pending", _("该消息正在等待发送，无需重发"), "state")
        outbox.replay(msg)
        audit.record(
            actor=by,
            verb="webhook.replay",
            obj=sub,
            after={"delivery": msg.msg_id, "event_type": msg.event_type},
        )
    return msg


# ---------------------------------------------------------------- the system's


def _disable(sub: Subscription, reason: str, detail: str) -> None:
    now = timezone.now()
    sub.is_active, sub.disabled_at = False, now
    sub.disabled_reason, sub.disabled_detail = reason, (detail or "")[:300]
    sub.updated_at = now
    sub.save(update_fields=["is_active", "disabled_at", "disabled_reason", "disabled_detail", "updated_at"])
    outbox.cancel(OutboxMessage.objects.filter(channel=CHANNEL, target=str(sub.pk)))
    fanout.invalidate()


def owners(sub: Subscription) -> list[User]:
    """Who is told about a subscription: its creator, and for a unit's subscription the unit's handlers."""
    from gridgov.accounts.selectors import unit_handlers

    people = [sub.created_by] if sub.created_by_id else []
    if sub.unit_id:
        people += unit_handlers([sub.unit_id])
    return [p for p in people if p is not None and p.is_active]


def subscription_give_up(*, subscription: int, reason: str, detail: str = "") -> bool:
    """The sender gave a delivery up (410 Gone, a refused address, or the whole retry schedule failed):
    disable the subscription, cancel its pending deliveries and tell its owners. Called inside the sender's
    transaction; a subscription already disabled is left as it is. Returns whether it was disabled now."""
    from gridgov.notify.actions import notify
    from gridgov.notify.models import Kind

    with transaction.atomic():
        sub = (
            Subscription.objects.select_for_update(of=("self",))
            .select_related("created_by")
            .filter(pk=subscription, is_active=True)
            .first()
        )
        if sub is None:
            return False
        _disable(sub, reason, detail)
        audit.record(actor=None, verb="webhook.disable", obj=sub, after={"reason": reason, "detail": detail})
        notify(
            users=owners(sub),
            kind=Kind.WEBHOOK,
            title=DISABLED_TITLE,
            body=DISABLED_BODY,
            params={"name": sub.name, "reason": Disabled(reason).label, "detail": sub.disabled_detail},
            url=sub.get_absolute_url(),
        )
    return True
