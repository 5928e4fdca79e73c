"""The two formats of GeoReport v2: JSON and XML, chosen by the resource's suffix (``services.json``).

An answer is built once as plain Python — dicts (elements in order), lists, text, numbers, booleans,
moments, ``None`` — and written in either format. A list becomes a JSON array, and in XML an element
holding one child per item, named by :data:`ITEM` (``<services><service>…``). Booleans are ``true`` /
``false`` in both; moments are W3C date-times with their offset (``2026-11-23T09:30:00+08:00``); ``None``
is ``null`` in JSON and an empty element in XML. Text goes into XML through ElementTree, which escapes
it; characters XML 1.0 cannot hold at all are dropped.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import datetime
from typing import Any

from django.http import HttpResponse
from django.utils import timezone

FORMATS = ("json", "xml")
CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
MEDIA_TYPES = {"json": "application/json", "xml": "text/xml"}
# The XML element of each item of a list, by the list's element.
ITEM = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "errors": "error",
    "timeline": "event",
}
NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def w3c(moment: datetime | None) -> str | None:
    """A moment as the spec writes it: ISO 8601 to the second, with the site's offset."""
    if moment is None:
        return None
    return timezone.localtime(moment).isoformat(timespec="seconds")


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return w3c(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return w3c(value) or ""
    return NOT_XML.sub("", str(value))


def _element(parent: ET.Element, name: str, value: Any) -> None:
    element = ET.SubElement(parent, name)
    _fill(element, name, value)


def _fill(element: ET.Element, name: str, value: Any) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _element(element, key, item)
    elif isinstance(value, list | tuple):
        for item in value:
            _element(element, ITEM[name], item)
    else:
        element.text = _text(value)


def dumps(fmt: str, root: str, value: Any) -> bytes:
    """``value`` in ``fmt``; ``root`` names the XML document's element (JSON has none)."""
    if fmt == "json":
        return json.dumps(value, ensure_ascii=False, default=_json_default).encode()
    element = ET.Element(root)
    _fill(element, root, value)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(
        element, encoding="utf-8", xml_declaration=False
    )


def answer(
    fmt: str, root: str, value: Any, *, status: int = 200, headers: dict | None = None
) -> HttpResponse:
    response = HttpResponse(dumps(fmt, root, value), status=status, content_type=CONTENT_TYPES[fmt])
    for name, header in (headers or {}).items():
        response[name] = header
    return response


def errors(fmt: str, status: int, description: str, *, headers: dict | None = None) -> HttpResponse:
    """The spec's error answer: a list of ``{code, description}`` (``<errors><error>…``); the code is the
    HTTP status."""
    return answer(
        fmt, "errors", [{"code": status, "description": description}], status=status, headers=headers
    )
