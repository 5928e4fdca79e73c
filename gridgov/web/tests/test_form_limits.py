"""Every text a person types into a page form has a maximum length in the form itself (issue: unbounded
text): each ``<textarea>`` and text ``<input>`` of every template carries ``maxlength``, and the tags that
give it read the model field, so the form, the API schema and the action agree."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.template import Context, Template

from gridgov.cases.models import Case
from gridgov.core.cleaners import REASON_LIMIT

PACKAGE_DIR = Path(__file__).resolve().parents[2]
TAG = re.compile(r"<(input|textarea)\b((?:[^>{]|\{[{%#].*?[}%#]\})*)>", re.S)
TEXT_TYPES = {"text", "search", "tel", "email", "url", "password"}


def _text_fields_without_limit(source: str) -> list[str]:
    found = []
    for match in TAG.finditer(source):
        tag, attrs = match.groups()
        kind = re.search(r'type="([^"]+)"', attrs)
        kind = kind.group(1) if kind else ("text" if tag == "input" else "textarea")
        if kind not in TEXT_TYPES | {"textarea"} or "maxlength=" in attrs:
            continue
        name = re.search(r'name="([^"]+)"', attrs)
        found.append(
            f"{tag} {name.group(1) if name else '?'} (line {source[: match.start()].count(chr(10)) + 1})"
        )
    return found


def test_the_scan_finds_a_field_without_a_limit():
    assert _text_fields_without_limit('<textarea name="note"></textarea><input name="q">') == [
        "textarea note (line 1)",
        "input q (line 1)",
    ]
    assert _text_fields_without_limit('<input type="hidden" name="next"><input name="q" maxlength="9">') == []


def test_every_text_field_of_every_template_has_a_maximum_length():
    missing = []
    for path in sorted(PACKAGE_DIR.rglob("templates/**/*.html")):
        for field in _text_fields_without_limit(path.read_text(encoding="utf-8")):
            missing.append(f"{path.relative_to(PACKAGE_DIR)}: {field}")
    assert missing == []


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("{% field_limit 'cases.Case' 'result' %}", str(Case._meta.get_field("result").max_length)),
        ("{% reason_limit %}", str(REASON_LIMIT)),
        ("{% query_limit %}", "100"),
    ],
)
def test_the_limit_tags_read_the_declared_limits(tag, expected):
    assert Template("{% load limits %}" + tag).render(Context()) == expected
