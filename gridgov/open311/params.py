"""Reading the parameters of GeoReport v2 requests: query strings of the reads, the form or JSON body of a
report. Each refusal is a 400 ``DomainError`` naming the parameter as the client sent it."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.http import HttpRequest, QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.core import cleaners
from gridgov.core.errors import DomainError
from gridgov.core.inputs import JsonParser
from gridgov.core.pagination import MAX_PAGE, MAX_PAGE_SIZE

# The spec's window for a search by date: at most 90 days, the last 90 by default.
WINDOW = timedelta(days=90)
PAGE_SIZE = 50
MAX_IDS = 100  # service_request_id=a,b,c…
MAX_CODES = 100  # service_code=a,b,c…
MAX_RADIUS_M = 50_000
# ``attribute[code]=…`` and ``attribute[code][]=…`` (several values) in a report's form.
ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]{1,100})\](\[\])?$")
# A W3C date-time whose "+hh:mm" came through an unencoded query string as " hh:mm".
LOST_PLUS = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d+)?)?) (\d\d:?\d\d)$")


def moment(value: str | None, name: str) -> datetime | None:
    """A W3C date-time (``2026-11-01T00:00:00+08:00``, ``…Z``; a date alone is its midnight); one without an
    offset is in the site's time zone."""
    if value is None or not value.strip():
        return None
    text = LOST_PLUS.sub(r"\1+\2", value.strip())
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise DomainError(
            "invalid_date",
            _("%(name)s「%(value)s」不是 W3C 日期时间（如 2026-11-01T00:00:00+08:00）")
            % {"name": name, "value": value[:40]},
            name,
        ) from None
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


def number(value: Any, name: str, low: float, high: float) -> float | None:
    """A finite decimal number within ``low``–``high`` (a coordinate, a radius)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        result = float(str(value).strip())
    except ValueError:
        result = math.nan
    if not math.isfinite(result):
        raise DomainError("invalid", _("%(name)s 必须是数字") % {"name": name}, name)
    if not low <= result <= high:
        raise DomainError(
            "invalid",
            _("%(name)s 应在 %(low)s 到 %(high)s 之间") % {"name": name, "low": low, "high": high},
            name,
        )
    return result


def listed(value: str | None, name: str, most: int) -> list[str]:
    """A comma-separated list (``service_code=a,b``), without blanks and repeats."""
    items: list[str] = []
    for item in (value or "").split(","):
        item = item.strip()
        if item and item not in items:
            items.append(item)
    if len(items) > most:
        raise DomainError("invalid", _("%(name)s 最多列出 %(most)s 项") % {"name": name, "most": most}, name)
    return items


def flag(value: str | None, name: str) -> bool:
    if value is None or value.strip().lower() in ("", "false", "0", "no"):
        return False
    if value.strip().lower() in ("true", "1", "yes"):
        return True
    raise DomainError("invalid", _("%(name)s 应为 true 或 false") % {"name": name}, name)


@dataclass(frozen=True)
class Near:
    lat: float
    lng: float
    radius_m: float


@dataclass(frozen=True)
class RequestQuery:
    """What ``GET requests`` asks for (the spec's parameters and the common extensions)."""

    ids: list[str]
    service_codes: list[str]
    start: datetime | None
    end: datetime | None
    statuses: list[str]
    updated_after: datetime | None
    updated_before: datetime | None
    bbox: tuple[float, float, float, float] | None
    near: Near | None
    page: int
    page_size: int
    extensions: bool


def request_query(query: QueryDict, *, now: datetime | None = None) -> RequestQuery:
    """The parameters of ``GET requests``. The spec's date window: ``start_date`` and ``end_date`` (on the
    requested time) may not span more than 90 days; one alone opens a 90-day window from or to it; without
    either — and without an ``updated_*`` bound or ``service_request_id`` — the window is the last 90 days."""
    now = now or timezone.now()
    ids = listed(query.get("service_request_id"), "service_request_id", MAX_IDS)
    codes = listed(query.get("service_code"), "service_code", MAX_CODES)
    statuses = listed(query.get("status"), "status", 2)
    for status in statuses:
        if status not in ("open", "closed"):
            raise DomainError("invalid", _("status 只能是 open 或 closed（逗号分隔）"), "status")
    start = moment(query.get("start_date"), "start_date")
    end = moment(query.get("end_date"), "end_date")
    updated_after = moment(query.get("updated_after"), "updated_after")
    updated_before = moment(query.get("updated_before"), "updated_before")
    if start and end:
        if end < start:
            raise DomainError("invalid", _("end_date 不能早于 start_date"), "end_date")
        if end - start > WINDOW:
            raise DomainError("invalid", _("start_date 到 end_date 不能超过 90 天"), "end_date")
    elif start:
        end = start + WINDOW
    elif end:
        start = end - WINDOW
    elif not (ids or updated_after or updated_before):
        start, end = now - WINDOW, now
    if updated_after and updated_before and updated_before < updated_after:
        raise DomainError("invalid", _("updated_before 不能早于 updated_after"), "updated_before")
    return RequestQuery(
        ids=ids,
        service_codes=codes,
        start=start,
        end=end,
        statuses=statuses,
        updated_after=updated_after,
        updated_before=updated_before,
        bbox=_bbox(query.get("bbox")),
        near=_near(query),
        page=cleaners.integer(query.get("page") or 1, "page", label="page", low=1, high=MAX_PAGE),
        page_size=cleaners.integer(
            query.get("page_size") or PAGE_SIZE, "page_size", label="page_size", low=1, high=MAX_PAGE_SIZE
        ),
        extensions=flag(query.get("extensions"), "extensions"),
    )


def _bbox(value: str | None) -> tuple[float, float, float, float] | None:
    if value is None or not value.strip():
        return None
    parts = value.split(",")
    if len(parts) != 4:
        raise DomainError("invalid", _("bbox 应为 最小经度,最小纬度,最大经度,最大纬度"), "bbox")
    min_lng = number(parts[0], "bbox", -180, 180)
    min_lat = number(parts[1], "bbox", -90, 90)
    max_lng = number(parts[2], "bbox", -180, 180)
    max_lat = number(parts[3], "bbox", -90, 90)
    if min_lng > max_lng or min_lat > max_lat:
        raise DomainError("invalid", _("bbox 的最小值不能大于最大值"), "bbox")
    return min_lng, min_lat, max_lng, max_lat


def _near(query: QueryDict) -> Near | None:
    lat = number(query.get("lat"), "lat", -90, 90)
    lng = number(query.get("long"), "long", -180, 180)
    radius = number(query.get("radius"), "radius", 1, MAX_RADIUS_M)
    if lat is None and lng is None and radius is None:
        return None
    if lat is None or lng is None or radius is None:
        missing = "lat" if lat is None else "long" if lng is None else "radius"
        raise DomainError("required", _("lat、long 和 radius（米）须一起提供"), missing)
    return Near(lat, lng, radius)


# ---------------------------------------------------------------- a report's body


@dataclass(frozen=True)
class Report:
    """A ``POST requests`` body: its single-valued fields and its attribute values."""

    fields: dict[str, str]
    attributes: dict[str, str | list[str]]
    media: list


def report_body(request: HttpRequest) -> Report:
    """The spec's ``application/x-www-form-urlencoded`` (or multipart, with ``media`` files), or JSON: a
    flat object like the form, with attributes as ``"attribute[code]"`` keys or an ``"attribute"`` object."""
    if (request.content_type or "").startswith("application/json"):
        data = JsonParser().parse_body(request) if request.body else {}
        if not isinstance(data, dict):
            raise DomainError("invalid_json", _("请求内容应为 JSON 对象"))
        return _from_json(data)
    fields: dict[str, str] = {}
    attributes: dict[str, str | list[str]] = {}
    for key, values in request.POST.lists():
        match = ATTRIBUTE.match(key)
        if match:
            code, many = match[1], bool(match[2])
            attributes[code] = values if many or len(values) > 1 else values[0]
        elif key.startswith("attribute"):
            raise DomainError("invalid", _("属性应写作 attribute[代码]=值"), key[:60])
        else:
            fields[key] = values[-1]
    return Report(fields=fields, attributes=attributes, media=request.FILES.getlist("media"))


def _from_json(data: Mapping[str, Any]) -> Report:
    fields: dict[str, str] = {}
    attributes: dict[str, str | list[str]] = {}
    for key, value in data.items():
        match = ATTRIBUTE.match(key)
        if key == "attribute":
            if not isinstance(value, dict):
                raise DomainError("invalid", _("attribute 应为 {代码: 值} 对象"), "attribute")
            for code, item in value.items():
                attributes[str(code)[:100]] = _attribute_value(item, f"attribute[{code}]")
        elif match:
            attributes[match[1]] = _attribute_value(value, key)
        elif value is None:
            continue
        elif isinstance(value, dict | list):
            raise DomainError("invalid", _("%(name)s 应为单个值") % {"name": key[:60]}, key[:60])
        else:
            fields[key] = "true" if value is True else "false" if value is False else str(value)
    return Report(fields=fields, attributes=attributes, media=[])


def _attribute_value(value: Any, name: str) -> str | list[str]:
    if isinstance(value, list):
        if any(isinstance(v, dict | list) for v in value):
            raise DomainError("invalid", _("%(name)s 的值无效") % {"name": name[:60]}, name[:60])
        return [str(v) for v in value if v is not None]
    if isinstance(value, dict):
        raise DomainError("invalid", _("%(name)s 的值无效") % {"name": name[:60]}, name[:60])
    return "" if value is None else str(value)
