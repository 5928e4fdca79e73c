"""Ledger import: 100,000 residents from one .xlsx, with validation, encryption and the writes.

Run from the repository root::

    .venv/bin/python -m bench.ledger_import [--rows 100000] [--db postgres|sqlite|both]

1. **file**: a workbook in the residents template (14 columns) with ``--rows`` residents: Chinese names,
   valid synthetic ID numbers (``gridgov.core.validators.synthetic_id_number``, region 610304 so they never
   meet the demo's), phones for 85 %, about 2.9 residents per household (rooms of buildings spread over the
   demo district's 365 grids), a focus tag for 12 %. Written once with openpyxl's write-only mode and kept
   in ``$TMPDIR/gridgov-bench-ledger/``; a second file changes every phone (the update path).
2. **floor**: openpyxl's bare read of the same file in a child process (``load_workbook(read_only=True)``
   and ``iter_rows(values_only=True)`` over every row, nothing else).
3. **import**, per database (PostgreSQL: a fresh database ``gridgov_bench_<pid>`` on 127.0.0.1:5432,
   dropped at the end; SQLite: a file in a temporary directory): ``gridgov migrate``, ``gridgov
   load_demo``, the buildings and the standard focus tags; then, each in a fresh child process running
   ``gridgov.ledger.imports`` exactly as ``gridgov import_ledger`` does (all-or-nothing, area = the demo
   district): the first import (every resident and household created), the same file again (everything
   matched, nothing to change) and the file with new phones (every resident updated, phones re-encrypted).

Timings are wall-clock of the child's import call (upload checks, reading, validation, writes, commit);
``peak_mb`` is the child's peak resident set (``ru_maxrss``, the whole process: Python, Django and
openpyxl included). Prints one JSON object. Targets (PostgreSQL): ≥ 3,000 rows/s, ≤ 3× the floor,
peak < 500 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from bench._server import (
    REPO_DIR,
    Site,
    loadavg_1m,
    machine_info,
    pg_create,
    pg_drop,
    pg_settings,
    pg_url,
    temp_var_dir,
)

DISTRICT = "610302"
REGION = "610304"  # ID numbers of another district: never equal to the demo residents'
TARGET_RPS = 3_000
TARGET_RATIO = 3.0
TARGET_PEAK_MB = 500
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰萍红梅建国建华志强海燕春梅文博子轩浩然梓涵欣怡一诺宇航思远佳怡晨曦嘉怡俊杰子豪雨泽"
RELATIONS = ["户主", "配偶", "子女", "子女", "父母", "孙辈", "租户", "其他"]
TAGS = ["独居老人", "空巢老人", "残疾人", "退役军人", "老党员", "居民代表", "失业人员", "留守儿童"]
WORKPLACES = ["宝鸡市第一中学", "渭滨区实验小学", "宝鸡钢管厂", "秦川机床", "个体经营", "", "", ""]


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- data


def grid_codes() -> list[str]:
    from gridgov.areas.demo import demo_areas

    return [a["code"] for a in demo_areas() if a["level"] == "grid"]


def building_codes(grids: list[str], per_grid: int) -> list[tuple[str, str]]:
    return [(f"BB-{g}-{n:02d}", g) for g in grids for n in range(1, per_grid + 1)]


def id_number(i: int) -> str:
    from gridgov.core.validators import synthetic_id_number

    day = (i * 7919) % 29_000  # a bijection on days for each sequence number
    return synthetic_id_number(REGION, date(1940, 1, 1) + timedelta(days=day), i // 29_000)


def make_file(path: Path, rows: int, buildings: list[tuple[str, str]], seed: int, phone_shift: int) -> None:
    from openpyxl import Workbook

    from gridgov.ledger.rules import RESIDENT_COLUMNS

    rng = random.Random(seed)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("居民")
    ws.append([c.header for c in RESIDENT_COLUMNS])
    i = 0
    household = 0
    while i < rows:
        code, _grid = buildings[household % len(buildings)]
        unit = str(1 + (household // len(buildings)) % 3)
        room = f"{1 + (household // (3 * len(buildings))) % 18}{1 + household % 4:02d}"
        household += 1
        size = min(rng.choice((1, 2, 2, 3, 3, 3, 4, 4, 5)), rows - i)
        for member in range(size):
            tagged = rng.random() < 0.12
            ws.append(
                [
                    rng.choice(SURNAMES)
                    + rng.choice(GIVEN)
                    + (rng.choice(GIVEN) if rng.random() < 0.6 else ""),
                    id_number(i),
                    f"1{rng.choice('3578')}{(i * 104729 + phone_shift) % 10**9:09d}"
                    if rng.random() < 0.85
                    else None,
                    code,
                    unit,
                    room,
                    "户主" if member == 0 else rng.choice(RELATIONS[1:]),
                    "户籍人口" if rng.random() < 0.8 else "流动人口",
                    "汉族" if rng.random() < 0.95 else "回族",
                    "中共党员" if rng.random() < 0.08 else "群众",
                    rng.choice(WORKPLACES),
                    rng.choice(TAGS) if tagged else None,
                    "2024 年入户走访认定" if tagged else None,
                    "租住" if rng.random() < 0.05 else None,
                ]
            )
            i += 1
    tmp = path.with_suffix(".tmp")
    wb.save(tmp)
    tmp.replace(path)


# ---------------------------------------------------------------- children


def child_floor(path: str) -> dict:
    from openpyxl import load_workbook

    t0 = time.perf_counter()
    wb = load_workbook(path, read_only=True, data_only=False)
    n = 0
    for _row in wb.worksheets[0].iter_rows(min_row=2, values_only=True):
        n += 1
    wb.close()
    seconds = time.perf_counter() - t0
    return {"rows": n, "seconds": round(seconds, 2), "rows_per_s": round(n / seconds), "peak_mb": _peak_mb()}


def child_prepare(per_grid: int) -> dict:
    import django

    django.setup()
    from gridgov.areas.models import Area
    from gridgov.ledger.models import Building
    from gridgov.ledger.tags import ensure_standard_tags

    ensure_standard_tags()
    grids = {a.code: a for a in Area.objects.filter(code__startswith=DISTRICT, level="grid")}
    objs = [
        Building(code=code, name=f"{code[-2:]}号楼", area=grids[g], area_code=g, units=3, floors=18)
        for code, g in building_codes(sorted(grids), per_grid)
    ]
    Building.objects.bulk_create(objs, batch_size=2000, ignore_conflicts=True)
    return {"grids": len(grids), "buildings": Building.objects.count()}


def child_import(path: str) -> dict:
    import django

    django.setup()
    from django.db import connection

    from gridgov.ledger.imports import ledger_import_create, ledger_import_run
    from gridgov.ledger.models import Household, Resident, TagAssignment

    t0 = time.perf_counter()
    job = ledger_import_create(
        by=None, kind="residents", area=DISTRICT, file=path, filename=Path(path).name, start=False
    )
    ledger_import_run(job_id=job.pk)
    seconds = time.perf_counter() - t0
    job.refresh_from_db()
    out = {
        "state": job.state,
        "message": job.message,
        "rows": job.rows_total,
        "created": job.rows_created,
        "updated": job.rows_updated,
        "errors": job.error_count,
        "seconds": round(seconds, 2),
        "rows_per_s": round(job.rows_total / seconds) if seconds else None,
        "peak_mb": _peak_mb(),
        "residents_in_db": Resident.objects.count(),
        "households_in_db": Household.objects.count(),
        "tags_in_db": TagAssignment.objects.count(),
        "db": connection.vendor,
    }
    return out


def _peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def run_child(site: Site | None, *args: str) -> dict:
    env = site.env if site else dict(os.environ)
    done = subprocess.run(
        [sys.executable, "-m", "bench.ledger_import", "--child", *args],
        env=env,
        cwd=REPO_DIR,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    if done.returncode != 0:
        raise RuntimeError(f"child {args} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- main


def measure_db(kind: str, args, files: dict[str, Path], floor: dict) -> dict:
    with temp_var_dir() as var:
        dbname = f"gridgov_bench_{os.getpid()}"
        if kind == "postgresql":
            pg_create(dbname)
            url = pg_url(dbname)
        else:
            url = f"sqlite:///{var / 'bench.sqlite3'}"
        site = Site(database_url=url, var_dir=var, extra_env={"GRIDGOV_MEDIA_ROOT": str(var / "media")})
        try:
            site.manage("migrate", "--no-input", "-v", "0")
            site.manage("load_demo")
            prepared = run_child(site, "prepare", str(args.buildings_per_grid))
            log(f"{kind}: migrated, demo loaded, {prepared['buildings']} buildings")
            result: dict = {"prepared": prepared}
            for name, path in (
                ("first", files["first"]),
                ("same_again", files["first"]),
                ("changed", files["changed"]),
            ):
                load = loadavg_1m()
                figures = run_child(site, "import", str(path))
                figures["loadavg_1m_before"] = load
                figures["ratio_to_floor"] = round(figures["seconds"] / floor["seconds"], 2)
                result[name] = figures
                log(
                    f"{kind} {name}: {figures['seconds']} s, {figures['rows_per_s']} rows/s, {figures['peak_mb']} MB"
                )
            if kind == "postgresql":
                result["pg_settings"] = pg_settings()
            first = result["first"]
            result["meets_targets"] = {
                "rows_per_s": first["rows_per_s"] >= TARGET_RPS,
                "ratio": first["ratio_to_floor"] <= TARGET_RATIO,
                "peak_mb": first["peak_mb"] < TARGET_PEAK_MB,
            }
            return result
        finally:
            if kind == "postgresql":
                pg_drop(dbname)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--db", choices=("postgres", "sqlite", "both"), default="postgres")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--buildings-per-grid", type=int, default=3)
    parser.add_argument("--child", nargs="+")
    args = parser.parse_args(argv)
    if args.child:
        what, *rest = args.child
        result = {"floor": child_floor, "prepare": lambda n: child_prepare(int(n)), "import": child_import}[
            what
        ](*rest)
        print(json.dumps(result, ensure_ascii=False))
        return 0

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
    import django

    django.setup()  # the template's columns and the demo grids (no database is touched here)
    cache = Path(tempfile.gettempdir()) / "gridgov-bench-ledger"
    cache.mkdir(exist_ok=True)
    buildings = building_codes(grid_codes(), args.buildings_per_grid)
    files = {}
    for name, shift in (("first", 0), ("changed", 7)):
        path = cache / f"residents-{args.rows}-{args.seed}-{args.buildings_per_grid}-{name}.xlsx"
        if not path.exists():
            t0 = time.perf_counter()
            make_file(path, args.rows, buildings, args.seed, shift)
            log(f"wrote {path.name} in {time.perf_counter() - t0:.1f} s")
        files[name] = path
    floor = run_child(None, "floor", str(files["first"]))
    log(f"floor: {floor['seconds']} s")
    out = {
        "benchmark": "ledger_import",
        "rows": args.rows,
        "file_mb": round(files["first"].stat().st_size / 1048576, 1),
        "machine": machine_info(),
        "loadavg_1m_start": loadavg_1m(),
        "floor_openpyxl_read_only": floor,
        "targets": {"rows_per_s": TARGET_RPS, "ratio_to_floor": TARGET_RATIO, "peak_mb": TARGET_PEAK_MB},
    }
    kinds = {"postgres": ["postgresql"], "sqlite": ["sqlite"], "both": ["postgresql", "sqlite"]}[args.db]
    for kind in kinds:
        out[kind] = measure_db(kind, args, files, floor)
    out["loadavg_1m_end"] = loadavg_1m()
    print(json.dumps(out, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
