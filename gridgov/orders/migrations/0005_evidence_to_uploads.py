"""A service order's delivery photos move from ``orders.Evidence`` to ``core.Upload`` (owner
``orders.order``, role ``evidence``, ``step_id`` the order's ``deliver`` timeline step). The files stay
where they are; thumbnails are made when first asked for. The next migration removes ``Evidence``."""

from django.db import migrations

BATCH = 500


def _deliver_steps(TimelineEvent, order_ids) -> dict:
    steps = (
        TimelineEvent.objects.filter(subject="orders.order", action="deliver", subject_id__in=order_ids)
        .order_by("at", "id")
        .values_list("subject_id", "id")
    )
    return dict(steps)  # an order is delivered once; the latest step wins all the same


def _move(Upload, TimelineEvent, evidence) -> None:
    steps = _deliver_steps(TimelineEvent, {e.order_id for e in evidence})
    Upload.objects.bulk_create(
        Upload(
            owner="orders.order",
            owner_id=e.order_id,
            role="evidence",
            step_id=steps.get(e.order_id),
            path=e.path,
            content_type=e.content_type,
            size=e.size,
            sha256=e.sha256,
            uploaded_by_id=e.uploaded_by_id,
            uploaded_at=e.uploaded_at,
        )
        for e in evidence
    )


def forwards(apps, schema_editor):
    Evidence = apps.get_model("orders", "Evidence")
    Upload = apps.get_model("core", "Upload")
    TimelineEvent = apps.get_model("core", "TimelineEvent")
    batch = []
    for e in Evidence.objects.order_by("pk").iterator(chunk_size=BATCH):
        batch.append(e)
        if len(batch) == BATCH:
            _move(Upload, TimelineEvent, batch)
            batch = []
    _move(Upload, TimelineEvent, batch)


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0004_servicecategory_moves_to_services"),
        ("core", "0004_upload"),
    ]

    # Going back leaves the rows in core.Upload (nothing is lost; the old shape comes back empty).
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
