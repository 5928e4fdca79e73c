"""How the workflow contract walks the recurring problem (``gridgov.testing.contract``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine

from gridgov.accounts.models import User
from gridgov.cases import actions as case_actions
from gridgov.dashboards import actions
from gridgov.dashboards.models import Hotspot
from gridgov.dashboards.workflow import HOTSPOT
from gridgov.testing.contract import Walker
from gridgov.testing.factories import make_tree, make_user, urgent_category

T0 = datetime(2026, 11, 23, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
M = 1 / 110_540  # a metre of latitude


@dataclass
class HotspotWorld:
    admin: User
    community: User
    made: int = 0


def _world() -> HotspotWorld:
    tree = make_tree()
    urgent_category("garbage", "垃圾堆放", 1)
    return HotspotWorld(tree.admin, make_user(tree.admin, "comm", "community", area=tree["610302001001"]))


def _new(world: HotspotWorld) -> Hotspot:
    """Three reports within 80 m, 400 m north of the previous problem's, then a detection."""
    world.made += 1
    base = 34.001 + world.made * 400 * M
    with time_machine.travel(T0, tick=False):
        for i in range(3):
            case_actions.case_report(
                by=world.admin,
                category_code="garbage",
                description="楼下垃圾又堆满了",
                lng=107.01,
                lat=base + 40 * i * M,
                reporter_phone="13800138000",
            )
        actions.hotspots_detect(now=T0)
    return Hotspot.objects.order_by("-pk").first()


def _perform(world: HotspotWorld, hotspot: Hotspot, action: str, branch: bool) -> None:  # noqa: ARG001
    hotspot = Hotspot.objects.get(pk=hotspot.pk)
    if action == "to_project":
        actions.hotspot_to_project(by=world.community, hotspot=hotspot.pk)
    elif action == "to_topic":
        actions.hotspot_to_topic(by=world.community, hotspot=hotspot.pk)
    elif action == "quiet":
        actions.hotspot_quiet(hotspot, now=T0 + timedelta(days=40))
    elif action == "revive":
        actions.hotspot_revive(hotspot, {"updated_at": T0 + timedelta(days=41)}, now=T0 + timedelta(days=41))
    else:
        raise AssertionError(f"no way to perform {action}")


WALKER = Walker(
    machine=HOTSPOT,
    world=_world,
    new=_new,
    paths={Hotspot.State.ACTIVE: (), Hotspot.State.QUIET: ("quiet",)},
    perform=_perform,
)
