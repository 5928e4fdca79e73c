from __future__ import annotations

import pytest

from gridgov.areas.actions import Part, area_create, grid_merge, grid_split
from gridgov.areas.models import Area, AreaChange
from gridgov.core.errors import DomainError
from gridgov.core.models import AuditEntry
from gridgov.testing.factories import make_tree, make_user, rect

pytestmark = pytest.mark.django_db

WEST = rect(107.0, 34.0, 107.025, 34.05)
EAST = rect(107.025, 34.0, 107.05, 34.05)


def test_split_retires_old_grid_issues_new_codes_and_keeps_history():
    tree = make_tree()
    worker = make_user(tree.admin, "w1", "grid_worker", area=tree["610302001001001"])
    created = grid_split(
        by=tree.admin,
        code="610302001001001",
        reason="居民增加",
        parts=[Part("一网格西", WEST), Part("一网格东", EAST)],
    )
    old = Area.objects.get(code="610302001001001")
    assert not old.is_active and old.retired_at is not None
    # siblings 001 and 002 existed: new codes continue after the highest issued one
    assert [a.code for a in created] == ["610302001001003", "610302001001004"]
    change = AreaChange.objects.get(kind="split")
    assert list(change.retired.all()) == [old]
    assert {a.code for a in change.created.all()} == {a.code for a in created}
    assert change.reason == "居民增加" and change.by == tree.admin
    entry = AuditEntry.objects.get(verb="area.split")
    assert entry.after == {"into": ["610302001001003", "610302001001004"]}
    worker.refresh_from_db()
    assert worker.area == created[0]
    assert AuditEntry.objects.filter(verb="user.area_moved", object_id=str(worker.pk)).exists()


def test_retired_code_is_never_reused():
    tree = make_tree()
    grid_split(
        by=tree.admin,
        code="610302001001002",
        reason="拆分",
        parts=[Part("a", rect(107.05, 34.0, 107.075, 34.05)), Part("b", rect(107.075, 34.0, 107.1, 34.05))],
    )
    # 002 is retired; creating it again is refused even though no active area holds it
    with pytest.raises(DomainError) as info:
        area_create(
            by=tree.admin,
            code="610302001001002",
            name="复用",
            parent_code="610302001001",
            boundary=rect(107.05, 34.0, 107.06, 34.01),
        )
    assert info.value.code == "code_taken"
    merged = grid_merge(
        by=tree.admin, codes=["610302001001003", "610302001001004"], name="合回", reason="合并"
    )
    assert merged.code == "610302001001005"
    codes = list(Area.objects.values_list("code", flat=True))
    assert len(codes) == len(set(codes))


def test_split_parts_must_cover_whole_grid():
    tree = make_tree()
    with pytest.raises(DomainError) as info:
        grid_split(
            by=tree.admin,
            code="610302001001001",
            reason="拆分",
            parts=[Part("a", WEST), Part("b", rect(107.025, 34.0, 107.05, 34.04))],
        )
    assert info.value.code == "parts_leave_gap"
    assert Area.objects.get(code="610302001001001").is_active
    assert not AreaChange.objects.filter(kind="split").exists()


def test_split_parts_must_not_overlap_or_leave_grid():
    tree = make_tree()
    with pytest.raises(DomainError) as info:
        grid_split(
            by=tree.admin,
            code="610302001001001",
            reason="拆分",
            parts=[Part("a", rect(107.0, 34.0, 107.03, 34.05)), Part("b", rect(107.02, 34.0, 107.05, 34.05))],
        )
    assert info.value.code == "boundary_overlaps_sibling" and info.value.field == "parts[1].boundary"
    with pytest.raises(DomainError) as info:
        grid_split(
            by=tree.admin,
            code="610302001001001",
            reason="拆分",
            parts=[Part("a", WEST), Part("b", rect(107.025, 34.0, 107.06, 34.05))],
        )
    assert info.value.code == "boundary_outside_parent" and info.value.field == "parts[1].boundary"


def test_split_needs_reason_and_grid():
    tree = make_tree()
    with pytest.raises(DomainError) as info:
        grid_split(
            by=tree.admin, code="610302001001001", reason=" ", parts=[Part("a", WEST), Part("b", EAST)]
        )
    assert info.value.field == "reason"
    with pytest.raises(DomainError) as info:
        grid_split(by=tree.admin, code="610302001001", reason="x", parts=[Part("a", WEST), Part("b", EAST)])
    assert info.value.code == "not_a_grid"


def test_merge_adjacent_siblings():
    tree = make_tree()
    worker = make_user(tree.admin, "w2", "grid_worker", area=tree["610302001001002"])
    merged = grid_merge(
        by=tree.admin, codes=["610302001001001", "610302001001002"], name="合并网格", reason="人口减少"
    )
    assert merged.code == "610302001001003"
    assert merged.boundary["type"] == "Polygon"
    assert abs((merged.max_lng - merged.min_lng) - 0.1) < 1e-9
    assert Area.objects.filter(code__in=["610302001001001", "610302001001002"], is_active=False).count() == 2
    change = AreaChange.objects.get(kind="merge")
    assert change.retired.count() == 2 and list(change.created.all()) == [merged]
    worker.refresh_from_db()
    assert worker.area == merged


def test_merge_refuses_non_adjacent_and_non_siblings():
    tree = make_tree()
    # 610302001001001 and 610302001002002 are in different communities
    with pytest.raises(DomainError) as info:
        grid_merge(by=tree.admin, codes=["610302001001001", "610302001002002"], name="x", reason="x")
    assert info.value.code == "not_siblings"
    grid_split(by=tree.admin, code="610302001001001", reason="拆分", parts=[Part("a", WEST), Part("b", EAST)])
    # 003 = west half, 002 = [107.05,107.1]: not touching
    with pytest.raises(DomainError) as info:
        grid_merge(by=tree.admin, codes=["610302001001003", "610302001001002"], name="x", reason="x")
    assert info.value.code == "not_adjacent"
    assert Area.objects.get(code="610302001001003").is_active


def test_grid_worker_cannot_split():
    tree = make_tree()
    worker = make_user(tree.admin, "w3", "grid_worker", area=tree["610302001001001"])
    with pytest.raises(DomainError) as info:
        grid_split(by=worker, code="610302001001001", reason="x", parts=[Part("a", WEST), Part("b", EAST)])
    assert info.value.status == 403
