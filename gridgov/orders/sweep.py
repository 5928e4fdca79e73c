"""The order deadline sweep (时限监控), registered as ``orders``: a provider that has not accepted, or not
delivered, by the warn-at moment gets a reminder (yellow); past the deadline the provider and the
community's staff are told (red). Each mark is set once, by :func:`gridgov.core.deadlines.sweep_phases`."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy, gettext_noop

from gridgov.accounts.selectors import unit_handlers
from gridgov.core.deadlines import Phase, register_sweep, sweep_phases
from gridgov.core.i18n import message
from gridgov.notify.actions import tell
from gridgov.notify.models import Kind
from gridgov.orders.actions import community_staff
from gridgov.orders.models import Order
from gridgov.orders.workflow import MACHINE, PHASES


def _handlers(order: Order) -> list:
    return unit_handlers([order.provider_unit_id]) if order.provider_unit_id else []


def _local(moment: datetime) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}"


def _on_warning(order: Order, phase: Phase, now: datetime) -> None:
    due = getattr(order, phase.due)
    note = message(gettext_noop("%(what)s时限将至（%(due)s）"), what=phase.what, due=_local(due))
    MACHINE.record(order, None, "warning", order.state, note=note, at=now)
    tell(
        _handlers(order),
        Kind.WARNING,
        order,
        gettext_lazy("%(what)s即将超时"),
        gettext_lazy("时限：%(due)s"),
        params={"what": phase.what, "due": _local(due)},
        at=now,
    )


def _on_overdue(order: Order, phase: Phase, now: datetime) -> None:
    due = getattr(order, phase.due)
    note = message(gettext_noop("%(what)s已超时"), what=phase.what)
    MACHINE.record(order, None, "overdue", order.state, note=note, data={"due": due.isoformat()}, at=now)
    tell(
        _handlers(order) + community_staff(order),
        Kind.OVERDUE,
        order,
        gettext_lazy("%(what)s已超时"),
        gettext_lazy("%(provider)s；时限：%(due)s"),
        params={
            "what": phase.what,
            "provider": order.provider_unit.name if order.provider_unit_id else "",
            "due": _local(due),
        },
        at=now,
    )


def order_sweep(now: datetime | None = None) -> dict:
    counts = sweep_phases(
        Order,
        PHASES,
        now or timezone.now(),
        on_overdue=_on_overdue,
        on_warning=_on_warning,
        related=MACHINE.related,
    )
    return {"warned": counts.warned, "overdue": counts.overdue}


@register_sweep("orders")
def _sweep(now: datetime) -> dict:
    return order_sweep(now)
