"""The order deadline sweep (时限监控), registered as ``orders``: a provider that has not accepted, or not
delivered, by the warn-at moment gets a reminder (yellow); past the deadline the provider and the
community's staff are told (red). Each mark is set once, by :func:`gridgov.core.deadlines.sweep_phases`."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from gridgov.accounts.selectors import unit_handlers
from gridgov.core.deadlines import Phase, register_sweep, sweep_phases
from gridgov.core.timeline import step
from gridgov.notify.models import Kind
from gridgov.orders.actions import _tell, community_staff
from gridgov.orders.models import Order, State

PHASES = (
    Phase(
        (State.DISPATCHED,), "accept_due", "accept_warn_at", "accept_warned_at", "accept_overdue_at", "接单"
    ),
    Phase(
        (State.ACCEPTED,), "deliver_due", "deliver_warn_at", "deliver_warned_at", "deliver_overdue_at", "服务"
    ),
)


def _handlers(order: Order) -> list:
    return unit_handlers([order.provider_unit_id]) if order.provider_unit_id else []


def _on_warning(order: Order, phase: Phase, now: datetime) -> None:
    due = timezone.localtime(getattr(order, phase.due))
    step(order, None, "warning", order.state, f"{phase.what}时限将至（{due:%m-%d %H:%M}）", at=now)
    _tell(_handlers(order), Kind.WARNING, order, f"{phase.what}即将超时", f"时限：{due:%Y-%m-%d %H:%M}")


def _on_overdue(order: Order, phase: Phase, now: datetime) -> None:
    due = timezone.localtime(getattr(order, phase.due))
    step(order, None, "overdue", order.state, f"{phase.what}已超时", data={"due": due.isoformat()}, at=now)
    _tell(
        _handlers(order) + community_staff(order),
        Kind.OVERDUE,
        order,
        f"{phase.what}已超时",
        f"{order.provider_unit.name if order.provider_unit_id else ''}；时限：{due:%Y-%m-%d %H:%M}",
    )


def order_sweep(now: datetime | None = None) -> dict:
    now = now or timezone.now()
    counts = sweep_phases(
        Order,
        PHASES,
        now,
        on_overdue=_on_overdue,
        on_warning=_on_warning,
        related=("item",),  # an inner join only: PostgreSQL cannot lock the nullable side of an outer join
    )
    return {"warned": counts.warned, "overdue": counts.overdue}


@register_sweep("orders")
def _sweep(now: datetime) -> dict:
    return order_sweep(now)
