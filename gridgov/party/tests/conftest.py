"""A small world for the party module: the two-street test district, community staff of two communities,
a street staff member, a grid worker with a phone, a resident account, a member account, two co-building
units (one a property company), and a ledger in the first grid: two buildings, four households, residents
of whom three are party members in the ledger. The clock stands still on a Monday morning."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from gridgov.accounts.models import Unit, User
from gridgov.core.validators import synthetic_id_number
from gridgov.ledger.actions import building_create, household_create, resident_create
from gridgov.ledger.models import Building, Household, Resident
from gridgov.party import actions
from gridgov.party.models import Org
from gridgov.testing.factories import Tree, make_tree, make_user

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 23, 9, 30, tzinfo=TZ)  # a Monday
STREET = "610302001"
COMMUNITY = "610302001001"
GRID = "610302001001001"
GRID2 = "610302001001002"
OTHER_COMMUNITY = "610302001002"


@dataclass
class World:
    tree: Tree
    admin: User
    community: User
    street: User
    worker: User
    other_community: User
    resident: User
    member_user: User
    partner: Unit
    company: Unit
    buildings: list[Building]
    households: list[Household]
    party: list[Resident]  # the residents the ledger lists as party members
    masses: list[Resident]


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def _resident(admin, household, name, n, **kw) -> Resident:
    return resident_create(
        by=admin,
        household=household,
        name=name,
        id_number=synthetic_id_number("610302", date(1960 + n, 1 + n % 12, 1 + n), 100 + n),
        phone=f"1391234{n:04d}",
        **kw,
    )


def make_world() -> World:
    tree = make_tree()
    admin = tree.admin
    partner = Unit.objects.create(name="中国银行渭滨支行", kind="partner", area=tree[STREET])
    company = Unit.objects.create(name="秦川物业服务有限公司", kind="property", area=tree[COMMUNITY])

    def user(username, role, area=None, unit=None, phone=""):
        return make_user(admin, username, role, area, unit, phone)

    worker = user("worker", "grid_worker", tree[GRID], phone="13800001111")
    worker.display_name = "王网格员"
    worker.save(update_fields=["display_name"])
    buildings, households, party, masses = [], [], [], []
    n = 0
    for b in range(2):
        building = building_create(by=admin, code=f"{GRID}-0{b + 1}", name=f"{b + 1}号楼", grid=GRID)
        buildings.append(building)
        for room in ("101", "102"):
            household = household_create(by=admin, building=building.code, unit="1", room=room)
            households.append(household)
            n += 1
            status = "party_member" if n in (1, 3, 7) else "masses"
            head = _resident(admin, household, f"户主{n}", n, relation="head", political_status=status)
            (party if status == "party_member" else masses).append(head)
            n += 1
            masses.append(_resident(admin, household, f"家属{n}", n, relation="spouse"))
    return World(
        tree=tree,
        admin=admin,
        community=user("community", "community", tree[COMMUNITY]),
        street=user("street", "street", tree[STREET]),
        worker=worker,
        other_community=user("community2", "community", tree[OTHER_COMMUNITY]),
        resident=user("resident", "resident"),
        member_user=user("member", "volunteer"),
        partner=partner,
        company=company,
        buildings=buildings,
        households=households,
        party=party,
        masses=masses,
    )


@pytest.fixture
def world(db, clock) -> World:  # noqa: ARG001
    return make_world()


@dataclass
class Orgs:
    committee: Org
    branch: Org
    group: Org
    group2: Org


def make_orgs(world: World) -> Orgs:
    by = world.community
    committee = actions.org_create(by=by, kind="committee", name="社区党委", area=COMMUNITY)
    branch = actions.org_create(by=by, kind="branch", name="第1网格党支部", area=GRID, parent=committee.pk)
    group = actions.org_create(
        by=by, kind="group", name="1号楼党小组", area=GRID, parent=branch.pk, building=world.buildings[0].pk
    )
    group2 = actions.org_create(
        by=by, kind="group", name="2号楼党小组", area=GRID, parent=branch.pk, building=world.buildings[1].pk
    )
    return Orgs(committee, branch, group, group2)


@pytest.fixture
def orgs(world) -> Orgs:
    return make_orgs(world)
