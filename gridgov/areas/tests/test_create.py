from __future__ import annotations

import pytest

from gridgov.areas.actions import area_create
from gridgov.areas.models import Area, AreaChange
from gridgov.core.errors import DomainError
from gridgov.core.models import AuditEntry
from gridgov.testing.factories import make_admin, make_tree, make_user, rect

pytestmark = pytest.mark.django_db


def _refused(err_code: str, err_field: str | None, **kwargs) -> DomainError:
    before_areas, before_audit = Area.objects.count(), AuditEntry.objects.count()
    with pytest.raises(DomainError) as info:
        area_create(**kwargs)
    assert info.value.code == err_code
    assert info.value.field == err_field
    # nothing written
    assert Area.objects.count() == before_areas
    assert AuditEntry.objects.count() == before_audit
    return info.value


def test_create_records_change_and_audit():
    tree = make_tree()
    grid = tree["610302001001001"]
    assert grid.level == "grid" and grid.parent.code == "610302001001"
    change = AreaChange.objects.get(changed=grid)
    assert change.kind == "create" and list(change.created.all()) == [grid]
    entry = AuditEntry.objects.get(verb="area.create", object_id=grid.code)
    assert entry.actor == tree.admin and entry.after["level"] == "grid"


@pytest.mark.parametrize(
    ("code", "reason"),
    [("61030200100", "too short"), ("6103020010010012", "too long"), ("61030200100A", "not digits")],
)
def test_code_of_wrong_length_refused(code, reason):  # noqa: ARG001
    tree = make_tree()
    _refused(
        "invalid_code",
        "code",
        by=tree.admin,
        code=code,
        name="x",
        parent_code="610302001",
        boundary=rect(107.0, 34.0, 107.01, 34.01),
    )


def test_code_must_extend_parent_code():
    tree = make_tree()
    _refused(
        "code_parent_mismatch",
        "code",
        by=tree.admin,
        code="610302002009",
        name="x",
        parent_code="610302001",
        boundary=rect(107.0, 34.0, 107.01, 34.01),
    )


def test_code_already_used_refused_with_409():
    tree = make_tree()
    err = _refused(
        "code_taken", "code", by=tree.admin, code="610302001001", name="x", parent_code="610302001"
    )
    assert err.status == 409


def test_unknown_parent_is_not_found():
    tree = make_tree()
    err = _refused("not_found", "parent", by=tree.admin, code="610399001", name="x", parent_code="610399")
    assert err.status == 404


def test_grid_needs_boundary_and_valid_kind():
    tree = make_tree()
    _refused(
        "required", "boundary", by=tree.admin, code="610302001001009", name="x", parent_code="610302001001"
    )
    _refused(
        "invalid_kind",
        "kind",
        by=tree.admin,
        code="610302001001009",
        name="x",
        parent_code="610302001001",
        boundary=rect(107.0, 34.0, 107.01, 34.01),
        kind="huge",
    )


def test_only_admin_creates_a_district():
    admin = make_admin()
    district = area_create(by=admin, code="610302", name="渭滨区", boundary=rect(107, 34, 108, 35))
    staff = make_user(admin, "d", "district", area=district)
    err = _refused("forbidden", None, by=staff, code="610303", name="金台区")
    assert err.status == 403


def test_street_staff_cannot_create_in_other_street():
    tree = make_tree()
    street_user = make_user(tree.admin, "s1", "street", area=tree["610302001"])
    _refused(
        "not_found",
        "parent",
        by=street_user,
        code="610302002003",
        name="x",
        parent_code="610302002",
        boundary=rect(107.1, 34.0, 107.11, 34.01),
    )


def test_community_staff_adds_microgrid_inside_own_grid():
    tree = make_tree()
    community_user = make_user(tree.admin, "c1", "community", area=tree["610302001001"])
    micro = area_create(
        by=community_user,
        code="610302001001001001",
        name="一号楼微网格",
        parent_code="610302001001001",
        boundary=rect(107.0, 34.0, 107.01, 34.01),
    )
    assert micro.level == "microgrid" and micro.kind == "basic"
