"""Every free text the product stores has a maximum length, declared once on its model field (the action,
the API schema and the page form read it from there) and listed in docs/api.md."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.db import models

from gridgov.areas.models import Area, AreaChange
from gridgov.core.errors import DomainError
from gridgov.testing.factories import make_tree

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


@pytest.mark.django_db
def test_a_save_of_text_over_its_limit_is_refused_on_its_field_whatever_wrote_it():
    """The last guard: a path that forgot to clean its input still cannot store an over-long text (on
    PostgreSQL an over-long varchar would otherwise be a database error, a 500)."""
    tree = make_tree()
    area = tree["610302001001001"]
    area.name = "网" * (Area._meta.get_field("name").max_length + 1)
    with pytest.raises(DomainError) as info:
        area.save()
    assert (info.value.code, info.value.field) == ("too_long", "name")
    change = AreaChange(kind="rename", reason="因" * 501)
    with pytest.raises(DomainError) as info:
        change.save()
    assert (info.value.code, info.value.field) == ("too_long", "reason")
    assert Area.objects.get(pk=area.pk).name == "网格1-1-1"


FREE_TEXT = {
    "title", "name", "description", "note", "notes", "reason", "comment", "summary", "plan", "situation",
    "needs", "problems", "skills", "address", "place", "requirements", "quantity", "availability", "result",
    "contact_name", "reporter_name", "wisher_name",
}  # fmt: skip


def test_every_free_text_the_api_takes_declares_its_maximum_length():
    """A client learns each limit from the OpenAPI document (``maxLength``) before sending."""
    from gridgov.api import api

    schemas = api.get_openapi_schema()["components"]["schemas"]
    unbounded = []
    for name, schema in schemas.items():
        if not name.endswith(("In", "Patch")):
            continue
        for prop, spec in schema.get("properties", {}).items():
            options = spec.get("anyOf", [spec])
            strings = [o for o in options if o.get("type") == "string"]
            if prop in FREE_TEXT and strings and not any("maxLength" in o for o in strings):
                unbounded.append(f"{name}.{prop}")
    assert unbounded == []
