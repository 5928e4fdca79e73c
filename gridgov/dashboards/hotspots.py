"""Recurring problems (高发问题, docs/dashboards.md "Hot spots").

Cases of one category reported within a rule's time window whose points lie within the rule's radius of
each other — chained, so a row of reports along one street is one problem — form a cluster (single linkage:
DBSCAN with a minimum of one neighbour); a cluster of at least ``min_cases`` cases is a recurring problem.
Distances are metres on a local flat projection (equirectangular), exact enough within a city.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

M_PER_DEG_LAT = 110_540.0
M_PER_DEG_LNG_EQUATOR = 111_320.0


@dataclass(frozen=True)
class Point:
    id: int
    lat: float
    lng: float
    at: datetime
    area_code: str


@dataclass
class Cluster:
    points: list[Point]

    @property
    def lat(self) -> float:
        return sum(p.lat for p in self.points) / len(self.points)

    @property
    def lng(self) -> float:
        return sum(p.lng for p in self.points) / len(self.points)

    @property
    def radius_m(self) -> int:
        lat, lng = self.lat, self.lng
        return round(max(distance_m(lat, lng, p.lat, p.lng) for p in self.points))

    @property
    def first_at(self) -> datetime:
        return min(p.at for p in self.points)

    @property
    def last_at(self) -> datetime:
        return max(p.at for p in self.points)

    @property
    def area_code(self) -> str:
        """The grid holding most of the cases (the lowest code on a tie)."""
        counts = Counter(p.area_code for p in self.points)
        return min(counts, key=lambda code: (-counts[code], code))

    @property
    def ids(self) -> list[int]:
        return sorted(p.id for p in self.points)


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    scale = M_PER_DEG_LNG_EQUATOR * math.cos(math.radians((lat1 + lat2) / 2))
    return math.hypot((lng2 - lng1) * scale, (lat2 - lat1) * M_PER_DEG_LAT)


class Near:
    """Things with a ``lat`` and ``lng`` put in square cells of about ``cell_m`` metres, so the ones within a
    distance of a place are found by looking only in the cells that distance can reach."""

    def __init__(self, items: Sequence, cell_m: float, lat0: float | None = None) -> None:
        self.items = list(items)
        lat0 = (
            lat0
            if lat0 is not None
            else (sum(i.lat for i in self.items) / len(self.items) if self.items else 0)
        )
        self.cell_m = max(cell_m, 1.0)
        self.cell_lat = self.cell_m / M_PER_DEG_LAT
        self.cell_lng = self.cell_m / (M_PER_DEG_LNG_EQUATOR * math.cos(math.radians(lat0)))
        self.cells: dict[tuple[int, int], list[int]] = {}
        for index, item in enumerate(self.items):
            self.cells.setdefault(self.key(item.lat, item.lng), []).append(index)

    def key(self, lat: float, lng: float) -> tuple[int, int]:
        return math.floor(lat / self.cell_lat), math.floor(lng / self.cell_lng)

    def within(self, lat: float, lng: float, radius_m: float) -> list[int]:
        """The indices of the items within ``radius_m`` of (lat, lng)."""
        ky, kx = self.key(lat, lng)
        reach = math.ceil(radius_m / self.cell_m) + 1  # a cell's width varies a little with the latitude
        found = []
        for dy in range(-reach, reach + 1):
            for dx in range(-reach, reach + 1):
                for index in self.cells.get((ky + dy, kx + dx), ()):
                    item = self.items[index]
                    if distance_m(lat, lng, item.lat, item.lng) <= radius_m:
                        found.append(index)
        return found


def clusters(points: Sequence[Point], radius_m: float, min_cases: int) -> list[Cluster]:
    """The connected groups of points within ``radius_m`` of one another (chained), of at least
    ``min_cases`` points, largest first. Each point is compared only with the points of the cells around
    it (:class:`Near`)."""
    if not points or radius_m <= 0:
        return []
    near = Near(points, radius_m)
    parent = list(range(len(points)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, p in enumerate(points):
        for j in near.within(p.lat, p.lng, radius_m):
            if j > i:
                a, b = find(i), find(j)
                if a != b:
                    parent[max(a, b)] = min(a, b)
    groups: dict[int, list[Point]] = {}
    for i, p in enumerate(points):
        groups.setdefault(find(i), []).append(p)
    found = [Cluster(sorted(g, key=lambda p: (p.at, p.id))) for g in groups.values() if len(g) >= min_cases]
    found.sort(key=lambda c: (-len(c.points), c.first_at, c.ids[0]))
    return found
