"""The one definition of "staff" (工作人员) and "staff whose scope holds an area", used by every app."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from gridgov.accounts.models import Unit
from gridgov.core.scope import (
    command_staff_in_scope,
    is_command_staff,
    is_staff,
    staff_in_scope,
    staff_in_scope_of,
)
from gridgov.testing.factories import make_tree, make_user

pytestmark = pytest.mark.django_db

GRID = "610302001001001"
NEIGHBOUR_GRID = "610302001002001"
OTHER_STREET_GRID = "610302002001001"


@pytest.fixture
def people():
    tree = make_tree()
    unit = Unit.objects.create(name="城管执法中队", kind=Unit.Kind.DEPARTMENT, area=tree["610302"])
    return {
        "admin": tree.admin,
        "district": make_user(tree.admin, "d", "district", area=tree["610302"]),
        "street": make_user(tree.admin, "s", "street", area=tree["610302001"]),
        "community": make_user(tree.admin, "c", "community", area=tree["610302001001"]),
        "grid_chief": make_user(tree.admin, "gc", "grid_chief", area=tree["610302001001"]),
        "grid_worker": make_user(tree.admin, "gw", "grid_worker", area=tree[GRID]),
        "evaluator": make_user(tree.admin, "e", "evaluator", area=tree["610302"]),
        "unit": make_user(tree.admin, "u", "unit", unit=unit),
        "volunteer": make_user(tree.admin, "v", "volunteer"),
        "resident": make_user(tree.admin, "r", "resident"),
    }


def test_staff_are_admins_and_the_five_area_staff_roles(people):
    staff = {name for name, user in people.items() if is_staff(user)}
    assert staff == {"admin", "district", "street", "community", "grid_chief", "grid_worker"}


def test_command_staff_are_admins_and_district_street_community(people):
    command = {name for name, user in people.items() if is_command_staff(user)}
    assert command == {"admin", "district", "street", "community"}


def test_nobody_signed_out_or_deactivated_is_staff(people):
    assert not is_staff(None)
    assert not is_staff(AnonymousUser())
    assert not staff_in_scope(AnonymousUser(), GRID)
    for name in ("admin", "street", "grid_worker"):
        user = people[name]
        user.is_active = False
        assert not is_staff(user), name
        assert not staff_in_scope(user, GRID), name
        assert not command_staff_in_scope(user, GRID), name


def test_a_staff_role_without_an_area_is_not_staff(people):
    worker = people["grid_worker"]
    worker.area = None
    assert not is_staff(worker)


def test_staff_in_scope_follows_the_area_subtree(people):
    holding = {name for name, user in people.items() if staff_in_scope(user, GRID)}
    assert holding == {"admin", "district", "street", "community", "grid_chief", "grid_worker"}
    # the neighbouring community's grid: the community and its grid staff do not hold it
    holding = {name for name, user in people.items() if staff_in_scope(user, NEIGHBOUR_GRID)}
    assert holding == {"admin", "district", "street"}
    holding = {name for name, user in people.items() if command_staff_in_scope(user, OTHER_STREET_GRID)}
    assert holding == {"admin", "district"}


def test_staff_in_scope_of_reads_the_rows_area_code(people):
    class Row:
        area_code = NEIGHBOUR_GRID

    assert staff_in_scope_of(people["street"], Row())
    assert not staff_in_scope_of(people["grid_worker"], Row())
    # the unit's service area holds the grid, but a unit handler is not staff
    assert not staff_in_scope_of(people["unit"], Row())
