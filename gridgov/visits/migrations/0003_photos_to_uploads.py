"""A visit's photo moves from the path in ``Visit.photo`` to ``core.Upload`` (owner ``visits.visit``,
role ``photo``; uploaded by the recorder at the visit's last update, the content type from the file's
extension, the size from the file system when the file is there). The files stay where they are and are
not read; the hash stays empty, and thumbnails (with width and height) are made when first asked for.
The next migration removes ``Visit.photo``."""

from pathlib import Path

from django.conf import settings
from django.db import migrations

BATCH = 500
TYPES = {".jpg": "image/jpeg", ".png": "image/png", ".webp": "image/webp"}


def _size(rel: str) -> int:
    try:
        return (Path(settings.MEDIA_ROOT) / rel).stat().st_size
    except OSError:  # a missing file stays missing; its row says where it was
        return 0


def forwards(apps, schema_editor):
    Visit = apps.get_model("visits", "Visit")
    Upload = apps.get_model("core", "Upload")
    visits = (
        Visit.objects.exclude(photo="")
        .order_by("pk")
        .values_list("pk", "photo", "recorded_by_id", "updated_at")
    )
    rows = []
    for pk, photo, recorded_by_id, updated_at in visits.iterator(chunk_size=BATCH):
        rows.append(
            Upload(
                owner="visits.visit",
                owner_id=pk,
                role="photo",
                path=photo,
                content_type=TYPES.get(Path(photo).suffix.lower(), "application/octet-stream"),
                size=_size(photo),
                uploaded_by_id=recorded_by_id,
                uploaded_at=updated_at,
            )
        )
        if len(rows) == BATCH:
            Upload.objects.bulk_create(rows)
            rows = []
    Upload.objects.bulk_create(rows)


class Migration(migrations.Migration):
    dependencies = [
        ("visits", "0002_rule_once_for_all"),
        ("core", "0004_upload"),
    ]

    # Going back leaves the rows in core.Upload (nothing is lost; the old shape comes back empty).
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
