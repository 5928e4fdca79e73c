"""A small world for case tests: the two-street test district, units with handlers, staff at every level,
a resident, and categories whose limits run on the continuous clock (calendar effects are tested apart)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from gridgov.accounts.models import Unit, User
from gridgov.cases.models import Category, RoutingRule
from gridgov.testing.factories import Tree, make_tree, make_user

TZ = ZoneInfo("Asia/Shanghai")
# A Monday morning in an ordinary working week.
T0 = datetime(2026, 11, 23, 9, 30, tzinfo=TZ)
# Points inside grids of the test tree (see gridgov.testing.factories.make_tree).
IN_GRID_111 = (107.01, 34.01)  # 610302001001001
IN_GRID_112 = (107.07, 34.02)  # 610302001001002
IN_GRID_221 = (107.17, 34.07)  # 610302002002002


@dataclass
class World:
    tree: Tree
    category: Category
    unit_a: Unit
    unit_b: Unit
    unit_c: Unit
    handler_a: User
    handler_a2: User
    handler_b: User
    handler_c: User
    worker: User
    community: User
    street: User
    district: User
    other_street: User
    resident: User


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def world(db, clock) -> World:  # noqa: ARG001
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
        anonymous_allowed=False,
    )
    unit_a = Unit.objects.create(name="城管执法局", kind="department", area=tree["610302"])
    unit_b = Unit.objects.create(name="住建局", kind="department", area=tree["610302"])
    unit_c = Unit.objects.create(name="某物业", kind="property", area=tree["610302001001"])
    rule = RoutingRule.objects.create(category=category, area=tree["610302"], lead_unit=unit_a)
    rule.assist_units.set([unit_b])
    return World(
        tree=tree,
        category=category,
        unit_a=unit_a,
        unit_b=unit_b,
        unit_c=unit_c,
        handler_a=make_user(admin, "ha", "unit", unit=unit_a),
        handler_a2=make_user(admin, "ha2", "unit", unit=unit_a),
        handler_b=make_user(admin, "hb", "unit", unit=unit_b),
        handler_c=make_user(admin, "hc", "unit", unit=unit_c),
        worker=make_user(admin, "worker", "grid_worker", area=tree["610302001001001"]),
        community=make_user(admin, "community", "community", area=tree["610302001001"]),
        street=make_user(admin, "street", "street", area=tree["610302001"]),
        district=make_user(admin, "district", "district", area=tree["610302"]),
        other_street=make_user(admin, "street2", "street", area=tree["610302002"]),
        resident=make_user(admin, "resident", "resident", phone="13912345678"),
    )


def report(world: World, by=None, point=IN_GRID_111, **kwargs):
    from gridgov.cases.actions import case_report

    kwargs.setdefault("description", "小区门口垃圾堆放多日")
    kwargs.setdefault("reporter_phone", "13800001111" if by is None else "")
    return case_report(by=by, category_code=world.category.code, lng=point[0], lat=point[1], **kwargs)
