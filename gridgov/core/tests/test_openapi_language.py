"""The API's own documentation follows the reader's language: summaries, descriptions and tags of
``/api/v1/openapi.json`` are translated messages, so an English request reads no Chinese (for the routers
translated so far, ``TRANSLATED``)."""

from __future__ import annotations

import json
import re

import pytest

from gridgov.web.tests.test_i18n import _compiled_catalogue  # noqa: F401 (the compiled English catalogue)

pytestmark = pytest.mark.django_db

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
DOC_KEYS = ("summary", "description", "tags")


def documentation(node, path="$"):
    """(where, text) for every documentation text of an OpenAPI document."""
    if isinstance(node, dict):
        for key, value in node.items():
            here = f"{path}.{key}"
            if key in DOC_KEYS and isinstance(value, str):
                yield here, value
            elif key == "tags" and isinstance(value, list):
                yield from ((here, tag) for tag in value if isinstance(tag, str))
            else:
                yield from documentation(value, here)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from documentation(value, f"{path}[{i}]")


def openapi(client, language: str) -> dict:
    response = client.get("/api/v1/openapi.json", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return json.loads(response.content)


# The routers whose documentation is translated so far (their operations: summaries, tags, parameters).
# Not yet: cases, categories, public, kpis, units, the ledger's routers, imports, exports, the accounts'
# routes at the root, and the component schemas.
TRANSLATED = (
    "inbox",
    "tasks",
    "points",
    "rewards",
    "deliberation",
    "assessment",
    "areas",
    "visits",
    "services",
    "orders",
    "wishes",
    "needs",
    "resources",
    "projects",
    "party",
    "command",
    "webhooks",
    "assist",
)


def test_the_api_documentation_is_english_for_an_english_reader(client):
    paths = openapi(client, "en")["paths"]
    mine = {path: item for path, item in paths.items() if path.split("/")[3] in TRANSLATED}
    english = list(documentation(mine, "$.paths"))
    assert len(english) > 300  # summaries, tags and parameters of every operation are there
    chinese = [f"{where}: {text}" for where, text in english if HAN.search(text)]
    assert chinese == [], f"{len(chinese)} documentation texts in Chinese:\n" + "\n".join(chinese[:80])


def test_the_api_documentation_stays_chinese_for_a_chinese_reader(client):
    lookup = openapi(client, "zh-hans")["paths"]["/api/v1/areas/lookup"]["get"]
    assert lookup["summary"] == "根据坐标查找所在网格"
    english = openapi(client, "en")["paths"]["/api/v1/areas/lookup"]["get"]
    assert english["summary"] != lookup["summary"] and not HAN.search(english["summary"])
