"""Coordinate systems of a map: WGS-84 (what the platform stores) and GCJ-02 (what Chinese tile services
such as AutoNavi/Gaode or a 天地图 re-projection may draw in).

Every position the platform stores — area boundaries, buildings, cases — is WGS-84 longitude/latitude
(GPS, the browser's geolocation, GeoJSON). A base map whose tiles are drawn in GCJ-02 puts a WGS-84 point
some hundreds of metres off; the report map converts positions to GCJ-02 for display and the pin back to
WGS-84 before it is sent (``gridgov/cases/static/cases/report.js`` holds the same formulas in JavaScript).

``wgs84_to_gcj02`` is the published forward formula (Krasovsky 1940 ellipsoid). There is no closed-form
inverse; ``gcj02_to_wgs84`` finds it by fixed-point iteration, to well under a centimetre. Outside mainland
China (the rough box the formula uses) both return the position unchanged. See docs/maps.md.
"""

from __future__ import annotations

import math

# Semi-major axis and eccentricity squared of the Krasovsky 1940 ellipsoid, as the published formula uses.
_A = 6378245.0
_EE = 0.00669342162296594323
# Iterations of the inverse stop once a step moves less than this many degrees (about 1 mm).
_TOLERANCE = 1e-8
_MAX_STEPS = 30

WGS84 = "wgs84"
GCJ02 = "gcj02"
SYSTEMS = (WGS84, GCJ02)


def outside_china(lng: float, lat: float) -> bool:
    """The formula's own box: outside it, GCJ-02 is WGS-84."""
    return not (72.004 <= lng <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _transform_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lng(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lng: float, lat: float) -> tuple[float, float]:
    """A WGS-84 position as GCJ-02 (lng, lat)."""
    if outside_china(lng, lat):
        return lng, lat
    dlat = _transform_lat(lng - 105.0, lat - 35.0)
    dlng = _transform_lng(lng - 105.0, lat - 35.0)
    radlat = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(radlat) ** 2
    sqrtmagic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * math.pi)
    dlng = (dlng * 180.0) / (_A / sqrtmagic * math.cos(radlat) * math.pi)
    return lng + dlng, lat + dlat


def gcj02_to_wgs84(lng: float, lat: float) -> tuple[float, float]:
    """A GCJ-02 position as WGS-84 (lng, lat): the point whose forward conversion is ``(lng, lat)``,
    by iteration (the shift varies slowly, so each step gains about three orders of magnitude)."""
    if outside_china(lng, lat):
        return lng, lat
    x, y = lng, lat
    for _step in range(_MAX_STEPS):
        gx, gy = wgs84_to_gcj02(x, y)
        dx, dy = lng - gx, lat - gy
        x, y = x + dx, y + dy
        if abs(dx) < _TOLERANCE and abs(dy) < _TOLERANCE:
            break
    return x, y


def distance_m(lng1: float, lat1: float, lng2: float, lat2: float) -> float:
    """Great-circle distance in metres (haversine on a 6371 km sphere): enough to check conversions."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371000.0 * math.asin(math.sqrt(h))
