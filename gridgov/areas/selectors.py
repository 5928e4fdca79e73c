"""Reads of the area tree, always through the scope filter."""

from __future__ import annotations

import shapely.geometry
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from gridgov.areas.models import Area, Level
from gridgov.core.errors import NotFound
from gridgov.core.scope import ALL, filter_in_scope, scope_prefixes


def areas_visible_to(user) -> QuerySet[Area]:
    return filter_in_scope(Area.objects.all(), user, code_field="code")


def area_get_visible(user, code: str) -> Area:
    area = areas_visible_to(user).select_related("parent").filter(code=code).first()
    if area is None:
        raise NotFound((_("区域 %(code)s 不存在或不在您的管辖范围内") % {"code": code}), field="code")
    return area


def area_scope_roots(user) -> QuerySet[Area]:
    """The top areas of ``user``'s scope: the district(s) for admins, otherwise their own area(s)."""
    prefixes = scope_prefixes(user)
    if prefixes is ALL:
        return Area.objects.filter(parent__isnull=True)
    return Area.objects.filter(code__in=prefixes)


def area_children_visible(user, parent_code: str | None, *, include_retired: bool = False) -> QuerySet[Area]:
    if parent_code:
        parent = area_get_visible(user, parent_code)
        qs = areas_visible_to(user).filter(parent=parent)
    else:
        qs = area_scope_roots(user)
    if not include_retired:
        qs = qs.filter(is_active=True)
    return qs.annotate(child_count=Count("children", filter=Q(children__is_active=True))).order_by("code")


def area_path_visible(user, area: Area) -> list[Area]:
    """Ancestors of ``area`` that ``user`` can see, top first (for breadcrumbs)."""
    return list(areas_visible_to(user).filter(code__in=area.ancestor_codes()).order_by("code"))


def grid_for_point_visible(user, lng: float, lat: float) -> Area:
    """The active grid containing the point. Grid names and codes are public (they are posted on duty
    cards), so any signed-in account may look a point up; the full record still obeys scope."""
    from gridgov.areas.lookup import get_index

    code = get_index().lookup(lng, lat)
    if code is None:
        raise NotFound(_("该位置不在本区任何网格内"), field="lat")
    return Area.objects.select_related("parent").get(code=code)


def _feature(area: Area, *, public: bool = False) -> dict:
    props = {"code": area.code, "name": area.name, "level": area.level}
    if not public:
        props.update(kind=area.kind, grid_type=area.grid_type)
    return {"type": "Feature", "geometry": area.boundary, "properties": props}


def _collection(areas) -> dict:
    return {"type": "FeatureCollection", "features": list(areas)}


def area_children_feature_collection(user, code: str) -> dict:
    """The active children of ``code`` as a GeoJSON FeatureCollection (the map's data); an area without
    children shows itself."""
    parent = area_get_visible(user, code)
    children = areas_visible_to(user).filter(parent=parent, is_active=True, boundary__isnull=False)
    features = [_feature(a) for a in children.order_by("code")]
    if not features and parent.boundary:
        features = [_feature(parent)]
    return _collection(features)


def public_grid_outlines() -> dict:
    """The districts and their grids (code, name, level only) for the public report form's map. Grid names
    and codes are public — they are posted on the grid workers' duty cards."""
    areas = (
        Area.objects.filter(is_active=True, level__in=[Level.DISTRICT, Level.GRID], boundary__isnull=False)
        .only("code", "name", "level", "boundary")
        .order_by("code")
    )
    return _collection(_feature(a, public=True) for a in areas)


def grid_point(code: str) -> tuple[float, float] | None:
    """A point inside the active grid ``code`` (lng, lat) — where a report "from this grid" starts its pin
    (the grid's outline is public) — or ``None`` for anything that is not an active grid."""
    if not code:
        return None
    grid = Area.objects.filter(code=code, is_active=True, level__in=(Level.GRID, Level.MICROGRID)).first()
    if grid is None or not grid.boundary:
        return None
    point = shapely.geometry.shape(grid.boundary).representative_point()
    return point.x, point.y
