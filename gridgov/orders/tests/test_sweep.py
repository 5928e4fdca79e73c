"""The order deadline sweep: a warning (yellow) and an overdue mark (red) each once, to the right people,
with a timeline row; accepting starts a new clock; the sweep is registered with the shared runner."""

from __future__ import annotations

from datetime import timedelta

from gridgov.core.deadlines import SWEEPS, run_sweeps
from gridgov.core.models import TimelineEvent
from gridgov.notify.models import Notification
from gridgov.orders import actions
from gridgov.orders.models import Order
from gridgov.orders.sweep import order_sweep

from .conftest import T0, WEDNESDAY, at, order_consult, order_fix


def kinds(user) -> list[str]:
    return list(Notification.objects.filter(user=user).values_list("kind", flat=True))


def marks(order: Order, action: str) -> int:
    return TimelineEvent.objects.filter(subject="orders.order", subject_id=order.pk, action=action).count()


def test_accept_warning_and_overdue_are_marked_once(world):
    order = order_fix(world)
    order = actions.order_dispatch(by=world.community, ref=order.ref, provider_unit_id=world.repair_co.pk)
    # 4 working hours from Monday 09:30: due 13:30 + the lunch break → warn at 80 %.
    assert order.accept_warn_at < order.accept_due
    assert order_sweep(order.accept_warn_at - timedelta(minutes=1)) == {"warned": 0, "overdue": 0}

    assert order_sweep(order.accept_warn_at) == {"warned": 1, "overdue": 0}
    assert order_sweep(order.accept_warn_at + timedelta(minutes=5)) == {"warned": 0, "overdue": 0}
    order.refresh_from_db()
    assert order.sla == "warning" and order.accept_warned_at == order.accept_warn_at
    assert kinds(world.repairer).count("warning") == 1
    assert "warning" not in kinds(world.community)

    assert order_sweep(order.accept_due) == {"warned": 0, "overdue": 1}
    assert order_sweep(order.accept_due + timedelta(hours=3)) == {"warned": 0, "overdue": 0}
    order.refresh_from_db()
    assert order.sla == "overdue" and order.accept_overdue_at == order.accept_due
    assert kinds(world.repairer).count("overdue") == 1 and kinds(world.community).count("overdue") == 1
    assert marks(order, "warning") == 1 and marks(order, "overdue") == 1

    # Accepting late starts the delivery clock afresh: normal again until its own marks.
    order = actions.order_accept(by=world.repairer, ref=order.ref)
    assert order.sla == "normal" and order.accept_overdue_at is not None
    assert order_sweep(order.deliver_due) == {"warned": 0, "overdue": 1}
    order.refresh_from_db()
    assert order.deliver_warned_at == order.deliver_overdue_at == order.deliver_due
    assert order_sweep(order.deliver_due + timedelta(days=1)) == {"warned": 0, "overdue": 0}


def test_a_booked_session_is_overdue_when_it_ends_undelivered(world):
    order = order_consult(world)
    actions.order_dispatch(by=world.community, ref=order.ref, provider_unit_id=world.lawyers.pk)
    actions.order_accept(by=world.lawyer, ref=order.ref)
    assert order_sweep(at(WEDNESDAY, 14)) == {"warned": 1, "overdue": 0}
    assert order_sweep(at(WEDNESDAY, 17, 30)) == {"warned": 0, "overdue": 1}
    assert kinds(world.lawyer).count("overdue") == 1 and kinds(world.lawyer2).count("overdue") == 1
    assert kinds(world.community).count("overdue") == 1


def test_a_session_caps_the_accept_deadline(world, clock):
    early = order_consult(world)
    early = actions.order_dispatch(by=world.community, ref=early.ref, provider_unit_id=world.lawyers.pk)
    # Dispatched on Monday: one working day runs to the end of Tuesday, before the session.
    assert early.accept_due == at(WEDNESDAY - timedelta(days=1), 17, 30)
    late = order_consult(world, by=world.resident2)
    clock.move_to(at(WEDNESDAY - timedelta(days=1), 15))
    late = actions.order_dispatch(by=world.community, ref=late.ref, provider_unit_id=world.lawyers.pk)
    # Dispatched on Tuesday afternoon: it must be accepted before the session starts on Wednesday.
    assert late.accept_due == at(WEDNESDAY, 14) and late.accept_warn_at <= late.accept_due


def test_closed_and_declined_orders_are_not_swept(world):
    order = order_fix(world)
    actions.order_dispatch(by=world.community, ref=order.ref, provider_unit_id=world.repair_co.pk)
    actions.order_decline(by=world.repairer, ref=order.ref, reason="人手不足")
    assert order_sweep(T0 + timedelta(days=30)) == {"warned": 0, "overdue": 0}


def test_registered_with_the_shared_sweep(world):
    assert "orders" in SWEEPS
    order = order_fix(world)
    actions.order_dispatch(by=world.community, ref=order.ref, provider_unit_id=world.repair_co.pk)
    result = run_sweeps(T0 + timedelta(days=5))
    assert result["orders"] == {"warned": 0, "overdue": 1}
