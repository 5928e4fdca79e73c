"""Reads of the Open311 interface: jurisdictions, services and their definitions, service requests (cases
of a district, as the public sees them), tokens, and the buildings an address names.

What a service request shows is what the public tracking page shows (decision 15): no reporter, no staff
name, no description, no photo (photos are seen only by signed-in accounts that see the case). The place
is the place of the problem: the coordinates and the address it was reported with.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Exists, ExpressionWrapper, FloatField, OuterRef, QuerySet
from django.db.models.functions import Round
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.areas.models import Area, Level
from gridgov.cases import category_cache
from gridgov.cases.attributes import STRING_LIMIT, TEXT_LIMIT
from gridgov.cases.models import OPEN_STATES, AttributeType, Case, CaseEvent, Category, State
from gridgov.cases.selectors import PUBLIC_ACTIONS, PUBLIC_NOTE_ACTIONS
from gridgov.cases.selectors import categories as active_categories
from gridgov.cases.workflow import MACHINE
from gridgov.core.calendar import LimitUnit
from gridgov.core.errors import DomainError, NotFound
from gridgov.core.i18n import shown
from gridgov.ledger.models import Building
from gridgov.open311 import cache, tokens
from gridgov.open311.params import RequestQuery

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When this interface last changed (the discovery document's changeset).
CHANGESET = datetime.fromisoformat("2026-12-04T00:00:00+08:00")
STATE_LABELS = dict(State.choices)
REPORTED = gettext_lazy("上报")  # the intake's step, "report" on the timeline (报到 is report_in)
DATATYPE_HINTS = {
    AttributeType.STRING: gettext_lazy("一行文字，不超过 %(limit)s 个字"),
    AttributeType.TEXT: gettext_lazy("文字，不超过 %(limit)s 个字"),
    AttributeType.NUMBER: gettext_lazy("数字"),
    AttributeType.DATETIME: gettext_lazy("W3C 日期时间，如 2026-11-23T09:30:00+08:00"),
    AttributeType.SINGLE: gettext_lazy("填一个可选值的 key"),
    AttributeType.MULTI: gettext_lazy("可填多个可选值的 key（attribute[代码][]=key，可重复）"),
}
DATATYPE_LIMITS = {AttributeType.STRING: STRING_LIMIT, AttributeType.TEXT: TEXT_LIMIT}


# ---------------------------------------------------------------- jurisdictions


def district_codes() -> list[str]:
    """The codes of the active districts: each is a jurisdiction (``jurisdiction_id``)."""
    return cache.get(
        "districts",
        cache.DISTRICT_SECONDS,
        lambda: list(
            Area.objects.filter(level=Level.DISTRICT, is_active=True)
            .order_by("code")
            .values_list("code", flat=True)
        ),
    )


def jurisdiction(value: str | None) -> str:
    """The district a request is about: ``jurisdiction_id`` (a district code), which may be left out when
    the platform serves one district."""
    codes = district_codes()
    value = (value or "").strip()
    listed = "、".join(codes[:20])
    if value:
        if value not in codes:
            raise DomainError(
                "invalid_jurisdiction",
                _("jurisdiction_id「%(value)s」不是本平台的辖区（可选：%(codes)s）")
                % {"value": value[:20], "codes": listed},
                "jurisdiction_id",
            )
        return value
    if len(codes) == 1:
        return codes[0]
    if not codes:
        raise DomainError("no_jurisdiction", _("本平台尚未设置辖区"), "jurisdiction_id", status=404)
    raise DomainError(
        "required",
        _("本平台有多个辖区，请用 jurisdiction_id 指明（可选：%(codes)s）") % {"codes": listed},
        "jurisdiction_id",
    )


# ---------------------------------------------------------------- services


def _amount(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _limit(amount: Decimal, unit: str) -> str:
    return f"{_amount(amount)} {LimitUnit(unit).label}"


def service_notice(category: Category) -> str:
    """What is expected to happen: the category's time limits."""
    return _("%(response)s内签收，%(resolution)s内办结") % {
        "response": _limit(category.response_limit, category.response_unit),
        "resolution": _limit(category.resolution_limit, category.resolution_unit),
    }


def services() -> list[dict[str, Any]]:
    """The services: the active categories a report can be filed under (those without active
    sub-categories, as on the report page), in the configured order, grouped by their top category."""
    categories = list(active_categories())
    by_pk = {c.pk: c for c in categories}
    parents = {c.parent_id for c in categories if c.parent_id}
    rows = []
    for category in categories:
        if category.pk in parents:
            continue
        chain = [category]
        while chain[-1].parent_id in by_pk:
            chain.append(by_pk[chain[-1].parent_id])
        rows.append(
            {
                "service_code": category.code,
                "service_name": category.name,
                "description": service_notice(category),
                "metadata": bool(category_cache.attributes_of(category.pk)),
                "type": "realtime",
                "keywords": ", ".join(c.name for c in reversed(chain)),
                "group": chain[-1].name,
            }
        )
    return rows


def service(code: str) -> Category | None:
    """The active category ``code`` if it is a service (no active sub-category), else ``None``."""
    category = category_cache.active_category(code)
    if category is None or category_cache.has_active_children(category.pk):
        return None
    return category


def service_or_404(code: str) -> Category:
    category = service(code)
    if category is None:
        raise NotFound(_("没有代码为「%(code)s」的服务") % {"code": code[:40]}, field="service_code")
    return category


def service_definition(code: str) -> dict[str, Any]:
    """The attributes a report of this service carries (the spec's service definition)."""
    category = service_or_404(code)
    attributes = []
    for attribute in category_cache.attributes_of(category.pk):
        hint = DATATYPE_HINTS[attribute.datatype] % {"limit": DATATYPE_LIMITS.get(attribute.datatype, "")}
        attributes.append(
            {
                "variable": True,
                "code": attribute.code,
                "datatype": attribute.datatype,
                "required": attribute.required,
                "datatype_description": attribute.description or hint,
                "order": attribute.order,
                "description": attribute.label,
                "values": [{"key": key, "name": name} for key, name in attribute.values],
            }
        )
    return {"service_code": category.code, "attributes": attributes}


# ---------------------------------------------------------------- the place of a report


def buildings_of(district: str) -> QuerySet[Building]:
    return Building.objects.filter(is_active=True, area_code__startswith=district)


def building_by_id(district: str, value: str) -> Building:
    """``address_id``: a building of the district, by its id."""
    building = None
    if str(value).strip().isdigit() and len(str(value).strip()) < 19:
        building = buildings_of(district).select_related("area").filter(pk=int(value)).first()
    if building is None:
        raise DomainError(
            "invalid_address_id",
            _("address_id「%(value)s」不是本辖区的楼栋") % {"value": str(value)[:20]},
            "address_id",
        )
    return building


# ---------------------------------------------------------------- service requests


def _base(district: str) -> QuerySet[Case]:
    # historical cases (an old system's work orders) are not this platform's service requests
    return Case.objects.filter(area_code__startswith=district, historical=False).select_related(
        "category", "lead_unit", "area", "area__parent", "merged_into"
    )


def request_list(district: str, q: RequestQuery) -> tuple[list[Case], bool]:
    """One page of the district's cases that match ``q``, newest report first, and whether there is a
    next page."""
    qs = _base(district)
    if q.ids:
        qs = qs.filter(ref__in=q.ids)
    else:
        if q.service_codes:
            unknown = [c for c in q.service_codes if service(c) is None]
            if unknown:
                raise DomainError(
                    "invalid_service_code",
                    _("没有代码为「%(code)s」的服务") % {"code": unknown[0][:40]},
                    "service_code",
                )
            qs = qs.filter(category__code__in=q.service_codes)
        if q.start:
            qs = qs.filter(reported_at__gte=q.start)
        if q.end:
            qs = qs.filter(reported_at__lte=q.end)
        if q.statuses == ["open"]:
            qs = qs.filter(state__in=OPEN_STATES)
        elif q.statuses == ["closed"]:
            qs = qs.exclude(state__in=OPEN_STATES)
        public = CaseEvent.objects.filter(case=OuterRef("pk"), action__in=PUBLIC_ACTIONS)
        if q.updated_after:
            qs = qs.filter(Exists(public.filter(at__gt=q.updated_after)))
        if q.updated_before:
            qs = qs.filter(reported_at__lt=q.updated_before).exclude(
                Exists(public.filter(at__gte=q.updated_before))
            )
        if q.bbox:
            qs = _in_box(qs, q.bbox)
        if q.near:
            qs = _within(qs, q.near.lat, q.near.lng, q.near.radius_m)
    start = (q.page - 1) * q.page_size
    rows = list(qs.order_by("-reported_at", "-id")[start : start + q.page_size + 1])
    return rows[: q.page_size], len(rows) > q.page_size


# A case's point and address are where a resident lives as often as where a problem is: the public (every
# GET here is public) reads the point rounded to 3 decimals (about 110 m north–south, 90 m east–west here),
# the place as community and grid, and the filters compare the rounded points, so no query narrows a case
# down further than that.
PUBLIC_DIGITS = 3

# metres per degree of latitude, and of longitude at the equator
M_PER_DEG_LAT = 110_574.0
M_PER_DEG_LNG = 111_320.0


def _within(qs: QuerySet[Case], lat: float, lng: float, radius_m: float) -> QuerySet[Case]:
    """Cases within ``radius_m`` metres of the point: a box on the indexed columns, then the distance on a
    plane through the point (equirectangular; off by less than 0.1 % within 50 km)."""
    kx = M_PER_DEG_LNG * max(math.cos(math.radians(lat)), 0.01)
    ky = M_PER_DEG_LAT
    slack = 10**-PUBLIC_DIGITS
    dlat, dlng = radius_m / ky + slack, radius_m / kx + slack
    dx = (Round("lng", PUBLIC_DIGITS) - lng) * kx
    dy = (Round("lat", PUBLIC_DIGITS) - lat) * ky
    return (
        qs.filter(lat__range=(lat - dlat, lat + dlat), lng__range=(lng - dlng, lng + dlng))
        .annotate(distance2=ExpressionWrapper(dx * dx + dy * dy, output_field=FloatField()))
        .filter(distance2__lte=radius_m * radius_m)
    )


def _in_box(qs: QuerySet[Case], bbox: tuple[float, float, float, float]) -> QuerySet[Case]:
    """Cases whose public point (rounded) is in the box: a wider box on the indexed columns first."""
    min_lng, min_lat, max_lng, max_lat = bbox
    slack = 10**-PUBLIC_DIGITS
    return (
        qs.filter(
            lng__range=(min_lng - slack, max_lng + slack), lat__range=(min_lat - slack, max_lat + slack)
        )
        .annotate(public_lng=Round("lng", PUBLIC_DIGITS), public_lat=Round("lat", PUBLIC_DIGITS))
        .filter(public_lng__range=(min_lng, max_lng), public_lat__range=(min_lat, max_lat))
    )


def public_point(value: float | None) -> float | None:
    """A coordinate as the public reads it: rounded to PUBLIC_DIGITS decimals (about 100 m)."""
    return None if value is None else round(value, PUBLIC_DIGITS)


def public_place(case: Case) -> str | None:
    """Where a case is, as the public reads it: its community and grid, not the door it was reported at."""
    area = case.area
    if area is None:
        return None
    parent = area.parent.name if area.parent_id and area.parent else ""
    return f"{parent} {area.name}".strip()


def request_by_id(district: str, ref: str) -> Case:
    case = _base(district).filter(ref=ref).first()
    if case is None:
        raise NotFound(_("没有编号为 %(ref)s 的事件") % {"ref": ref[:40]}, field="service_request_id")
    return case


def token_request(district: str, token: str) -> dict[str, str]:
    """``tokens/{token}``: the case a report's token stands for (gridgov numbers a case at once, so every
    token has its service request id from the start)."""
    ref = tokens.ref_of_token(token)
    if ref is None or not Case.objects.filter(ref=ref, area_code__startswith=district).exists():
        raise NotFound(_("没有这个令牌：%(token)s") % {"token": token[:60]}, field="token")
    return {"service_request_id": ref, "token": token}


def _public_events(cases: list[Case]) -> dict[int, list[CaseEvent]]:
    events: dict[int, list[CaseEvent]] = defaultdict(list)
    if cases:
        for event in (
            CaseEvent.objects.filter(case_id__in=[c.pk for c in cases], action__in=PUBLIC_ACTIONS)
            .only("case_id", "at", "action", "from_state", "to_state", "note", "data")
            .order_by("at", "id")
        ):
            events[event.case_id].append(event)
    return events


def _public_note(event: CaseEvent) -> str:
    """A step's note as the tracking page shows it: staff reasons and results, in the reader's language."""
    return shown(event.note, event.data) if event.action in PUBLIC_NOTE_ACTIONS else ""


def _status_notes(case: Case, events: list[CaseEvent]) -> str:
    if case.state == State.MERGED and case.merged_into_id:
        return _("与 %(ref)s 为同一问题，已合并办理") % {"ref": case.merged_into.ref}
    state = str(STATE_LABELS.get(case.state, case.state))
    latest = events[-1] if events else None
    if latest is not None and _public_note(latest):
        return _public_note(latest)
    if case.state in (State.RESOLVED, State.VERIFIED, State.CLOSED):
        results = [e for e in events if e.action == "resolve" and e.note]
        if results:
            return _("%(state)s：%(note)s") % {"state": state, "note": _public_note(results[-1])}
    return state


def _step_label(action: str, labels: dict) -> str:
    return str(REPORTED if action == "report" else labels.get(action, action))


def _extensions(case: Case, events: list[CaseEvent]) -> dict[str, Any]:
    labels = MACHINE.labels()
    grid = case.area if case.area.level in (Level.GRID, Level.MICROGRID) else None
    return {
        "state": case.state,
        "state_label": str(STATE_LABELS.get(case.state, case.state)),
        "grid": grid.name if grid else None,
        "community": grid.parent.name if grid and grid.parent_id else None,
        "merged_into": case.merged_into.ref if case.merged_into_id else None,
        "closed_datetime": case.closed_at,
        "rated": case.rated_at is not None,
        "timeline": [
            {
                "datetime": e.at,
                "action": e.action,
                "label": _step_label(e.action, labels),
                "state": e.to_state if e.to_state != e.from_state else None,
                "state_label": str(STATE_LABELS[e.to_state])
                if e.to_state != e.from_state and e.to_state in STATE_LABELS
                else None,
                "note": _public_note(e) or None,
            }
            for e in events
        ],
    }


def request_rows(cases: list[Case], *, extensions: bool = False) -> list[dict[str, Any]]:
    """The spec's fields of each case (and the ``extensions`` block when asked for)."""
    events = _public_events(cases)
    rows = []
    for case in cases:
        steps = events.get(case.pk, [])
        intake = steps[0].data if steps and steps[0].action == "report" else {}
        row = {
            "service_request_id": case.ref,
            "status": "open" if case.state in OPEN_STATES else "closed",
            "status_notes": _status_notes(case, steps),
            "service_name": case.category.name,
            "service_code": case.category.code,
            "description": None,
            "agency_responsible": case.lead_unit.name if case.lead_unit_id else None,
            "service_notice": service_notice(case.category),
            "requested_datetime": case.reported_at,
            "updated_datetime": steps[-1].at if steps else case.reported_at,
            "expected_datetime": case.resolution_due if case.state in OPEN_STATES else None,
            "address": public_place(case),
            "address_id": intake.get("building"),  # the building an Open311 report named as its place
            "zipcode": None,
            "lat": public_point(case.lat),
            "long": public_point(case.lng),
            "media_url": None,
        }
        if extensions:
            row["extensions"] = _extensions(case, steps)
        rows.append(row)
    return rows
