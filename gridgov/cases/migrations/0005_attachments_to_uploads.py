"""A case's photos and evidence move from ``cases.Attachment`` to ``core.Upload`` (owner ``cases.case``,
the role from the attachment's kind, ``step_id`` from its timeline event). The files stay where they are;
thumbnails are made when first asked for. The next migration removes ``Attachment``."""

from django.db import migrations

BATCH = 500


def forwards(apps, schema_editor):
    Attachment = apps.get_model("cases", "Attachment")
    Upload = apps.get_model("core", "Upload")
    rows = []
    for a in Attachment.objects.order_by("pk").iterator(chunk_size=BATCH):
        rows.append(
            Upload(
                owner="cases.case",
                owner_id=a.case_id,
                role=a.kind,
                step_id=a.event_id,
                path=a.path,
                content_type=a.content_type,
                size=a.size,
                sha256=a.sha256,
                uploaded_by_id=a.uploaded_by_id,
                uploaded_at=a.uploaded_at,
            )
        )
        if len(rows) == BATCH:
            Upload.objects.bulk_create(rows)
            rows = []
    Upload.objects.bulk_create(rows)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0004_fewer_case_indexes"),
        ("core", "0004_upload"),
    ]

    # Going back leaves the rows in core.Upload (nothing is lost; the old shape comes back empty).
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
