"""A small world for the three lists: the two-street test district, a few service categories (two under a
parent), co-building units in several places, staff at several levels, unit handlers, residents."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from gridgov.accounts.models import Unit, User
from gridgov.projects import actions
from gridgov.services.models import ServiceCategory
from gridgov.testing.factories import Tree, make_tree, make_user

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 23, 9, 30, tzinfo=TZ)  # a Monday
TODAY = T0.date()
GRID_111 = "610302001001001"
GRID_112 = "610302001001002"
COMMUNITY_11 = "610302001001"
COMMUNITY_12 = "610302001002"
STREET_1 = "610302001"
GRID_211 = "610302002001001"


@dataclass
class World:
    tree: Tree
    admin: User
    worker: User
    worker2: User
    community: User
    community2: User
    street: User
    other_street: User
    secretary: User
    resident: User
    resident2: User
    volunteer: User
    handler: User
    handler2: User
    handler_b: User
    handler_far: User
    unit: Unit  # partner, serves community 1-1
    unit_b: Unit  # partner, serves street 1
    unit_far: Unit  # partner, serves street 2
    dept: Unit  # a department
    cats: dict[str, ServiceCategory]


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def categories() -> dict[str, ServiceCategory]:
    people = ServiceCategory.objects.create(code="people", name="民生服务", sort=1)
    care = ServiceCategory.objects.create(code="care", name="为老服务", sort=2)
    cats = {"people": people, "care": care}
    for code, name, parent in (
        ("legal", "法律", people),
        ("psychology", "心理", people),
        ("employment", "就业", people),
        ("meals", "助餐", care),
        ("elderly", "养老", care),
        ("repair", "维修", None),
    ):
        cats[code] = ServiceCategory.objects.create(code=code, name=name, parent=parent)
    return cats


@pytest.fixture
def world(db, clock) -> World:  # noqa: ARG001
    return build_world()


def build_world() -> World:
    tree = make_tree()
    admin = tree.admin
    unit = Unit.objects.create(name="渭滨区人民医院", kind="partner", area=tree[COMMUNITY_11])
    unit_b = Unit.objects.create(name="中国银行渭滨支行", kind="partner", area=tree[STREET_1])
    unit_far = Unit.objects.create(name="宝鸡市律师协会", kind="partner", area=tree["610302002"])
    dept = Unit.objects.create(name="渭滨区城市管理执法局", kind="department", area=tree["610302"])
    return World(
        tree=tree,
        admin=admin,
        worker=make_user(admin, "worker", "grid_worker", tree[GRID_111]),
        worker2=make_user(admin, "worker2", "grid_worker", tree[GRID_112]),
        community=make_user(admin, "community", "community", tree[COMMUNITY_11]),
        community2=make_user(admin, "community2", "community", tree[COMMUNITY_12]),
        street=make_user(admin, "street", "street", tree[STREET_1]),
        other_street=make_user(admin, "street2", "street", tree["610302002"]),
        secretary=make_user(admin, "secretary", "grid_chief", tree[COMMUNITY_11]),
        resident=make_user(admin, "resident", "resident"),
        resident2=make_user(admin, "resident2", "resident"),
        volunteer=make_user(admin, "volunteer", "volunteer"),
        handler=make_user(admin, "handler", "unit", unit=unit),
        handler2=make_user(admin, "handler2", "unit", unit=unit),
        handler_b=make_user(admin, "handler_b", "unit", unit=unit_b),
        handler_far=make_user(admin, "handler_far", "unit", unit=unit_far),
        unit=unit,
        unit_b=unit_b,
        unit_far=unit_far,
        dept=dept,
        cats=categories(),
    )


def need(world: World, title: str = "独居老人助餐", category: str = "meals", area: str = GRID_111, **kw):
    return actions.need_record(
        by=kw.pop("by", world.community), title=title, category=category, area=area, **kw
    )


def resource(world: World, title: str, category: str, area: str, **kw):
    kw.setdefault("kind", "hours")
    if not any(k in kw for k in ("owner_unit", "owner_user", "owner_org")):
        kw["owner_unit"] = world.unit.pk
    return actions.resource_create(
        by=kw.pop("by", world.admin), title=title, category=category, area=area, **kw
    )


def project(world: World, *, needs=(), resources=(), area: str = COMMUNITY_11, **kw):
    kw.setdefault("title", "老旧小区加装扶手")
    kw.setdefault("end_date", date(2026, 12, 31))
    return actions.project_create(
        by=kw.pop("by", world.community),
        area=area,
        needs=[n.pk for n in needs],
        resources=[r.pk for r in resources],
        **kw,
    )
