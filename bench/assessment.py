"""Assessment (SPEC M11) on a generated city: freezing a month's ranking of every grid and every community,
and the drill-down behind a figure, on PostgreSQL with millions of cases.

Run from the repository root::

    .venv/bin/python -m bench.assessment [--reuse] [--passes 2] [--drill-repeats 50]

The data: the database of ``bench.kpi`` (3,000,000 cases over one year in a city of 30,000 grids, built
once by ``bench.kpi.build_database``, about 2 minutes; ``--reuse`` takes it again when its parameters
match, and runs ``gridgov migrate`` on it first).

The measurement, in this process (Django set up against that database):

1. For every district of the generated city, two schemes made through the actions (``scheme_create``,
   ``group_add``, ``item_add``) by a district staff account of that district (``bench_district_<code>``,
   created once; ``admin`` cannot keep a scheme, which ``admin_probe`` records): one ranking the district's
   grids, one its communities, monthly, each with the nine standard case indicators of
   ``gridgov.assessment.catalogue`` (target scoring at the indicator's "good" line for the rates, min–max
   for ``overdue_count``, as the demo seeds score). ``round_open`` for
   the busiest full month of the generated year, then ``round_freeze`` of every round, timed one by one:
   the total (target < 60 s), grids vs communities, the SQL time inside each freeze, and the Score rows
   written. ``--passes`` repeats it (``round_reopen`` between passes, not timed). Schemes left by an earlier
   run (named ``bench.assessment …``) are deleted first.
2. ``selectors.drill`` as the admin, for the busiest grid of the busiest district of a frozen grid round:
   ``part=missing`` on ``on_time_closure_rate`` and ``part=numerator`` on ``response_rate``, each timed with
   the first page (``list(qs[:50])`` and ``elements.describe`` of each row) and ``qs.count()``; warm-up,
   then repeats, round robin; p50 / p95 / max (target p95 < 300 ms). The same through HTTP with the test
   client (a signed-in session): the page ``/assessment/rounds/<id>/members/<key>/items/<item>/`` if it
   exists, and the API ``/api/v1/assessment/rounds/<id>/members/<key>/items/<item>/rows``.
3. The floor: ``gridgov.cases.kpis.case_kpis(admin, area=<community>, …)`` once per community of the same
   district for the same month (and of the whole city when the estimate is under ``--floor-city-limit``
   seconds), compared with the freeze of the communities schemes; each community's counts are checked
   against the inputs the freeze kept.

``EXPLAIN (ANALYZE, BUFFERS)`` of the grouped case statement of the busiest district's grids (and of the
whistle report-ins statement, and of the drill-down's count) is included. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from bench._server import (
    CpuMeter,
    Site,
    loadavg_1m,
    machine_info,
    pg_exists,
    pg_settings,
    pg_url,
    postgres_pids_for,
    wait_for_quiet,
)
from bench.citygen import CITY_PREFIX
from bench.kpi import (
    CST,
    GENERATOR_VERSION,
    NOISE_LIMIT,
    _pct,
    _plan_key_lines,
    _summary,
    build_database,
    db_name,
    read_meta,
)

TARGET_FREEZE_S = 60.0
TARGET_DRILL_P95_MS = 300.0
SCHEME_PREFIX = "bench.assessment"
# (indicator code, weight, normalisation): the nine standard case indicators the case elements count. Rates
# are scored against their "good" line (95 / 90, and 5 for the lower-is-better ones), as the demo seeds do;
# the count has no natural target and is scored min–max within the pool.
ITEMS = (
    ("response_rate", 20, "target"),
    ("resolution_rate", 15, "target"),
    ("satisfaction_rate", 30, "target"),
    ("on_time_closure_rate", 25, "target"),
    ("closure_rate", 10, "target"),
    ("rework_rate", 10, "target"),
    ("extension_rate", 5, "target"),
    ("whistle_report_rate", 5, "target"),
    ("overdue_count", 10, "minmax"),
)
POOLS = ("grids", "communities")
DRILLS = (("on_time_closure_rate", "missing"), ("response_rate", "numerator"))
# case_kpis figure → the element the freeze keeps (rates: their numerator and denominator).
KPI_TO_ELEMENTS = {
    "response_rate": ("responded_on_time", "dispatched"),
    "resolution_rate": ("resolved", "accepted"),
    "satisfaction_rate": ("satisfied", "rated"),
    "on_time_closure_rate": ("closed_on_time", "due"),
    "closure_rate": ("closed", None),
    "rework_rate": ("reworked", "resolved_ever"),
    "extension_rate": ("extended", None),
}


# ---------------------------------------------------------------- the database


class _Site(Site):
    """``bench.kpi``'s site, noting instead of failing when ``load_demo`` stops at the demo ranking's
    publication because the assessment pages (the ``assessment:`` URL namespace) are not there yet: every
    demo row the generated city needs (the admin, the categories) is committed before that step."""

    notes: list

    def manage(self, *args: str, timeout: float = 600) -> str:
        try:
            return super().manage(*args, timeout=timeout)
        except RuntimeError as exc:
            if args[:1] == ("load_demo",) and "'assessment' is not a registered namespace" in str(exc):
                self.notes.append(
                    "gridgov load_demo failed at its last step (load_demo_assessment → round_publish → "
                    "notify.tell → Round.get_absolute_url → NoReverseMatch: 'assessment' is not a "
                    "registered namespace); everything before it was committed and the run went on"
                )
                return ""
            raise


def prepare_database(args, dbname: str, var: Path, log) -> tuple[dict, bool, list[str]]:
    site = _Site(pg_url(dbname), var)
    site.notes = []
    meta = read_meta(dbname) if args.reuse and pg_exists(dbname) else None
    reused = bool(
        meta
        and meta.get("generator") == GENERATOR_VERSION
        and meta.get("cases") == args.cases
        and meta.get("grids") == args.grids
        and meta.get("seed") == args.seed
    )
    if reused:
        log(f"reusing {dbname} (generated {meta['generated_at']}); migrating")
        site.manage("migrate", "--no-input", "-v", "0")
    else:
        log(f"generating {dbname} with bench.kpi.build_database: {args.cases} cases, {args.grids} grids")
        meta = build_database(args, site, dbname, log)
        log(f"generated in {meta['generate_seconds']} s")
    return meta, reused, site.notes


# ---------------------------------------------------------------- helpers


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def _sql_ms(captured: list[dict]) -> float:
    return round(sum(float(q.get("time") or 0) for q in captured) * 1000, 1)


def _explain(sql: str) -> list[str]:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        return [r[0] for r in cur.fetchall()]


def _month_of(day: date):
    from gridgov.core.periods import Period

    return Period.of("month", day)


def busiest_full_month(meta: dict) -> tuple[object, int, list[dict]]:
    """The month of the generated year with the most cases, among the months wholly inside it."""
    from django.db import connection

    start, end = date.fromisoformat(meta["period"][0]), date.fromisoformat(meta["period"][1])
    months = []
    month = _month_of(start)
    while month.start <= end:
        if month.start >= start and month.end <= end:
            months.append(month)
        month = _month_of(month.end + timedelta(days=1))
    counts = []
    with connection.cursor() as cur:
        for m in months:
            cur.execute(
                "SELECT count(*) FROM cases_case WHERE area_code >= %s AND area_code < %s"
                " AND reported_at >= %s AND reported_at < %s",
                [CITY_PREFIX, str(int(CITY_PREFIX) + 1), m.begin, m.finish],
            )
            counts.append({"month": m.key, "cases": cur.fetchone()[0]})
    best = max(range(len(months)), key=lambda i: counts[i]["cases"])
    return months[best], counts[best]["cases"], counts


def remove_earlier_runs(log) -> int:
    from gridgov.assessment.models import Group, Item, Round, Scheme

    schemes = Scheme.objects.filter(name__startswith=SCHEME_PREFIX + " ")
    n = schemes.count()
    if n:
        Round.objects.filter(scheme__in=schemes).delete()  # scores and marks go with their round
        Item.objects.filter(scheme__in=schemes).delete()  # items protect their group
        Group.objects.filter(scheme__in=schemes).delete()
        schemes.delete()
        log(f"removed {n} schemes of an earlier run")
    return n


def probe_admin(admin, district: str) -> dict:
    """Whether ``admin`` can keep a scheme through the actions: create one, then add a group to it. The probe
    scheme is deleted afterwards."""
    from gridgov.assessment import actions, selectors
    from gridgov.assessment.models import Scheme
    from gridgov.core.errors import DomainError

    scheme = actions.scheme_create(
        by=admin, area=district, pool="grids", name=f"{SCHEME_PREFIX} probe {district}", period_kind="month"
    )
    out = {
        "scheme_create": "ok",
        "visible_in_schemes_visible": selectors.schemes_visible(admin).filter(pk=scheme.pk).exists(),
    }
    try:
        actions.group_add(by=admin, scheme=scheme.pk, name="probe", weight=100)
        out["group_add"] = "ok"
    except DomainError as exc:
        out["group_add"] = f"{type(exc).__name__}: {exc}"
    Scheme.objects.filter(pk=scheme.pk).delete()
    out["admin_can_keep_schemes"] = out["group_add"] == "ok"
    return out


def district_keeper(admin, code: str):
    """The district's staff account (role ``district``) the schemes are made by, created once."""
    import secrets

    from gridgov.accounts.actions import user_create
    from gridgov.accounts.models import User
    from gridgov.areas.models import Area

    username = f"bench_district_{code}"
    user = User.objects.filter(username=username).first()
    if user is None:
        user = user_create(
            by=admin,
            username=username,
            password=secrets.token_urlsafe(24),
            role="district",
            area=Area.objects.get(code=code),
            display_name=f"{code} 区网格指挥中心（基准测试）",
            validate=False,
        )
    return user


def create_schemes(keepers: dict, districts: list[tuple[str, str]], log) -> list[dict]:
    from gridgov.assessment import actions
    from gridgov.assessment.models import Indicator

    good = dict(Indicator.objects.filter(code__in=[c for c, _w, _n in ITEMS]).values_list("code", "good"))
    missing = [c for c, _w, _n in ITEMS if c not in good]
    if missing:
        raise SystemExit(f"standard indicators missing from the catalogue: {missing}")
    out = []
    for code, name in districts:
        by = keepers[code]
        for pool in POOLS:
            scheme = actions.scheme_create(
                by=by,
                area=code,
                pool=pool,
                name=f"{SCHEME_PREFIX} {code} {pool}",
                description=f"{name}：按月对{'网格' if pool == 'grids' else '社区'}排名（基准测试）",
                period_kind="month",
                visibility="all",
            )
            group = actions.group_add(by=by, scheme=scheme.pk, name="事件办理", weight=100)
            items = {}
            for indicator, weight, normalisation in ITEMS:
                item = actions.item_add(
                    by=by,
                    scheme=scheme.pk,
                    kind="quantitative",
                    group=group.pk,
                    indicator=indicator,
                    weight=weight,
                    normalisation=normalisation,
                    target=good[indicator] if normalisation == "target" else None,
                )
                items[indicator] = item.pk
            out.append({"district": code, "pool": pool, "scheme": scheme.pk, "items": items, "by": by})
    log(f"created {len(out)} schemes ({len(ITEMS)} items each) for {len(districts)} districts")
    return out


# ---------------------------------------------------------------- 1. freezing


def freeze_pass(schemes: list[dict], now_at: datetime, dbname: str, log) -> dict:
    from django.db import connection
    from django.db.models import Count
    from django.test.utils import CaptureQueriesContext

    from gridgov.assessment import actions
    from gridgov.assessment.models import Score

    meter = CpuMeter({"postgres": postgres_pids_for(dbname)})
    cpu0 = os.times()
    meter.start()
    per_scheme = []
    t_all = time.perf_counter()
    for s in schemes:
        with CaptureQueriesContext(connection) as queries:
            t = time.perf_counter()
            actions.round_freeze(by=s["by"], round=s["round"], now=now_at)
            seconds = time.perf_counter() - t
        per_scheme.append(
            {
                "district": s["district"],
                "pool": s["pool"],
                "round": s["round"],
                "ms": _ms(seconds),
                "sql_ms": _sql_ms(queries.captured_queries),
                "queries": len(queries.captured_queries),
            }
        )
    total = time.perf_counter() - t_all
    cpu = meter.stop()
    cpu1 = os.times()
    cpu["this_process_cores"] = round(
        ((cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)) / cpu["wall_s"], 2
    )
    cpu["rest_of_machine_cores"] = round(
        max(0.0, cpu["rest_of_machine_cores"] - cpu["this_process_cores"]), 2
    )
    written = dict(
        Score.objects.filter(round_id__in=[s["round"] for s in schemes])
        .values_list("round_id")
        .annotate(n=Count("id"))
    )
    ranked = dict(
        Score.objects.filter(round_id__in=[s["round"] for s in schemes], rank__isnull=False)
        .values_list("round_id")
        .annotate(n=Count("id"))
    )
    for row in per_scheme:
        row["members"] = written.get(row["round"], 0)
        row["ranked"] = ranked.get(row["round"], 0)
    by_pool = {}
    for pool in POOLS:
        rows = [r for r in per_scheme if r["pool"] == pool]
        by_pool[pool] = {
            "schemes": len(rows),
            "members": sum(r["members"] for r in rows),
            "total_s": round(sum(r["ms"] for r in rows) / 1000, 2),
            "sql_s": round(sum(r["sql_ms"] for r in rows) / 1000, 2),
            "slowest_ms": max(r["ms"] for r in rows),
            "mean_ms": round(sum(r["ms"] for r in rows) / len(rows), 1),
        }
        by_pool[pool]["python_s"] = round(by_pool[pool]["total_s"] - by_pool[pool]["sql_s"], 2)
    log(
        f"  froze {len(per_scheme)} rounds in {total:.1f} s (grids {by_pool['grids']['total_s']} s, "
        f"communities {by_pool['communities']['total_s']} s); {sum(written.values())} scores"
    )
    return {
        "total_s": round(total, 2),
        "meets_target": total < TARGET_FREEZE_S,
        "scores_written": sum(written.values()),
        "by_pool": by_pool,
        "per_scheme": per_scheme,
        "cpu_while_freezing": cpu,
    }


def scoring_profile(round_id: int) -> dict:
    """``score_pool`` alone (pure Python, no database) on the inputs a frozen round kept; and again with the
    min–max items scored against a target of 0 instead (the same per-member arithmetic, without the pool's
    minimum and maximum), which isolates what finding the minimum and maximum costs."""
    import copy

    from gridgov.assessment.models import Round, Score
    from gridgov.assessment.scoring import score_pool

    rnd = Round.objects.get(pk=round_id)
    kept = list(Score.objects.filter(round=rnd).order_by("key").values_list("key", "name", "detail"))
    members = [(k, n) for k, n, _d in kept]
    inputs = {k: d["inputs"] for k, _n, d in kept}
    t = time.perf_counter()
    score_pool(rnd.definition, members, inputs)
    plain = time.perf_counter() - t
    as_target = copy.deepcopy(rnd.definition)
    for item in as_target["items"]:
        if item.get("normalisation") == "minmax":
            item["normalisation"], item["target"] = "target", "0"
    t = time.perf_counter()
    score_pool(as_target, members, inputs)
    without = time.perf_counter() - t
    return {
        "round": round_id,
        "members": len(members),
        "score_pool_s": round(plain, 3),
        "score_pool_minmax_items_as_target_s": round(without, 3),
        "minmax_share": round((plain - without) / plain, 3) if plain else None,
    }


def minmax_estimate(scoring: dict, passes: list[dict]) -> dict:
    """An estimate, not a measurement: the time finding the pool's minimum and maximum over and over takes
    in each pass, scaled from the profiled pools by members² (it is one scan of the pool per member)."""
    k = {}
    for pool, name in (("grids", "district_grids"), ("communities", "district_communities")):
        p = scoring[name]
        k[pool] = (p["score_pool_s"] - p["score_pool_minmax_items_as_target_s"]) / p["members"] ** 2
    out = []
    for p in passes:
        spent = sum(k[s["pool"]] * s["members"] ** 2 for s in p["per_scheme"])
        out.append(
            {
                "pass": p["pass"],
                "freeze_total_s": p["total_s"],
                "minmax_recompute_s": round(spent, 1),
                "freeze_total_without_s": round(p["total_s"] - spent, 1),
            }
        )
    return {"scaled_by": "members squared, from the profiled pools", "per_pass": out}


def empty_members(rounds: list[int]) -> dict:
    """Members with no case at all in the period (no element counted), and where they were ranked."""
    from django.db.models import Count, Q

    from gridgov.assessment.models import Score

    empty = Score.objects.filter(round_id__in=rounds, detail__inputs__elements={})
    by_pool = {}
    for pool in POOLS:
        rows = empty.filter(round__scheme__pool=pool).aggregate(
            n=Count("id"),
            ranked_first=Count("id", filter=Q(rank=1)),
            unranked=Count("id", filter=Q(rank=None)),
        )
        example = empty.filter(round__scheme__pool=pool).values("key", "rank", "total").first()
        by_pool[pool] = {**rows, "example": example}
    return by_pool


def explain_compute(round_id: int, now_at: datetime) -> dict:
    """The statements ``selectors.compute`` runs for one round, and the plans of its two grouped ones."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from gridgov.assessment import selectors
    from gridgov.assessment.models import Round

    rnd = Round.objects.select_related("scheme").get(pk=round_id)
    with CaptureQueriesContext(connection) as queries:
        t = time.perf_counter()
        selectors.compute(rnd, now=now_at)
        seconds = time.perf_counter() - t
    captured = queries.captured_queries
    out = {
        "round": round_id,
        "compute_ms": _ms(seconds),
        "queries": [{"ms": round(float(q["time"]) * 1000, 1), "sql": q["sql"][:160]} for q in captured],
    }
    cases_sql = next(
        (q["sql"] for q in captured if 'FROM "cases_case"' in q["sql"] and "GROUP BY" in q["sql"]), None
    )
    calls_sql = next(
        (q["sql"] for q in captured if 'FROM "cases_whistlecall"' in q["sql"] and "GROUP BY" in q["sql"]),
        None,
    )
    for name, sql in (("cases_statement", cases_sql), ("whistle_calls_statement", calls_sql)):
        if sql is None:
            out[name] = None
            continue
        plan = _explain(sql)
        summary = _plan_key_lines(plan)
        summary.pop("key_lines")  # the whole plan follows
        out[name] = {"sql": sql, **summary, "plan": plan}
    return out


# ---------------------------------------------------------------- 2. the drill-down


def _drill_once(admin, round_id: int, key: str, item_id: int, part: str) -> tuple[list[float], int, int]:
    from gridgov.assessment import selectors
    from gridgov.core import elements

    t0 = time.perf_counter()
    rnd = selectors.round_get(admin, round_id)
    found = selectors.drill(admin, rnd, key, item_id, part=part)
    t1 = time.perf_counter()
    page = [elements.describe(found["element"], row) for row in list(found["rows"][:50])]
    t2 = time.perf_counter()
    total = found["rows"].count()
    t3 = time.perf_counter()
    return [(t3 - t0) * 1000, (t1 - t0) * 1000, (t2 - t1) * 1000, (t3 - t2) * 1000], len(page), total


def measure_drill(admin, target: dict, args, dbname: str, log) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    cases = [(indicator, part, target["items"][indicator]) for indicator, part in DRILLS]
    for _ in range(args.drill_warmup):
        for _indicator, part, item_id in cases:
            _drill_once(admin, target["round"], target["key"], item_id, part)
    samples: dict = {(i, p): [] for i, p, _x in cases}
    last: dict = {}
    meter = CpuMeter({"postgres": postgres_pids_for(dbname)})
    cpu0 = os.times()
    meter.start()
    for _ in range(args.drill_repeats):
        for indicator, part, item_id in cases:
            times, shown, total = _drill_once(admin, target["round"], target["key"], item_id, part)
            samples[(indicator, part)].append(times)
            last[(indicator, part)] = (shown, total)
    cpu = meter.stop()
    cpu1 = os.times()
    cpu["this_process_cores"] = round(
        ((cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)) / cpu["wall_s"], 2
    )
    cpu["rest_of_machine_cores"] = round(
        max(0.0, cpu["rest_of_machine_cores"] - cpu["this_process_cores"]), 2
    )
    results = {}
    for indicator, part, item_id in cases:
        rows = samples[(indicator, part)]
        whole = sorted(r[0] for r in rows)
        with CaptureQueriesContext(connection) as queries:
            _drill_once(admin, target["round"], target["key"], item_id, part)
        count_sql = next(
            (
                q["sql"]
                for q in queries.captured_queries
                if "COUNT(*)" in q["sql"] and 'FROM "cases_case"' in q["sql"]
            ),
            None,
        )
        plan = _explain(count_sql) if count_sql else []
        results[f"{indicator}:{part}"] = {
            **_summary(whole),
            "meets_target": _pct(whole, 95) < TARGET_DRILL_P95_MS,
            "split_p50_ms": {
                "round_get_and_drill": round(_pct(sorted(r[1] for r in rows), 50), 1),
                "first_page_and_describe": round(_pct(sorted(r[2] for r in rows), 50), 1),
                "count": round(_pct(sorted(r[3] for r in rows), 50), 1),
            },
            "item": item_id,
            "rows_on_first_page": last[(indicator, part)][0],
            "rows_in_all": last[(indicator, part)][1],
            "queries_per_call": len(queries.captured_queries),
            "explain_count": {"sql": count_sql, **_plan_key_lines(plan)} if count_sql else None,
        }
        log(
            f"  drill {target['key']} {indicator} {part}: p50 {results[f'{indicator}:{part}']['p50_ms']} ms, p95 {results[f'{indicator}:{part}']['p95_ms']} ms"
        )
    return {
        "round": target["round"],
        "key": target["key"],
        "what": target["what"],
        "calls": {
            "warmup": args.drill_warmup,
            "repeats": args.drill_repeats,
            "user": "admin",
            "in_process": True,
        },
        "results": results,
        "cpu_while_timing": cpu,
    }


def measure_http(admin, target: dict, args, log) -> dict:
    """The same drill-downs through the test client with a signed-in session: the page if it exists, and
    the API endpoint."""
    from django.test import Client
    from django.urls import Resolver404, resolve

    client = Client()
    client.force_login(admin)
    out = {}
    for indicator, part in DRILLS:
        item_id = target["items"][indicator]
        page = f"/assessment/rounds/{target['round']}/members/{target['key']}/items/{item_id}/?part={part}"
        api = f"/api/v1/assessment/rounds/{target['round']}/members/{target['key']}/items/{item_id}/rows?part={part}"
        for kind, url in (("page", page), ("api", api)):
            try:
                resolve(url.split("?")[0])
            except Resolver404:
                out[f"{kind}:{indicator}:{part}"] = {"url": url, "exists": False}
                continue
            try:
                first = client.get(url)
            except Exception as exc:  # noqa: BLE001 (a page still being written: say what it raised)
                out[f"{kind}:{indicator}:{part}"] = {
                    "url": url,
                    "exists": True,
                    "error": f"{type(exc).__name__}: {exc}",
                }
                log(f"  {kind} {indicator} {part}: {type(exc).__name__}: {exc}")
                continue
            statuses = {first.status_code}
            for _ in range(args.drill_warmup):
                statuses.add(client.get(url).status_code)
            samples = []
            size = 0
            for _ in range(args.drill_repeats):
                t = time.perf_counter()
                response = client.get(url)
                samples.append((time.perf_counter() - t) * 1000)
                statuses.add(response.status_code)
                size = len(response.content)
            out[f"{kind}:{indicator}:{part}"] = {
                "url": url,
                "exists": True,
                **_summary(samples),
                "meets_target": _pct(sorted(samples), 95) < TARGET_DRILL_P95_MS,
                "statuses": sorted(statuses),
                "bytes": size,
            }
            log(
                f"  {kind} {indicator} {part}: statuses {sorted(statuses)}, p95 {out[f'{kind}:{indicator}:{part}']['p95_ms']} ms"
            )
    return out


# ---------------------------------------------------------------- 3. the floor: case_kpis per community


def _kpi_elements(block: dict) -> dict[str, int]:
    out = {"overdue": block["overdue"]}
    for rate, (numerator, denominator) in KPI_TO_ELEMENTS.items():
        out[numerator] = block[rate]["numerator"]
        if denominator:
            out[denominator] = block[rate]["denominator"]
    return out


def floor_loop(admin, codes: list[str], month, now_at: datetime, kept: dict[str, dict] | None) -> dict:
    from gridgov.cases.kpis import case_kpis

    samples = []
    mismatches = []
    t_all = time.perf_counter()
    for code in codes:
        t = time.perf_counter()
        answer = case_kpis(admin, area=code, start=month.start, end=month.end, now=now_at)
        samples.append((time.perf_counter() - t) * 1000)
        if kept is not None:
            got = _kpi_elements(answer["totals"])
            want = {name: int(kept.get(code, {}).get(f"cases.{name}", 0)) for name in got}
            if got != want:
                mismatches.append({"community": code, "case_kpis": got, "frozen_inputs": want})
    total = time.perf_counter() - t_all
    return {
        "communities": len(codes),
        "total_s": round(total, 2),
        "per_call": _summary(samples),
        "checked_against_frozen_inputs": kept is not None,
        "mismatches": len(mismatches),
        "mismatch_examples": mismatches[:3],
    }


# ---------------------------------------------------------------- measurement


def measure(args, dbname: str, meta: dict, log) -> dict:
    os.environ["GRIDGOV_DATABASE_URL"] = pg_url(dbname)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
    import django

    django.setup()
    from django.db import connection

    from gridgov.accounts.models import User
    from gridgov.areas.models import Area
    from gridgov.assessment import actions
    from gridgov.assessment.models import Score

    admin = User.objects.get(username="admin")
    anchor = date.fromisoformat(meta["anchor"])
    now_at = datetime.combine(anchor, datetime.min.time(), tzinfo=CST)  # the generation moment
    month, month_cases, months = busiest_full_month(meta)
    log(f"month {month.key}: {month_cases} cases (busiest full month of the generated year)")

    districts = list(
        Area.objects.filter(level="district", is_active=True, code__startswith=CITY_PREFIX)
        .order_by("code")
        .values_list("code", "name")
    )
    grids_in_city = Area.objects.filter(level="grid", is_active=True, code__startswith=CITY_PREFIX).count()
    communities_in_city = Area.objects.filter(
        level="community", is_active=True, code__startswith=CITY_PREFIX
    ).count()
    removed = remove_earlier_runs(log)
    t = time.perf_counter()
    admin_probe = probe_admin(admin, districts[0][0])
    log(f"admin as scheme keeper: {admin_probe}")
    keepers = {code: district_keeper(admin, code) for code, _name in districts}
    schemes = create_schemes(keepers, districts, log)
    setup_s = time.perf_counter() - t
    t = time.perf_counter()
    for s in schemes:
        s["round"] = actions.round_open(by=s["by"], scheme=s["scheme"], period=month.key).pk
    open_s = time.perf_counter() - t
    log(f"opened {len(schemes)} rounds of {month.key} in {open_s:.2f} s")

    if args.quiet_wait > 0:
        log("waiting for the machine to be quiet")
    quiet = wait_for_quiet(args.quiet_wait) if args.quiet_wait > 0 else None
    passes = []
    for number in range(1, args.passes + 1):
        if number > 1:
            for s in schemes:
                actions.round_reopen(by=s["by"], round=s["round"], reason="基准测试：重新冻结以计时")
        log(f"freeze pass {number}")
        passes.append({"pass": number, **freeze_pass(schemes, now_at, dbname, log)})

    # The busiest district of the month, its grid round, its busiest grid and community.
    with connection.cursor() as cur:
        cur.execute(
            "SELECT substr(area_code, 1, 6), count(*) FROM cases_case WHERE area_code >= %s AND area_code < %s"
            " AND reported_at >= %s AND reported_at < %s GROUP BY 1 ORDER BY 2 DESC LIMIT 1",
            [CITY_PREFIX, str(int(CITY_PREFIX) + 1), month.begin, month.finish],
        )
        district, district_cases = cur.fetchone()
        busiest = {}
        for level, length in (("grid", 15), ("community", 12)):
            cur.execute(
                "SELECT substr(area_code, 1, %s), count(*) FROM cases_case WHERE area_code >= %s"
                " AND area_code < %s AND reported_at >= %s AND reported_at < %s GROUP BY 1"
                " ORDER BY 2 DESC, 1 LIMIT 1",
                [length, district, str(int(district) + 1), month.begin, month.finish],
            )
            busiest[level] = cur.fetchone()
        cur.execute(
            "SELECT count(*) FROM (SELECT substr(area_code, 1, 15) FROM cases_case WHERE area_code >= %s"
            " AND area_code < %s AND reported_at >= %s AND reported_at < %s GROUP BY 1) g",
            [district, str(int(district) + 1), month.begin, month.finish],
        )
        grids_with_cases = cur.fetchone()[0]
    by_key = {(s["district"], s["pool"]): s for s in schemes}
    grid_scheme, community_scheme = by_key[(district, "grids")], by_key[(district, "communities")]
    log(
        f"district {district}: {district_cases} cases; busiest grid {busiest['grid']}, community {busiest['community']}"
    )

    log("profiling score_pool and explaining the grouped statements")
    largest = max(passes[-1]["per_scheme"], key=lambda r: r["members"])
    scoring = {
        "district_grids": scoring_profile(grid_scheme["round"]),
        "district_communities": scoring_profile(community_scheme["round"]),
    }
    if largest["round"] != grid_scheme["round"]:
        scoring["largest_pool"] = scoring_profile(largest["round"])
    scoring["freeze_without_minmax_recompute_estimate"] = minmax_estimate(scoring, passes)
    scoring["members_without_any_case"] = empty_members([s["round"] for s in schemes])
    explain = explain_compute(grid_scheme["round"], now_at)

    log("drill-down")
    grid_target = {
        "round": grid_scheme["round"],
        "key": busiest["grid"][0],
        "items": grid_scheme["items"],
        "what": f"busiest grid of district {district} in {month.key} ({busiest['grid'][1]} cases)",
    }
    community_target = {
        "round": community_scheme["round"],
        "key": busiest["community"][0],
        "items": community_scheme["items"],
        "what": f"busiest community of district {district} in {month.key} ({busiest['community'][1]} cases)",
    }
    if args.quiet_wait > 0:
        log("waiting for the machine to be quiet")
    quiet_drill = wait_for_quiet(args.quiet_wait) if args.quiet_wait > 0 else None
    drill = measure_drill(admin, grid_target, args, dbname, log)
    drill_community = measure_drill(admin, community_target, args, dbname, log)
    http = measure_http(admin, grid_target, args, log)

    log("floor: case_kpis per community")
    kept = {
        key: detail["inputs"]["elements"]
        for key, detail in Score.objects.filter(round_id=community_scheme["round"]).values_list(
            "key", "detail"
        )
    }
    codes = sorted(kept)
    floor_district = floor_loop(admin, codes, month, now_at, kept)
    freeze_district = next(r for r in passes[-1]["per_scheme"] if r["round"] == community_scheme["round"])
    estimate_city_s = floor_district["per_call"]["mean_ms"] / 1000 * communities_in_city
    floor_city = None
    if estimate_city_s <= args.floor_city_limit:
        log(f"floor for every community of the city (estimated {estimate_city_s:.0f} s)")
        city_codes = list(
            Area.objects.filter(level="community", is_active=True, code__startswith=CITY_PREFIX)
            .order_by("code")
            .values_list("code", flat=True)
        )
        all_kept = {}
        for key, detail in Score.objects.filter(
            round_id__in=[s["round"] for s in schemes if s["pool"] == "communities"]
        ).values_list("key", "detail"):
            all_kept[key] = detail["inputs"]["elements"]
        floor_city = floor_loop(admin, city_codes, month, now_at, all_kept)
    freeze_communities_s = passes[-1]["by_pool"]["communities"]["total_s"]
    floor = {
        "call": "case_kpis(admin, area=<community code>, start, end, now=<anchor>) for the month, one call each",
        "district": district,
        "district_loop": floor_district,
        "district_freeze_communities_ms": freeze_district["ms"],
        "district_ratio_freeze_to_loop": round(freeze_district["ms"] / 1000 / floor_district["total_s"], 3),
        "city_estimate_s": round(estimate_city_s, 1),
        "city_loop": floor_city,
        "city_freeze_communities_s": freeze_communities_s,
        "city_ratio_freeze_to_loop": round(freeze_communities_s / floor_city["total_s"], 3)
        if floor_city
        else None,
    }
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*), pg_size_pretty(pg_total_relation_size('cases_case')),"
            " pg_size_pretty(pg_relation_size('cases_case')) FROM cases_case"
        )
        total_cases, total_size, heap_size = cur.fetchone()
    return {
        "month": {"key": month.key, "start": month.start, "end": month.end, "cases_in_city": month_cases},
        "cases_per_full_month": months,
        "cases_in_table": total_cases,
        "cases_table_size": {"total_with_indexes": total_size, "heap": heap_size},
        "city": {
            "districts": len(districts),
            "grids": grids_in_city,
            "communities": communities_in_city,
        },
        "schemes": {
            "count": len(schemes),
            "items_each": [{"indicator": c, "weight": w, "normalisation": n} for c, w, n in ITEMS],
            "removed_from_earlier_run": removed,
            "setup_s": round(setup_s, 2),
            "round_open_s": round(open_s, 2),
            "made_opened_frozen_by": "bench_district_<district code> (role district, one per district)",
            "admin_probe": admin_probe,
            "now": now_at.isoformat(),
        },
        "machine_before_freezing": quiet,
        "freeze": passes,
        "scoring": scoring,
        "explain_district_grids": {
            "district": district,
            "cases_in_month": district_cases,
            "grids_with_cases": grids_with_cases,
            **explain,
        },
        "machine_before_drill": quiet_drill,
        "drill": drill,
        "drill_community_for_scale": drill_community,
        "http": http,
        "floor": floor,
    }


# ---------------------------------------------------------------- main


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m bench.assessment", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--cases", type=int, default=3_000_000, help="cases of the bench.kpi database (3000000)"
    )
    parser.add_argument("--grids", type=int, default=30_000, help="grids of the bench.kpi database (30000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--reuse", action="store_true", help="use the database bench.kpi generated before, if any"
    )
    parser.add_argument("--db", help="database name (default gridgov_bench_kpi_<cases>_<grids>_s<seed>)")
    parser.add_argument("--passes", type=int, default=2, help="freeze every round this many times (2)")
    parser.add_argument("--drill-repeats", type=int, default=50, help="timed drill-downs of each kind (50)")
    parser.add_argument(
        "--drill-warmup", type=int, default=5, help="untimed drill-downs of each kind first (5)"
    )
    parser.add_argument(
        "--floor-city-limit",
        type=float,
        default=300,
        help="run case_kpis for every community of the city when estimated under this many seconds (300)",
    )
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=60,
        help="before freezing, wait up to this many seconds for the machine to be nearly idle (60; 0: no)",
    )
    args = parser.parse_args(argv)
    if args.passes < 1 or args.drill_repeats < 1 or args.drill_warmup < 0:
        parser.error("--passes and --drill-repeats must be positive")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)

    def log(message: str) -> None:
        print(
            f"[bench.assessment {time.strftime('%H:%M:%S', time.gmtime())} UTC] {message}",
            file=sys.stderr,
            flush=True,
        )

    dbname = db_name(args)
    with tempfile.TemporaryDirectory(prefix="gridgov-bench-assessment-") as var:
        return _run(args, argv, dbname, Path(var), log)


CODE_UNDER_TEST = (
    "gridgov/assessment/actions.py",
    "gridgov/assessment/selectors.py",
    "gridgov/assessment/scoring.py",
    "gridgov/assessment/formula.py",
    "gridgov/assessment/views.py",
    "gridgov/assessment/api.py",
    "gridgov/core/elements.py",
    "gridgov/cases/elements.py",
    "gridgov/cases/kpis.py",
)


def code_fingerprints() -> dict:
    """The code under test is uncommitted and still changing: the sha256 (12 hex digits) and modification
    time of each file, read at start, tie the figures to the code they measured."""
    import hashlib

    root = Path(__file__).resolve().parent.parent
    out = {}
    for rel in CODE_UNDER_TEST:
        path = root / rel
        if path.exists():
            out[rel] = {
                "sha256": hashlib.sha256(path.read_bytes()).hexdigest()[:12],
                "mtime": datetime.fromtimestamp(path.stat().st_mtime)
                .astimezone()
                .isoformat(timespec="seconds"),
            }
        else:
            out[rel] = None
    return out


def _run(args, argv, dbname: str, var: Path, log) -> int:
    report = {
        "benchmark": "assessment_freeze_and_drill",
        "command": shlex.join(
            ["python", "-m", "bench.assessment", *(sys.argv[1:] if argv is None else argv)]
        ),
        "loadavg_1m_at_start": loadavg_1m(),
        "machine": machine_info(),
        "postgres_settings": pg_settings(),
        "code_under_test": code_fingerprints(),
    }
    meta, reused, notes = prepare_database(args, dbname, var, log)
    report["database"] = {"name": dbname, "reused": reused, **meta}
    report["notes"] = notes
    report["targets"] = {"freeze_all_s": TARGET_FREEZE_S, "drill_p95_ms": TARGET_DRILL_P95_MS}
    os.environ["GRIDGOV_VAR_DIR"] = str(var)
    m = measure(args, dbname, meta, log)
    report["measurement"] = m
    freeze_ok = [p["meets_target"] for p in m["freeze"]]
    drill_ok = [r["meets_target"] for r in m["drill"]["results"].values()]
    report["targets_met"] = {
        "freeze_all_under_60_s_every_pass": all(freeze_ok),
        "drill_p95_under_300_ms_selector": all(drill_ok),
        "drill_p95_under_300_ms_http": {
            k: v.get("meets_target") for k, v in m["http"].items() if v.get("exists")
        },
    }
    expected_members = m["city"]["grids"] + m["city"]["communities"]
    floor = m["floor"]
    checks = {
        "every_grid_and_community_scored": all(p["scores_written"] == expected_members for p in m["freeze"]),
        "expected_members": expected_members,
        "floor_matches_frozen_inputs": floor["district_loop"]["mismatches"] == 0
        and (floor["city_loop"] is None or floor["city_loop"]["mismatches"] == 0),
    }
    report["checks"] = checks
    report["all_checks_ok"] = (
        checks["every_grid_and_community_scored"] and checks["floor_matches_frozen_inputs"]
    )
    rest = [p["cpu_while_freezing"].get("rest_of_machine_cores") for p in m["freeze"]]
    rest.append(m["drill"]["cpu_while_timing"].get("rest_of_machine_cores"))
    report["measured_on_quiet_machine"] = all(r is not None and r <= NOISE_LIMIT for r in rest)
    print(json.dumps(report, ensure_ascii=False, indent=2, default=str))
    return 0 if report["all_checks_ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
