"""The upload kit (core/uploads.py): every image is decoded and re-encoded; decompression bombs, broken files
and non-images are refused before anything is written; metadata is stripped; a thumbnail is kept; the files
go with a rolled-back transaction; the one file view serves a file only to who may see its owner."""

from __future__ import annotations

import functools
import hashlib
import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.utils import timezone
from PIL import Image, ImageCms, PngImagePlugin

from gridgov.accounts.models import User
from gridgov.core import uploads
from gridgov.core.errors import DomainError
from gridgov.core.models import Upload
from gridgov.testing import images
from gridgov.testing.factories import PASSWORD, make_admin, make_user

pytestmark = pytest.mark.django_db

GPS = {1: "N", 2: (34.0, 21.0, 5.5), 3: "E", 4: (107.0, 8.0, 3.0)}  # where the photo was taken
XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:Description>secret-xmp</rdf:Description></x:xmpmeta>'


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def owner() -> User:
    """A saved row to own uploads (accounts are no upload owners in the product; here any model does)."""
    return make_admin()


@pytest.fixture
def own_files_only():
    """Registers accounts as an owner kind for the view: an account sees the files it owns, nobody else."""
    uploads.register_owner(User, lambda user, owner_id: user.pk == owner_id)
    yield
    uploads.OWNERS.pop("accounts.user")


def files_in(media) -> list:
    return sorted(p for p in media.rglob("*") if p.is_file()) if media.exists() else []


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


@functools.cache
def huge_png(side: int) -> bytes:
    """A one-colour bitonal PNG of side × side pixels: a few kilobytes that decode to a huge image."""
    out = io.BytesIO()
    Image.new("1", (side, side)).save(out, "PNG")
    return out.getvalue()


def photo_with_metadata() -> bytes:
    """A 40×20 JPEG taken turned (EXIF orientation 6), with GPS position, camera, XMP, ICC and a comment."""
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "SecretCam"
    exif[0x8825] = GPS
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    out = io.BytesIO()
    picture = Image.new("RGB", (40, 20), (250, 0, 0))
    picture.paste((0, 0, 250), (0, 0, 20, 20))  # left half blue, right half red
    picture.save(out, "JPEG", exif=exif, icc_profile=icc, xmp=XMP, comment=b"secret-comment")
    return out.getvalue()


def stored(upload_row: Upload) -> bytes:
    return uploads.absolute(upload_row.path).read_bytes()


# ---------------------------------------------------------------- refusals


def test_a_decompression_bomb_is_refused_before_its_pixels_are_decoded(media, owner):
    with pytest.raises(DomainError) as refused:
        uploads.prepare([images.upload("ok.png"), upload("bomb.png", huge_png(20000))], "photos")
    assert (refused.value.code, refused.value.field, refused.value.status) == (
        "too_many_pixels",
        "photos[1]",
        400,
    )
    assert "bomb.png" in refused.value.message and "40,000,000" in refused.value.message
    # only the header is read: a bomb whose pixel data is cut off is refused for its size, not as broken
    cut = huge_png(20000)[:200]
    with pytest.raises(DomainError) as refused:
        uploads.prepare([upload("cut.png", cut)])
    assert refused.value.code == "too_many_pixels"
    assert files_in(media) == [] and not Upload.objects.exists()


def test_the_pixel_limit_is_a_setting(settings):
    settings.UPLOAD_MAX_PIXELS = 8 * 6 - 1
    with pytest.raises(DomainError) as refused:
        uploads.prepare([images.upload()])
    assert refused.value.code == "too_many_pixels"
    settings.UPLOAD_MAX_PIXELS = 8 * 6
    assert len(uploads.prepare([images.upload()])) == 1


def test_pillows_own_bomb_warning_and_error_are_the_same_refusal(settings):
    settings.UPLOAD_MAX_PIXELS = 10**12  # above Pillow's limit: Pillow's checks are the ones that fire
    for side in (10_000, 20_000):  # above Pillow's limit (a warning), above twice that (an error)
        with pytest.raises(DomainError) as refused:
            uploads.prepare([upload("big.png", huge_png(side))])
        assert (refused.value.code, refused.value.field) == ("too_many_pixels", "photos[0]")


def test_truncated_corrupt_and_renamed_files_are_refused(media):
    jpeg = images.image_bytes("JPEG", (64, 48))
    png = images.image_bytes("PNG", (64, 48))
    corrupt = png[:60] + bytes(b ^ 0xFF for b in png[60:-12]) + png[-12:]
    cases = [
        (upload("half.jpg", jpeg[: len(jpeg) // 2]), "broken_image"),
        (upload("corrupt.png", corrupt), "broken_image"),
        (upload("notes.jpg", "这不是图片，是一段文字".encode()), "not_an_image"),
        (upload("fake.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64), "not_an_image"),
        (upload("anim.gif", images.image_bytes("GIF")), "not_an_image"),
    ]
    for bad, code in cases:
        with pytest.raises(DomainError) as refused:
            uploads.prepare([images.upload(), bad], "evidence")
        assert (refused.value.code, refused.value.field) == (code, "evidence[1]"), bad.name
        assert bad.name in refused.value.message
    assert files_in(media) == []


def test_size_and_count_limits_keep_their_codes_and_messages(settings):
    settings.UPLOAD_MAX_FILES = 2
    with pytest.raises(DomainError) as refused:
        uploads.prepare([images.upload()] * 3)
    assert (refused.value.code, refused.value.message, refused.value.field) == (
        "too_many_files",
        "最多上传 2 个文件",
        "photos",
    )
    with pytest.raises(DomainError) as refused:
        uploads.prepare([upload("empty.jpg", b"")])
    assert (refused.value.code, refused.value.message) == ("empty_file", "文件「empty.jpg」是空的")
    settings.UPLOAD_MAX_BYTES = 2 * 1024 * 1024
    big = images.image_bytes("PNG", (1, 1)) + b"\x00" * (2 * 1024 * 1024)
    with pytest.raises(DomainError) as refused:
        uploads.prepare([upload("big.png", big)])
    assert (refused.value.code, refused.value.message) == (
        "file_too_large",
        "文件「big.png」超过 2 MB 的限制",
    )


def test_a_later_refusal_waits_for_require():
    batch = uploads.prepare([upload("notes.jpg", b"plain text")], "photos", refuse_later=True)
    assert len(batch) == 0
    with pytest.raises(DomainError) as refused:
        batch.require()
    assert refused.value.code == "not_an_image"


# ---------------------------------------------------------------- cleaning and storing


def test_a_photo_is_stored_upright_without_any_metadata(owner):
    original = photo_with_metadata()
    assert b"Exif" in original and b"secret-xmp" in original  # what the phone sent
    row = uploads.save(uploads.prepare([upload("scene.jpg", original)]), owner=owner, role="photo", by=owner)[
        0
    ]
    data = stored(row)
    for secret in (
        b"Exif",
        b"SecretCam",
        b"secret-xmp",
        b"secret-comment",
        b"ICC_PROFILE",
        b"http://ns.adobe",
    ):
        assert secret not in data, secret
    with Image.open(io.BytesIO(data)) as im:
        assert im.format == "JPEG" and dict(im.getexif()) == {}
        assert not {"exif", "xmp", "icc_profile", "comment"} & set(im.info)
        assert im.size == (20, 40)  # turned as the orientation said
        assert im.getpixel((10, 5))[2] > 200  # the blue half is on top now
    assert (row.width, row.height, row.content_type) == (20, 40, "image/jpeg")


def test_png_and_webp_lose_their_text_and_metadata(owner):
    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", "secret-text")
    text.add_itxt("XML:com.adobe.xmp", XMP.decode())
    exif = Image.Exif()
    exif[0x8825] = GPS
    png = io.BytesIO()
    Image.new("RGBA", (30, 30), (0, 128, 0, 100)).save(png, "PNG", pnginfo=text, exif=exif)
    webp = io.BytesIO()
    Image.new("RGB", (30, 30), (0, 128, 0)).save(webp, "WEBP", exif=exif, xmp=XMP)
    batch = uploads.prepare([upload("a.png", png.getvalue()), upload("b.webp", webp.getvalue())])
    rows = uploads.save(batch, owner=owner)
    assert [r.content_type for r in rows] == ["image/png", "image/webp"]
    for row in rows:
        data = stored(row)
        assert b"secret-text" not in data and b"secret-xmp" not in data and b"Exif" not in data
        with Image.open(io.BytesIO(data)) as im:
            assert dict(im.getexif()) == {} and not {"exif", "xmp", "Comment"} & set(im.info)
    with Image.open(io.BytesIO(stored(rows[0]))) as im:
        assert im.mode == "RGBA" and im.getpixel((5, 5)) == (0, 128, 0, 100)  # transparency kept


def test_a_thumbnail_of_at_most_320_pixels_is_kept(owner, media):
    data = images.image_bytes("JPEG", (1000, 500))
    row = uploads.save(uploads.prepare([upload("wide.jpg", data)]), owner=owner, by=owner, at=timezone.now())[
        0
    ]
    thumb = uploads.absolute(row.thumb_path)
    with Image.open(thumb) as im:
        assert im.format == "WEBP" and im.size == (320, 160)
    content = stored(row)
    assert (row.width, row.height) == (1000, 500)
    assert row.size == len(content) and row.sha256 == hashlib.sha256(content).hexdigest()
    assert row.owner == "accounts.user" and row.owner_id == owner.pk and row.uploaded_by == owner
    assert row.path.startswith("accounts/") and sorted(files_in(media)) == sorted(
        [uploads.absolute(row.path), thumb]
    )


# ---------------------------------------------------------------- no file without its row


def test_a_rolled_back_transaction_leaves_no_file(owner, media):
    batch = uploads.prepare([images.upload(), images.upload("b.png")])
    with pytest.raises(RuntimeError), transaction.atomic():
        uploads.save(batch, owner=owner)
        assert len(files_in(media)) == 4  # two photos, two thumbnails, while the transaction runs
        raise RuntimeError("a later step fails")
    assert files_in(media) == [] and not Upload.objects.exists()


def test_files_of_a_rolled_back_savepoint_go_and_the_rest_stay(owner, media):
    with transaction.atomic():
        kept = uploads.save(uploads.prepare([images.upload()]), owner=owner)[0]
        with pytest.raises(DomainError), transaction.atomic():
            uploads.save(uploads.prepare([images.upload("later.png")]), owner=owner)
            raise DomainError("refused", "a refusal after the files were stored")
    assert list(Upload.objects.all()) == [kept]
    assert files_in(media) == sorted([uploads.absolute(kept.path), uploads.absolute(kept.thumb_path)])


@pytest.mark.django_db(transaction=True)
def test_committed_files_stay_and_rolled_back_ones_go(media):
    owner = make_admin()
    with transaction.atomic():
        kept = uploads.save(uploads.prepare([images.upload()]), owner=owner)[0]
    with pytest.raises(RuntimeError), transaction.atomic():
        uploads.save(uploads.prepare([images.upload("b.png")]), owner=owner)
        raise RuntimeError("a later step fails")
    assert list(Upload.objects.all()) == [kept]
    assert files_in(media) == sorted([uploads.absolute(kept.path), uploads.absolute(kept.thumb_path)])


@pytest.mark.django_db(transaction=True)
def test_discarded_files_go_only_when_the_deletion_commits(media):
    owner = make_admin()
    row = uploads.save(uploads.prepare([images.upload()]), owner=owner)[0]
    with pytest.raises(RuntimeError), transaction.atomic():
        uploads.discard(uploads.of(owner))
        raise RuntimeError("the deletion is rolled back")
    assert Upload.objects.filter(pk=row.pk).exists() and len(files_in(media)) == 2
    with transaction.atomic():
        uploads.discard(uploads.of(owner))
    assert not Upload.objects.exists() and files_in(media) == []


# ---------------------------------------------------------------- the file view


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        assert client.login(username=user.username, password=PASSWORD)
    return client


def test_the_view_serves_a_file_only_to_who_may_see_its_owner(owner, own_files_only):
    other = make_user(owner, "other", "resident")
    row = uploads.save(uploads.prepare([images.upload()]), owner=owner)[0]
    response = client_for(owner).get(f"/files/{row.pk}/")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert b"".join(response.streaming_content) == stored(row)
    thumb = client_for(owner).get(f"/files/{row.pk}/thumb/")
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/webp"
    for url in (f"/files/{row.pk}/", f"/files/{row.pk}/thumb/", f"/files/{row.pk + 1}/"):
        assert client_for(other).get(url).status_code == 404, url
    anonymous = client_for(None).get(f"/files/{row.pk}/")
    assert anonymous.status_code == 302 and anonymous.url.startswith("/login/")


def test_an_owner_kind_nobody_registered_is_seen_by_nobody(owner):
    row = uploads.save(uploads.prepare([images.upload()]), owner=owner)[0]
    assert client_for(owner).get(f"/files/{row.pk}/").status_code == 404


def test_a_missing_file_is_a_404(owner, own_files_only):
    row = uploads.save(uploads.prepare([images.upload()]), owner=owner)[0]
    uploads.absolute(row.path).unlink()
    assert client_for(owner).get(f"/files/{row.pk}/").status_code == 404


def test_files_stored_before_thumbnails_get_one_on_first_request(owner, own_files_only, media):
    old = media / "visits" / "2026" / "11" / "old.jpg"
    old.parent.mkdir(parents=True)
    old.write_bytes(images.image_bytes("JPEG", (640, 480)))
    row = Upload.objects.create(
        owner="accounts.user",
        owner_id=owner.pk,
        path="visits/2026/11/old.jpg",
        content_type="image/jpeg",
        size=old.stat().st_size,
        uploaded_at=timezone.now(),
    )
    response = client_for(owner).get(f"/files/{row.pk}/thumb/")
    assert response.status_code == 200 and response["Content-Type"] == "image/webp"
    row.refresh_from_db()
    assert row.thumb_path == "visits/2026/11/old-thumb.webp" and (row.width, row.height) == (640, 480)
    with Image.open(uploads.absolute(row.thumb_path)) as im:
        assert im.size == (320, 240)
    # a stored file that is not an image (accepted by its first bytes before) gets no thumbnail
    broken = media / "visits" / "2026" / "11" / "fake.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    row = Upload.objects.create(
        owner="accounts.user",
        owner_id=owner.pk,
        path="visits/2026/11/fake.png",
        content_type="image/png",
        size=72,
        uploaded_at=timezone.now(),
    )
    assert client_for(owner).get(f"/files/{row.pk}/thumb/").status_code == 404
    assert client_for(owner).get(f"/files/{row.pk}/").status_code == 200


def test_a_file_gets_its_name_only_once_written_whole_and_backups_skip_it_until_then(
    owner, media, monkeypatch
):
    """A backup copying the media while a photo is stored must never read half a file: the file is written
    under a partial name (which backups skip) and linked to its own name when complete."""
    from gridgov.core.backup import media_files

    seen = []
    real_link = uploads.os.link

    def watching_link(source, target):
        listed = [rel for _full, rel in media_files(media)]
        seen.append((Path(source).read_bytes(), Path(target).exists(), listed))
        real_link(source, target)

    monkeypatch.setattr(uploads.os, "link", watching_link)
    data = images.image_bytes("JPEG", (400, 300))
    row = uploads.save(uploads.prepare([upload("p.jpg", data)]), owner=owner, by=owner, at=timezone.now())[0]
    photo_bytes, photo_named_yet, listed = seen[0]
    assert photo_bytes == stored(row) and not photo_named_yet and listed == []
    assert all(uploads.PARTIAL_PREFIX not in p.name for p in files_in(media))
    assert len(seen) == 2 and seen[1][2] == [row.path]  # the thumbnail's turn: only the whole photo is listed
