"""Uploaded images of every module (上传图片): checked, cleaned, stored with their rows, served in scope.

Every action that takes images makes the same two calls::

    photos = uploads.prepare(files, "photos")      # before the transaction; nothing is written yet
    with transaction.atomic():
        ...
        uploads.save(photos, owner=case, role=Upload.Role.PHOTO, step=event, by=by, at=now)

:func:`prepare` refuses, naming the field (``photos[2]``): more than ``UPLOAD_MAX_FILES`` files, an empty
file, a file over ``UPLOAD_MAX_BYTES``, one that is not a JPEG, PNG or WebP by its bytes, one with more
pixels than ``UPLOAD_MAX_PIXELS`` (read from the header before any pixel is decoded: decompression bombs;
Pillow's own bomb warning and error are refused the same way), and one that does not decode completely
(truncated, corrupt). It applies the EXIF orientation and re-encodes the pixels in the same format, so
the stored file keeps nothing of the original but the picture — no EXIF (GPS position, camera), XMP, ICC
profile, comments or PNG text — and it makes a WebP thumbnail (longest side :data:`THUMB_SIDE`). Decoding
is the slow part, so it runs before the action's transaction; an action whose other refusals must come
first passes ``refuse_later=True`` and calls :meth:`Batch.require` where they have been made.

:func:`save` writes the files under ``MEDIA_ROOT/<app>/YYYY/MM/<random>.<ext>`` and their
:class:`~gridgov.core.models.Upload` rows inside the caller's transaction, and removes the files again when
that transaction — or the savepoint it was called in — rolls back: no file without its row, no row without
its file. :func:`discard` deletes rows and removes their files once the deletion has committed.

The file view (:mod:`gridgov.core.views`) serves an upload only to someone who may see its owner: each app
registers the predicate for its owning model with :func:`register_owner` from its ``AppConfig.ready``;
an owner nobody registered is seen by nobody.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import uuid
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import models, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from gridgov.core.errors import DomainError, NotFound
from gridgov.core.models import Upload

log = logging.getLogger("gridgov.uploads")

# Pillow format → (content type, file extension); nothing else is accepted.
FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}
SIGNATURES = ((b"\xff\xd8\xff", "JPEG"), (b"\x89PNG\r\n\x1a\n", "PNG"))
THUMB_SIDE = 320
THUMB_TYPE = "image/webp"
QUALITY = {"JPEG": 90, "WEBP": 90}
THUMB_QUALITY = 80


def sniff(head: bytes) -> str | None:
    """The Pillow format name the first bytes announce, or None."""
    for magic, name in SIGNATURES:
        if head.startswith(magic):
            return name
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    return None


def max_bytes() -> int:
    return int(settings.UPLOAD_MAX_BYTES)


def max_files() -> int:
    return int(settings.UPLOAD_MAX_FILES)


def max_pixels() -> int:
    """The setting, or Pillow's own decompression-bomb limit if that is lower (Pillow warns above it)."""
    return min(int(settings.UPLOAD_MAX_PIXELS), Image.MAX_IMAGE_PIXELS or int(settings.UPLOAD_MAX_PIXELS))


# ---------------------------------------------------------------- checking and cleaning


@dataclass(frozen=True)
class CleanImage:
    """One upload after the checks: the re-encoded file and its thumbnail, held in memory."""

    name: str
    content_type: str
    ext: str
    data: bytes
    thumb: bytes
    width: int
    height: int

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass
class Batch:
    """The images of one field of one request, checked and cleaned, not yet stored. ``refusal`` holds
    the first problem found when :func:`prepare` was asked to refuse later."""

    field: str
    images: list[CleanImage]
    refusal: DomainError | None = None

    def __len__(self) -> int:
        return len(self.images)

    def require(self) -> Batch:
        """Raise the refusal :func:`prepare` found, if any."""
        if self.refusal is not None:
            raise self.refusal
        return self


def prepare(files: Iterable | None, field: str = "photos", *, refuse_later: bool = False) -> Batch:
    """Check and clean every file of ``field`` before anything is written (see the module docstring).
    Refuses with a :class:`DomainError` naming the file's field, at once or — with ``refuse_later`` —
    when :meth:`Batch.require` (or :func:`save`) is called."""
    try:
        return Batch(field, _clean_all(list(files or []), field))
    except DomainError as refusal:
        if not refuse_later:
            raise
        return Batch(field, [], refusal)


def _display_name(f, i: int) -> str:
    return Path(str(getattr(f, "name", "") or f"#{i + 1}")).name[:100]


def _clean_all(files: list, field: str) -> list[CleanImage]:
    if len(files) > max_files():
        raise DomainError("too_many_files", _("最多上传 %(count)s 个文件") % {"count": max_files()}, field)
    # the cheap checks of every file first, so no image is decoded for a request that fails anyway
    for i, f in enumerate(files):
        name, where = _display_name(f, i), f"{field}[{i}]"
        size = getattr(f, "size", None)
        if not size:
            raise DomainError("empty_file", _("文件「%(name)s」是空的") % {"name": name}, where)
        if size > max_bytes():
            message = _("文件「%(name)s」超过 %(mb)s MB 的限制") % {"name": name, "mb": max_bytes() // 2**20}
            raise DomainError("file_too_large", message, where)
        f.seek(0)
        kind = sniff(f.read(16))
        f.seek(0)
        if kind is None:
            raise DomainError(
                "not_an_image", _("文件「%(name)s」不是 JPEG、PNG 或 WebP 图片") % {"name": name}, where
            )
    return [_clean(f, _display_name(f, i), f"{field}[{i}]") for i, f in enumerate(files)]


def _too_many_pixels(name: str, where: str) -> DomainError:
    message = _("图片「%(name)s」的像素过多（上限 %(limit)s 像素）") % {
        "name": name,
        "limit": f"{max_pixels():,}",
    }
    return DomainError("too_many_pixels", message, where)


def _decoded(data: bytes, name: str, where: str) -> tuple[Image.Image, str]:
    """The first frame of the image in ``data`` fully decoded, and its format. The size comes from the
    header and is checked before the pixels are decoded."""
    try:
        # The filter is process-wide while it lasts; should another thread's exit restore the old filters
        # early, the header check below still refuses what Pillow would warn about (max_pixels).
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data), formats=list(FORMATS))
            width, height = im.size
            if width * height > max_pixels():
                im.close()
                raise _too_many_pixels(name, where)
            im.load()
    except DomainError:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise _too_many_pixels(name, where) from None
    except UnidentifiedImageError:
        message = _("文件「%(name)s」不是 JPEG、PNG 或 WebP 图片") % {"name": name}
        raise DomainError("not_an_image", message, where) from None
    except Exception as exc:  # Pillow reports a damaged file with many exception types
        log.info("upload %s does not decode: %s: %s", where, type(exc).__name__, exc)
        message = _("图片「%(name)s」已损坏或不完整，无法读取") % {"name": name}
        raise DomainError("broken_image", message, where) from None
    return im, im.format


def _upright(im: Image.Image) -> Image.Image:
    """``im`` turned as its EXIF orientation says (a copy; a damaged EXIF block leaves it as it is)."""
    try:
        return ImageOps.exif_transpose(im)
    except Exception:  # the orientation is a nicety; the pixels decoded fine
        return im.copy()


def _has_alpha(im: Image.Image) -> bool:
    return im.mode in ("LA", "RGBA", "PA", "La", "RGBa") or "transparency" in im.info


def _thumbnail(im: Image.Image) -> bytes:
    thumb = im.convert("RGBA" if _has_alpha(im) else "RGB")
    thumb.thumbnail((THUMB_SIDE, THUMB_SIDE))
    out = io.BytesIO()
    thumb.save(out, "WEBP", quality=THUMB_QUALITY)
    return out.getvalue()


def _encoded(im: Image.Image, fmt: str) -> bytes:
    """The pixels of ``im`` in ``fmt`` and nothing else: ``im.info`` (EXIF, XMP, ICC profile, comments,
    PNG text) is cleared before saving; only a PNG's transparent colour, part of the picture, is kept."""
    params: dict = {}
    if fmt == "PNG" and "transparency" in im.info:
        params["transparency"] = im.info["transparency"]
    if fmt == "JPEG" and im.mode not in ("L", "RGB"):
        im = im.convert("RGB")
    elif fmt == "WEBP" and im.mode not in ("RGB", "RGBA"):
        im = im.convert("RGBA" if _has_alpha(im) else "RGB")
    im.info = {}
    if fmt in QUALITY:
        params["quality"] = QUALITY[fmt]
    out = io.BytesIO()
    im.save(out, fmt, **params)
    return out.getvalue()


def _clean(f, name: str, where: str) -> CleanImage:
    f.seek(0)
    source, fmt = _decoded(f.read(), name, where)  # within UPLOAD_MAX_BYTES, checked before
    f.seek(0)
    try:
        im = _upright(source)
    finally:
        source.close()
    try:
        thumb = _thumbnail(im)
        data = _encoded(im, fmt)
    except Exception as exc:  # a mode the encoder refuses: the file is not an image we can keep
        log.info("upload %s does not re-encode: %s: %s", where, type(exc).__name__, exc)
        raise DomainError(
            "broken_image", _("图片「%(name)s」已损坏或不完整，无法读取") % {"name": name}, where
        ) from None
    content_type, ext = FORMATS[fmt]
    return CleanImage(name, content_type, ext, data, thumb, im.width, im.height)


# ---------------------------------------------------------------- storing and removing


def absolute(rel: str) -> Path:
    return Path(settings.MEDIA_ROOT) / rel


def _inside_media(rel: str) -> Path | None:
    media = Path(settings.MEDIA_ROOT).resolve()
    path = absolute(rel).resolve()
    return path if path.is_relative_to(media) else None


PARTIAL_PREFIX = ".part-"  # a file being written; never served, listed or backed up


def _write(rel: Path, data: bytes) -> None:
    """Write the file whole under a partial name, then link it to its own (random) name: a reader — a
    backup running meanwhile — sees either no file or the complete one, and ``link`` refuses an existing
    name, so the write is never someone else's file."""
    target = Path(settings.MEDIA_ROOT) / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{PARTIAL_PREFIX}{target.name}")
    with open(partial, "xb") as out:
        out.write(data)
    try:
        os.link(partial, target)
    finally:
        partial.unlink()


def _thumb_name(rel: str) -> str:
    path = Path(rel)
    return str(path.with_name(f"{path.stem}-thumb.webp"))


def remove(paths: Iterable[str]) -> None:
    for rel in paths:
        if not rel:
            continue
        try:
            absolute(rel).unlink(missing_ok=True)
        except OSError:
            log.exception("could not remove %s", rel)


class _RemoveUnlessCommitted:
    """Given to ``transaction.on_commit`` by :func:`save`: called when the transaction commits. Django
    drops the callbacks of a transaction or savepoint that rolls back; this object then loses its last
    reference, CPython frees it at once, and the files it guards are removed."""

    def __init__(self, paths: list[str]) -> None:
        self.paths = paths
        self.committed = False

    def __call__(self) -> None:
        self.committed = True

    def __del__(self) -> None:
        if not self.committed:
            remove(self.paths)


def owner_label(owner: models.Model | type[models.Model]) -> str:
    return owner._meta.label_lower


def save(
    batch: Batch,
    *,
    owner: models.Model,
    role: str = "",
    step: models.Model | None = None,
    by=None,
    at=None,
) -> list[Upload]:
    """Store ``batch`` for ``owner`` (saved already) inside the caller's transaction: the files under
    ``MEDIA_ROOT/<owner's app>/YYYY/MM/`` and one row each. The files are removed again if the rows are not
    written, or if the transaction (or savepoint) around this call rolls back."""
    batch.require()
    if not batch.images:
        return []
    at = at or timezone.now()
    month = timezone.localtime(at)
    folder = Path(owner._meta.app_label) / f"{month:%Y}" / f"{month:%m}"
    uploader = by if getattr(by, "pk", None) else None
    written: list[str] = []
    rows: list[Upload] = []
    try:
        for image in batch.images:
            stem = uuid.uuid4().hex
            path, thumb = folder / f"{stem}.{image.ext}", folder / f"{stem}-thumb.webp"
            _write(path, image.data)
            written.append(str(path))
            _write(thumb, image.thumb)
            written.append(str(thumb))
            rows.append(
                Upload(
                    owner=owner_label(owner),
                    owner_id=owner.pk,
                    role=role,
                    step_id=step.pk if step is not None else None,
                    path=str(path),
                    thumb_path=str(thumb),
                    content_type=image.content_type,
                    size=len(image.data),
                    sha256=image.sha256,
                    width=image.width,
                    height=image.height,
                    uploaded_by=uploader,
                    uploaded_at=at,
                )
            )
        rows = Upload.objects.bulk_create(rows)  # one statement: all rows or none
    except BaseException:
        remove(written)
        raise
    transaction.on_commit(_RemoveUnlessCommitted(written))
    return rows


def discard(uploads: Iterable[Upload]) -> None:
    """Delete these rows now and their files once the deletion has committed (a rollback keeps both)."""
    rows = list(uploads)
    if not rows:
        return
    Upload.objects.filter(pk__in=[u.pk for u in rows]).delete()
    paths = [p for u in rows for p in (u.path, u.thumb_path)]
    transaction.on_commit(lambda: remove(paths))


# ---------------------------------------------------------------- reading


def of(owner: models.Model, role: str | None = None):
    """The uploads of ``owner`` (the caller has checked the reader may see it), oldest first."""
    qs = Upload.objects.filter(owner=owner_label(owner), owner_id=owner.pk)
    return qs.filter(role=role) if role is not None else qs


def by_owner(owners: Iterable[models.Model], role: str | None = None) -> dict[int, list[Upload]]:
    """The uploads of several rows of one model in one query, by the row's key."""
    owners = list(owners)
    out: dict[int, list[Upload]] = {o.pk: [] for o in owners}
    if owners:
        qs = Upload.objects.filter(owner=owner_label(owners[0]), owner_id__in=list(out))
        for upload in qs.filter(role=role) if role is not None else qs:
            out[upload.owner_id].append(upload)
    return out


def first_id(model: type[models.Model], role: str | None = None) -> Subquery:
    """For ``annotate``: the id of the first upload of each row of ``model`` (optionally of one role)."""
    qs = Upload.objects.filter(owner=owner_label(model), owner_id=OuterRef("pk"))
    if role is not None:
        qs = qs.filter(role=role)
    return Subquery(qs.order_by("pk").values("pk")[:1])


OWNERS: dict[str, Callable[..., bool]] = {}


def register_owner(model: type[models.Model], may_see: Callable[..., bool]) -> None:
    """``may_see(user, owner_id) -> bool`` decides who may open the uploads of ``model``'s rows; call
    it from the owning app's ``AppConfig.ready``. It should apply the same rule as the owner's pages."""
    OWNERS[owner_label(model)] = may_see


def upload_get_visible(user, pk) -> Upload:
    """The upload ``pk`` if ``user`` may see its owner; :class:`NotFound` otherwise (out of scope is 404)."""
    try:
        upload = Upload.objects.filter(pk=int(pk)).first()
    except (TypeError, ValueError):
        upload = None
    may_see = OWNERS.get(upload.owner) if upload is not None else None
    if upload is None or may_see is None or not may_see(user, upload.owner_id):
        raise NotFound(field="file")
    return upload


def file_path(upload: Upload) -> Path | None:
    """Where the stored file is, if it is there."""
    path = _inside_media(upload.path)
    return path if path is not None and path.is_file() else None


def thumbnail_path(upload: Upload) -> Path | None:
    """Where the thumbnail is. A file stored before thumbnails were kept gets its thumbnail (and its width
    and height) now, once; None when the file is missing or does not decode within the limits."""
    if upload.thumb_path:
        path = _inside_media(upload.thumb_path)
        if path is not None and path.is_file():
            return path
    source = file_path(upload)
    if source is None:
        return None
    try:
        decoded, _fmt = _decoded(source.read_bytes(), source.name, "file")
        try:
            im = _upright(decoded)
        finally:
            decoded.close()
        data = _thumbnail(im)
    except DomainError as refusal:
        log.warning("no thumbnail for upload %s: %s", upload.pk, refusal.code)
        return None
    rel = _thumb_name(upload.path)
    target = absolute(rel)
    partial = target.with_name(f"{target.name}.{uuid.uuid4().hex}.part")
    partial.write_bytes(data)
    os.replace(partial, target)  # two requests at once write the same name; either copy is whole
    Upload.objects.filter(pk=upload.pk).update(thumb_path=rel, width=im.width, height=im.height)
    upload.thumb_path, upload.width, upload.height = rel, im.width, im.height
    return target
