"""A small world for volunteer-task and points tests: the two-street test district, staff at several
levels, volunteers and a resident, one community's tasks and rewards. The clock stands still."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from gridgov.accounts.models import User
from gridgov.points import actions
from gridgov.points.models import Reward, VolunteerTask
from gridgov.testing.factories import Tree, make_tree, make_user

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 23, 9, 30, tzinfo=TZ)  # a Monday
COMMUNITY = "610302001001"
GRID = "610302001001001"
OTHER_COMMUNITY = "610302002001"


@dataclass
class World:
    tree: Tree
    admin: User
    community: User
    worker: User
    other_street: User
    district: User
    vol: User
    vol2: User
    resident: User
    handler: User


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def build_world() -> World:
    from gridgov.accounts.models import Unit

    tree = make_tree()
    admin = tree.admin
    unit = Unit.objects.create(name="某物业", kind="property", area=tree[COMMUNITY])
    return World(
        tree=tree,
        admin=admin,
        community=make_user(admin, "community", "community", tree[COMMUNITY]),
        worker=make_user(admin, "worker", "grid_worker", tree[GRID]),
        other_street=make_user(admin, "street2", "street", tree["610302002"]),
        district=make_user(admin, "district", "district", tree["610302"]),
        vol=make_user(admin, "vol", "volunteer"),
        vol2=make_user(admin, "vol2", "volunteer"),
        resident=make_user(admin, "res", "resident"),
        handler=make_user(admin, "handler", "unit", unit=unit),
    )


@pytest.fixture
def world(db, clock) -> World:  # noqa: ARG001
    return build_world()


def make_task(
    world: World,
    *,
    by=None,
    area: str = COMMUNITY,
    starts_in=timedelta(days=2),
    hours: int = 3,
    slots: int = 3,
    points: int = 10,
    publish: bool = True,
    **kw,
) -> VolunteerTask:
    from django.utils import timezone

    start = timezone.now() + starts_in
    return actions.task_create(
        by=by or world.community,
        area=area,
        title=kw.pop("title", "楼道清扫"),
        place=kw.pop("place", "姜谭路西社区 3 号楼"),
        starts_at=start,
        ends_at=start + timedelta(hours=hours),
        slots=slots,
        points=points,
        publish=publish,
        **kw,
    )


def make_reward(world: World, *, cost: int = 30, stock: int = 10, name: str = "洗衣液") -> Reward:
    return actions.reward_create(by=world.community, area=COMMUNITY, name=name, cost=cost, stock=stock)


def attended(world: World, task: VolunteerTask, *volunteers: User, clock=None) -> None:
    """Sign the volunteers up, move past the start, confirm them attended."""
    signups = [actions.signup_create(task_id=task.pk, by=v) for v in volunteers]
    if clock is not None:
        clock.move_to(task.starts_at + timedelta(minutes=5))
    actions.attendance_confirm(
        task_id=task.pk, by=world.community, marks=[actions.Mark(s.pk, True) for s in signups]
    )
