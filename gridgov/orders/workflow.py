"""The service-order state machine as data (居民点单 → 社区派单 → 单位接单 → 服务 → 评价/中心结单), read by the
shared :class:`gridgov.core.workflow.Machine`. docs/orders.md shows the same table."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from gridgov.accounts.models import Role
from gridgov.core.scope import staff_in_scope_of
from gridgov.core.workflow import Condition, Machine, Transition
from gridgov.orders.models import Order, State

S = State

TRANSITIONS: tuple[Transition, ...] = (
    Transition("dispatch", "派单", (S.ORDERED,), S.DISPATCHED, "dispatcher"),
    Transition("accept", "接单", (S.DISPATCHED,), S.ACCEPTED, "provider"),
    Transition("decline", "拒单", (S.DISPATCHED, S.ACCEPTED), S.ORDERED, "provider", needs_reason=True),
    Transition("deliver", "服务完成", (S.ACCEPTED,), S.DELIVERED, "provider"),
    Transition("rate", "评价", (S.DELIVERED,), S.CLOSED, "resident"),
    Transition("cancel", "取消", (S.ORDERED, S.DISPATCHED), S.CANCELLED, "resident"),
    Transition("close", "中心结单", (S.DELIVERED,), S.CLOSED, "dispatcher"),
    Transition("unservable", "无法服务", (S.ORDERED,), S.UNSERVED, "dispatcher", needs_reason=True),
)

ACTOR_LABELS = {
    "dispatcher": "管辖该服务单的工作人员（社区、街道、区）",
    "provider": "服务单位的经办人",
    "resident": "点单居民",
}


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
    "rate": Condition(lambda order: not order.rated_at, "服务单已评价"),
    "close": Condition(_rating_window_passed, "居民评价期未满，暂不能由中心结单"),
}

MACHINE = Machine("服务单", TRANSITIONS, ACTORS, CONDITIONS)


def allowed_actions(user, order: Order) -> list[str]:
    return MACHINE.allowed_actions(user, order)


def labels() -> dict[str, str]:
    return {t.action: t.label for t in TRANSITIONS}
