"""A small ledger world on the two-street test district: one household in grid 610302001001001 and one in
610302002001001, a grid worker for each grid, a community secretary who may reveal personal data, and a
community colleague who may not."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Permission

from gridgov.accounts.models import User
from gridgov.ledger.models import Building, Household, Resident
from gridgov.ledger.tags import ensure_standard_tags
from gridgov.testing.factories import Tree, make_ledger, make_tree, make_user

GRID_A = "610302001001001"
GRID_A2 = "610302001001002"
GRID_B = "610302002001001"


@dataclass
class LedgerWorld:
    tree: Tree
    admin: User
    worker: User  # grid GRID_A
    worker_a2: User  # grid GRID_A2, same community
    worker_b: User  # other street
    secretary: User  # community 610302001001, may reveal
    colleague: User  # community 610302001001, may not reveal
    building: Building
    household: Household
    head: Resident
    spouse: Resident
    other_household: Household
    other_head: Resident


def grant_reveal(user: User) -> User:
    user.user_permissions.add(
        Permission.objects.get(codename="reveal_personal", content_type__app_label="ledger")
    )
    return User.objects.get(pk=user.pk)  # fresh permission cache


@pytest.fixture
def lw(db) -> LedgerWorld:  # noqa: ARG001
    tree = make_tree()
    admin = tree.admin
    ensure_standard_tags()
    building, household, head, spouse = make_ledger(admin, GRID_A, "A")
    _b2, other_household, other_head, _s2 = make_ledger(admin, GRID_B, "B")
    return LedgerWorld(
        tree=tree,
        admin=admin,
        worker=make_user(admin, "worker", "grid_worker", tree[GRID_A]),
        worker_a2=make_user(admin, "worker_a2", "grid_worker", tree[GRID_A2]),
        worker_b=make_user(admin, "worker_b", "grid_worker", tree[GRID_B]),
        secretary=grant_reveal(make_user(admin, "secretary", "community", tree["610302001001"])),
        colleague=make_user(admin, "colleague", "community", tree["610302001001"]),
        building=building,
        household=household,
        head=head,
        spouse=spouse,
        other_household=other_household,
        other_head=other_head,
    )
