"""A claim's fulfil photos move from the list of paths in ``WishClaim.evidence`` to ``core.Upload`` (owner
``wishes.wishclaim``, role ``evidence``, ``step_id`` the wish's ``fulfil`` step of that claim; uploaded by
the claimant when the claim was fulfilled; the content type from the file's extension, the size from the
file system when the file is there). The files stay where they are and are not read; the hash stays empty,
and thumbnails (with width and height) are made when first asked for. The next migration removes
``WishClaim.evidence``."""

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


def _fulfil_steps(TimelineEvent, wish_ids) -> dict:
    """claim id → the ``fulfil`` step that names it (``data["claim"]``)."""
    steps = TimelineEvent.objects.filter(subject="wishes.wish", action="fulfil", subject_id__in=wish_ids)
    return {e.data.get("claim"): e.pk for e in steps.order_by("at", "id") if isinstance(e.data, dict)}


def _move(Upload, TimelineEvent, claims) -> None:
    steps = _fulfil_steps(TimelineEvent, {c.wish_id for c in claims})
    Upload.objects.bulk_create(
        Upload(
            owner="wishes.wishclaim",
            owner_id=c.pk,
            role="evidence",
            step_id=steps.get(c.pk),
            path=str(path),
            content_type=TYPES.get(Path(str(path)).suffix.lower(), "application/octet-stream"),
            size=_size(str(path)),
            uploaded_by_id=c.claimant_id,
            uploaded_at=c.fulfilled_at or c.claimed_at,
        )
        for c in claims
        for path in c.evidence
        if path
    )


def forwards(apps, schema_editor):
    WishClaim = apps.get_model("wishes", "WishClaim")
    Upload = apps.get_model("core", "Upload")
    TimelineEvent = apps.get_model("core", "TimelineEvent")
    batch = []
    claims = WishClaim.objects.order_by("pk").only(
        "pk", "wish_id", "claimant_id", "fulfilled_at", "claimed_at", "evidence"
    )
    for claim in claims.iterator(chunk_size=BATCH):
        if isinstance(claim.evidence, list) and claim.evidence:
            batch.append(claim)
        if len(batch) == BATCH:
            _move(Upload, TimelineEvent, batch)
            batch = []
    _move(Upload, TimelineEvent, batch)


class Migration(migrations.Migration):
    dependencies = [
        ("wishes", "0002_servicecategory_in_services"),
        ("core", "0004_upload"),
    ]

    # Going back leaves the rows in core.Upload (nothing is lost; the old shape comes back empty).
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
