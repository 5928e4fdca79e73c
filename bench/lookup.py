"""Point → grid lookup benchmark: ``GridIndex`` against a plain shapely loop, on one core.

Run from the repository root::

    .venv/bin/python -m bench.lookup [--grids 30000] [--points 200000] [--single 50000] [--quick]

Prints one JSON object. Two data sets: the demo district (``gridgov.areas.demo``) and a generated
city of ``--grids`` grids (``bench.citygen``). For each: the time to build the index from GeoJSON,
lookups per second batched (``lookup_many``) and one at a time (``lookup`` in a Python loop), the
floor (every point tested against every polygon with ``Polygon.contains``), and a check that the
three give the same grid for the same points. No database is touched.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import statistics
import sys
import time
from collections.abc import Callable

TARGET_BATCHED = 100_000  # lookups/s, one core
TARGET_SINGLE = 20_000  # lookups/s, one core
OUTSIDE_MARGIN = 0.05  # points are drawn from the bbox widened by 5 % per side, so some miss
FLOOR_BUDGET = 20_000_000  # polygon tests for the floor sample (points × polygons), at most
FLOOR_MIN, FLOOR_MAX = 20, 5000
WARMUP = 2000  # points looked up, untimed, before each timed figure


def pin_one_core() -> dict:
    """Run on one CPU so the figures are per core (shapely/GEOS would not use more anyway)."""
    if hasattr(os, "sched_setaffinity"):
        try:
            allowed = sorted(os.sched_getaffinity(0))
            cpu = 0 if 0 in allowed else allowed[0]
            os.sched_setaffinity(0, {cpu})
            return {"cores": 1, "pinned_cpu": cpu}
        except OSError as exc:
            return {"cores": None, "pinned_cpu": None, "pin_error": str(exc)}
    return {"cores": None, "pinned_cpu": None, "pin_error": "os.sched_setaffinity is not available"}


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def load_demo_grids() -> list[tuple[str, dict]]:
    """The demo district's grids. ``demo_areas`` needs no database; Django is set up only if it asks."""
    from django.core.exceptions import AppRegistryNotReady, ImproperlyConfigured

    try:
        from gridgov.areas.demo import demo_areas

        areas = demo_areas()
    except (AppRegistryNotReady, ImproperlyConfigured):
        import django

        django.setup()
        from gridgov.areas.demo import demo_areas

        areas = demo_areas()
    return [(a["code"], a["boundary"]) for a in areas if a["level"] == "grid" and a.get("boundary")]


def timed(fn: Callable[[], object], repeats: int) -> tuple[list[float], object]:
    runs, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        runs.append(time.perf_counter() - start)
    return runs, result


def rate(points: int, runs: list[float], target: int | None = None) -> dict:
    median = statistics.median(runs)
    out = {
        "points": points,
        "seconds_median": round(median, 4),
        "seconds_runs": [round(r, 4) for r in runs],
        "lookups_per_s": round(points / median),
    }
    if target is not None:
        out["target_per_s"] = target
        out["meets_target"] = points / median >= target
    return out


def floor_lookup(polygons: list, codes: list[str], lngs: list[float], lats: list[float]) -> list[str | None]:
    """The naive way: test each point against each polygon, in code order; the first hit wins."""
    from shapely.geometry import Point

    out: list[str | None] = []
    for lng, lat in zip(lngs, lats, strict=True):
        point = Point(lng, lat)
        found = None
        for code, polygon in zip(codes, polygons, strict=True):
            if polygon.contains(point):
                found = code
                break
        out.append(found)
    return out


def measure(rows: list[tuple[str, dict]], bbox, args, seed: int) -> dict:
    from shapely.geometry import shape

    from bench.citygen import random_points
    from gridgov.areas.lookup import GridIndex

    build_runs, index = timed(lambda: GridIndex.build(rows), args.repeats)
    assert isinstance(index, GridIndex)

    lngs_np, lats_np = random_points(bbox, args.points, seed=seed, margin=OUTSIDE_MARGIN)
    index.lookup_many(lngs_np[:WARMUP], lats_np[:WARMUP])  # untimed warm-up
    batched_runs, batched = timed(lambda: index.lookup_many(lngs_np, lats_np), args.repeats)
    assert isinstance(batched, list)

    n_single = min(args.single, args.points)
    lngs, lats = lngs_np[:n_single].tolist(), lats_np[:n_single].tolist()  # Python floats, as from a request
    lookup = index.lookup
    [lookup(x, y) for x, y in zip(lngs[:WARMUP], lats[:WARMUP], strict=True)]  # untimed warm-up
    single_runs, single = timed(lambda: [lookup(x, y) for x, y in zip(lngs, lats, strict=True)], args.repeats)
    assert isinstance(single, list)

    n_floor = args.floor_points or min(FLOOR_MAX, max(FLOOR_MIN, FLOOR_BUDGET // max(1, len(rows))))
    if args.quick and not args.floor_points:
        n_floor = max(10, n_floor // 10)
    n_floor = min(n_floor, n_single)
    ordered = sorted(rows, key=lambda r: r[0])
    codes = [c for c, _ in ordered]
    polygons = [shape(b) for _, b in ordered]  # plain, unprepared
    floor_runs, floor = timed(lambda: floor_lookup(polygons, codes, lngs[:n_floor], lats[:n_floor]), 1)
    assert isinstance(floor, list)

    mismatches = sum(
        1 for f, b, s in zip(floor, batched[:n_floor], single[:n_floor], strict=True) if not f == b == s
    )
    batched_vs_single = sum(1 for b, s in zip(batched[:n_single], single, strict=True) if b != s)
    return {
        "grids": len(rows),
        "bbox": [round(v, 6) for v in bbox],
        "points_inside_share": round(sum(1 for b in batched if b is not None) / len(batched), 4),
        "build": {
            "seconds_median": round(statistics.median(build_runs), 4),
            "seconds_runs": [round(r, 4) for r in build_runs],
        },
        "batched": rate(args.points, batched_runs, TARGET_BATCHED),
        "single": rate(n_single, single_runs, TARGET_SINGLE),
        "floor": {**rate(n_floor, floor_runs), "polygon_tests_max": n_floor * len(rows)},
        "check": {
            "points": n_floor,
            "mismatches_floor_batched_single": mismatches,
            "points_batched_vs_single": n_single,
            "mismatches_batched_vs_single": batched_vs_single,
            "ok": mismatches == 0 and batched_vs_single == 0,
        },
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.lookup", description=__doc__.split("\n")[0])
    parser.add_argument("--grids", type=int, default=30000, help="grids in the generated city (30000)")
    parser.add_argument("--points", type=int, default=200_000, help="random points for lookup_many (200000)")
    parser.add_argument("--single", type=int, default=50_000, help="points for one-at-a-time lookup (50000)")
    parser.add_argument("--floor-points", type=int, default=0, help="points for the plain loop (auto)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per figure; the median is used")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="a smoke run: 10x fewer points, one run each")
    args = parser.parse_args(argv)
    if args.quick:
        args.points, args.single, args.repeats = args.points // 10, args.single // 10, 1
    if args.points < 1 or args.single < 1 or args.repeats < 1 or args.grids < 1:
        parser.error("--grids, --points, --single and --repeats must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    pinned = pin_one_core()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
    args = parse_args(argv)

    import numpy
    import shapely

    from bench import citygen

    report: dict = {
        "benchmark": "point_to_grid_lookup",
        "command": shlex.join(["python", "-m", "bench.lookup", *(sys.argv[1:] if argv is None else argv)]),
        **pinned,
        "loadavg_1m_at_start": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
        "machine": {
            "cpu_model": cpu_model(),
            "python": platform.python_version(),
            "shapely": shapely.__version__,
            "geos": shapely.geos_version_string,
            "numpy": numpy.__version__,
            "platform": platform.platform(),
        },
        "targets": {"batched_lookups_per_s": TARGET_BATCHED, "single_lookups_per_s": TARGET_SINGLE},
        "settings": {
            "points_batched": args.points,
            "points_single": min(args.single, args.points),
            "repeats": args.repeats,
            "seed": args.seed,
            "outside_margin": OUTSIDE_MARGIN,
            "quick": args.quick,
        },
        "datasets": {},
    }

    demo = load_demo_grids()
    demo_result = measure(demo, citygen.bbox_of(b for _, b in demo), args, seed=args.seed)
    report["datasets"]["demo"] = {"source": "gridgov.areas.demo.demo_areas()", **demo_result}

    start = time.perf_counter()
    city = citygen.city_grids(args.grids, seed=args.seed)
    generate_s = time.perf_counter() - start
    city_result = measure(city, citygen.CITY_BBOX, args, seed=args.seed + 1)
    report["datasets"]["city"] = {
        "source": f"bench.citygen.city_grids(n={args.grids}, seed={args.seed})",
        "generate_seconds": round(generate_s, 3),
        **city_result,
    }

    results = report["datasets"].values()
    report["all_targets_met"] = all(r[k]["meets_target"] for r in results for k in ("batched", "single"))
    report["all_checks_ok"] = all(r["check"]["ok"] for r in results)
    print(json.dumps(report, ensure_ascii=False, indent=2))
    return 0 if report["all_checks_ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
