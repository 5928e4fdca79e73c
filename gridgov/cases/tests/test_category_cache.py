"""Intake takes its category from a per-process copy: it must never serve a category that was changed,
whether in this process (at once) or in another one (after the recheck interval)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from gridgov.cases import category_cache
from gridgov.cases.models import Category, CategoryVersion
from gridgov.core.errors import DomainError
from gridgov.testing.api import ApiClient

from .conftest import IN_GRID_111, report

pytestmark = pytest.mark.django_db


def intake(**changes):
    data = {
        "category": "litter",
        "description": "路边垃圾桶满溢",
        "lng": IN_GRID_111[0],
        "lat": IN_GRID_111[1],
        "reporter_phone": "13800001111",
        **changes,
    }
    return ApiClient().post("/cases", data)


def expire_recheck():
    """As if RECHECK_SECONDS had passed since this process last compared the version."""
    category_cache._checked_at -= category_cache.RECHECK_SECONDS


def changed_by_another_process(**fields):
    """What a save in another process leaves behind: the row changed and the version moved, while this
    process's copy is untouched (no signal reaches it)."""
    Category.objects.filter(code="litter").update(**fields)
    CategoryVersion.objects.filter(pk=1).update(version=F("version") + 1)


def test_intake_reads_its_category_from_memory(world):
    report(world)
    with CaptureQueriesContext(connection) as queries:
        report(world)
    assert not [q for q in queries.captured_queries if '"cases_category"' in q["sql"]]


def test_category_changed_in_this_process_takes_effect_at_once(world):
    assert intake().json()["category_name"] == "垃圾堆放"
    world.category.name = "垃圾乱堆"
    world.category.save()
    assert intake().json()["category_name"] == "垃圾乱堆"
    world.category.is_active = False
    world.category.save()
    refused = intake()
    assert refused.status_code == 400 and refused.json()["code"] == "invalid_category"
    world.category.is_active = True
    world.category.save()
    assert intake().status_code == 201


def test_new_and_deleted_categories_take_effect_at_once(world):
    assert intake(category="noise").json()["code"] == "invalid_category"
    noise = Category.objects.create(code="noise", name="噪音扰民")
    assert intake(category="noise").status_code == 201
    spare = Category.objects.create(code="spare", name="备用")
    assert intake(category="spare").status_code == 201
    spare.cases.all().delete()
    spare.delete()
    assert intake(category="spare").json()["code"] == "invalid_category"
    assert noise.cases.count() == 1


def test_category_changed_by_another_process_takes_effect_after_the_recheck(world):
    assert intake().status_code == 201  # this process now holds a copy
    changed_by_another_process(name="垃圾乱堆", anonymous_allowed=True)
    expire_recheck()
    data = intake(anonymous=True, reporter_phone="").json()
    assert data["category_name"] == "垃圾乱堆" and data["created"] is True
    changed_by_another_process(is_active=False)
    expire_recheck()
    with pytest.raises(DomainError) as info:
        report(world)
    assert info.value.code == "invalid_category"


def test_the_copy_is_kept_only_while_the_version_stands(world):
    report(world)
    Category.objects.filter(code="litter").update(name="未经版本的改动")  # no signal, no new version
    expire_recheck()
    assert report(world).case.category.name == "垃圾堆放"  # the version did not move: the copy stands
    category_cache.bump_version()  # what code changing categories with update() must do
    assert report(world).case.category.name == "未经版本的改动"


def test_each_intake_gets_its_own_category_instance(world):
    first, second = report(world).case, report(world).case
    assert first.category == second.category and first.category is not second.category
