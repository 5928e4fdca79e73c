"""The organisation tree on the area tree: binding rules, history (set up, rename, move, merge, dissolve),
refusals and scope."""

from __future__ import annotations

import pytest

from gridgov.core.errors import Conflict, DomainError, NotFound
from gridgov.core.models import AuditEntry
from gridgov.party import actions, selectors
from gridgov.party.models import OrgChange

from .conftest import COMMUNITY, GRID, GRID2, OTHER_COMMUNITY


def test_a_tree_is_built_on_the_areas_and_read_in_order(world, orgs):
    nodes = selectors.org_tree(world.community, area=COMMUNITY)
    assert [(n.org.name, n.depth) for n in nodes] == [
        ("社区党委", 0),
        ("第1网格党支部", 1),
        ("1号楼党小组", 2),
        ("2号楼党小组", 2),
    ]
    assert orgs.group.area_code == GRID and orgs.group.building == world.buildings[0]
    assert OrgChange.objects.filter(org=orgs.branch, kind="set_up").count() == 1
    assert AuditEntry.objects.filter(verb="party.org.create").count() == 4


@pytest.mark.parametrize(
    ("kind", "area", "parent", "field"),
    [
        ("branch", "610302001", "committee", "area"),  # a branch is not set on a street
        ("group", GRID, "committee", "parent"),  # a group sits under a branch
        ("committee", COMMUNITY, "branch", "parent"),
        ("branch", "610302001001002", "committee", None),  # fine: the other grid of the community
    ],
)
def test_kind_area_and_parent_must_fit(world, orgs, kind, area, parent, field):
    parent_id = getattr(orgs, parent).pk
    if field is None:
        assert actions.org_create(by=world.street, kind=kind, name="新组织", area=area, parent=parent_id)
        return
    with pytest.raises(DomainError) as exc:
        actions.org_create(by=world.street, kind=kind, name="新组织", area=area, parent=parent_id)
    assert exc.value.field == field


def test_a_child_must_lie_inside_its_parents_area(world, orgs):
    other = actions.org_create(by=world.admin, kind="committee", name="别的社区党委", area=OTHER_COMMUNITY)
    with pytest.raises(DomainError) as exc:
        actions.org_create(by=world.admin, kind="branch", name="错位支部", area=GRID, parent=other.pk)
    assert exc.value.field == "area"


def test_a_group_building_must_be_in_its_grid(world, orgs):
    with pytest.raises(DomainError) as exc:
        actions.org_create(
            by=world.community, kind="group", name="错楼", area=GRID2, parent=orgs.branch.pk,
            building=world.buildings[0].pk,
        )  # fmt: skip
    assert exc.value.field in ("building", "area")


def test_rename_and_move_are_history(world, orgs):
    branch2 = actions.org_create(
        by=world.community, kind="branch", name="第2网格党支部", area=GRID, parent=orgs.committee.pk
    )
    actions.org_update(
        by=world.community, org_id=orgs.group.pk, name="1号楼第一党小组", parent=branch2.pk, reason="调整"
    )
    kinds = list(OrgChange.objects.filter(org=orgs.group).values_list("kind", flat=True))
    assert kinds == ["set_up", "rename", "move"]
    orgs.group.refresh_from_db()
    assert orgs.group.parent == branch2 and orgs.group.name == "1号楼第一党小组"
    with pytest.raises(DomainError):  # not under its own child
        actions.org_update(by=world.community, org_id=orgs.branch.pk, parent=orgs.group.pk)


def test_dissolve_needs_an_empty_org_and_merge_moves_members(world, orgs):
    member = actions.member_create(
        by=world.community, org=orgs.group.pk, status="full", resident=world.party[0].pk
    )
    with pytest.raises(Conflict):
        actions.org_dissolve(by=world.community, org_id=orgs.branch.pk, reason="撤并")
    with pytest.raises(Conflict):
        actions.org_dissolve(by=world.community, org_id=orgs.group.pk, reason="撤并")
    with pytest.raises(DomainError) as exc:
        actions.org_dissolve(by=world.community, org_id=orgs.group2.pk, reason="")
    assert exc.value.field == "reason"
    target = actions.org_merge(
        by=world.community, org_id=orgs.group.pk, into=orgs.group2.pk, reason="两楼合并"
    )
    member.refresh_from_db()
    orgs.group.refresh_from_db()
    assert target == orgs.group2 and member.org == orgs.group2
    assert not orgs.group.is_active and orgs.group.merged_into == orgs.group2
    change = OrgChange.objects.get(org=orgs.group, kind="merge")
    assert change.into == orgs.group2 and change.after == {"members_moved": 1}
    with pytest.raises(Conflict):
        actions.org_merge(by=world.community, org_id=orgs.group.pk, into=orgs.group2.pk, reason="再并")


def test_only_the_command_staff_of_the_area_keep_the_tree(world, orgs):
    with pytest.raises(DomainError) as exc:
        actions.org_create(by=world.worker, kind="group", name="x", area=GRID, parent=orgs.branch.pk)
    assert exc.value.status == 403
    with pytest.raises(NotFound):  # another community's staff do not see it
        actions.org_update(by=world.other_community, org_id=orgs.branch.pk, name="改名")
    assert selectors.org_tree(world.other_community) == []
    assert selectors.org_tree(world.resident) == []
    assert [n.org for n in selectors.org_tree(world.street)][:1] == [orgs.committee]
