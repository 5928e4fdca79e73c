"""Photo and evidence uploads: images only (JPEG/PNG/WebP recognised by their bytes, not their
names), a size limit, stored under MEDIA_ROOT (outside the static tree) with a random name."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from gridgov.core.errors import DomainError

SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
)


def sniff(head: bytes) -> tuple[str, str] | None:
    for magic, content_type, ext in SIGNATURES:
        if head.startswith(magic):
            return content_type, ext
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp", "webp"
    return None


def max_bytes() -> int:
    return int(getattr(settings, "UPLOAD_MAX_BYTES", 5 * 1024 * 1024))


def check_files(files: list, field: str = "photos") -> list[tuple[object, str, str]]:
    """Validate every file before anything is stored; returns (file, content_type, ext)."""
    limit = int(getattr(settings, "UPLOAD_MAX_FILES", 9))
    if len(files) > limit:
        raise DomainError("too_many_files", f"最多上传 {limit} 个文件", field)
    checked = []
    for i, f in enumerate(files):
        name = getattr(f, "name", f"#{i + 1}")
        size = getattr(f, "size", None)
        if size is None or size == 0:
            raise DomainError("empty_file", f"文件「{name}」是空的", f"{field}[{i}]")
        if size > max_bytes():
            raise DomainError(
                "file_too_large",
                f"文件「{name}」超过 {max_bytes() // (1024 * 1024)} MB 的限制",
                f"{field}[{i}]",
            )
        f.seek(0)
        kind = sniff(f.read(16))
        f.seek(0)
        if kind is None:
            raise DomainError("not_an_image", f"文件「{name}」不是 JPEG、PNG 或 WebP 图片", f"{field}[{i}]")
        checked.append((f, *kind))
    return checked


def store(f, ext: str, folder: str = "cases") -> tuple[str, int, str]:
    """Write ``f`` under MEDIA_ROOT/<folder>/YYYY/MM/ and return (relative path, size, sha256)."""
    now = timezone.localtime()
    rel = Path(folder) / f"{now:%Y}" / f"{now:%m}" / f"{uuid.uuid4().hex}.{ext}"
    target = Path(settings.MEDIA_ROOT) / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    f.seek(0)
    with open(target, "wb") as out:
        for chunk in f.chunks() if hasattr(f, "chunks") else iter(lambda: f.read(65536), b""):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    return str(rel), size, digest.hexdigest()


def remove(paths: list[str]) -> None:
    for rel in paths:
        (Path(settings.MEDIA_ROOT) / rel).unlink(missing_ok=True)


def absolute(rel: str) -> Path:
    return Path(settings.MEDIA_ROOT) / rel
