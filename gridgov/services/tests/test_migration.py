"""The service categories leave the orders app with their rows: from the schema before the move (orders
0002), categories, a sub-category, a catalogue item, a need, a resource, a wish and a group's permission on
categories are written; after migrating forward they are all there, pointing at the same rows, on SQLite
and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from gridgov.testing.factories import make_tree

# The last migrations before the move, of every app that refers to the categories.
BEFORE = [
    ("orders", "0002_catalogue_and_orders"),
    ("projects", "0002_resources_projects_cobuilding"),
    ("wishes", "0001_initial"),
]
GRID = "610302001001001"


def _migrate_back():
    """Unapply the move; returns the models as they were before it."""
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    others = [node for node in executor.loader.graph.leaf_nodes() if node[0] in ("auth", "contenttypes")]
    return executor.loader.project_state(BEFORE + others).apps


def _latest() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_categories_move_to_the_services_app_with_their_rows():
    tree = make_tree()
    grid = tree[GRID]
    old = _migrate_back()
    try:
        Category = old.get_model("orders", "ServiceCategory")
        assert Category._meta.db_table == "orders_servicecategory"
        legal = Category.objects.create(code="legal", name="法律服务", sort=1)
        aid = Category.objects.create(code="legal-aid", name="法律援助", parent=legal, sort=2)
        meals = Category.objects.create(code="meals", name="助餐服务", sort=3)
        item = old.get_model("orders", "ServiceItem").objects.create(
            category=meals, name="老年助餐", area_id=grid.pk, area_code=GRID, fee="low", price=Decimal("12")
        )
        now = timezone.now()
        need = old.get_model("projects", "Need").objects.create(
            title="助餐点", category=meals, area_id=grid.pk, area_code=GRID, created_at=now
        )
        resource = old.get_model("projects", "Resource").objects.create(
            title="法律咨询",
            category=aid,
            kind="skill",
            owner_user_id=tree.admin.pk,
            area_id=grid.pk,
            area_code=GRID,
            created_at=now,
        )
        wish = old.get_model("wishes", "Wish").objects.create(
            ref="XY-20261122-000001",
            title="一次理发",
            category=legal,
            area_id=grid.pk,
            area_code=GRID,
            created_at=now,
        )
        ContentType = old.get_model("contenttypes", "ContentType")
        Permission, Group = old.get_model("auth", "Permission"), old.get_model("auth", "Group")
        category_type, _ = ContentType.objects.get_or_create(app_label="orders", model="servicecategory")
        change, _ = Permission.objects.get_or_create(
            content_type=category_type, codename="change_servicecategory", defaults={"name": "change"}
        )
        Group.objects.create(name="类别维护").permissions.add(change)
    finally:
        _latest()

    from django.contrib.auth.models import Group as CurrentGroup
    from django.contrib.contenttypes.models import ContentType as CurrentContentType

    from gridgov.orders.models import ServiceItem
    from gridgov.projects.models import Need, Resource
    from gridgov.services.models import ServiceCategory
    from gridgov.wishes.models import Wish

    assert ServiceCategory._meta.db_table == "services_servicecategory"
    assert set(ServiceCategory.objects.values_list("pk", "code")) == {
        (legal.pk, "legal"),
        (aid.pk, "legal-aid"),
        (meals.pk, "meals"),
    }
    assert ServiceCategory.objects.get(code="legal-aid").parent_id == legal.pk
    assert ServiceItem.objects.get(pk=item.pk).category.code == "meals"
    assert Need.objects.get(pk=need.pk).category.code == "meals"
    assert Resource.objects.get(pk=resource.pk).category.code == "legal-aid"
    assert Wish.objects.get(pk=wish.pk).category.code == "legal"
    assert CurrentContentType.objects.filter(model="servicecategory").get().app_label == "services"
    group = CurrentGroup.objects.get(name="类别维护")
    assert [p.content_type.app_label for p in group.permissions.all()] == ["services"]
    # the foreign keys are enforced against the moved table
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        assert "services_servicecategory" in tables and "orders_servicecategory" not in tables
        for table in ("orders_serviceitem", "projects_need", "projects_resource", "wishes_wish"):
            targets = {
                target for _column, target in connection.introspection.get_relations(cursor, table).values()
            }
            assert "services_servicecategory" in targets, table
    ServiceCategory.objects.create(code="new", name="新类别")  # the id sequence carried over
