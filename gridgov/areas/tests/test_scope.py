from __future__ import annotations

import pytest

from gridgov.accounts.models import Unit
from gridgov.areas import selectors
from gridgov.core.errors import NotFound
from gridgov.testing.factories import make_tree, make_user

pytestmark = pytest.mark.django_db


def test_grid_worker_sees_own_grid_not_neighbour():
    tree = make_tree()
    worker = make_user(tree.admin, "w", "grid_worker", area=tree["610302001001001"])
    assert selectors.area_get_visible(worker, "610302001001001").name == "网格1-1-1"
    with pytest.raises(NotFound):
        selectors.area_get_visible(worker, "610302001001002")
    with pytest.raises(NotFound):
        selectors.area_get_visible(worker, "610302001001")  # not even its own community
    assert [a.code for a in selectors.areas_visible_to(worker)] == ["610302001001001"]


def test_street_sees_all_its_communities_and_nothing_of_other_streets():
    tree = make_tree()
    street = make_user(tree.admin, "s", "street", area=tree["610302001"])
    visible = set(selectors.areas_visible_to(street).values_list("code", flat=True))
    assert visible == {c for c in tree.areas if c.startswith("610302001")}
    children = [a.code for a in selectors.area_children_visible(street, "610302001")]
    assert children == ["610302001001", "610302001002"]
    with pytest.raises(NotFound):
        selectors.area_children_visible(street, "610302002")
    with pytest.raises(NotFound):
        selectors.area_get_visible(street, "610302002001001")


def test_backup_covers_away_colleague():
    tree = make_tree()
    a = make_user(tree.admin, "a", "grid_worker", area=tree["610302001001001"])
    b = make_user(tree.admin, "b", "grid_worker", area=tree["610302001001002"])
    a.backup = b
    a.save(update_fields=["backup"])
    assert not selectors.areas_visible_to(b).filter(code=a.area.code).exists()
    a.is_away = True
    a.save(update_fields=["is_away"])
    b = type(b).objects.get(pk=b.pk)  # a fresh object: scope is cached per object
    assert selectors.areas_visible_to(b).filter(code=a.area.code).exists()


def test_unit_handler_scoped_to_unit_area_resident_sees_none():
    tree = make_tree()
    unit = Unit.objects.create(name="街道2物业", kind="property", area=tree["610302002"])
    handler = make_user(tree.admin, "u", "unit", unit=unit)
    assert set(selectors.areas_visible_to(handler).values_list("code", flat=True)) == {
        c for c in tree.areas if c.startswith("610302002")
    }
    resident = make_user(tree.admin, "r", "resident")
    assert not selectors.areas_visible_to(resident).exists()
    assert selectors.grid_for_point_visible(resident, 107.01, 34.01).code == "610302001001001"


def test_admin_roots_are_districts():
    tree = make_tree()
    assert [a.code for a in selectors.area_children_visible(tree.admin, None)] == ["610302"]
