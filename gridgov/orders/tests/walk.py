"""How the workflow contract walks service orders (``gridgov.testing.contract``)."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.utils import timezone

from gridgov.orders import actions
from gridgov.orders.models import State
from gridgov.orders.workflow import MACHINE, rate_days
from gridgov.testing.contract import Walker

from .conftest import build_world, order_fix

S = State


def _perform(world, order, action: str, branch: bool) -> None:  # noqa: ARG001 (no conditional targets)
    ref = order.ref
    if action == "dispatch":
        actions.order_dispatch(by=world.community, ref=ref, provider_unit_id=world.repair_co.pk)
    elif action == "accept":
        actions.order_accept(by=world.repairer, ref=ref)
    elif action == "decline":
        actions.order_decline(by=world.repairer, ref=ref, reason="师傅请假")
    elif action == "deliver":
        actions.order_deliver(by=world.repairer, ref=ref, notes="已上门修好")
    elif action == "rate":
        actions.order_rate(by=world.resident, ref=ref, rating="satisfied")
    elif action == "cancel":
        actions.order_cancel(by=world.resident, ref=ref, reason="不需要了")
    elif action == "close":
        with time_machine.travel(timezone.now() + timedelta(days=rate_days(), hours=1), tick=False):
            actions.order_close(by=world.community, ref=ref)
    elif action == "unservable":
        actions.order_unservable(by=world.community, ref=ref, reason="本月无师傅")
    else:
        raise AssertionError(f"no way to perform {action}")


WALKER = Walker(
    machine=MACHINE,
    world=build_world,
    new=order_fix,
    paths={
        S.ORDERED: (),
        S.DISPATCHED: ("dispatch",),
        S.ACCEPTED: ("dispatch", "accept"),
        S.DELIVERED: ("dispatch", "accept", "deliver"),
    },
    perform=_perform,
)
