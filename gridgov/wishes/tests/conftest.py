"""A small world for wish tests: the two-street test district, community staff in both streets, a grid
worker, residents, party members/volunteers, two units with handlers, and the service categories. The
clock stands still on a Monday morning."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from gridgov.accounts.models import Unit, User
from gridgov.services.models import ServiceCategory
from gridgov.testing import images
from gridgov.testing.factories import Tree, make_tree, make_user

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 23, 9, 30, tzinfo=TZ)  # a Monday
COMMUNITY = "610302001001"
GRID = "610302001001001"
OTHER_COMMUNITY = "610302002001"
PNG = images.PNG  # a real image: every upload is decoded


@dataclass
class World:
    tree: Tree
    admin: User
    community: User
    worker: User
    other_community: User
    resident: User
    resident2: User
    volunteer: User
    volunteer2: User
    volunteer3: User
    handler: User
    handler2: User
    handler_b: User
    unit: Unit
    unit_b: Unit


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def make_world() -> World:
    tree = make_tree()
    admin = tree.admin
    for code, name in (("elderly", "养老服务"), ("culture", "文化教育"), ("repair", "家电维修")):
        ServiceCategory.objects.get_or_create(code=code, defaults={"name": name})
    unit = Unit.objects.create(name="渭滨区城市管理执法局", kind="department", area=tree["610302"])
    unit_b = Unit.objects.create(name="宝鸡市律师协会", kind="partner", area=tree["610302"])

    def user(username, role, area=None, unit=None, phone=""):
        u = make_user(admin, username, role, area, unit, phone)
        return u

    resident = user("resident", "resident", phone="13912340000")
    resident.display_name = "李居民"
    resident.save(update_fields=["display_name"])
    volunteer = user("volunteer", "volunteer")
    volunteer.display_name = "张党员"
    volunteer.save(update_fields=["display_name"])
    return World(
        tree=tree,
        admin=admin,
        community=user("community", "community", tree[COMMUNITY]),
        worker=user("worker", "grid_worker", tree[GRID]),
        other_community=user("community2", "community", tree[OTHER_COMMUNITY]),
        resident=resident,
        resident2=user("resident2", "resident"),
        volunteer=volunteer,
        volunteer2=user("volunteer2", "volunteer"),
        volunteer3=user("volunteer3", "volunteer"),
        handler=user("handler", "unit", unit=unit),
        handler2=user("handler2", "unit", unit=unit),
        handler_b=user("handler_b", "unit", unit=unit_b),
        unit=unit,
        unit_b=unit_b,
    )


@pytest.fixture
def world(db, clock) -> World:  # noqa: ARG001
    return make_world()


def png(name: str = "photo.png"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, PNG, content_type="image/png")


def submit(world: World, by=None, **kw):
    from gridgov.wishes.actions import wish_submit

    by = by or world.resident
    kw.setdefault("title", "给独居的奶奶送一台收音机")
    kw.setdefault("description", "奶奶眼睛不好，想听广播")
    kw.setdefault("area", GRID)
    kw.setdefault("category", "elderly")
    wish, _created = wish_submit(by=by, **kw)
    return wish


def published(world: World, **kw):
    from gridgov.wishes.actions import wish_publish

    wish = submit(world, **kw)
    return wish_publish(ref=wish.ref, by=world.community)


def claimed(world: World, by=None, **kw):
    from gridgov.wishes.actions import wish_claim

    wish = published(world, **kw)
    wish_claim(ref=wish.ref, by=by or world.volunteer)
    wish.refresh_from_db()
    return wish
