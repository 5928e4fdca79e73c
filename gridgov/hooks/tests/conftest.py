"""A small world for the webhooks: the two-street test district, two departments with handlers (a routing
rule dispatches litter to department A with B assisting), staff at each level, a resident, and a receiver
on 127.0.0.1 that verifies signatures the way docs/webhooks.md tells a receiver to."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from decimal import Decimal

import pytest

from gridgov.accounts.models import Unit, User
from gridgov.cases.models import Category, RoutingRule
from gridgov.testing.factories import Tree, make_tree, make_user
from gridgov.testing.receiver import Receiver

IN_GRID_111 = (107.01, 34.01)  # 610302001001001 (street 1, community 1)
IN_GRID_121 = (107.01, 34.07)  # 610302001002001 (street 1, community 2)
IN_GRID_221 = (107.17, 34.07)  # 610302002002002 (street 2)


@dataclass
class World:
    tree: Tree
    admin: User
    category: Category
    unit_a: Unit
    unit_b: Unit
    unit_c: Unit
    handler_a: User
    handler_b: User
    handler_c: User
    worker: User
    community: User
    street: User
    other_street: User
    district: User
    resident: User


@pytest.fixture(autouse=True)
def _fresh_subscriptions():
    """Each test starts and ends with this process's copy of the subscriptions dropped (rows of another
    test are rolled back with it; so must be the copy)."""
    from gridgov.hooks import fanout

    fanout._drop()
    yield
    fanout._drop()


@pytest.fixture
def world(db) -> World:  # noqa: ARG001
    return build_world()


def build_world() -> World:
    tree = make_tree()
    admin = tree.admin
    category = Category.objects.create(
        code="litter",
        name="垃圾堆放",
        response_limit=Decimal("2"),
        response_unit="urgent_hours",
        resolution_limit=Decimal("24"),
        resolution_unit="urgent_hours",
    )
    unit_a = Unit.objects.create(name="城管执法局", kind="department", area=tree["610302"])
    unit_b = Unit.objects.create(name="住建局", kind="department", area=tree["610302"])
    unit_c = Unit.objects.create(name="某物业", kind="property", area=tree["610302001001"])
    rule = RoutingRule.objects.create(category=category, area=tree["610302"], lead_unit=unit_a)
    rule.assist_units.set([unit_b])
    return World(
        tree=tree,
        admin=admin,
        category=category,
        unit_a=unit_a,
        unit_b=unit_b,
        unit_c=unit_c,
        handler_a=make_user(admin, "ha", "unit", unit=unit_a),
        handler_b=make_user(admin, "hb", "unit", unit=unit_b),
        handler_c=make_user(admin, "hc", "unit", unit=unit_c),
        worker=make_user(admin, "worker", "grid_worker", area=tree["610302001001001"]),
        community=make_user(admin, "community", "community", area=tree["610302001001"]),
        street=make_user(admin, "street", "street", area=tree["610302001"]),
        other_street=make_user(admin, "street2", "street", area=tree["610302002"]),
        district=make_user(admin, "district", "district", area=tree["610302"]),
        resident=make_user(admin, "resident", "resident", phone="13912345678"),
    )


def report(world: World, point=IN_GRID_111, **kwargs):
    from gridgov.cases.actions import case_report

    kwargs.setdefault("description", "小区门口垃圾堆放多日")
    kwargs.setdefault("reporter_name", "张三丰")
    kwargs.setdefault("reporter_phone", "13800001111")
    return case_report(by=None, category_code=world.category.code, lng=point[0], lat=point[1], **kwargs).case


def dispatch(world: World, case):
    from gridgov.cases.actions import case_accept, case_dispatch

    case_accept(ref=case.ref, by=world.worker)
    return case_dispatch(ref=case.ref, by=world.worker)


def subscribe(world: World, rx: Receiver, *, by=None, kinds=("case.dispatched",), path="/hook", **scope):
    """A subscription made through the action; returns (subscription, secret)."""
    from gridgov.hooks.actions import subscription_create

    if "area" not in scope and "unit" not in scope and not getattr(by, "unit_id", None):
        scope["area"] = "610302"
    return subscription_create(
        by=by or world.admin, name="接收系统", url=rx.url(path), event_types=list(kinds), **scope
    )


# ---------------------------------------------------------------- a receiver's side, from docs/webhooks.md


def verify(secret: str, headers: dict, body: bytes, tolerance: int = 300) -> bool:
    """What docs/webhooks.md tells a receiver to do, with the standard library only: take the key from the
    secret (base64 after ``whsec_``), HMAC-SHA256 over ``id.timestamp.body``, base64, compare in constant
    time with each ``v1,`` signature of the header; refuse a timestamp more than five minutes away."""
    lower = {k.lower(): v for k, v in headers.items()}
    msg_id, timestamp = lower["webhook-id"], lower["webhook-timestamp"]
    if abs(time.time() - int(timestamp)) > tolerance:
        return False
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = msg_id.encode() + b"." + timestamp.encode() + b"." + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(
        hmac.compare_digest(sig.removeprefix("v1,"), expected)
        for sig in lower["webhook-signature"].split()
        if sig.startswith("v1,")
    )


def received(rx: Receiver) -> list[dict]:
    return [json.loads(r.body) for r in rx.requests]


@pytest.fixture
def rx(settings):
    settings.OUTBOUND_ALLOW = ["127.0.0.1/32"]
    with Receiver() as receiver:
        yield receiver
