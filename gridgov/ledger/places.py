"""Places a report can name: the ledger's buildings found by their name or address.

A building's name and address are not personal data (they are written on the building), so the public
report page searches them across the district; nothing about households or residents is read here.
Positions are WGS-84 (see docs/maps.md); a building without its own point is placed at a point inside
its grid.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import shapely.geometry
from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Length, Replace
from django.utils.translation import gettext as _

from gridgov.core.errors import DomainError
from gridgov.ledger.models import Building

# A search is one short phrase ("3号楼", "姜谭路 12 号"); longer text is refused, not cut.
QUERY_LIMIT = 50
# Results of one search, at most.
RESULT_LIMIT = 10
# An address shorter than this is too vague to be "contained" in a report's address ("1号" in "11号楼").
MIN_CONTAINED = 4


@dataclass(frozen=True)
class Place:
    id: int
    name: str
    address: str
    grid: str
    grid_name: str
    community: str
    lng: float | None
    lat: float | None


def _spaces(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def _active(within: str = "") -> QuerySet[Building]:
    buildings = Building.objects.filter(is_active=True, area__is_active=True)
    return buildings.filter(area_code__startswith=within) if within else buildings


def building_point(building: Building) -> tuple[float | None, float | None]:
    """Where a building is: its own point, else a point inside its grid (``None, None`` if neither)."""
    if building.lng is not None and building.lat is not None:
        return building.lng, building.lat
    if not building.area.boundary:
        return None, None
    point = shapely.geometry.shape(building.area.boundary).representative_point()
    return point.x, point.y


def _place(building: Building) -> Place:
    lng, lat = building_point(building)
    grid = building.area
    return Place(
        id=building.pk,
        name=building.name,
        address=building.address,
        grid=grid.code,
        grid_name=grid.name,
        community=grid.parent.name if grid.parent_id else "",
        lng=lng,
        lat=lat,
    )


def clean_query(text: str | None) -> str:
    """The search text, trimmed; refused (``q``) when empty or longer than ``QUERY_LIMIT``."""
    query = _spaces(text or "")
    if not query:
        raise DomainError("required", _("请输入楼栋名称或地址"), "q")
    if len(query) > QUERY_LIMIT:
        raise DomainError("too_long", _("搜索内容不能超过 %(limit)s 个字") % {"limit": QUERY_LIMIT}, "q")
    return query


def place_search(text: str | None, *, limit: int = RESULT_LIMIT) -> list[Place]:
    """Buildings of the district whose name or address contains the text (spaces ignored, so "3号楼" finds
    "3 号楼"), exact names first, then by grid and code; at most ``limit`` (≤ ``RESULT_LIMIT``)."""
    query = clean_query(text)
    squeezed = query.replace(" ", "")
    limit = max(1, min(int(limit), RESULT_LIMIT))
    buildings = (
        _active()
        .annotate(
            bare_name=Replace("name", Value(" "), Value("")),
            bare_address=Replace("address", Value(" "), Value("")),
        )
        .filter(Q(bare_name__icontains=squeezed) | Q(bare_address__icontains=squeezed))
        .select_related("area", "area__parent")
        .order_by("area_code", "code")[: limit * 5]
    )
    ranked = sorted(buildings, key=lambda b: (b.name.replace(" ", "") != squeezed, b.area_code, b.code))
    return [_place(b) for b in ranked[:limit]]


def building_at_address(address: str | None, *, within: str = "") -> Building | None:
    """The building a report's address names: one whose address or name is the text; else the one with
    the longest address the text contains ("姜谭路 12 号 3 单元门口" → "姜谭路 12 号"); else the only one
    whose address or name contains the text. ``None`` when none fits or the text is ambiguous.
    ``within``: an area code the building must be under (Open311's jurisdiction)."""
    text = _spaces(address or "")
    if not text:
        return None
    candidates = _active(within).select_related("area")
    exact = candidates.filter(Q(address=text) | Q(name=text)).order_by("pk")[:2]
    exact = list(exact)
    if len(exact) == 1:
        return exact[0]
    if exact:
        return None  # two buildings with this name ("3号楼" in two estates): the address does not say which
    contained = list(
        candidates.exclude(address="")
        .annotate(given=Value(text), length=Length("address"))
        .filter(given__contains=F("address"), length__gte=MIN_CONTAINED)
        .order_by("-length", "pk")[:1]
    )
    if contained:
        return contained[0]
    if len(text) < MIN_CONTAINED:
        return None
    containing = list(
        candidates.filter(Q(address__contains=text) | Q(name__contains=text)).order_by("pk")[:2]
    )
    return containing[0] if len(containing) == 1 else None


def place_of_address(address: str | None) -> tuple[float, float] | None:
    """Where a report without a point is, from its address: the named building's point (its own, else a
    point inside its grid); ``None`` when the address names no single building."""
    building = building_at_address(address)
    if building is None:
        return None
    lng, lat = building_point(building)
    return None if lng is None or lat is None else (lng, lat)


def building_points(area_code: str = "") -> list[dict]:
    """The buildings with a point of their own (under ``area_code``), for drawing on the report map: id,
    name, lng, lat. Names of buildings are public; nothing else is given."""
    rows = _active().filter(lng__isnull=False, lat__isnull=False)
    if area_code:
        rows = rows.filter(area_code__startswith=area_code)
    return [
        {"id": pk, "name": name, "lng": lng, "lat": lat}
        for pk, name, lng, lat in rows.order_by("area_code", "code").values_list("id", "name", "lng", "lat")
    ]


def home_bounds(user) -> list[float] | None:
    """Where the report map opens for a signed-in account: a grid worker's grid, other staff's area, a
    resident's community (of the household their account is bound to, else the area on their account),
    as ``[min_lng, min_lat, max_lng, max_lat]``; ``None`` for anyone else (the map shows the district)."""
    from gridgov.accounts.models import HouseholdBinding, Role
    from gridgov.areas.models import Area, Level

    if user is None or not getattr(user, "is_authenticated", False):
        return None
    area = None
    if user.role in (Role.RESIDENT, Role.VOLUNTEER):
        binding = (
            HouseholdBinding.objects.filter(user=user, state=HouseholdBinding.State.CONFIRMED)
            .only("area_code")
            .first()
        )
        code = binding.area_code if binding is not None else ""
        area = (
            Area.objects.filter(code=code, is_active=True).select_related("parent").first() if code else None
        )
        if area is None:
            area = user.area
        # a resident's grid is small: the whole community shows the neighbourhood they know
        while area is not None and area.level in (Level.GRID, Level.MICROGRID) and area.parent_id:
            area = area.parent
    elif user.area_id:
        area = user.area
    if area is None or area.min_lng is None:
        return None
    return [area.min_lng, area.min_lat, area.max_lng, area.max_lat]
