"""A seeded, city-scale area tree for benchmarks: districts → streets → communities → grids.

The city is a rectangle cut by a jittered lattice: every interior lattice point is moved at random,
and each cell is the quadrilateral between four lattice points. Neighbouring cells use the very same
corner floats, so the cells tile the rectangle with no gap and no overlap, and their edges are
slanted (point-in-polygon work is realistic, not a bounding-box test).

Districts, streets and communities are rectangular blocks of cells (in lattice coordinates, so
their real outlines are jagged), cut by recursive splits. Their boundaries are the lattice rings
around the block, so they too share vertices exactly with their neighbours. A grid is one cell; when
the lattice has a few more cells than grids were asked for, that many communities merge two
neighbouring cells into one six-cornered grid, so the count is exact.

Codes are tree paths: a district is ``city_prefix`` + 2 digits (6 in all, ``610102`` …), each
level below adds 3 digits (street 9, community 12, grid 15). The default city prefix ``6101`` does
not collide with the demo district ``610302``.

``city_grids()`` gives ``[(code, geojson_polygon)]`` for :meth:`GridIndex.build`; ``city_areas()``
gives the whole tree as dicts shaped like ``gridgov.areas.demo.demo_areas()``.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

import numpy as np

# (min_lng, min_lat, max_lng, max_lat): a city-sized rectangle, about 46 km × 39 km.
CITY_BBOX = (108.70, 34.10, 109.20, 34.45)
CITY_PREFIX = "6101"
DECIMALS = 7  # about 1 cm; shared corners are rounded once, so they stay identical

GRIDS_PER_COMMUNITY = 6
COMMUNITIES_PER_STREET = 9
GRIDS_PER_DISTRICT = 2500

_GRID_TYPES = ("residential", "business", "unit")
_GRID_TYPE_WEIGHTS = (0.75, 0.15, 0.10)


@dataclass(frozen=True)
class Block:
    """Cells ``[i0, i1) × [j0, j1)`` of the lattice (i runs west→east, j south→north)."""

    i0: int
    j0: int
    i1: int
    j1: int

    @property
    def width(self) -> int:
        return self.i1 - self.i0

    @property
    def height(self) -> int:
        return self.j1 - self.j0

    @property
    def cells(self) -> int:
        return self.width * self.height


@dataclass
class _Node:
    code: str
    name: str
    block: Block
    children: list[_Node] = field(default_factory=list)
    # Grids only: the cells this grid covers (one, or two merged neighbours).
    grid_cells: tuple[tuple[int, int], ...] = ()


@dataclass
class City:
    bbox: tuple[float, float, float, float]
    xs: np.ndarray  # (nx + 1, ny + 1) lattice longitudes, already rounded
    ys: np.ndarray  # (nx + 1, ny + 1) lattice latitudes, already rounded
    districts: list[_Node]
    grid_count: int


def _lattice_shape(n: int, bbox: tuple[float, float, float, float]) -> tuple[int, int]:
    """Columns and rows with about-square cells (in metres) and ``nx * ny - n`` as small as possible."""
    min_lng, min_lat, max_lng, max_lat = bbox
    width_m = (max_lng - min_lng) * math.cos(math.radians((min_lat + max_lat) / 2))
    height_m = max_lat - min_lat
    aspect = width_m / height_m
    ideal = max(1, round(math.sqrt(n / aspect)))
    best: tuple[float, int, int] | None = None
    for ny in range(max(1, int(ideal * 0.85)), int(ideal * 1.15) + 2):
        nx = math.ceil(n / ny)
        excess = nx * ny - n
        score = excess + abs(math.log((nx / ny) / aspect)) * 10
        if best is None or score < best[0]:
            best = (score, nx, ny)
    assert best is not None
    return best[1], best[2]


def _lattice(nx: int, ny: int, bbox, jitter: float, rng: np.random.Generator):
    min_lng, min_lat, max_lng, max_lat = bbox
    dx = (max_lng - min_lng) / nx
    dy = (max_lat - min_lat) / ny
    gx, gy = np.meshgrid(np.arange(nx + 1, dtype=float), np.arange(ny + 1, dtype=float), indexing="ij")
    jx = rng.uniform(-jitter, jitter, size=gx.shape)
    jy = rng.uniform(-jitter, jitter, size=gy.shape)
    # The city's outline stays a rectangle: border points only slide along their border.
    jx[0, :] = jx[-1, :] = 0.0
    jy[:, 0] = jy[:, -1] = 0.0
    xs = np.round(min_lng + (gx + jx) * dx, DECIMALS)
    ys = np.round(min_lat + (gy + jy) * dy, DECIMALS)
    # Pin the border exactly (no float drift from the arithmetic above).
    xs[0, :], xs[-1, :] = round(min_lng, DECIMALS), round(max_lng, DECIMALS)
    ys[:, 0], ys[:, -1] = round(min_lat, DECIMALS), round(max_lat, DECIMALS)
    return xs, ys


def split(block: Block, k: int, rng: random.Random) -> list[Block]:
    """Cut ``block`` into exactly ``k`` non-empty blocks of roughly equal size (``k <= block.cells``)."""
    if k <= 1:
        return [block]
    if k > block.cells:
        raise ValueError(f"cannot cut {block.cells} cells into {k} blocks")
    along_i = block.width >= block.height
    length, breadth = (block.width, block.height) if along_i else (block.height, block.width)
    # Cut near the proportional point, with some play so the map does not look like a chessboard.
    k_low = k // 2
    cut = round(length * k_low / k + rng.uniform(-0.15, 0.15) * length / 2)
    cut = min(max(cut, 1), length - 1)
    k_low = round(k * cut / length)
    k_low = min(max(k_low, 1, k - (length - cut) * breadth), k - 1, cut * breadth)
    if along_i:
        low = Block(block.i0, block.j0, block.i0 + cut, block.j1)
        high = Block(block.i0 + cut, block.j0, block.i1, block.j1)
    else:
        low = Block(block.i0, block.j0, block.i1, block.j0 + cut)
        high = Block(block.i0, block.j0 + cut, block.i1, block.j1)
    return split(low, k_low, rng) + split(high, k - k_low, rng)


def _reading_order(blocks: list[Block]) -> list[Block]:
    """North-west first, then east, then south: codes read like a map."""
    return sorted(blocks, key=lambda b: (-b.j1, b.i0))


def build_city(
    n: int = 30000,
    seed: int = 1,
    *,
    bbox: tuple[float, float, float, float] = CITY_BBOX,
    city_prefix: str = CITY_PREFIX,
    districts: int | None = None,
    grids_per_community: int = GRIDS_PER_COMMUNITY,
    communities_per_street: int = COMMUNITIES_PER_STREET,
    jitter: float = 0.3,
) -> City:
    """Lay out the whole tree (no GeoJSON yet). ``jitter`` is in cell sizes and must stay below 0.5."""
    if n < 1:
        raise ValueError("n must be at least 1")
    if not 0 <= jitter < 0.5:
        raise ValueError("jitter must be in [0, 0.5)")
    if len(city_prefix) != 4 or not city_prefix.isdigit():
        raise ValueError("city_prefix must be 4 digits")
    np_rng = np.random.default_rng(seed)
    rng = random.Random(seed)

    nx, ny = _lattice_shape(n, bbox)
    excess = nx * ny - n
    xs, ys = _lattice(nx, ny, bbox, jitter, np_rng)

    if districts is None:
        districts = min(98, max(1, round(n / GRIDS_PER_DISTRICT)))
    districts = min(districts, 98, nx * ny)
    cells_per_street = grids_per_community * communities_per_street

    district_nodes: list[_Node] = []
    communities: list[_Node] = []
    for d_index, d_block in enumerate(_reading_order(split(Block(0, 0, nx, ny), districts, rng)), start=1):
        d_code = f"{city_prefix}{d_index + 1:02d}"  # xx01 is kept free, as in the national code table
        district = _Node(d_code, f"基准{d_index:02d}区", d_block)
        district_nodes.append(district)
        n_streets = min(999, d_block.cells, max(1, round(d_block.cells / cells_per_street)))
        for s_index, s_block in enumerate(_reading_order(split(d_block, n_streets, rng)), start=1):
            street = _Node(f"{d_code}{s_index:03d}", f"第{s_index}街道", s_block)
            district.children.append(street)
            n_comms = min(999, s_block.cells, max(1, round(s_block.cells / grids_per_community)))
            for c_index, c_block in enumerate(_reading_order(split(s_block, n_comms, rng)), start=1):
                community = _Node(f"{street.code}{c_index:03d}", f"第{c_index}社区", c_block)
                street.children.append(community)
                communities.append(community)

    mergeable = [c for c in communities if c.block.cells >= 2]
    if excess > len(mergeable):
        raise ValueError(f"cannot reach exactly {n} grids with this layout; try another n")
    merged = set(map(id, rng.sample(mergeable, excess)))

    grid_count = 0
    for community in communities:
        b = community.block
        cells = [[(i, j)] for j in range(b.j1 - 1, b.j0 - 1, -1) for i in range(b.i0, b.i1)]
        if id(community) in merged:
            if b.width >= 2:  # the first two cells of the northern row become one grid
                cells[0:2] = [[cells[0][0], cells[1][0]]]
            else:  # a one-column block: the two northernmost cells
                cells[0:2] = [[cells[1][0], cells[0][0]]]
        if len(cells) > 999:
            raise ValueError("a community would hold more than 999 grids")
        for g_index, grid_cells in enumerate(cells, start=1):
            community.children.append(
                _Node(f"{community.code}{g_index:03d}", f"第{g_index}网格", b, grid_cells=tuple(grid_cells))
            )
        grid_count += len(cells)
    assert grid_count == n, (grid_count, n)
    return City(bbox=tuple(bbox), xs=xs, ys=ys, districts=district_nodes, grid_count=grid_count)


def _cell_ring(cells: tuple[tuple[int, int], ...]) -> list[tuple[int, int]]:
    """Lattice points around one cell, or two cells side by side (counter-clockwise, closed)."""
    if len(cells) == 1:
        ((i, j),) = cells
        return [(i, j), (i + 1, j), (i + 1, j + 1), (i, j + 1), (i, j)]
    (i, j), (i2, j2) = sorted(cells)
    if j2 == j:  # east-west pair
        return [(i, j), (i + 1, j), (i + 2, j), (i + 2, j + 1), (i + 1, j + 1), (i, j + 1), (i, j)]
    # south-north pair
    return [(i, j), (i + 1, j), (i + 1, j + 1), (i + 1, j + 2), (i, j + 2), (i, j + 1), (i, j)]


def _block_ring(b: Block) -> list[tuple[int, int]]:
    """Every lattice point on the outline of a block (counter-clockwise, closed)."""
    ring = [(i, b.j0) for i in range(b.i0, b.i1 + 1)]
    ring += [(b.i1, j) for j in range(b.j0 + 1, b.j1 + 1)]
    ring += [(i, b.j1) for i in range(b.i1 - 1, b.i0 - 1, -1)]
    ring += [(b.i0, j) for j in range(b.j1 - 1, b.j0 - 1, -1)]
    return ring


class _Geo:
    def __init__(self, city: City):
        self.xs = city.xs.tolist()
        self.ys = city.ys.tolist()

    def polygon(self, ring: list[tuple[int, int]]) -> dict:
        xs, ys = self.xs, self.ys
        return {"type": "Polygon", "coordinates": [[[xs[i][j], ys[i][j]] for i, j in ring]]}


def _grids(city: City):
    for district in city.districts:
        for street in district.children:
            for community in street.children:
                yield from community.children


def _grid_kind(code: str, seed: int) -> tuple[str, str]:
    rng = random.Random(f"{seed}:{code}")
    grid_type = rng.choices(_GRID_TYPES, _GRID_TYPE_WEIGHTS)[0]
    return ("dedicated" if grid_type == "unit" else "basic"), grid_type


def city_grids(n: int = 30000, seed: int = 1, **options) -> list[tuple[str, dict]]:
    """``[(grid_code, geojson_polygon)]`` for ``n`` grids tiling the city rectangle."""
    city = build_city(n, seed, **options)
    geo = _Geo(city)
    return [(g.code, geo.polygon(_cell_ring(g.grid_cells))) for g in _grids(city)]


def city_areas(n: int = 30000, seed: int = 1, **options) -> list[dict]:
    """The whole tree, parents before children, as dicts shaped like ``demo_areas()``."""
    city = build_city(n, seed, **options)
    geo = _Geo(city)
    out: list[dict] = []

    def area(node: _Node, level: str, parent: _Node | None, ring) -> dict:
        kind, grid_type = _grid_kind(node.code, seed) if level == "grid" else ("", "")
        return {
            "code": node.code,
            "name": node.name,
            "level": level,
            "parent_code": parent.code if parent else None,
            "kind": kind,
            "grid_type": grid_type,
            "boundary": geo.polygon(ring),
        }

    for district in city.districts:
        out.append(area(district, "district", None, _block_ring(district.block)))
    for district in city.districts:
        for street in district.children:
            out.append(area(street, "street", district, _block_ring(street.block)))
    for district in city.districts:
        for street in district.children:
            for community in street.children:
                out.append(area(community, "community", street, _block_ring(community.block)))
    for district in city.districts:
        for street in district.children:
            for community in street.children:
                for grid in community.children:
                    out.append(area(grid, "grid", community, _cell_ring(grid.grid_cells)))
    return out


def random_points(
    bbox: tuple[float, float, float, float], n: int, seed: int = 0, margin: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` uniform random (lngs, lats) in ``bbox`` widened by ``margin`` × its size on every side."""
    min_lng, min_lat, max_lng, max_lat = bbox
    w, h = max_lng - min_lng, max_lat - min_lat
    rng = np.random.default_rng(seed)
    lngs = rng.uniform(min_lng - margin * w, max_lng + margin * w, n)
    lats = rng.uniform(min_lat - margin * h, max_lat + margin * h, n)
    return lngs, lats


def bbox_of(boundaries) -> tuple[float, float, float, float]:
    """The bounding box of GeoJSON Polygon/MultiPolygon dicts."""
    lo_x = lo_y = math.inf
    hi_x = hi_y = -math.inf
    for geojson in boundaries:
        polygons = [geojson["coordinates"]] if geojson["type"] == "Polygon" else geojson["coordinates"]
        for polygon in polygons:
            arr = np.asarray(polygon[0], dtype=float)
            lo_x, lo_y = min(lo_x, arr[:, 0].min()), min(lo_y, arr[:, 1].min())
            hi_x, hi_y = max(hi_x, arr[:, 0].max()), max(hi_y, arr[:, 1].max())
    return (float(lo_x), float(lo_y), float(hi_x), float(hi_y))
