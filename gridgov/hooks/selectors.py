"""Every read of the webhooks module, scoped.

Who manages (and sees) which subscriptions:

- admins: every subscription;
- district, street and community staff (the command centres): the subscriptions of areas in their scope
  (a street sees its own and its communities', not another street's nor the district's);
- unit handlers: their own unit's subscriptions.

Everyone else manages none (403 on the list; a subscription they ask for is 404, as out of scope is).
"""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from gridgov.accounts.models import Role
from gridgov.core.errors import DomainError, NotFound
from gridgov.core.models import OutboxAttempt, OutboxMessage
from gridgov.core.scope import in_scope, is_command_staff, scope_q
from gridgov.hooks.fanout import CHANNEL
from gridgov.hooks.models import Subscription
from gridgov.hooks.subjects import EventType, catalogue


def is_unit_handler(user) -> bool:
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.is_active
        and user.role == Role.UNIT
        and user.unit_id
    )


def may_use_webhooks(user) -> bool:
    """Admins, command staff and unit handlers manage subscriptions (each their own scope)."""
    return is_command_staff(user) or is_unit_handler(user)


def require_webhooks(user) -> None:
    if not may_use_webhooks(user):
        raise DomainError(
            "forbidden", _("只有管理员、区街道社区工作人员和单位经办人可以管理外部推送"), status=403
        )


def may_manage(user, sub: Subscription) -> bool:
    if not may_use_webhooks(user):
        return False
    if user.is_admin:
        return True
    if sub.unit_id is not None:
        return is_unit_handler(user) and sub.unit_id == user.unit_id
    return is_command_staff(user) and bool(sub.area_code) and in_scope(user, sub.area_code)


def subscriptions_visible_to(user) -> QuerySet[Subscription]:
    qs = Subscription.objects.select_related("area", "unit")
    if not may_use_webhooks(user):
        return qs.none()
    if user.is_admin:
        return qs
    if is_unit_handler(user):
        return qs.filter(unit_id=user.unit_id)
    return qs.filter(Q(unit__isnull=True) & scope_q(user, "area_code"))


def subscription_list(user, *, active: bool | None = None) -> QuerySet[Subscription]:
    require_webhooks(user)
    qs = subscriptions_visible_to(user)
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs.order_by("-id")


def subscription_get_visible(user, pk) -> Subscription:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound(field="id") from None
    sub = subscriptions_visible_to(user).filter(pk=pk).first()
    if sub is None:
        raise NotFound(_("推送订阅不存在或不在您的管辖范围内"), field="id")
    return sub


def event_types() -> tuple[EventType, ...]:
    return catalogue()


def event_type_groups() -> list[tuple[str, list[EventType]]]:
    """The catalogue grouped by subject (the form's checkboxes)."""
    groups: dict[str, tuple[str, list[EventType]]] = {}
    for e in catalogue():
        groups.setdefault(e.subject, (str(e.subject_label), []))[1].append(e)
    return list(groups.values())


def deliveries(user, sub: Subscription, *, state: str | None = None) -> QuerySet[OutboxMessage]:
    """The delivery log of a subscription the user may see (``sub`` comes from
    :func:`subscription_get_visible`), newest first, each with its tries."""
    if not may_manage(user, sub):
        raise NotFound(_("推送订阅不存在或不在您的管辖范围内"), field="id")
    qs = OutboxMessage.objects.filter(channel=CHANNEL, target=str(sub.pk))
    if state:
        if state not in OutboxMessage.State.values:
            raise DomainError("invalid", _("状态无效"), "state")
        qs = qs.filter(state=state)
    return qs.order_by("-id").prefetch_related(
        Prefetch("tries", queryset=OutboxAttempt.objects.order_by("id"))
    )


def delivery_get_visible(user, sub: Subscription, delivery) -> OutboxMessage:
    try:
        pk = int(delivery)
    except (TypeError, ValueError):
        raise NotFound(field="delivery") from None
    row = deliveries(user, sub).filter(pk=pk).first()
    if row is None:
        raise NotFound(_("发送记录不存在"), field="delivery")
    return row
