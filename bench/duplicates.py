"""Text-aware duplicate suggestions (SPEC M14) on a generated city: ``selectors.duplicate_suggestions`` on
PostgreSQL with 3,000,000 cases.

Run from the repository root::

    .venv/bin/python -m bench.duplicates [--checks 3000] [--db NAME] [--no-migrate]

The data: the database of ``bench.kpi`` (3,000,000 cases over one year in a city of 30,000 grids); build it
first with ``.venv/bin/python -m bench.kpi`` (kept afterwards). This benchmark writes no case: ``gridgov
migrate`` is run on the database first (so the index of the current schema, ``case_lat_lng_reported``, is
there; ``--no-migrate`` measures the schema as it is), then every check is a *new report that is not
saved*: an unsaved ``Case`` at the point of a case reported in the last ``--days`` days (moved by up to
``--jitter-m`` metres), reported at the generation moment, of a random leaf category, with a description
from the varied generator below (the generated cases carry only 16 fixed descriptions, which the checks are
compared against: some of the new descriptions are the same problems in other words, most are not).

The measurement, in this process (Django set up against that database), as the ``admin`` account (sees the
whole city): ``--warmup`` untimed checks, then ``--checks`` timed calls of ``duplicate_suggestions`` (the
query and the comparison of the words); p50 / p95 / p99 / max, beside the candidates read and the
suggestions made per check, and ``EXPLAIN (ANALYZE, BUFFERS)`` of one check's query. Target: p95 < 50 ms.
Prints one JSON object; the exit status is 1 when the check fails (a case never suggests itself: every
check is also made at the exact point and time of an existing open case, which must not be returned).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import shlex
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta

from bench._server import loadavg_1m, machine_info, pg_exists, pg_settings, pg_url, wait_for_quiet
from bench.kpi import CST, read_meta

TARGET_P95_MS = 50.0
# A varied generator of report texts: a place, a problem said in one of several ways, a detail. The first
# wording of some problems is one of bench.kpi's DESCRIPTIONS' problems said differently.
PLACES = ("", "小区门口", "3号楼下", "幸福路口", "菜市场旁边", "学校对面", "公交站附近", "东门", "停车场里")
PROBLEMS = (
    ("井盖松动，车辆经过有响声", "井盖松了，车一压就哐哐响", "路中间井盖晃动，晚上响声很大"),
    ("路灯坏了，晚上一片黑", "路灯好几天不亮了", "这段路的路灯一直不亮，走路看不见"),
    ("垃圾没人清运，味道很大", "垃圾桶满了好几天没人收", "垃圾堆在路边没人清运"),
    ("地砖翘起来了，老人差点摔倒", "人行道砖坏了，下雨积水", "人行道破损，坑坑洼洼"),
    ("工地晚上施工太吵", "夜里还在施工，噪音扰民", "施工噪音很大，影响休息"),
    ("楼上卫生间漏水到我家", "天花板渗水，楼上不理", "楼上漏水，找物业也没解决"),
    ("电动车飞线充电，很危险", "有人从楼上拉电线给电动车充电", "楼道里电动车充电，怕着火"),
    ("下水道堵了，污水冒出来", "污水井堵塞，臭味很大", "下水道堵塞外溢"),
    ("有人占道摆摊卖菜", "早上摊贩占道经营，车过不去", "流动摊贩把人行道占了"),
    ("暖气不热，家里只有十几度", "暖气片冰凉", "供暖温度不够，老人受不了"),
    ("共享单车乱停，堵住了出口", "单车堆满人行道", "共享单车乱放挡路"),
    ("树枝断了挂在电线上", "大树歪了快倒了", "绿化带的树被人砍了"),
    ("小广告贴满了墙", "电线杆上全是小广告", "墙上乱贴乱画"),
    ("电梯又坏了，老人下不了楼", "电梯经常停运", "电梯运行有异响"),
    ("狗在小区里乱叫，整夜不停", "有人遛狗不拴绳", "流浪狗咬人"),
    ("消防通道被车堵了", "楼道堆满杂物，消防隐患", "消防栓坏了没人修"),
)
DETAILS = (
    "",
    "希望尽快处理",
    "已经反映过好几次了",
    "请派人来看看",
    "影响大家出行",
    "联系人王先生13912345678",
)


def description(rng: random.Random) -> str:
    problem = rng.choice(PROBLEMS)
    parts = [rng.choice(PLACES) + rng.choice(problem), rng.choice(DETAILS)]
    return "，".join(p for p in parts if p)


def _pct(sorted_values: list[float], q: float) -> float:
    rank = max(1, min(len(sorted_values), -(-len(sorted_values) * q // 100)))
    return sorted_values[int(rank) - 1]


def _summary(samples: list[float]) -> dict:
    s = sorted(samples)
    return {
        "n": len(s),
        "p50_ms": round(_pct(s, 50), 2),
        "p95_ms": round(_pct(s, 95), 2),
        "p99_ms": round(_pct(s, 99), 2),
        "max_ms": round(s[-1], 2),
        "mean_ms": round(statistics.fmean(s), 2),
    }


def _counts(values: list[int]) -> dict:
    s = sorted(values)
    return {"p50": _pct(s, 50), "p95": _pct(s, 95), "max": s[-1], "mean": round(statistics.fmean(s), 2)}


def measure(args, dbname: str, meta: dict, log) -> dict:
    os.environ["GRIDGOV_DATABASE_URL"] = pg_url(dbname)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from gridgov.accounts.models import User
    from gridgov.cases import selectors
    from gridgov.cases.models import OPEN_STATES, Case, Category

    if not args.no_migrate:
        t0 = time.perf_counter()
        call_command("migrate", "--no-input", verbosity=0)
        log(f"migrated in {time.perf_counter() - t0:.1f} s")
    with connection.cursor() as cur:
        cur.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'cases_case' ORDER BY 1")
        indexes = [r[0] for r in cur.fetchall()]
    admin = User.objects.get(username="admin")
    now = datetime.fromisoformat(meta["period"][1]).replace(tzinfo=CST) + timedelta(days=1)
    rng = random.Random(args.seed)
    leaves = list(Category.objects.filter(children__isnull=True).values_list("pk", flat=True))
    # The points of recent cases (where reports are made), drawn from the index on (area, reported_at) range.
    recent = list(
        Case.objects.filter(reported_at__gte=now - timedelta(days=args.days), lat__isnull=False)
        .order_by("?")
        .values_list("pk", "lat", "lng", "reported_at", "category_id", "state")[: args.checks + args.warmup]
    )
    log(f"{len(recent)} points of cases reported in the last {args.days} days")
    probes = []
    for _pk, lat, lng, _at, _cat, _state in recent:
        move = rng.uniform(0, args.jitter_m)
        angle = rng.uniform(0, 6.2832)
        dlat = move * math.sin(angle) / 111_000
        dlng = move * math.cos(angle) / (111_000 * math.cos(math.radians(lat)))
        probes.append(
            Case(
                lat=lat + dlat,
                lng=lng + dlng,
                reported_at=now - timedelta(minutes=rng.uniform(0, 60)),
                category_id=rng.choice(leaves),
                description=description(rng),
                reporter_name="",
            )
        )
    warm, timed = probes[: args.warmup], probes[args.warmup :]
    for probe in warm:
        selectors.duplicate_suggestions(probe, admin)
    samples, fetched, suggested, by_words = [], [], [], 0
    sql_ms: list[float] = []
    for probe in timed:
        with CaptureQueriesContext(connection) as queries:
            t0 = time.perf_counter()
            found = selectors.duplicate_suggestions(probe, admin)
            samples.append((time.perf_counter() - t0) * 1000)
        sql_ms.append(sum(float(q["time"]) for q in queries.captured_queries) * 1000)
        suggested.append(len(found))
        by_words += sum(1 for d in found if d.words)
    # how many candidates a check reads: the same query, counted
    for probe in timed[: min(500, len(timed))]:
        fetched.append(_candidates(probe, admin, settings, selectors))
    # a case at its own point and time is not its own duplicate
    own = next((r for r in recent if r[5] in OPEN_STATES), None)
    self_ok = True
    if own is not None:
        case = Case.objects.get(pk=own[0])
        self_ok = all(d.case.pk != case.pk for d in selectors.duplicate_suggestions(case, admin))
    explain = _explain(timed[len(timed) // 2], admin, settings, selectors, connection)
    result = _summary(samples)
    example = next(
        (
            {
                "description": p.description,
                "reasons": [d.reason for d in selectors.duplicate_suggestions(p, admin)],
            }
            for p in timed
            if any(d.words for d in selectors.duplicate_suggestions(p, admin))
        ),
        None,
    )
    return {
        "settings": {
            "DUPLICATE_TEXT_MIN_SIMILARITY": settings.DUPLICATE_TEXT_MIN_SIMILARITY,
            "DUPLICATE_TEXT_RADIUS_M": settings.DUPLICATE_TEXT_RADIUS_M,
            "DUPLICATE_TEXT_DAYS": settings.DUPLICATE_TEXT_DAYS,
            "DUPLICATE_TEXT_MAX_CANDIDATES": settings.DUPLICATE_TEXT_MAX_CANDIDATES,
        },
        "case_indexes": indexes,
        "latency": {**result, "meets_target": result["p95_ms"] < TARGET_P95_MS},
        "sql_ms": _summary(sql_ms),
        "python_ms_mean": round(statistics.fmean(samples) - statistics.fmean(sql_ms), 2),
        "candidates_read": _counts(fetched),
        "suggestions": {**_counts(suggested), "by_words_total": by_words},
        "example": example,
        "explain": explain,
        "check": {"never_its_own_duplicate": self_ok, "ok": self_ok},
    }


def _query(probe, user, settings, selectors):
    """The candidate query ``duplicate_suggestions`` runs (the same filters, for counting and EXPLAIN)."""
    reach = max(100, settings.DUPLICATE_TEXT_RADIUS_M)
    window = timedelta(days=max(7, settings.DUPLICATE_TEXT_DAYS))
    dlat = reach / 111_000
    dlng = reach / (111_000 * max(math.cos(math.radians(probe.lat)), 0.01))
    from gridgov.cases.models import OPEN_STATES

    return (
        selectors.cases_visible_to(user)
        .filter(
            lat__range=(probe.lat - dlat, probe.lat + dlat),
            lng__range=(probe.lng - dlng, probe.lng + dlng),
            reported_at__gte=probe.reported_at - window,
            reported_at__lte=probe.reported_at + window,
            state__in=OPEN_STATES,
            merged_into__isnull=True,
        )
        .only(*selectors.DUPLICATE_FIELDS)
        .order_by("-reported_at")[: settings.DUPLICATE_TEXT_MAX_CANDIDATES]
    )


def _candidates(probe, user, settings, selectors) -> int:
    return len(list(_query(probe, user, settings, selectors)))


def _explain(probe, user, settings, selectors, connection) -> dict:
    sql, params = _query(probe, user, settings, selectors).query.sql_with_params()
    with connection.cursor() as cur:
        cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        plan = [r[0] for r in cur.fetchall()]
    indexes = sorted(set(re.findall(r"Index (?:Only )?Scan (?:Backward )?using (\w+)", "\n".join(plan))))
    ms = next((float(m) for ln in plan for m in re.findall(r"Execution Time: ([\d.]+) ms", ln)), None)
    return {"indexes_used": indexes, "execution_ms": ms, "plan": plan[:30]}


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m bench.duplicates", description=__doc__.split("\n")[0])
    parser.add_argument("--db", default="gridgov_bench_kpi_3000000_30000_s1", help="the bench.kpi database")
    parser.add_argument("--checks", type=int, default=3000, help="timed checks (3000)")
    parser.add_argument("--warmup", type=int, default=200, help="untimed checks first (200)")
    parser.add_argument(
        "--days", type=int, default=7, help="checks at points of cases of the last N days (7)"
    )
    parser.add_argument("--jitter-m", type=float, default=50.0, help="move each point by up to N metres (50)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-migrate", action="store_true", help="measure the schema as it is")
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=60,
        help="wait up to N seconds for an idle machine first (60; 0: no)",
    )
    args = parser.parse_args(argv)
    if args.checks < 1 or args.warmup < 0:
        parser.error("--checks must be positive")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)

    def log(message: str) -> None:
        print(f"[bench.duplicates {time.strftime('%H:%M:%S', time.gmtime())} UTC] {message}", file=sys.stderr)

    if not pg_exists(args.db):
        log(f"{args.db} is missing: build it with .venv/bin/python -m bench.kpi")
        return 2
    meta = read_meta(args.db) or {}
    if "period" not in meta:
        log(f"{args.db} has no bench.kpi description (COMMENT ON DATABASE)")
        return 2
    report = {
        "benchmark": "duplicate_suggestions_latency",
        "command": shlex.join(
            ["python", "-m", "bench.duplicates", *(sys.argv[1:] if argv is None else argv)]
        ),
        "loadavg_1m_at_start": loadavg_1m(),
        "machine": machine_info(),
        "postgres_settings": pg_settings(),
        "database": {"name": args.db, "cases": meta.get("cases"), "grids": meta.get("grids")},
        "targets": {"p95_ms": TARGET_P95_MS},
    }
    with tempfile.TemporaryDirectory(prefix="gridgov-bench-dup-") as var:
        os.environ["GRIDGOV_VAR_DIR"] = var
        report["machine_before_measuring"] = wait_for_quiet(args.quiet_wait) if args.quiet_wait > 0 else None
        report["measurement"] = measure(args, args.db, meta, log)
    report["all_targets_met"] = report["measurement"]["latency"]["meets_target"]
    report["all_checks_ok"] = report["measurement"]["check"]["ok"]
    print(json.dumps(report, ensure_ascii=False, indent=2, default=str))
    return 0 if report["all_checks_ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
