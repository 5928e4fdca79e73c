"""A small world for visit tests: the two-street test district, the standard focus tags, the standard
must-visit rules, staff at several levels, a few households in two grids and one in the other street, and
two case categories. The clock stands still on a Monday morning."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from gridgov.accounts.models import Unit, User
from gridgov.cases.models import Category
from gridgov.ledger.actions import building_create, household_create, resident_create
from gridgov.ledger.models import FocusTag, Household
from gridgov.ledger.tags import ensure_standard_tags
from gridgov.testing.factories import Tree, make_ledger, make_tree, make_user
from gridgov.visits.models import VisitRule

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 23, 9, 30, tzinfo=TZ)  # a Monday
TODAY = T0.date()
GRID_111 = "610302001001001"
GRID_112 = "610302001001002"
GRID_211 = "610302002001001"


@dataclass
class World:
    tree: Tree
    admin: User
    worker: User
    worker2: User
    chief: User
    community: User
    district: User
    other_street: User
    resident: User
    handler: User
    h1: Household
    h2: Household
    h3: Household
    h4: Household
    h5: Household
    rules: dict[str | None, VisitRule]
    category: Category


def at(day: date, hour: int = 8) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=TZ)


def days_ago(n: int) -> date:
    return TODAY - timedelta(days=n)


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _household(admin, building, room, head_name=None, phone=""):
    household = household_create(by=admin, building=building.code, unit="1", room=room)
    if head_name:
        resident_create(by=admin, household=household, name=head_name, phone=phone, relation="head")
        household.refresh_from_db()
    return household


@pytest.fixture
def world(db, clock) -> World:  # noqa: ARG001
    tree = make_tree()
    admin = tree.admin
    ensure_standard_tags()
    # h1: a building with coordinates inside grid 111, head 王建国 (phone) and spouse 李秀英.
    building, h1, _head, _spouse = make_ledger(admin, GRID_111, "A")
    building.lng, building.lat, building.address = 107.01, 34.01, "姜谭路 12 号"
    building.save()
    h2 = _household(admin, building, "102", "赵桂兰")
    h3 = _household(admin, building, "201")
    other = building_create(by=admin, code="B-112", name="B号楼", grid=GRID_112)
    h4 = _household(admin, other, "101", "孙大爷", phone="13700000004")
    far = building_create(by=admin, code="B-211", name="C号楼", grid=GRID_211)
    h5 = _household(admin, far, "101", "周阿姨")
    district_area = tree["610302"]
    tags = {t.code: t for t in FocusTag.objects.all()}
    rules = {
        "living_alone": VisitRule.objects.create(
            district=district_area, tag=tags["living_alone"], interval_days=7
        ),
        "needy": VisitRule.objects.create(district=district_area, tag=tags["needy"], interval_days=30),
        "old_party_member": VisitRule.objects.create(
            district=district_area, tag=tags["old_party_member"], interval_days=90
        ),
        None: VisitRule.objects.create(district=district_area, tag=None, interval_days=365),
    }
    category = Category.objects.create(
        code="property_service",
        name="物业服务",
        response_limit=Decimal("2"),
        response_unit="urgent_hours",
        resolution_limit=Decimal("24"),
        resolution_unit="urgent_hours",
    )
    Category.objects.create(
        code="road_repair",
        name="道路维修",
        response_limit=Decimal("2"),
        response_unit="urgent_hours",
        resolution_limit=Decimal("24"),
        resolution_unit="urgent_hours",
    )
    unit = Unit.objects.create(name="某物业", kind="property", area=tree["610302001001"])
    return World(
        tree=tree,
        admin=admin,
        worker=make_user(admin, "worker", "grid_worker", tree[GRID_111], phone="13800000005"),
        worker2=make_user(admin, "worker2", "grid_worker", tree[GRID_112]),
        chief=make_user(admin, "chief", "grid_chief", tree["610302001001"]),
        community=make_user(admin, "community", "community", tree["610302001001"]),
        district=make_user(admin, "district", "district", tree["610302"]),
        other_street=make_user(admin, "street2", "street", tree["610302002"]),
        resident=make_user(admin, "resident", "resident", phone="13912340000"),
        handler=make_user(admin, "handler", "unit", unit=unit),
        h1=h1,
        h2=h2,
        h3=h3,
        h4=h4,
        h5=h5,
        rules=rules,
        category=category,
    )


def set_created(household: Household, day: date) -> None:
    Household.objects.filter(pk=household.pk).update(created_at=at(day, 8))


def record(world: World, household: Household, when: datetime | date, by=None, **kw):
    from gridgov.visits.actions import visit_record

    if isinstance(when, date) and not isinstance(when, datetime):
        when = at(when)
    kw.setdefault("situation", "老人身体还好，子女每周来一次")
    return visit_record(by=by or world.worker, household=household, visited_at=when, **kw)
