"""The data migrations that moved the four old storage shapes of uploads into ``core.Upload``: rows are built
in the old shape (the old tables and columns are put back for the test, from the migrations' own history)
and each app's data migration is run on the real database."""

from __future__ import annotations

import hashlib
import importlib
from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.utils import timezone

from gridgov.accounts.models import Unit
from gridgov.cases.actions import case_report
from gridgov.cases.models import CaseEvent, Category
from gridgov.core.models import TimelineEvent, Upload
from gridgov.orders import actions as orders
from gridgov.orders.models import ServiceItem
from gridgov.services.models import ServiceCategory
from gridgov.testing import images
from gridgov.testing.factories import make_ledger, make_tree, make_user
from gridgov.visits.actions import visit_record
from gridgov.wishes import actions as wishes

GRID = "610302001001001"
COMMUNITY = "610302001001"
MIGRATIONS = {
    "cases": "0005_attachments_to_uploads",
    "orders": "0005_evidence_to_uploads",
    "visits": "0003_photos_to_uploads",
    "wishes": "0003_claim_photos_to_uploads",
}


def owners():
    """One case, order, visit and wish claim, made through today's actions (without photos)."""
    tree = make_tree()
    admin = tree.admin
    community = make_user(admin, "community", "community", tree[COMMUNITY])
    worker = make_user(admin, "worker", "grid_worker", tree[GRID])
    resident = make_user(admin, "resident", "resident", phone="13912340000")
    volunteer = make_user(admin, "volunteer", "volunteer")
    Category.objects.create(
        code="litter",
        name="垃圾堆放",
        response_limit=Decimal("2"),
        response_unit="urgent_hours",
        resolution_limit=Decimal("24"),
        resolution_unit="urgent_hours",
    )
    case = case_report(
        by=None,
        category_code="litter",
        description="路边垃圾桶满溢",
        lng=107.01,
        lat=34.01,
        reporter_phone="13800001111",
    ).case
    repair_co = Unit.objects.create(name="便民家电维修部", kind="social", area=tree[COMMUNITY])
    repairer = make_user(admin, "repairer", "unit", unit=repair_co)
    item = ServiceItem.objects.create(
        category=ServiceCategory.objects.create(code="repair", name="家电维修"),
        name="家电维修",
        area=tree[COMMUNITY],
        area_code=COMMUNITY,
    )
    item.providers.set([repair_co])
    order = orders.order_create(by=resident, item=item, note="洗衣机不脱水").order
    orders.order_dispatch(by=community, ref=order.ref, provider_unit_id=repair_co.pk)
    orders.order_accept(by=repairer, ref=order.ref)
    orders.order_deliver(by=repairer, ref=order.ref, notes="修好了")
    _building, household, _head, _spouse = make_ledger(admin, GRID, "A")
    visit = visit_record(
        by=worker, household=household, visited_at=timezone.now() - timedelta(hours=1), situation="一切正常"
    )
    ServiceCategory.objects.create(code="elderly", name="养老服务")
    wish, _created = wishes.wish_submit(by=resident, title="送一台收音机", area=GRID, category="elderly")
    wishes.wish_publish(ref=wish.ref, by=community)
    wishes.wish_claim(ref=wish.ref, by=volunteer)
    wishes.wish_fulfil(ref=wish.ref, by=volunteer, note="已送到")
    claim = wish.claims.get()
    return case, order, repairer, visit, worker, claim


def old_schema():
    """The models as they were just before the data migrations, and what of them is gone now: two tables
    (model, None) and two columns (model, field name)."""
    old = MigrationExecutor(connection).loader.project_state(list(MIGRATIONS.items()), at_end=False).apps
    return old, [
        (old.get_model("cases", "Attachment"), None),
        (old.get_model("orders", "Evidence"), None),
        (old.get_model("visits", "Visit"), "photo"),
        (old.get_model("wishes", "WishClaim"), "evidence"),
    ]


def put_back(pieces, *, back: bool = True) -> None:
    """Create the old tables and columns again (``back=False``: drop them). A column is added to and dropped
    from today's model: SQLite rebuilds the table from the model it is given, and the old model would
    take away the columns added since (the visit's ``client_key``) for every later test."""
    with connection.schema_editor() as editor:
        for model, name in pieces:
            if name is None:
                (editor.create_model if back else editor.delete_model)(model)
                continue
            today = apps.get_model(model._meta.app_label, model._meta.model_name)
            field = model._meta.get_field(name).clone()
            field.set_attributes_from_name(name)
            field.model = today
            (editor.add_field if back else editor.remove_field)(today, field)


def write(media, rel: str, data: bytes) -> None:
    path = media / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


@pytest.mark.django_db(transaction=True)
def test_the_four_old_shapes_move_into_core_upload(settings, tmp_path):
    media = settings.MEDIA_ROOT = tmp_path / "media"
    case, order, repairer, visit, worker, claim = owners()
    old, pieces = old_schema()
    put_back(pieces)
    try:
        at = timezone.now() - timedelta(days=3)
        photo, png = images.JPEG, images.PNG
        write(media, "cases/2026/11/a.jpg", photo)
        write(media, "orders/2026/11/b.png", png)
        write(media, "visits/2026/11/c.jpg", photo)
        write(media, "wishes/2026/11/d.webp", images.image_bytes("WEBP"))
        event = CaseEvent.objects.get(case=case, action="report")
        old.get_model("cases", "Attachment").objects.create(
            case_id=case.pk,
            event_id=event.pk,
            kind="photo",
            path="cases/2026/11/a.jpg",
            content_type="image/jpeg",
            size=len(photo),
            sha256=hashlib.sha256(photo).hexdigest(),
            uploaded_by_id=None,
            uploaded_at=at,
        )
        old.get_model("orders", "Evidence").objects.create(
            order_id=order.pk,
            path="orders/2026/11/b.png",
            content_type="image/png",
            size=len(png),
            sha256=hashlib.sha256(png).hexdigest(),
            uploaded_by_id=repairer.pk,
            uploaded_at=at,
        )
        old.get_model("visits", "Visit").objects.filter(pk=visit.pk).update(photo="visits/2026/11/c.jpg")
        old.get_model("wishes", "WishClaim").objects.filter(pk=claim.pk).update(
            evidence=["wishes/2026/11/d.webp", "wishes/2026/11/gone.jpg"]  # the second file was lost
        )
        for app, name in MIGRATIONS.items():
            importlib.import_module(f"gridgov.{app}.migrations.{name}").forwards(old, None)
    finally:
        put_back(pieces, back=False)
    # the tables are as today's models say again, no column lost on the way (later tests use them)
    with connection.cursor() as cursor:
        for model, name in pieces:
            if name is not None:
                today = apps.get_model(model._meta.app_label, model._meta.model_name)
                table = connection.introspection.get_table_description(cursor, today._meta.db_table)
                columns = {column.name for column in table}
                assert {field.column for field in today._meta.local_concrete_fields} == columns

    moved = {u.path: u for u in Upload.objects.all()}
    assert len(moved) == 5
    a = moved["cases/2026/11/a.jpg"]
    assert (a.owner, a.owner_id, a.role, a.step_id) == ("cases.case", case.pk, "photo", event.pk)
    assert (a.size, a.sha256, a.uploaded_at, a.thumb_path) == (
        len(photo),
        hashlib.sha256(photo).hexdigest(),
        at,
        "",
    )
    b = moved["orders/2026/11/b.png"]
    deliver = TimelineEvent.objects.get(subject="orders.order", subject_id=order.pk, action="deliver")
    assert (b.owner, b.owner_id, b.role, b.step_id) == ("orders.order", order.pk, "evidence", deliver.pk)
    assert (b.content_type, b.size, b.uploaded_by_id) == ("image/png", len(png), repairer.pk)
    c = moved["visits/2026/11/c.jpg"]
    assert (c.owner, c.owner_id, c.role, c.step_id) == ("visits.visit", visit.pk, "photo", None)
    assert (c.content_type, c.size, c.uploaded_by_id, c.sha256) == ("image/jpeg", len(photo), worker.pk, "")
    fulfil = TimelineEvent.objects.get(subject="wishes.wish", subject_id=claim.wish_id, action="fulfil")
    d, gone = moved["wishes/2026/11/d.webp"], moved["wishes/2026/11/gone.jpg"]
    for row in (d, gone):
        assert (row.owner, row.owner_id, row.role, row.step_id) == (
            "wishes.wishclaim",
            claim.pk,
            "evidence",
            fulfil.pk,
        )
        assert row.uploaded_by_id == claim.claimant_id and row.uploaded_at == claim.fulfilled_at
    assert (d.content_type, gone.content_type, gone.size) == ("image/webp", "image/jpeg", 0)

    # a moved file is served, and gets its thumbnail on first request
    client = Client()
    client.force_login(worker)
    assert client.get(f"/files/{c.pk}/").status_code == 200
    assert client.get(f"/files/{c.pk}/thumb/").status_code == 200
    c.refresh_from_db()
    assert c.thumb_path and (c.width, c.height) == (8, 6)
