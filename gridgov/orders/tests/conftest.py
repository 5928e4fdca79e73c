"""A small world for order tests: the two-street test district, two service categories, a lawyers'
association (two handlers) and a second law firm, a repair company and a stranger unit; staff of the
first community, its street, the neighbouring community and the other street; three residents.

Items: a free legal consultation offered by street 1 every Wednesday 14:00–17:30 (6 places), and a
low-cost appliance repair offered by community 1-1 with no schedule (accept within 4 working hours,
deliver within 2 working days). The clock stands still on Monday 2026-11-23 09:30."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from gridgov.accounts.models import Unit, User
from gridgov.orders.models import ServiceItem, ServiceSchedule
from gridgov.services.models import ServiceCategory
from gridgov.testing.factories import Tree, make_tree, make_user

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 23, 9, 30, tzinfo=TZ)  # a Monday
WEDNESDAY = date(2026, 11, 25)
STREET = "610302001"
COMMUNITY = "610302001001"
GRID = "610302001001001"
OTHER_COMMUNITY = "610302001002"


@dataclass
class World:
    tree: Tree
    admin: User
    community: User
    street: User
    neighbour: User  # staff of the neighbouring community
    other_street: User
    worker: User
    lawyer: User
    lawyer2: User
    firm: User  # handler of the second law firm
    repairer: User
    stranger: User  # handler of a unit that provides nothing here
    resident: User
    resident2: User
    volunteer: User
    lawyers: Unit
    law_firm: Unit
    repair_co: Unit
    legal: ServiceCategory
    repair: ServiceCategory
    consult: ServiceItem
    fix: ServiceItem


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=TZ)


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def build_world() -> World:
    tree = make_tree()
    admin = tree.admin
    legal = ServiceCategory.objects.create(code="legal", name="法律服务", sort=1)
    repair = ServiceCategory.objects.create(code="repair", name="家电维修", sort=8)
    lawyers = Unit.objects.create(name="宝鸡市律师协会", kind="partner", area=tree["610302"])
    law_firm = Unit.objects.create(name="秦风律师事务所", kind="partner", area=tree["610302"])
    repair_co = Unit.objects.create(name="便民家电维修部", kind="social", area=tree[COMMUNITY])
    other = Unit.objects.create(name="某物业", kind="property", area=tree[COMMUNITY])
    consult = ServiceItem.objects.create(
        category=legal,
        name="律师坐班法律咨询",
        description="婚姻家庭、劳动争议、邻里纠纷等法律咨询",
        area=tree[STREET],
        area_code=STREET,
        accept_limit=Decimal("1"),
        accept_unit="working_days",
    )
    consult.providers.set([lawyers, law_firm])
    ServiceSchedule.objects.create(item=consult, weekday=2, start=time(14), end=time(17, 30), capacity=6)
    fix = ServiceItem.objects.create(
        category=repair,
        name="家电维修",
        area=tree[COMMUNITY],
        area_code=COMMUNITY,
        fee="low",
        price=Decimal("20"),
        accept_limit=Decimal("4"),
        accept_unit="working_hours",
        deliver_limit=Decimal("2"),
        deliver_unit="working_days",
    )
    fix.providers.set([repair_co])
    return World(
        tree=tree,
        admin=admin,
        community=make_user(admin, "community", "community", tree[COMMUNITY]),
        street=make_user(admin, "street", "street", tree[STREET]),
        neighbour=make_user(admin, "neighbour", "community", tree[OTHER_COMMUNITY]),
        other_street=make_user(admin, "street2", "street", tree["610302002"]),
        worker=make_user(admin, "worker", "grid_worker", tree[GRID]),
        lawyer=make_user(admin, "lawyer", "unit", unit=lawyers),
        lawyer2=make_user(admin, "lawyer2", "unit", unit=lawyers),
        firm=make_user(admin, "firm", "unit", unit=law_firm),
        repairer=make_user(admin, "repairer", "unit", unit=repair_co),
        stranger=make_user(admin, "stranger", "unit", unit=other),
        resident=make_user(admin, "resident", "resident", phone="13912340000"),
        resident2=make_user(admin, "resident2", "resident", phone="13912340002"),
        volunteer=make_user(admin, "volunteer", "volunteer"),
        lawyers=lawyers,
        law_firm=law_firm,
        repair_co=repair_co,
        legal=legal,
        repair=repair,
        consult=consult,
        fix=fix,
    )


@pytest.fixture
def world(db, clock) -> World:  # noqa: ARG001
    return build_world()


def order_consult(world: World, by=None, day: date = WEDNESDAY, start: str = "14:00", **kw):
    from gridgov.orders.actions import order_create

    kw.setdefault("grid", GRID)
    kw.setdefault("note", "想咨询房屋租赁合同纠纷")
    return order_create(
        by=by or world.resident, item=world.consult, slot_date=day, slot_start=start, **kw
    ).order


def order_fix(world: World, by=None, **kw):
    from gridgov.orders.actions import order_create

    kw.setdefault("note", "洗衣机不脱水")
    return order_create(by=by or world.resident, item=world.fix, **kw).order
