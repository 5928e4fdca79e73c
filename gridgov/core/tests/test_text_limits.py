"""Every free text the product stores has a maximum length, declared once on its model field (the action,
the API schema and the page form read it from there) and listed in docs/api.md."""

from __future__ import annotations

import re
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import models

API_DOC = Path(settings.REPO_DIR) / "docs" / "api.md"


def _free_text_fields():
    for model in apps.get_models():
        if not model.__module__.startswith("gridgov."):
            continue
        for field in model._meta.concrete_fields:
            # ciphertext of a checked value (phones, ID numbers) is not free text: its cleaner bounds it
            if isinstance(field, models.TextField) and not type(field).__name__.startswith("Encrypted"):
                yield model, field


def test_every_free_text_field_has_a_maximum_length():
    unbounded = [f"{m._meta.label}.{f.name}" for m, f in _free_text_fields() if f.max_length is None]
    assert unbounded == []


def test_docs_list_every_free_text_limit():
    doc = API_DOC.read_text(encoding="utf-8")
    section = doc.split("## Limits of free text", 1)[1].split("\n## ", 1)[0]
    rows = set(re.findall(r"^\| `(\w+\.\w+)\.(\w+)` \| (\d+) \|", section, re.MULTILINE))
    missing = [
        f"{m._meta.label}.{f.name} {f.max_length}"
        for m, f in _free_text_fields()
        if (m._meta.label, f.name, str(f.max_length)) not in rows
    ]
    assert missing == []
