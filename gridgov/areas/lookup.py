"""Point → grid lookup on a shapely STRtree over the active grids' boundaries.

One index per process. It is rebuilt lazily: an action that changes a boundary, or a grid's name, drops
this process's index and moves ``GeometryVersion``; other processes notice the new version on their next
lookup after ``RECHECK_SECONDS`` (one cheap primary-key read, at most once per interval).

The index also keeps each grid's row (id, code, name, level, parent), so intake places a report in its
grid without reading the ``Area`` (:func:`grid_at`).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely.geometry import shape

RECHECK_SECONDS = 1.0


GRID_FIELDS = ["id", "code", "name", "level", "parent_id"]


@dataclass
class GridIndex:
    codes: list[str]
    geoms: np.ndarray
    tree: shapely.STRtree
    version: int
    grids: dict[str, tuple] = field(default_factory=dict)  # code → the values of GRID_FIELDS

    @classmethod
    def build(
        cls, rows: list[tuple[str, dict]], version: int = 0, grids: dict[str, tuple] | None = None
    ) -> GridIndex:
        rows = sorted(rows, key=lambda r: r[0])  # tree index order == code order: ties go to the lower code
        geoms = np.array([shape(b) for _, b in rows], dtype=object)
        shapely.prepare(geoms)
        return cls(
            codes=[c for c, _ in rows],
            geoms=geoms,
            tree=shapely.STRtree(geoms),
            version=version,
            grids=grids or {},
        )

    def lookup(self, lng: float, lat: float) -> str | None:
        hits = self.tree.query(shapely.Point(lng, lat), predicate="intersects")
        if len(hits) == 0:
            return None
        return self.codes[int(hits.min())]

    def lookup_many(self, lngs, lats) -> list[str | None]:
        points = shapely.points(np.asarray(lngs, dtype=float), np.asarray(lats, dtype=float))
        inputs, targets = self.tree.query(points, predicate="intersects")
        best = np.full(len(points), -1, dtype=np.int64)
        if len(inputs):
            order = np.lexsort((targets, inputs))
            inputs, targets = inputs[order], targets[order]
            first = np.ones(len(inputs), dtype=bool)
            first[1:] = inputs[1:] != inputs[:-1]
            best[inputs[first]] = targets[first]
        return [self.codes[i] if i >= 0 else None for i in best.tolist()]


_lock = threading.Lock()
_index: GridIndex | None = None
_checked_at = 0.0


def _current_version() -> int:
    from gridgov.areas.models import GeometryVersion

    return GeometryVersion.objects.filter(pk=1).values_list("version", flat=True).first() or 0


def _build_from_db(version: int) -> GridIndex:
    from gridgov.areas.models import Area, Level

    rows = list(
        Area.objects.filter(level=Level.GRID, is_active=True, boundary__isnull=False).values_list(
            "boundary", *GRID_FIELDS
        )
    )
    code = GRID_FIELDS.index("code")
    return GridIndex.build(
        [(r[1 + code], r[0]) for r in rows], version, grids={r[1 + code]: r[1:] for r in rows}
    )


def get_index() -> GridIndex:
    global _index, _checked_at
    now = time.monotonic()
    index = _index
    if index is not None and now - _checked_at < RECHECK_SECONDS:
        return index
    with _lock:
        version = _current_version()
        if _index is None or _index.version != version:
            _index = _build_from_db(version)
        _checked_at = now
        return _index


def grid_at(lng: float, lat: float):
    """The active grid containing the point, or None: a fresh ``Area`` with the fields of ``GRID_FIELDS``
    loaded from the index (the others, the boundary among them, load on first access)."""
    from gridgov.areas.models import Area

    index = get_index()
    code = index.lookup(lng, lat)
    return Area.from_db("default", GRID_FIELDS, index.grids[code]) if code is not None else None


def invalidate() -> None:
    """Drop this process's index (called by every action that changes a boundary)."""
    global _index
    with _lock:
        _index = None


def bump_version() -> None:
    from django.db.models import F

    from gridgov.areas.models import GeometryVersion

    updated = GeometryVersion.objects.filter(pk=1).update(version=F("version") + 1)
    if not updated:
        GeometryVersion.objects.get_or_create(pk=1, defaults={"version": 1})
    invalidate()
