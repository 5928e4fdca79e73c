"""Real, small images for upload tests (every upload is decoded, so a few magic bytes are not enough)."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (8, 6), color=(200, 40, 40), **params) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, fmt, **params)
    return out.getvalue()


PNG = image_bytes("PNG")
JPEG = image_bytes("JPEG")


def upload(name: str = "photo.png", data: bytes = PNG, content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def pixels(data: bytes) -> tuple:
    """What a stored image shows: its size and pixels (stored files are re-encoded, so bytes differ)."""
    with Image.open(io.BytesIO(data)) as im:
        return im.size, im.convert("RGB").tobytes()
