"""The one private file view: an uploaded image (or its thumbnail), streamed from MEDIA_ROOT to an account
that may see the upload's owner (:func:`gridgov.core.uploads.upload_get_visible`); 404 to anyone else."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.views.decorators.http import require_GET

from gridgov.core import uploads
from gridgov.core.errors import NotFound
from gridgov.core.models import Upload


def _visible(request, pk: int) -> Upload:
    try:
        return uploads.upload_get_visible(request.user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def serve(upload: Upload, *, thumb: bool = False) -> FileResponse:
    """Stream an upload (or its thumbnail) the caller has decided may be seen — by this view's owner rule,
    or by a page of its own (a public duty card serves its grid workers' photos through its signed code)."""
    if thumb:
        return _stream(uploads.thumbnail_path(upload), uploads.THUMB_TYPE)
    return _stream(uploads.file_path(upload), upload.content_type)


def _stream(path: Path | None, content_type: str) -> FileResponse:
    if path is None:
        raise Http404
    response = FileResponse(path.open("rb"), content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    response["Cache-Control"] = "private, max-age=3600"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@login_required
@require_GET
def file(request, pk: int):
    return serve(_visible(request, pk))


@login_required
@require_GET
def file_thumb(request, pk: int):
    """The thumbnail (WebP, longest side 320 px) for lists and galleries."""
    return serve(_visible(request, pk), thumb=True)
