"""The command centre (SPEC M12) on a generated city: the roll-up's refresh, the landing dashboard, the grid
map's colouring, recurring problems and the monthly report, each beside a naive floor.

Run from the repository root::

    .venv/bin/python -m bench.dashboards [--reuse] [--days 35] [--repeats 30]

The data: the database of ``bench.kpi`` (3,000,000 cases over one year in a city of 30,000 grids; built by
``bench.kpi.build_database`` when missing, ``--reuse`` takes it again and runs ``gridgov migrate`` on it).
``bench.kpi`` fills the case columns but writes no timeline, so this benchmark first writes the timeline
events of the last ``--days`` days from those columns (one ``INSERT … SELECT`` per action, once: recorded in
the database's comment): ``report`` at ``reported_at``, ``accept`` at ``accepted_at``, ``dispatch`` at
``first_dispatched_at``, ``close`` at ``closed_at``, ``rate`` at ``rated_at``, ``overdue`` at
``resolution_overdue_at`` and ``warning`` at ``resolution_warned_at`` (or, since ``bench.kpi`` leaves that
empty, at ``resolution_warn_at`` when the case was not resolved by then). Escalations, reopenings and
whistles are not written: the case columns keep their counts, not their times.

The measurement, in this process (Django set up against that database), with ``now`` = the generation
moment (00:00 of the generation day, Asia/Shanghai):

1. ``figures.refresh(since=<window start>)`` from empty (cold), then the sweep's incremental refresh.
2. ``actions.hotspots_detect()`` over the city (the default rule), with a time limit and a profile of its
   parts for the largest category.
3. ``selectors.dashboard(user, code)`` for the busiest district and its busiest street, as staff of those
   areas: warm-up, then ``--repeats`` calls round robin (targets p95 < 500 ms / < 300 ms), beside the floor:
   the same figures counted from the cases and the timeline (one grouped statement, then one per grid).
4. ``selectors.colour`` of every grid of the city by three indicators (target < 1 s), beside one
   ``elements.count`` per grid for the grids of one district.
5. ``actions.report_generate`` of the district's monthly report (target < 30 s), beside the report's case
   figures counted per grid.
6. The size of the case and figure tables, their rows per day and a linear estimate for five years.

Prints one JSON object; the exit status is 1 when a check fails.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shlex
import signal
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bench._server import (
    CpuMeter,
    loadavg_1m,
    machine_info,
    pg_dsn,
    pg_settings,
    pg_url,
    postgres_pids_for,
    wait_for_quiet,
)
from bench.assessment import _explain, _ms, _sql_ms, busiest_full_month, district_keeper, prepare_database
from bench.citygen import CITY_PREFIX
from bench.kpi import CST, NOISE_LIMIT, _plan_key_lines, _summary, db_name, write_meta

TARGETS = {
    "district_dashboard_p95_ms": 500.0,
    "street_dashboard_p95_ms": 300.0,
    "colour_city_p95_s": 1.0,
    "monthly_report_s": 30.0,
}
CITY_RANGE = (CITY_PREFIX, str(int(CITY_PREFIX) + 1))
# (timeline action, the moment it happened as an expression over cases_case)
EVENT_SOURCES = (
    ("report", "reported_at"),
    ("accept", "accepted_at"),
    ("dispatch", "first_dispatched_at"),
    ("close", "closed_at"),
    ("rate", "rated_at"),
    ("overdue", "resolution_overdue_at"),
    (
        "warning",
        "COALESCE(resolution_warned_at, CASE WHEN resolution_warn_at <= COALESCE(resolved_at, %(now)s)"
        " THEN resolution_warn_at END)",
    ),
)
NOT_GENERATED = ("escalate", "reopen", "whistle")
PARTS = ("refresh", "hotspots", "dashboard", "colour", "report")
INDICATORS = ("on_time_closure_rate", "open_overdue", "cases_per_1000")
YEARS = 5
FIVE_YEAR_CASES = 15_000_000
CODE_UNDER_TEST = (
    "gridgov/dashboards/figures.py",
    "gridgov/dashboards/selectors.py",
    "gridgov/dashboards/actions.py",
    "gridgov/dashboards/reports.py",
    "gridgov/dashboards/hotspots.py",
    "gridgov/core/elements.py",
    "gridgov/cases/elements.py",
)


# ---------------------------------------------------------------- the timeline


def generate_events(dbname: str, meta: dict, days: int, log) -> dict:
    """The timeline events of the generated cases from ``anchor - days`` to the anchor, written once: a
    stretch already written (the database's comment says from when) is not written again."""
    import psycopg

    anchor = date.fromisoformat(meta["anchor"])
    now_at = datetime.combine(anchor, datetime.min.time(), tzinfo=CST)
    start = anchor - timedelta(days=days)
    begin = datetime.combine(start, datetime.min.time(), tzinfo=CST)
    done = meta.get("dashboards_events") or {}
    upto = datetime.fromisoformat(done["from"]) if done.get("from") else now_at
    out = {
        "window": [start.isoformat(), (anchor - timedelta(days=1)).isoformat()],
        "already_written_from": done.get("from"),
        "written_now": {},
        "seconds_now": 0.0,
        "not_generated": list(NOT_GENERATED),
        "why_not": "the case columns keep how many escalations, reopenings and whistles there were, not when",
        "warning_moment": "resolution_warned_at, else resolution_warn_at when the case was not resolved by then",
    }
    if begin < upto:
        log(f"writing timeline events from {begin.isoformat()} to {upto.isoformat()}")
        t0 = time.perf_counter()
        with psycopg.connect(pg_dsn(dbname), autocommit=True) as conn:
            conn.execute("SET session_replication_role = replica")  # no per-row foreign-key checks
            for action, moment in EVENT_SOURCES:
                t = time.perf_counter()
                cur = conn.execute(
                    "INSERT INTO cases_caseevent (at, actor_label, action, from_state, to_state, note, data,"
                    f" actor_id, case_id) SELECT m, '', %(action)s, '', '', '', '{{}}'::jsonb, NULL, id"
                    f" FROM (SELECT id, {moment} AS m FROM cases_case"
                    "  WHERE area_code >= %(lo)s AND area_code < %(hi)s) c"
                    " WHERE m >= %(begin)s AND m < %(upto)s",
                    {"action": action, "now": now_at, "lo": CITY_RANGE[0], "hi": CITY_RANGE[1]}
                    | {"begin": begin, "upto": upto},
                )
                out["written_now"][action] = cur.rowcount
                log(f"  {action}: {cur.rowcount} events in {time.perf_counter() - t:.1f} s")
            conn.execute("SET session_replication_role = DEFAULT")
            conn.execute("ANALYZE cases_caseevent")
        out["seconds_now"] = round(time.perf_counter() - t0, 1)
        written = dict(done.get("events") or {})
        for action, n in out["written_now"].items():
            written[action] = written.get(action, 0) + n
        meta["dashboards_events"] = {"from": begin.isoformat(), "events": written}
        write_meta(dbname, meta)
    out["events_by_action"] = meta["dashboards_events"]["events"]
    out["events_total"] = sum(out["events_by_action"].values())
    return out


# ---------------------------------------------------------------- helpers


def _timed(fn, *args, **kwargs) -> tuple[object, float, list[dict]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        t = time.perf_counter()
        result = fn(*args, **kwargs)
        seconds = time.perf_counter() - t
    return result, seconds, queries.captured_queries


def _slowest(captured: list[dict], n: int = 5) -> list[dict]:
    rows = sorted(captured, key=lambda q: -float(q.get("time") or 0))[:n]
    return [{"ms": _ms(float(q["time"])), "sql": q["sql"][:300]} for q in rows]


def _cpu(meter: CpuMeter, cpu0) -> dict:
    cpu = meter.stop()
    cpu1 = os.times()
    mine = ((cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)) / max(cpu["wall_s"], 1e-9)
    cpu["this_process_cores"] = round(mine, 2)
    if cpu.get("rest_of_machine_cores") is not None:
        cpu["rest_of_machine_cores"] = round(max(0.0, cpu["rest_of_machine_cores"] - mine), 2)
    return cpu


def _meter(dbname: str):
    meter = CpuMeter({"postgres": postgres_pids_for(dbname)})
    cpu0 = os.times()
    meter.start()
    return meter, cpu0


def _range(code: str) -> tuple[str, str]:
    return code, str(int(code) + 1).zfill(len(code))


def _sql(statement: str, params) -> list[tuple]:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(statement, params)
        return cur.fetchall()


def street_keeper(admin, code: str):
    """The street's staff account (role ``street``), created once."""
    from gridgov.accounts.actions import user_create
    from gridgov.accounts.models import User
    from gridgov.areas.models import Area

    found = User.objects.filter(username=f"bench_street_{code}").first()
    return found or user_create(
        by=admin,
        role="street",
        area=Area.objects.get(code=code),
        username=f"bench_street_{code}",
        display_name=f"{code} 街道指挥中心（基准测试）",
        password=secrets.token_urlsafe(24),
        validate=False,
    )


def _profile(fn, *args, limit: int = 12, **kwargs) -> list[dict]:
    """cProfile of one call: the functions with the most cumulative time (under the profiler's overhead)."""
    import cProfile
    import pstats

    prof = cProfile.Profile()
    prof.runcall(fn, *args, **kwargs)
    stats = pstats.Stats(prof)
    rows = sorted(stats.stats.items(), key=lambda kv: -kv[1][3])[:limit]
    return [
        {
            "function": f"{Path(f).name}:{line}:{name}",
            "calls": nc,
            "tottime_s": round(tt, 3),
            "cumtime_s": round(ct, 3),
        }
        for (f, line, name), (_cc, nc, tt, ct, _callers) in rows
    ]


class _TimeLimit(Exception):
    pass


def _with_limit(seconds: float, fn, *args, **kwargs):
    def _alarm(_signum, _frame):
        raise _TimeLimit

    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return fn(*args, **kwargs)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


# ---------------------------------------------------------------- 1. the roll-up


def measure_refresh(dbname: str, now_at: datetime, since: date, log) -> dict:
    from django.db import connection

    from gridgov.dashboards import figures

    with connection.cursor() as cur:
        cur.execute("TRUNCATE dashboards_dayfigure, dashboards_stockfigure, dashboards_figuresmark")
    log(f"cold refresh since {since}")
    meter, cpu0 = _meter(dbname)
    cold, seconds, captured = _timed(figures.refresh, now_at, since=since)
    cpu = _cpu(meter, cpu0)
    log(f"  {cold['days']} days, {cold['rows']} day rows, {cold['stock_rows']} stock rows in {seconds:.1f} s")
    with connection.cursor() as cur:
        cur.execute("ANALYZE dashboards_dayfigure")
        cur.execute("ANALYZE dashboards_stockfigure")
    today, sql_today, _q = _timed(figures.refresh, now_at)
    # A full day recomputed, as the sweep does late in a day (``now`` a minute before the anchor), then the
    # catch-up the next refresh makes (that day and the anchor day): the roll-up is left as the cold one made it.
    full_day, sql_day, _q = _timed(figures.refresh, now_at - timedelta(minutes=1))
    catch_up, sql_catch, _q = _timed(figures.refresh, now_at)
    log(f"  incremental: today {sql_today:.2f} s, a full day {sql_day:.2f} s, catch-up {sql_catch:.2f} s")
    # Where a refresh's time goes: the flows of the full day and the stocks, computed without writing.
    last_day = now_at.astimezone(CST).date() - timedelta(days=1)
    flows, flows_s, flows_q = _timed(figures.day_flows, last_day)
    stocks, stocks_s, stocks_q = _timed(figures.stocks_now)
    parts = {
        "day_flows_full_day": {
            "s": round(flows_s, 2),
            "sql_s": round(_sql_ms(flows_q) / 1000, 2),
            "keys": len(flows),
        },
        "stocks_now": {
            "s": round(stocks_s, 2),
            "sql_s": round(_sql_ms(stocks_q) / 1000, 2),
            "keys": len(stocks),
        },
        "note": "computing only (SQL + spreading over the levels in Python); the rest of a refresh is writing "
        "the rows (delete the day's rows, bulk_create)",
    }
    log(f"  parts: {parts}")
    return {
        "cold": {
            **cold,
            "wall_s": round(seconds, 2),
            "sql_s": round(_sql_ms(captured) / 1000, 2),
            "queries": len(captured),
            "s_per_day": round(seconds / max(cold["days"], 1), 2),
            "cpu": cpu,
        },
        "incremental_today": {
            **today,
            "wall_s": round(sql_today, 2),
            "note": "the anchor day: almost no events",
        },
        "incremental_full_day": {
            **full_day,
            "wall_s": round(sql_day, 2),
            "note": "now = a minute before the anchor: the whole last generated day recomputed, and the stocks",
        },
        "catch_up_two_days": {**catch_up, "wall_s": round(sql_catch, 2)},
        "parts": parts,
    }


# ---------------------------------------------------------------- 2. recurring problems


def measure_hotspots(now_at: datetime, limit_s: float, log) -> dict:
    from django.db.models import Count

    from gridgov.cases.models import Case, Category
    from gridgov.dashboards import actions, hotspots
    from gridgov.dashboards.models import Hotspot, HotspotRule

    rule = HotspotRule.objects.filter(category__isnull=True).first() or HotspotRule(category=None)
    window = timedelta(days=rule.window_days)
    leaves = Category.objects.filter(children__isnull=True)
    sizes = dict(
        Case.objects.filter(category__in=leaves, reported_at__gte=now_at - window, reported_at__lt=now_at)
        .values_list("category_id")
        .annotate(n=Count("pk"))
    )
    biggest = max(sizes, key=sizes.get)
    # The parts of the largest category, as hotspots_detect runs them.
    t = time.perf_counter()
    points = actions._points(biggest, now_at - window, now_at)
    points_s = time.perf_counter() - t
    t = time.perf_counter()
    groups = hotspots.clusters(points, rule.radius_m, rule.min_cases)
    clusters_s = time.perf_counter() - t
    before = actions._points(biggest, now_at - 2 * window, now_at - window)
    sample = groups[:20]
    t = time.perf_counter()
    for group in sample:
        sum(
            1
            for p in before
            if hotspots.distance_m(group.lat, group.lng, p.lat, p.lng) <= group.radius_m + rule.radius_m
        )
    previous_s = (time.perf_counter() - t) / max(len(sample), 1) * len(groups)
    profile = {
        "category_id": biggest,
        "points": len(points),
        "points_s": round(points_s, 2),
        "clusters": len(groups),
        "clusters_s": round(clusters_s, 2),
        "points_previous_window": len(before),
        "previous_count_loop_estimate_s": round(previous_s, 1),
        "previous_count_loop_note": "each cluster is compared with every point of the previous window "
        "(clusters × points distance calls); timed on the first 20 clusters, scaled",
    }
    log(f"hot spots, largest category: {profile}")
    removed = Hotspot.objects.filter(area_code__gte=CITY_RANGE[0], area_code__lt=CITY_RANGE[1]).delete()[0]
    out = {
        "rule": {"radius_m": rule.radius_m, "window_days": rule.window_days, "min_cases": rule.min_cases},
        "cases_in_window_by_category": {str(k): v for k, v in sorted(sizes.items())},
        "removed_earlier": removed,
        "profile_largest_category": profile,
        "limit_s": limit_s,
    }
    t = time.perf_counter()
    try:
        out["result"] = _with_limit(limit_s, actions.hotspots_detect, now=now_at)
        out["finished"] = True
    except _TimeLimit:
        out["result"] = None
        out["finished"] = False
    out["wall_s"] = round(time.perf_counter() - t, 1)
    log(f"hotspots_detect: {out['result']} in {out['wall_s']} s (finished: {out['finished']})")
    return out


# ---------------------------------------------------------------- 3. the landing dashboard


def busiest(now_at: datetime) -> tuple[str, int, str, int]:
    lo, hi = CITY_RANGE
    begin = now_at - timedelta(days=30)
    district, d_cases = _sql(
        "SELECT substr(area_code, 1, 6), count(*) FROM cases_case WHERE area_code >= %s AND area_code < %s"
        " AND reported_at >= %s AND reported_at < %s GROUP BY 1 ORDER BY 2 DESC LIMIT 1",
        [lo, hi, begin, now_at],
    )[0]
    street, s_cases = _sql(
        "SELECT substr(area_code, 1, 9), count(*) FROM cases_case WHERE area_code >= %s AND area_code < %s"
        " AND reported_at >= %s AND reported_at < %s GROUP BY 1 ORDER BY 2 DESC LIMIT 1",
        [*_range(district), begin, now_at],
    )[0]
    return district, d_cases, street, s_cases


FLOOR_EVENTS = (
    "SELECT (e.at AT TIME ZONE 'Asia/Shanghai')::date, e.action, count(*) FROM cases_caseevent e"
    " JOIN cases_case c ON c.id = e.case_id WHERE c.area_code >= %s AND c.area_code < %s"
    " AND e.at >= %s AND e.at < %s GROUP BY 1, 2"
)
FLOOR_STOCK = (
    "SELECT substr(area_code, 1, %s), count(*), count(*) FILTER (WHERE sla = 'overdue'),"
    " count(*) FILTER (WHERE sla = 'warning') FROM cases_case"
    " WHERE area_code >= %s AND area_code < %s AND state = ANY(%s) GROUP BY 1"
)


def floor_once(code: str, begin: datetime, finish: datetime) -> tuple[dict, dict]:
    """The dashboard's case figures without the roll-up: events per (day, action), open cases per child."""
    from gridgov.cases.models import OPEN_STATES

    events = {(d, a): n for d, a, n in _sql(FLOOR_EVENTS, [*_range(code), begin, finish])}
    child = min(len(code) + 3, 15)
    stock = {c: (o, ov, w) for c, o, ov, w in _sql(FLOOR_STOCK, [child, *_range(code), list(OPEN_STATES)])}
    return events, stock


def floor_per_grid(grids: list[str], begin: datetime, finish: datetime) -> tuple[dict, float]:
    totals: dict = {}
    t = time.perf_counter()
    for grid in grids:
        events, _stock = floor_once(grid, begin, finish)
        for key, n in events.items():
            totals[key] = totals.get(key, 0) + n
    return totals, time.perf_counter() - t


def check_rollup(code: str, floor_events: dict, start: date, end: date) -> dict:
    from gridgov.dashboards.figures import ACTION_FLOW
    from gridgov.dashboards.models import DayFigure

    rows = DayFigure.objects.filter(area_code=code, category__isnull=True, day__gte=start, day__lte=end)
    flows = [ACTION_FLOW[a] for a, _m in EVENT_SOURCES]
    kept = {(r["day"], f): r[f] for r in rows.values("day", *flows) for f in flows}
    wanted = {(d, ACTION_FLOW[a]): n for (d, a), n in floor_events.items() if a in ACTION_FLOW}
    keys = {k for k in set(kept) | set(wanted) if kept.get(k, 0) or wanted.get(k, 0)}
    bad = sorted((k for k in keys if kept.get(k, 0) != wanted.get(k, 0)), key=str)
    return {
        "compared": len(keys),
        "flows": flows,
        "mismatches": len(bad),
        "examples": [
            {"day": str(d), "flow": f, "rollup": kept.get((d, f), 0), "floor": wanted.get((d, f), 0)}
            for d, f in bad[:5]
        ],
        "reported_30_days": {
            "rollup": sum(v for (d, f), v in kept.items() if f == "reported"),
            "floor": sum(v for (d, f), v in wanted.items() if f == "reported"),
        },
        "closed_30_days": {
            "rollup": sum(v for (d, f), v in kept.items() if f == "closed"),
            "floor": sum(v for (d, f), v in wanted.items() if f == "closed"),
        },
    }


def measure_dashboards(args, dbname: str, now_at: datetime, log) -> dict:
    from gridgov.accounts.models import User
    from gridgov.areas.models import Area
    from gridgov.dashboards import selectors
    from gridgov.dashboards.models import StockFigure

    admin = User.objects.get(username="admin")
    district, d_cases, street, s_cases = busiest(now_at)
    users = {district: district_keeper(admin, district), street: street_keeper(admin, street)}
    log(f"dashboards: district {district} ({d_cases} cases in 30 days), street {street} ({s_cases})")
    for _ in range(args.warmup):
        for code, user in users.items():
            selectors.dashboard(user, code, now=now_at)
    if args.quiet_wait > 0:
        log("waiting for the machine to be quiet")
    quiet = wait_for_quiet(args.quiet_wait) if args.quiet_wait > 0 else None
    samples: dict = {code: [] for code in users}
    meter, cpu0 = _meter(dbname)
    for _ in range(args.repeats):
        for code, user in users.items():
            t = time.perf_counter()
            selectors.dashboard(user, code, now=now_at)
            samples[code].append((time.perf_counter() - t) * 1000)
    cpu = _cpu(meter, cpu0)
    out: dict = {
        "machine_before": quiet,
        "cpu_while_timing": cpu,
        "warmup": args.warmup,
        "repeats": args.repeats,
    }
    today = now_at.astimezone(CST).date()
    start = today - timedelta(days=selectors.TREND_DAYS - 1)
    begin = datetime.combine(start, datetime.min.time(), tzinfo=CST)
    finish = datetime.combine(today + timedelta(days=1), datetime.min.time(), tzinfo=CST)
    checks = {}
    for level, code, cases, target in (
        ("district", district, d_cases, TARGETS["district_dashboard_p95_ms"]),
        ("street", street, s_cases, TARGETS["street_dashboard_p95_ms"]),
    ):
        user = users[code]
        answer, _s, captured = _timed(selectors.dashboard, user, code, now=now_at)
        grids = list(
            Area.objects.filter(code__gte=code, code__lt=_range(code)[1], level="grid", is_active=True)
            .order_by("code")
            .values_list("code", flat=True)
        )
        floor_ms = []
        for _ in range(args.floor_repeats):
            t = time.perf_counter()
            events, stock = floor_once(code, begin, finish)
            floor_ms.append((time.perf_counter() - t) * 1000)
        per_grid, per_grid_s = floor_per_grid(grids, begin, finish) if not args.skip_floors else ({}, None)
        check = check_rollup(code, events, start, today)
        kept = (
            StockFigure.objects.filter(area_code=code, category__isnull=True, unit__isnull=True, day=today)
            .values("open", "overdue", "warning")
            .first()
            or {}
        )
        floor_stock = [sum(v[i] for v in stock.values()) for i in range(3)]
        check["stock_today"] = {
            "rollup": [kept.get(k, 0) for k in ("open", "overdue", "warning")],
            "floor": floor_stock,
        }
        check["stock_ok"] = check["stock_today"]["rollup"] == floor_stock
        check["per_grid_floor_equals_grouped_floor"] = None if args.skip_floors else per_grid == events
        check["ok"] = (
            check["mismatches"] == 0
            and check["stock_ok"]
            and check["per_grid_floor_equals_grouped_floor"] is not False
        )
        checks[level] = check
        s = _summary(samples[code])
        out[level] = {
            "code": code,
            "user": user.username,
            "cases_reported_30_days": cases,
            "grids": len(grids),
            **s,
            "meets_target": s["p95_ms"] < target,
            "queries_per_call": len(captured),
            "sql_ms_one_call": _sql_ms(captured),
            "slowest_queries": _slowest(captured),
            "children": len(answer["children"]),
            "floor_grouped": {**_summary(floor_ms), "statements": 2},
            "floor_per_grid": None
            if per_grid_s is None
            else {
                "grids": len(grids),
                "statements": 2 * len(grids),
                "total_ms": _ms(per_grid_s),
                "per_grid_ms": round(per_grid_s * 1000 / max(len(grids), 1), 2),
            },
        }
        log(
            f"  {level} {code}: p50 {s['p50_ms']} ms, p95 {s['p95_ms']} ms; floor grouped p50 "
            f"{out[level]['floor_grouped']['p50_ms']} ms, per grid {out[level]['floor_per_grid']}"
        )
        if level == "district":
            dayfig = [q["sql"] for q in captured if "dashboards_dayfigure" in q["sql"]]
            statement = max(
                dayfig, key=lambda sql: float(next((q["time"] for q in captured if q["sql"] == sql), 0))
            )
            out["explain_district_dayfigure"] = {"sql": statement, **_plan_key_lines(_explain(statement))}
    out["checks"] = checks
    return out


# ---------------------------------------------------------------- 4. the grid map


def measure_colour(args, dbname: str, now_at: datetime, month, district: str, log) -> dict:
    from gridgov.areas.models import Area
    from gridgov.assessment.formula import parse
    from gridgov.assessment.models import Indicator
    from gridgov.assessment.scoring import indicator_value
    from gridgov.core import elements
    from gridgov.core.elements import Basis, Grouping
    from gridgov.dashboards import selectors
    from gridgov.dashboards.models import GridMonth

    roots = list(
        Area.objects.filter(level="district", is_active=True).order_by("code").values_list("code", flat=True)
    )
    out: dict = {"roots": roots, "period": month.key, "repeats": args.colour_repeats}
    samples: dict = {x: [] for x in INDICATORS}
    inds = {x: selectors.map_indicator(x) for x in INDICATORS}
    answers = {x: selectors.colour(roots, inds[x], month, now_at) for x in INDICATORS}  # warm-up
    if args.quiet_wait > 0:
        log("waiting for the machine to be quiet")
    # The first colouring of a month that no refresh kept counts the month's case elements of every grid
    # (and keeps them): timed apart, with its statements.
    GridMonth.objects.filter(month=month.start).delete()
    _answer, first_s, first_captured = _timed(
        selectors.colour, roots, inds["on_time_closure_rate"], month, now_at
    )
    out["first_of_month"] = {
        "indicator": "on_time_closure_rate",
        "ms": round(first_s * 1000, 1),
        "note": "the month was not kept: its case elements were counted for every grid and kept (figures.count_month)",
        "sql_ms": _sql_ms(first_captured),
        "slowest_queries": _slowest(first_captured, 3),
    }
    out["machine_before"] = wait_for_quiet(args.quiet_wait) if args.quiet_wait > 0 else None
    meter, cpu0 = _meter(dbname)
    for _ in range(args.colour_repeats):
        for x in INDICATORS:
            t = time.perf_counter()
            answers[x] = selectors.colour(roots, inds[x], month, now_at)
            samples[x].append((time.perf_counter() - t) * 1000)
    out["cpu_while_timing"] = _cpu(meter, cpu0)
    for x in INDICATORS:
        s = _summary(samples[x])
        _a, _s, captured = _timed(selectors.colour, roots, inds[x], month, now_at)
        out[x] = {
            "grids": len(answers[x]),
            "with_value": sum(1 for g in answers[x] if g["value"] is not None),
            **s,
            "meets_target": s["p95_ms"] < TARGETS["colour_city_p95_s"] * 1000,
            "queries": len(captured),
            "sql_ms": _sql_ms(captured),
            "slowest_queries": _slowest(captured, 3),
        }
        log(f"  colour {x}: {len(answers[x])} grids, p50 {s['p50_ms']} ms, p95 {s['p95_ms']} ms")
    _a, _s, captured = _timed(selectors.colour, roots, inds["on_time_closure_rate"], month, now_at)
    out["profile_on_time_closure_rate"] = _profile(
        selectors.colour, roots, inds["on_time_closure_rate"], month, now_at
    )
    statement = max(captured, key=lambda q: float(q["time"]))["sql"]
    out["explain_colour_slowest_statement"] = {"sql": statement, **_plan_key_lines(_explain(statement))}
    counting = max((q for q in first_captured if "cases_case" in q["sql"]), key=lambda q: float(q["time"]))[
        "sql"
    ]
    out["explain_month_count_case_statement"] = {"sql": counting, **_plan_key_lines(_explain(counting))}
    if args.skip_floors:
        return out
    # The floor: one elements.count per grid, for the grids of one district.
    row = Indicator.objects.get(code="on_time_closure_rate")
    definition = {"numerator": row.numerator, "denominator": row.denominator, "factor": str(row.factor)}
    names = list(
        dict.fromkeys(
            parse(row.numerator, known=lambda _n: True).names
            + parse(row.denominator, known=lambda _n: True).names
        )
    )
    grids = [g["code"] for g in answers["on_time_closure_rate"] if g["code"].startswith(district)]
    colour_value = {g["code"]: g["value"] for g in answers["on_time_closure_rate"]}
    t = time.perf_counter()
    mismatches = 0
    for grid in grids:
        counted = elements.count(names, Grouping.areas([grid], 15), month, Basis(now_at))
        _n, _d, value = indicator_value(definition, {n: counted[n].get(grid, 0) for n in names})
        mismatches += (None if value is None else round(float(value), 4)) != colour_value[grid]
    seconds = time.perf_counter() - t
    city = len(answers["on_time_closure_rate"])
    out["floor_per_grid"] = {
        "indicator": "on_time_closure_rate",
        "district": district,
        "grids": len(grids),
        "total_s": round(seconds, 2),
        "per_grid_ms": round(seconds * 1000 / max(len(grids), 1), 2),
        "city_estimate_s": round(seconds / max(len(grids), 1) * city, 1),
        "values_equal_colour": mismatches == 0,
        "mismatches": mismatches,
    }
    log(f"  colour floor: {out['floor_per_grid']}")
    return out


# ---------------------------------------------------------------- 5. the monthly report


def measure_report(args, dbname: str, now_at: datetime, month, district: str, log) -> dict:
    from gridgov.areas.models import Area
    from gridgov.core import elements
    from gridgov.core.elements import Basis, Grouping
    from gridgov.dashboards import actions, reports

    samples = []
    meter, cpu0 = _meter(dbname)
    for _ in range(args.report_repeats):
        report, seconds, captured = _timed(
            actions.report_generate,
            by=None,
            area=district,
            kind="monthly",
            period=month.key,
            now=now_at,
            notify=False,
        )
        samples.append(seconds * 1000)
    cpu = _cpu(meter, cpu0)
    s = _summary(samples)
    out = {
        "district": district,
        "period": month.key,
        **s,
        "meets_target": s["max_ms"] < TARGETS["monthly_report_s"] * 1000,
        "queries": len(captured),
        "sql_ms": _sql_ms(captured),
        "slowest_queries": _slowest(captured),
        "cpu": cpu,
        "kpis": report.data["kpis"],
        "totals": report.data["totals"],
    }
    log(f"  report {district} {month.key}: p50 {s['p50_ms']} ms, max {s['max_ms']} ms")
    if args.skip_floors:
        return out
    names = sorted({f"cases.{n}" for pair in reports.RATES.values() for n in pair})
    grids = list(
        Area.objects.filter(
            code__gte=district, code__lt=_range(district)[1], level="grid", is_active=True
        ).values_list("code", flat=True)
    )
    sums = dict.fromkeys(names, 0)
    t = time.perf_counter()
    for grid in grids:
        counted = elements.count(names, Grouping.areas([grid], 15), month, Basis(now_at))
        for n in names:
            sums[n] += counted[n].get(grid, 0)
    seconds = time.perf_counter() - t
    want = {n.split(".", 1)[1]: v for n, v in sums.items()}
    got = {}
    for k, (num, den) in reports.RATES.items():
        got[num] = report.data["kpis"][k]["numerator"]
        got[den] = report.data["kpis"][k]["denominator"]
    out["floor_per_grid"] = {
        "grids": len(grids),
        "total_s": round(seconds, 2),
        "per_grid_ms": round(seconds * 1000 / max(len(grids), 1), 2),
        "case_figures_equal_report": got == want,
        "per_grid_sums": want,
    }
    log(f"  report floor: {len(grids)} grids in {seconds:.1f} s; equal: {got == want}")
    return out


# ---------------------------------------------------------------- 6. growth


def measure_growth(meta: dict, events: dict, refresh: dict) -> dict:
    tables = ("cases_case", "cases_caseevent", "dashboards_dayfigure", "dashboards_stockfigure")
    out: dict = {"tables": {}}
    for table in tables:
        total, heap, rows = _sql(
            f"SELECT pg_total_relation_size('{table}'), pg_relation_size('{table}'), (SELECT count(*) FROM {table})",
            [],
        )[0]
        out["tables"][table] = {
            "rows": rows,
            "total_bytes": total,
            "heap_bytes": heap,
            "total_mb": round(total / 2**20, 1),
            "bytes_per_row_with_indexes": round(total / rows, 1) if rows else None,
        }
    year_days = (date.fromisoformat(meta["period"][1]) - date.fromisoformat(meta["period"][0])).days + 1
    cases_per_day = meta["cases"] / year_days
    if events is None or refresh is None:  # sizes only: the timeline and the roll-up were not measured
        out["rows_per_day"] = {"cases_case": round(cases_per_day)}
        return out
    days = (date.fromisoformat(events["window"][1]) - date.fromisoformat(events["window"][0])).days + 1
    demo = _sql(
        "SELECT count(*), count(DISTINCT case_id) FROM cases_caseevent e JOIN cases_case c ON c.id = e.case_id"
        " WHERE c.area_code NOT BETWEEN %s AND %s",
        [CITY_RANGE[0], CITY_RANGE[1]],
    )[0]
    per_day = {
        "cases_case": round(cases_per_day),
        "cases_caseevent_generated_flows": round(events["events_total"] / days),
        "dashboards_dayfigure": round(refresh["cold"]["rows"] / refresh["cold"]["days"]),
        "dashboards_stockfigure": refresh["cold"]["stock_rows"],
    }
    out["rows_per_day"] = per_day
    out["events_per_case"] = {
        "generated_flows": round(events["events_total"] / (cases_per_day * days), 2),
        "demo_full_timeline": round(demo[0] / demo[1], 2) if demo[1] else None,
    }
    five_days = round(YEARS * 365.25)
    t = out["tables"]
    full = out["events_per_case"]["demo_full_timeline"] or out["events_per_case"]["generated_flows"]
    est = {
        "cases_case": (FIVE_YEAR_CASES, t["cases_case"]["bytes_per_row_with_indexes"]),
        "cases_caseevent": (
            round(FIVE_YEAR_CASES * full),
            t["cases_caseevent"]["bytes_per_row_with_indexes"],
        ),
        "dashboards_dayfigure": (
            per_day["dashboards_dayfigure"] * five_days,
            t["dashboards_dayfigure"]["bytes_per_row_with_indexes"],
        ),
        "dashboards_stockfigure": (
            per_day["dashboards_stockfigure"] * five_days,
            t["dashboards_stockfigure"]["bytes_per_row_with_indexes"],
        ),
    }
    out["five_years_estimate"] = {
        "note": f"linear: {FIVE_YEAR_CASES} cases ({YEARS} years at {meta['cases']} a year); the timeline at the "
        "demo's events per case (every action); the figures at the measured rows per day, kept every day",
        **{
            table: {"rows": rows, "gb": round(rows * (b or 0) / 2**30, 2)} for table, (rows, b) in est.items()
        },
    }
    return out


# ---------------------------------------------------------------- main


def code_fingerprints() -> dict:
    import hashlib

    root = Path(__file__).resolve().parent.parent
    paths = {rel: root / rel for rel in CODE_UNDER_TEST}
    return {
        rel: path.exists()
        and {
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest()[:12],
            "mtime": datetime.fromtimestamp(path.stat().st_mtime, UTC).isoformat(timespec="seconds"),
        }
        for rel, path in paths.items()
    }


def measure(args, dbname: str, meta: dict, var: Path, log) -> dict:
    os.environ["GRIDGOV_DATABASE_URL"] = pg_url(dbname)
    os.environ["GRIDGOV_VAR_DIR"] = str(var)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
    import django

    django.setup()
    from gridgov.core.periods import Period

    anchor = date.fromisoformat(meta["anchor"])
    now_at = datetime.combine(anchor, datetime.min.time(), tzinfo=CST)
    parts = set(args.parts.split(","))
    out: dict = {"now": now_at.isoformat(), "parts": sorted(parts)}
    events = refresh = None
    if "refresh" in parts:
        events = out["events"] = generate_events(dbname, meta, args.days, log)
        if args.quiet_wait > 0:
            log("waiting for the machine to be quiet")
        out["machine_before_refresh"] = wait_for_quiet(args.quiet_wait) if args.quiet_wait > 0 else None
        since = date.fromisoformat(events["window"][0])
        refresh = out["refresh"] = measure_refresh(dbname, now_at, since, log)
    if "hotspots" in parts:
        out["hotspots"] = measure_hotspots(now_at, args.hotspots_limit, log)
    if "dashboard" in parts:
        out["dashboard"] = measure_dashboards(args, dbname, now_at, log)
        district = out["dashboard"]["district"]["code"]
    else:
        district = busiest(now_at)[0]
    if "colour" in parts:
        colour_month, month_cases, _months = busiest_full_month(meta)
        out["colour"] = measure_colour(args, dbname, now_at, colour_month, district, log)
        out["colour"]["busiest_full_month_cases"] = month_cases
    if "report" in parts:
        # The report's month: the last full month, which the roll-up covers (--days ≥ its length).
        out["report"] = measure_report(
            args, dbname, now_at, Period.of("month", anchor).previous(), district, log
        )
    out["growth"] = measure_growth(meta, events, refresh)
    return out


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m bench.dashboards", description=__doc__.split("\n")[0])
    # The bench.kpi database: the same options as bench.kpi and bench.assessment.
    for flag, kind, default, text in (
        ("--cases", int, 3_000_000, "cases of the bench.kpi database (3000000)"),
        ("--grids", int, 30_000, "grids of the bench.kpi database (30000)"),
        ("--seed", int, 1, "seed of the bench.kpi database (1)"),
        ("--db", str, None, "database name (default gridgov_bench_kpi_<cases>_<grids>_s<seed>)"),
    ):
        parser.add_argument(flag, type=kind, default=default, help=text)
    parser.add_argument(
        "--reuse", action="store_true", help="use the database bench.kpi generated before, if any"
    )
    parser.add_argument(
        "--days", type=int, default=35, help="days of timeline events to write and roll up (35)"
    )
    parser.add_argument("--repeats", type=int, default=30, help="timed dashboards of each area (30)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed dashboards of each area first (3)")
    parser.add_argument("--floor-repeats", type=int, default=5, help="timed grouped floor statements (5)")
    parser.add_argument("--colour-repeats", type=int, default=5, help="timed colourings per indicator (5)")
    parser.add_argument("--report-repeats", type=int, default=3, help="timed report generations (3)")
    parser.add_argument(
        "--hotspots-limit", type=float, default=600, help="stop hotspots_detect after (600 s)"
    )
    parser.add_argument(
        "--parts",
        default=",".join(PARTS),
        help=f"what to measure, comma-separated ({','.join(PARTS)}; growth always)",
    )
    parser.add_argument("--skip-hotspots", action="store_true", help="do not run hotspots_detect")
    parser.add_argument("--skip-floors", action="store_true", help="no per-grid floors (large databases)")
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=60,
        help="before each timed part, wait up to this many seconds for the machine to be nearly idle (60; 0: no)",
    )
    args = parser.parse_args(argv)
    if args.skip_hotspots:
        args.parts = ",".join(p for p in args.parts.split(",") if p != "hotspots")
    if not set(args.parts.split(",")) <= set(PARTS):
        parser.error(f"--parts: choose among {','.join(PARTS)}")
    if "dashboard" in args.parts and "refresh" not in args.parts:
        parser.error("--parts: the dashboard needs the refresh (its check compares the roll-up it makes)")
    if not 31 <= args.days <= 366:
        parser.error("--days must be between 31 and 366 (the trend is 30 days, the report a month)")
    if min(args.repeats, args.floor_repeats, args.colour_repeats, args.report_repeats) < 1 or args.warmup < 0:
        parser.error("repeats must be positive")
    return args


def _log(message: str) -> None:
    stamp = time.strftime("%H:%M:%S", time.gmtime())
    print(f"[bench.dashboards {stamp} UTC] {message}", file=sys.stderr, flush=True)


def main(argv=None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="gridgov-bench-dashboards-") as var:
        return _run(args, argv, db_name(args), Path(var), _log)


def _run(args, argv, dbname: str, var: Path, log) -> int:
    report = {
        "benchmark": "dashboards",
        "command": shlex.join(
            ["python", "-m", "bench.dashboards", *(sys.argv[1:] if argv is None else argv)]
        ),
        "loadavg_1m_at_start": loadavg_1m(),
        "machine": machine_info(),
        "postgres_settings": pg_settings(),
        "code_under_test": code_fingerprints(),
        "targets": TARGETS,
    }
    meta, reused, notes = prepare_database(args, dbname, var, log)
    report["database"] = {"name": dbname, "reused": reused, **meta}
    report["notes"] = notes
    m = measure(args, dbname, meta, var, log)
    report["measurement"] = m
    report["loadavg_1m_at_end"] = loadavg_1m()
    dash, colour, rep = m.get("dashboard"), m.get("colour"), m.get("report")
    report["targets_met"] = {
        "district_dashboard_p95_under_500_ms": dash and dash["district"]["meets_target"],
        "street_dashboard_p95_under_300_ms": dash and dash["street"]["meets_target"],
        "colour_city_p95_under_1_s": colour and {x: colour[x]["meets_target"] for x in INDICATORS},
        "monthly_report_under_30_s": rep and rep["meets_target"],
    }
    checks = {}
    if dash:
        checks["rollup_equals_floor_district"] = dash["checks"]["district"]["ok"]
        checks["rollup_equals_floor_street"] = dash["checks"]["street"]["ok"]
    if colour:
        checks["colour_every_grid"] = all(
            colour[x]["grids"] == colour[INDICATORS[0]]["grids"] for x in INDICATORS
        )
        if "floor_per_grid" in colour:
            checks["colour_equals_per_grid_floor"] = colour["floor_per_grid"]["values_equal_colour"]
    if rep and "floor_per_grid" in rep:
        checks["report_equals_per_grid_floor"] = rep["floor_per_grid"]["case_figures_equal_report"]
    report["checks"] = checks
    report["all_checks_ok"] = all(checks.values())
    rest = [part["cpu_while_timing"].get("rest_of_machine_cores") for part in (dash, colour) if part]
    report["measured_on_quiet_machine"] = bool(rest) and all(r is not None and r <= NOISE_LIMIT for r in rest)
    print(json.dumps(report, ensure_ascii=False, indent=2, default=str))
    return 0 if report["all_checks_ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
