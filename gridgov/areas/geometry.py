"""Boundary validation: GeoJSON in, a checked shapely geometry out, or a DomainError on ``boundary``."""

from __future__ import annotations

import json
from typing import Any

import shapely
from django.utils.translation import gettext as _
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.validation import explain_validity

from gridgov.core.errors import DomainError

# Degrees. Shared edges are computed from the same numbers, so touching is exact; these tolerances
# only absorb float noise (1e-9° is about 0.1 mm; 1e-12 deg² is about 0.01 m²).
EDGE_TOLERANCE = 1e-9
AREA_TOLERANCE = 1e-12
FIELD = "boundary"


def _bad(message: str, code: str = "invalid_boundary") -> DomainError:
    return DomainError(code, message, FIELD)


def _check_ring(ring: Any, where: str) -> None:
    if not isinstance(ring, list) or len(ring) < 4:
        raise _bad(_("%(where)s：环至少需要 4 个坐标点（首尾相同）") % {"where": where})
    for point in ring:
        if (
            not isinstance(point, list | tuple)
            or len(point) < 2
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in point[:2])
        ):
            raise _bad(_("%(where)s：坐标必须是 [经度, 纬度] 数值对") % {"where": where})
        lng, lat = point[0], point[1]
        if not (-180 <= lng <= 180 and -90 <= lat <= 90):
            raise _bad(
                _("%(where)s：坐标 [%(lng)s, %(lat)s] 超出经纬度范围")
                % {"where": where, "lng": lng, "lat": lat}
            )
    if list(ring[0][:2]) != list(ring[-1][:2]):
        raise _bad((_("%(where)s：环未闭合（首尾坐标必须相同）") % {"where": where}), "boundary_not_closed")


def parse_boundary(geojson: Any) -> Polygon | MultiPolygon:
    """Check a GeoJSON Polygon/MultiPolygon (or a Feature holding one) and return it as shapely."""
    if isinstance(geojson, dict) and geojson.get("type") == "Feature":
        geojson = geojson.get("geometry")
    if not isinstance(geojson, dict) or geojson.get("type") not in ("Polygon", "MultiPolygon"):
        raise _bad(_("边界必须是 GeoJSON 的 Polygon 或 MultiPolygon"))
    coords = geojson.get("coordinates")
    polygons = [coords] if geojson["type"] == "Polygon" else coords
    if not isinstance(polygons, list) or not polygons:
        raise _bad(_("边界缺少坐标"))
    for p_index, polygon in enumerate(polygons):
        if not isinstance(polygon, list) or not polygon:
            raise _bad(_("第 %(polygon)s 个多边形缺少坐标") % {"polygon": p_index + 1})
        for r_index, ring in enumerate(polygon):
            _check_ring(
                ring,
                (
                    _("第 %(polygon)s 个多边形第 %(ring)s 个环")
                    % {"polygon": p_index + 1, "ring": r_index + 1}
                ),
            )
    try:
        geom = shape(geojson)
    except (ValueError, TypeError, shapely.errors.GEOSException) as exc:
        raise _bad(_("边界无法解析：%(exc)s") % {"exc": exc}) from exc
    if not geom.is_valid:
        reason = explain_validity(geom)
        code = (
            "boundary_self_intersects"
            if "Self-intersection" in reason or "Ring" in reason
            else "invalid_boundary"
        )
        raise _bad((_("边界不是简单多边形（自相交或环错误）：%(reason)s") % {"reason": reason}), code)
    if geom.is_empty or geom.area <= AREA_TOLERANCE:
        raise _bad(_("边界面积为零"))
    return geom


def check_inside(child: Polygon | MultiPolygon, parent: Polygon | MultiPolygon, parent_name: str) -> None:
    if not parent.buffer(EDGE_TOLERANCE).covers(child):
        raise _bad(
            (_("边界超出上级区域「%(parent_name)s」的范围") % {"parent_name": parent_name}),
            "boundary_outside_parent",
        )


def check_no_overlap(geom: Polygon | MultiPolygon, siblings: list[tuple[str, Any]]) -> None:
    """Refuse ``geom`` if it overlaps any sibling by more than float noise (touching is fine)."""
    if not siblings:
        return
    geoms = [s for _, s in siblings]
    tree = shapely.STRtree(geoms)
    for index in tree.query(geom, predicate="intersects"):
        overlap = geom.intersection(geoms[index]).area
        if overlap > AREA_TOLERANCE:
            raise _bad(
                (_("边界与同级区域「%(name)s」重叠") % {"name": siblings[index][0]}),
                "boundary_overlaps_sibling",
            )


def to_geojson(geom) -> dict:
    """Shapely → a plain GeoJSON dict (lists, not tuples), ready for a JSONField."""
    return json.loads(shapely.to_geojson(geom))


def bbox_fields(geom) -> dict:
    min_lng, min_lat, max_lng, max_lat = geom.bounds
    return {"min_lng": min_lng, "min_lat": min_lat, "max_lng": max_lng, "max_lat": max_lat}
