"""The service-order state machine as data (居民点单 → 社区派单 → 单位接单 → 服务 → 评价/中心结单), read by the
shared :class:`gridgov.core.workflow.Machine`. docs/orders.md shows the same table."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.models import Role
from gridgov.core.deadlines import Due, Limit, Phase
from gridgov.core.scope import staff_in_scope_of
from gridgov.core.workflow import Condition, Machine, Transition
from gridgov.orders.models import Order, State
from gridgov.orders.selectors import order_is_visible

S = State

TRANSITIONS: tuple[Transition, ...] = (
    Transition("dispatch", _("派单"), (S.ORDERED,), S.DISPATCHED, "dispatcher"),
    Transition("accept", _("接单"), (S.DISPATCHED,), S.ACCEPTED, "provider"),
    Transition("decline", _("拒单"), (S.DISPATCHED, S.ACCEPTED), S.ORDERED, "provider", needs_reason=True),
    Transition("deliver", _("服务完成"), (S.ACCEPTED,), S.DELIVERED, "provider"),
    Transition("rate", _("评价"), (S.DELIVERED,), S.CLOSED, "resident"),
    Transition("cancel", _("取消"), (S.ORDERED, S.DISPATCHED), S.CANCELLED, "resident"),
    Transition("close", _("中心结单"), (S.DELIVERED,), S.CLOSED, "dispatcher"),
    Transition("unservable", _("无法服务"), (S.ORDERED,), S.UNSERVED, "dispatcher", needs_reason=True),
)


def _accept_limit(order: Order) -> Limit | None:
    """The provider accepts within the item's limit from dispatch — and before a booked session starts."""
    if order.dispatched_at is None:
        return None
    item = order.item
    cap = order.slot.starts_at if order.slot_id else None
    return Limit(order.dispatched_at, item.accept_limit, item.accept_unit, item.warning_ratio, cap=cap)


def _deliver_limit(order: Order) -> Limit | Due | None:
    """The provider delivers within the item's limit from acceptance; a booked session by its end
    (warned when it starts)."""
    if order.accepted_at is None:
        return None
    if order.slot_id:
        end = order.slot.ends_at
        return Due(end, max(min(order.slot.starts_at, end), order.accepted_at), False)
    item = order.item
    return Limit(order.accepted_at, item.deliver_limit, item.deliver_unit, item.warning_ratio)


ACCEPT = Phase(
    (S.DISPATCHED,),
    "accept_due",
    "accept_warn_at",
    "accept_warned_at",
    "accept_overdue_at",
    _("接单"),
    limit=_accept_limit,
)
DELIVER = Phase(
    (S.ACCEPTED,),
    "deliver_due",
    "deliver_warn_at",
    "deliver_warned_at",
    "deliver_overdue_at",
    _("服务"),
    limit=_deliver_limit,
)
PHASES = (ACCEPT, DELIVER)


def rate_days() -> int:
    """How long a resident has to rate a delivered order before the centre may close it without one."""
    return int(getattr(settings, "ORDER_RATE_DAYS", 7))


def is_provider(user, order: Order) -> bool:
    return user.role == Role.UNIT and user.unit_id is not None and user.unit_id == order.provider_unit_id


def is_resident(user, order: Order) -> bool:
    return getattr(user, "is_authenticated", False) and user.pk == order.resident_id


# The dispatcher is staff whose scope holds the order (the community for a grid's orders, the street for its own).
ACTORS = {"dispatcher": staff_in_scope_of, "provider": is_provider, "resident": is_resident}


def _rating_window_passed(order: Order) -> bool:
    return order.delivered_at is not None and timezone.now() >= order.delivered_at + timedelta(
        days=rate_days()
    )


CONDITIONS = {
    "rate": Condition(lambda order: not order.rated_at, _("服务单已评价")),
    "close": Condition(_rating_window_passed, _("居民评价期未满，暂不能由中心结单")),
}

MACHINE = Machine(
    _("服务单"),
    TRANSITIONS,
    ACTORS,
    CONDITIONS,
    model=Order,
    visible=order_is_visible,
    related=("item",),  # an inner join only: PostgreSQL cannot lock the nullable side of an outer join
    phases=PHASES,
    steps={"order": _("点单")},
)


def allowed_actions(user, order: Order) -> list[str]:
    return MACHINE.allowed_actions(user, order)
