"""Who a notification goes to: the staff of an area (with the backups of those away) and a unit's handlers."""

from __future__ import annotations

import pytest

from gridgov.accounts.models import Unit
from gridgov.accounts.selectors import area_staff, unit_handlers
from gridgov.testing.factories import make_tree, make_user

pytestmark = pytest.mark.django_db

COMMUNITY = "610302001001"


def test_area_staff_are_the_accounts_bound_to_exactly_that_area_and_the_backups_of_those_away():
    tree = make_tree()
    secretary = make_user(tree.admin, "sec", "community", tree[COMMUNITY])
    make_user(tree.admin, "chief", "grid_chief", tree[COMMUNITY])
    make_user(tree.admin, "worker", "grid_worker", tree[COMMUNITY + "001"])  # below: not the command centre
    make_user(tree.admin, "street", "street", tree["610302001"])  # above
    gone = make_user(tree.admin, "gone", "community", tree[COMMUNITY])
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    backup = make_user(tree.admin, "backup", "community", tree["610302001002"])
    assert {u.username for u in area_staff(COMMUNITY)} == {"sec", "chief"}
    secretary.backup, secretary.is_away = backup, True
    secretary.save(update_fields=["backup", "is_away"])
    assert sorted(u.username for u in area_staff(COMMUNITY)) == ["backup", "chief", "sec"]


def test_unit_handlers_are_the_active_handlers_of_the_units():
    tree = make_tree()
    first = Unit.objects.create(name="城管执法中队", kind=Unit.Kind.DEPARTMENT, area=tree["610302"])
    second = Unit.objects.create(name="秦川物业", kind=Unit.Kind.PROPERTY, area=tree[COMMUNITY])
    other = Unit.objects.create(name="供水公司", kind=Unit.Kind.DEPARTMENT, area=tree["610302"])
    make_user(tree.admin, "a", "unit", unit=first)
    make_user(tree.admin, "b", "unit", unit=second)
    make_user(tree.admin, "c", "unit", unit=other)
    left = make_user(tree.admin, "d", "unit", unit=first)
    left.is_active = False
    left.save(update_fields=["is_active"])
    assert {u.username for u in unit_handlers(u.pk for u in (first, second))} == {"a", "b"}
    assert unit_handlers([]) == []
