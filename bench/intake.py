"""Case intake over HTTP: throughput and latency of ``POST /api/v1/cases`` against a real ``gridgov serve``.

Run from the repository root::

    .venv/bin/python -m bench.intake [--db sqlite|postgres|both] [--seconds 15] [--clients 32]

For each database (SQLite in a temp file; PostgreSQL in a fresh database ``gridgov_bench_<pid>`` on
127.0.0.1:5432, dropped at the end): ``gridgov migrate``, ``gridgov load_demo``, then ``gridgov serve
--workers 2 --threads 4`` on a free port of 127.0.0.1. Three phases:

1. **floor**: ``GET /api/v1/categories`` (the lightest public JSON endpoint: one small query) at full
   speed, ``--clients`` keep-alive connections, closed loop (wrk);
2. **intake**: anonymous ``POST /api/v1/cases`` at full speed, same clients (wrk with a Lua script: random
   points in the demo district, unique ``client_id``);
3. **paced**: intake at half the rate measured in 2, open loop: request *i* is due at ``t0 + i / rate``
   whatever happened before, and its latency runs from that due time (no coordinated omission). This
   generator is a single asyncio process with raw keep-alive sockets.

Errors (any non-2xx status, socket error or timeout) are counted and must be 0; the cases in the database
must number exactly the 201 responses. Prints one JSON object.

The load generator shares the machine's cores with the server and the database; its CPU use is measured
and reported beside the results.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import resource
import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

from bench._server import (
    REPO_DIR,
    CpuMeter,
    Server,
    Site,
    loadavg_1m,
    machine_info,
    pg_create,
    pg_drop,
    pg_dsn,
    pg_settings,
    pg_url,
    postgres_pids_for,
    temp_var_dir,
    wait_for_quiet,
)

BBOX = (107.0, 34.28, 107.35, 34.45)  # the demo district, which its grids tile
FLOOR_PATH = "/api/v1/categories"
# The load comes from one address, which the per-address rate limits of these public endpoints (docs/api.md)
# would refuse after 30 intakes and 300 reads a minute: the server under test runs without those two.
UNLIMITED = {"GRIDGOV_RATE_LIMIT_INTAKE": "0", "GRIDGOV_RATE_LIMIT_PUBLIC": "0"}
INTAKE_PATH = "/api/v1/cases"
CATEGORY = "city_appearance"  # allows anonymous reports, so no account is needed
DESCRIPTION = "小区门口垃圾堆放多日无人清运，气味很大"
WARMUP_S = 3.0
PACED_WARMUP_S = 2.0
WORKERS, THREADS = 2, 4
NOISE_LIMIT = 0.15  # cores used by other processes during a phase, above which the run is flagged noisy
MAX_ATTEMPTS = 10  # closed-loop runs restarted when a worker got no connection (see run_wrk)

TARGET_RATIO = 0.5  # PostgreSQL: intake ≥ 50 % of the floor's requests/s
TARGET_INTAKE_RPS = 300  # PostgreSQL: ≥ 300 cases/s
TARGET_P99_MS = 100.0  # p99 at half the measured max intake rate

# The end of every wrk script of the benches: count the statuses and print one WRK_RESULT line of JSON.
WRK_RESULT_LUA = r"""
function response(status, headers, body)
  status_counts[status] = (status_counts[status] or 0) + 1
end

function done(summary, latency, requests)
  local totals = {}
  for _, t in ipairs(threads) do
    local counts = t:get("status_counts")
    for k, v in pairs(counts) do totals[k] = (totals[k] or 0) + v end
  end
  local parts = {}
  for k, v in pairs(totals) do table.insert(parts, string.format('"%d":%d', k, v)) end
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"duration_us":%d,"requests":%d,"bytes":%d,' ..
    '"socket_errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d},"non_2xx_3xx":%d,' ..
    '"latency_us":{"p50":%d,"p90":%d,"p99":%d,"max":%d,"mean":%.1f},"statuses":{%s}}\n',
    summary.duration, summary.requests, summary.bytes, e.connect, e.read, e.write, e.timeout, e.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
    table.concat(parts, ",")))
end
"""

# One script for both closed-loop phases. Each wrk thread counts the statuses it sees; done() adds them up
# and prints one line of JSON. Bodies are made per request: a random point, a unique client_id.
WRK_LUA = (
    r"""
local threads = {}
local next_id = 0

function setup(thread)
  next_id = next_id + 1
  thread:set("tid", next_id)
  table.insert(threads, thread)
end

function init(args)
  mode, prefix, seed = args[1], args[2], tonumber(args[3])
  math.randomseed(seed + tid * 7919)
  counter = 0
  status_counts = {}
  post_headers = {["Content-Type"] = "application/json"}
end

function request()
  if mode == "get" then
    return wrk.format("GET", "{floor_path}")
  end
  counter = counter + 1
  local lng = {min_lng} + math.random() * {span_lng}
  local lat = {min_lat} + math.random() * {span_lat}
  local body = string.format(
    '{"category":"{category}","description":"{description} #%d","lng":%.6f,"lat":%.6f,' ..
    '"reporter_phone":"139%08d","client_id":"%s-%d-%d"}',
    counter, lng, lat, math.random(0, 99999999), prefix, tid, counter)
  return wrk.format("POST", "{intake_path}", post_headers, body)
end

"""
    + WRK_RESULT_LUA
)


def wrk_script() -> str:
    values = {
        "floor_path": FLOOR_PATH,
        "intake_path": INTAKE_PATH,
        "min_lng": repr(BBOX[0]),
        "min_lat": repr(BBOX[1]),
        "span_lng": repr(round(BBOX[2] - BBOX[0], 10)),
        "span_lat": repr(round(BBOX[3] - BBOX[1], 10)),
        "category": CATEGORY,
        "description": DESCRIPTION,
    }
    return re.sub(
        r"\{(floor_path|intake_path|min_lng|min_lat|span_lng|span_lat|category|description)\}",
        lambda m: values[m[1]],
        WRK_LUA,
    )


def percentile(sorted_values: list[float], q: float) -> float | None:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return None
    rank = max(1, min(len(sorted_values), -(-len(sorted_values) * q // 100)))
    return sorted_values[int(rank) - 1]


def ok_count(statuses: dict[str, int]) -> int:
    return sum(v for k, v in statuses.items() if k.startswith("2"))


# ---------------------------------------------------------------- closed loop: wrk


def _balanced(split: dict[int, int], workers: int) -> bool:
    """Every worker holds at least one of the client connections."""
    return len(split) >= workers and min(split.values()) > 0


def run_wrk(
    server: Server,
    script: Path,
    *,
    mode: str,
    seconds: float,
    clients: int,
    prefix: str,
    seed: int,
    discarded: list | None = None,
    cpu_groups: dict | None = None,
) -> dict:
    """One closed-loop wrk run. Its keep-alive connections are checked after a second: when a worker got
    none of them, that worker would sit idle and the run would measure half the server, so wrk is stopped
    (SIGINT: it still reports what it did, for the checks) and started again, up to ``MAX_ATTEMPTS``."""
    for attempt in range(1, MAX_ATTEMPTS + 1):
        argv = [
            "wrk",
            "-t",
            "1",
            "-c",
            str(clients),
            "-d",
            f"{seconds:g}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            server.base_url + (FLOOR_PATH if mode == "get" else INTAKE_PATH),
            "--",
            mode,
            f"{prefix}a{attempt}",
            str(seed + attempt),
        ]
        meter = CpuMeter(cpu_groups or {})
        meter.start()
        usage0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(min(1.0, seconds / 4))
        split = server.connections_per_worker()
        retry = not _balanced(split, server.workers) and attempt < MAX_ATTEMPTS
        if retry:
            proc.send_signal(signal.SIGINT)  # our own child
        stdout, stderr = proc.communicate(timeout=seconds + 60)
        cpu = meter.stop()
        usage1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        line = next((ln for ln in stdout.splitlines() if ln.startswith("WRK_RESULT ")), None)
        if proc.returncode != 0 or line is None:
            raise RuntimeError(f"wrk failed ({proc.returncode}):\n{stdout[-2000:]}\n{stderr[-2000:]}")
        raw = json.loads(line.removeprefix("WRK_RESULT "))
        duration = raw["duration_us"] / 1e6
        statuses = {str(k): v for k, v in sorted(raw["statuses"].items())}
        socket_errors = sum(raw["socket_errors"].values())
        non_2xx = sum(v for k, v in statuses.items() if not k.startswith("2"))
        lg_cpu = (usage1.ru_utime - usage0.ru_utime) + (usage1.ru_stime - usage0.ru_stime)
        result = {
            "tool": "wrk -t 1 (closed loop)",
            "mode": mode,
            "clients": clients,
            "connections_per_worker": sorted(split.values(), reverse=True),
            "attempt": attempt,
            "seconds": round(duration, 2),
            "requests": raw["requests"],
            "rps": round(raw["requests"] / duration, 1),
            "statuses": statuses,
            "errors": non_2xx + socket_errors,
            "socket_errors": raw["socket_errors"],
            "latency_ms_closed_loop": {k: round(v / 1000, 2) for k, v in raw["latency_us"].items()},
            "load_generator_cores": round(lg_cpu / duration, 3),
            "cpu": cpu,
        }
        # The generator's own CPU is part of "the rest" as the meter sees it: take it out.
        if cpu.get("rest_of_machine_cores") is not None and cpu.get("wall_s"):
            cpu["rest_of_machine_cores"] = round(
                max(0.0, cpu["rest_of_machine_cores"] - lg_cpu / cpu["wall_s"]), 2
            )
        if not retry:
            return result
        result["stopped_early"] = "a worker had no connection"
        if discarded is not None:
            discarded.append(result)
        time.sleep(1.0 + random.random())  # let the server settle before connecting again
    raise AssertionError("unreachable")


# ---------------------------------------------------------------- open loop: paced asyncio generator


class _Conn:
    """One raw HTTP/1.1 keep-alive connection (the server always sends Content-Length)."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def roundtrip(self, request: bytes) -> int:
        if self.writer is None:
            await self.open()
        assert self.reader is not None and self.writer is not None
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length, close = 0, False
        for ln in lines[1:]:
            name, _, value = ln.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                close = True
        if length:
            await self.reader.readexactly(length)
        if close:
            self.close()
        return status


def _post_request(host: str, port: int, body: bytes) -> bytes:
    return (
        f"POST {INTAKE_PATH} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


async def _paced(
    host: str,
    port: int,
    *,
    rate: float,
    seconds: float,
    warmup: float,
    connections: int,
    prefix: str,
    seed: int,
    server: Server | None = None,
) -> dict:
    rng = random.Random(seed)
    n_warm = round(rate * warmup)
    n_total = n_warm + round(rate * seconds)
    # Bodies are made up front so the generator does no JSON work while it keeps time.
    bodies = []
    for i in range(n_total):
        lng = BBOX[0] + rng.random() * (BBOX[2] - BBOX[0])
        lat = BBOX[1] + rng.random() * (BBOX[3] - BBOX[1])
        body = json.dumps(
            {
                "category": CATEGORY,
                "description": f"{DESCRIPTION} #{i}",
                "lng": round(lng, 6),
                "lat": round(lat, 6),
                "reporter_phone": f"139{rng.randrange(10**8):08d}",
                "client_id": f"{prefix}-{i}",
            },
            ensure_ascii=False,
        ).encode()
        bodies.append(_post_request(host, port, body))
    loop = asyncio.get_running_loop()
    latency = [0.0] * n_total
    send_lag = [0.0] * n_total
    status = [0] * n_total
    next_index = 0
    # Every worker must hold some of the connections (see run_wrk); if one has none, open them again.
    split: dict[int, int] = {}
    for opened in range(1, 21):  # noqa: B007 (reported below)
        conns = [_Conn(host, port) for _ in range(connections)]
        await asyncio.gather(*(c.open() for c in conns))
        if server is None:
            break
        await asyncio.sleep(0.2)
        split = server.connections_per_worker()
        if _balanced(split, server.workers):
            break
        for c in conns:
            c.close()
        await asyncio.sleep(0.2)
    t0 = loop.time() + 0.1

    async def client(conn: _Conn) -> None:
        nonlocal next_index
        while next_index < n_total:
            i = next_index
            next_index += 1
            due = t0 + i / rate
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            send_lag[i] = loop.time() - due
            try:
                status[i] = await asyncio.wait_for(conn.roundtrip(bodies[i]), timeout=10)
            except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError, IndexError):
                status[i] = -1  # socket error, timeout or unparsable answer
                conn.close()
            latency[i] = loop.time() - due

    cpu0 = os.times()
    await asyncio.gather(*(client(c) for c in conns))
    cpu1 = os.times()
    wall = loop.time() - t0
    for c in conns:
        c.close()

    measured = range(n_warm, n_total)
    lat_ms = sorted(latency[i] * 1000 for i in measured)
    lag_ms = sorted(send_lag[i] * 1000 for i in measured)
    counts: dict[str, int] = {}
    for s in status:
        key = str(s) if s > 0 else "socket_error_or_timeout"
        counts[key] = counts.get(key, 0) + 1
    span = (t0 + (n_total - 1) / rate + latency[-1]) - (t0 + n_warm / rate)
    return {
        "tool": "asyncio, raw keep-alive sockets (open loop, fixed-rate schedule)",
        "mode": "post",
        "connections": connections,
        "connections_per_worker": sorted(split.values(), reverse=True),
        "connection_sets_opened": opened,
        "target_rps": round(rate, 1),
        "seconds": seconds,
        "warmup_seconds": warmup,
        "requests_measured": len(lat_ms),
        "requests_total": n_total,
        "achieved_rps": round(len(lat_ms) / span, 1) if span > 0 else None,
        "statuses": dict(sorted(counts.items())),
        "errors": sum(v for k, v in counts.items() if not k.startswith("2")),
        "latency_ms_from_due_time": {
            "p50": round(percentile(lat_ms, 50), 2),
            "p90": round(percentile(lat_ms, 90), 2),
            "p99": round(percentile(lat_ms, 99), 2),
            "max": round(lat_ms[-1], 2),
        },
        "generator_send_lag_ms": {
            "p50": round(percentile(lag_ms, 50), 2),
            "p99": round(percentile(lag_ms, 99), 2),
        },
        "load_generator_cores": round(((cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)) / wall, 3),
    }


def run_paced(server: Server, **kwargs) -> dict:
    return asyncio.run(_paced("127.0.0.1", server.port, server=server, **kwargs))


# ---------------------------------------------------------------- one database


def count_cases(kind: str, where: str) -> int:
    sql = "SELECT count(*) FROM cases_case"
    if kind == "sqlite":
        conn = sqlite3.connect(where)
        try:
            return conn.execute(sql).fetchone()[0]
        finally:
            conn.close()
    import psycopg

    with psycopg.connect(pg_dsn(where)) as conn:
        return conn.execute(sql).fetchone()[0]


class WaitSampler:
    """What the server's PostgreSQL sessions are doing, sampled every 100 ms during a phase: the average
    number of sessions per (state, wait event, statement). Sessions waiting on a lock point at contention;
    sessions idle (ClientRead) are waiting for the application, i.e. for Python."""

    def __init__(self, dbname: str, interval: float = 0.1):
        self.dbname, self.interval = dbname, interval
        self.counts: dict[str, int] = {}
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _label(state: str, wait_type: str | None, wait: str | None, query: str) -> str:
        label = state or "?"
        if wait_type:
            label += f" {wait_type}:{wait}"
        if state == "active":
            match = re.match(
                r'\s*(SELECT|INSERT INTO|UPDATE|DELETE FROM|COMMIT|BEGIN)\b(?:.*?\bFROM)?\s*"?(\w*)',
                query,
                re.S,
            )
            if match:
                label += f" {match[1].split()[0]} {match[2]}".rstrip()
        return label

    def _run(self) -> None:
        import psycopg

        with psycopg.connect(pg_dsn(self.dbname), autocommit=True) as conn:
            while not self._stop.is_set():
                rows = conn.execute(
                    "SELECT state, wait_event_type, wait_event, left(query, 200) FROM pg_stat_activity"
                    " WHERE datname = %s AND backend_type = 'client backend' AND pid <> pg_backend_pid()",
                    (self.dbname,),
                ).fetchall()
                for row in rows:
                    label = self._label(*row)
                    self.counts[label] = self.counts.get(label, 0) + 1
                self.samples += 1
                self._stop.wait(self.interval)

    def __enter__(self) -> WaitSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(5)

    def result(self, top: int = 8) -> dict:
        n = max(1, self.samples)
        ranked = sorted(self.counts.items(), key=lambda kv: -kv[1])[:top]
        return {"samples": self.samples, "avg_sessions": {k: round(v / n, 2) for k, v in ranked}}


def run_database(kind: str, args: argparse.Namespace) -> dict:
    pid = os.getpid()
    dbname = f"gridgov_bench_{pid}"
    with temp_var_dir(f"gridgov-bench-intake-{kind}-") as var:
        if kind == "sqlite":
            where = str(var / "bench.sqlite3")
            site = Site(f"sqlite:///{where}", var, extra_env=UNLIMITED, source_dir=args.source)
        else:
            where = dbname
            pg_create(dbname)
            site = Site(pg_url(dbname), var, extra_env=UNLIMITED, source_dir=args.source)
        try:
            t = time.perf_counter()
            site.manage("migrate", "--no-input", "-v", "0")
            if kind == "postgres" and args.sql_after_migrate:
                import psycopg

                with psycopg.connect(pg_dsn(dbname), autocommit=True) as conn:
                    for statement in args.sql_after_migrate:
                        conn.execute(statement)
            site.manage("load_demo")
            setup_s = time.perf_counter() - t
            cases_before = count_cases(kind, where)

            script = var / "intake.lua"
            script.write_text(wrk_script(), encoding="utf-8")
            server = Server(site, workers=WORKERS, threads=THREADS)
            server.start()
            groups = {"server": server.all_pids}
            if kind == "postgres":
                groups["postgres"] = postgres_pids_for(dbname)
            phases: dict[str, dict] = {}
            unmeasured: list[dict] = []

            def phase(name: str | None, fn, **kw) -> dict:
                """One load phase; ``name=None`` is a warm-up (its requests are checked, not reported)."""
                meter = CpuMeter(groups)
                before = count_cases(kind, where)
                sampler = WaitSampler(dbname) if kind == "postgres" and name is not None else None
                own0 = os.times()
                meter.start()
                if sampler is not None:
                    with sampler:
                        result = fn(**kw)
                    result["postgres_sessions"] = sampler.result()
                else:
                    result = fn(**kw)
                cpu = meter.stop()
                own1 = os.times()
                if cpu.get("rest_of_machine_cores") is not None and cpu.get("wall_s"):
                    own = (own1.user - own0.user) + (own1.system - own0.system)  # this process: the generator
                    cpu["rest_of_machine_cores"] = round(
                        max(0.0, cpu["rest_of_machine_cores"] - own / cpu["wall_s"]), 2
                    )
                result.setdefault("cpu", cpu)  # run_wrk measures its kept attempt itself
                result["cases_in_table_before"] = before
                if name is None:
                    unmeasured.append(result)
                else:
                    phases[name] = result
                return result

            def wrk(**kw) -> dict:
                return run_wrk(
                    server,
                    script,
                    clients=args.clients,
                    seed=args.seed,
                    discarded=unmeasured,
                    cpu_groups=groups,
                    **kw,
                )

            def paced(**kw) -> dict:
                return run_paced(server, connections=args.clients, seed=args.seed, **kw)

            def quiet() -> dict:
                """Other work on the machine skews every figure: wait a while for it to pass, and record it."""
                return wait_for_quiet(args.quiet_wait) if args.quiet_wait > 0 else {}

            try:
                before_floor = quiet()
                phase(None, wrk, mode="get", seconds=WARMUP_S, prefix="w")
                floor = phase("floor", wrk, mode="get", seconds=args.seconds, prefix="f")
                floor["machine_before_warmup"] = before_floor
                before_intake = quiet()
                phase(None, wrk, mode="post", seconds=WARMUP_S, prefix=f"{pid}w")
                intake = phase("intake", wrk, mode="post", seconds=args.seconds, prefix=f"{pid}m")
                intake["machine_before_warmup"] = before_intake
                rate = intake["rps"] / 2
                before_paced = quiet()
                paced_result = phase(
                    "paced", paced, rate=rate, seconds=args.seconds, warmup=PACED_WARMUP_S, prefix=f"{pid}p"
                )
                paced_result["machine_before_warmup"] = before_paced
            finally:
                server.stop()
            log = server.count_log_statuses()
            cases_created = count_cases(kind, where) - cases_before
        finally:
            if kind == "postgres":
                pg_drop(dbname)

    every = [*unmeasured, *phases.values()]
    client_errors = sum(r["errors"] for r in every)
    post_201_clients = sum(r["statuses"].get("201", 0) for r in every if r.get("mode") == "post")
    post_201_server = log.get(f"POST {INTAKE_PATH} 201", 0)
    server_non_2xx = {k: v for k, v in log.items() if not k.rsplit(" ", 1)[-1].startswith("2")}
    errors = client_errors + sum(server_non_2xx.values())
    # wrk stops at its deadline without waiting for the requests still in flight: the server answers them
    # (and creates their cases) but wrk never counts them. At most one per connection per wrk run.
    unseen = post_201_server - post_201_clients
    unseen_bound = args.clients * sum(
        1 for r in every if r.get("mode") == "post" and r["tool"].startswith("wrk")
    )
    cases_ok = cases_created == post_201_server and 0 <= unseen <= unseen_bound
    ratio = intake["rps"] / floor["rps"] if floor["rps"] else None
    p50 = paced_result["latency_ms_from_due_time"]["p50"]
    p99 = paced_result["latency_ms_from_due_time"]["p99"]
    result = {
        "database": "SQLite (temp file, WAL)"
        if kind == "sqlite"
        else "PostgreSQL (127.0.0.1, fresh database)",
        "floor_endpoint": f"GET {FLOOR_PATH}",
        "floor_rps": floor["rps"],
        "intake_rps": intake["rps"],
        "ratio_intake_to_floor": round(ratio, 3) if ratio is not None else None,
        "half_rate_rps": paced_result["target_rps"],
        "p50_ms": p50,
        "p99_ms": p99,
        "errors": errors,
        "cases_created": cases_created,
        "check": {
            "cases_created": cases_created,
            "responses_201_in_access_log": post_201_server,
            "responses_201_seen_by_clients": post_201_clients,
            "answered_after_wrk_stopped": unseen,
            "answered_after_wrk_stopped_max": unseen_bound,
            "non_2xx_in_access_log": server_non_2xx,
            "errors_seen_by_clients": client_errors,
            "cases_match_201s": cases_ok,
        },
        "rest_of_machine_cores_max": max(
            ph["cpu"].get("rest_of_machine_cores") or 0.0 for ph in phases.values()
        ),
        "setup_seconds": round(setup_s, 1),
        "phases": phases,
    }
    if kind == "postgres":
        result["meets_target"] = {
            "ratio_ge_0_5": ratio is not None and ratio >= TARGET_RATIO,
            "intake_ge_300_rps": intake["rps"] >= TARGET_INTAKE_RPS,
            "p99_lt_100ms_at_half_rate": p99 < TARGET_P99_MS,
            "zero_errors": errors == 0,
            "cases_match_201s": cases_ok,
        }
    else:
        result["meets_target"] = {
            "note": "no throughput targets for SQLite; the latency target is shown for comparison",
            "p99_lt_100ms_at_half_rate": p99 < TARGET_P99_MS,
            "zero_errors": errors == 0,
            "cases_match_201s": cases_ok,
        }
    return result


# ---------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.intake", description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--seconds", type=float, default=15, help="measured seconds per phase (15)")
    parser.add_argument("--clients", type=int, default=32, help="concurrent keep-alive connections (32)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--source",
        type=Path,
        default=REPO_DIR,
        help="run another checkout of the product (e.g. one with a candidate fix) with this virtualenv",
    )
    parser.add_argument(
        "--sql-after-migrate",
        action="append",
        default=[],
        metavar="SQL",
        help="PostgreSQL only: run this SQL after migrate (experiments, e.g. a candidate index); repeatable",
    )
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=60,
        help="before each phase, wait up to this many seconds for the machine to be nearly idle (60; 0: no)",
    )
    args = parser.parse_args(argv)
    args.source = args.source.resolve()
    if not 1 <= args.seconds <= 120:
        parser.error("--seconds must be between 1 and 120")
    if not 1 <= args.clients <= 256:
        parser.error("--clients must be between 1 and 256")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is not installed (Debian: apt-get install wrk)", file=sys.stderr)
        return 2
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split("\n")[0].strip()
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    report: dict = {
        "benchmark": "case_intake_http",
        "command": shlex.join(["python", "-m", "bench.intake", *(sys.argv[1:] if argv is None else argv)]),
        "loadavg_1m_at_start": loadavg_1m(),
        "machine": machine_info(),
        "server": f"gridgov serve --workers {WORKERS} --threads {THREADS} (gunicorn gthread, access log on)",
        "load_generator": {
            "closed_loop": f"{wrk_version}, 1 thread, {args.clients} keep-alive connections, Lua script",
            "open_loop": "one asyncio process, raw keep-alive sockets, fixed-rate schedule, latency from due time",
            "note": "server, database and load generator share the same cores; the generator's CPU use is "
            "reported per phase (load_generator_cores)",
        },
        "settings": {
            "seconds": args.seconds,
            "warmup_seconds": WARMUP_S,
            "paced_warmup_seconds": PACED_WARMUP_S,
            "clients": args.clients,
            "seed": args.seed,
            "bbox": BBOX,
            "category": CATEGORY,
        },
        "targets": {
            "postgres": {
                "intake_to_floor_ratio_min": TARGET_RATIO,
                "intake_rps_min": TARGET_INTAKE_RPS,
                "p99_ms_at_half_rate_max": TARGET_P99_MS,
                "errors": 0,
            },
        },
        "results": {},
    }
    if "postgres" in kinds:
        report["postgres_settings"] = pg_settings()
    for kind in kinds:
        report["results"][kind] = run_database(kind, args)
    pg = report["results"].get("postgres")
    report["all_targets_met"] = all(pg["meets_target"].values()) if pg else None
    report["all_checks_ok"] = all(
        r["errors"] == 0 and r["check"]["cases_match_201s"] for r in report["results"].values()
    )
    # Other work on the machine during a phase makes its figures low; say whether this run was clean.
    report["noise_limit_cores"] = NOISE_LIMIT
    report["measured_on_quiet_machine"] = all(
        r["rest_of_machine_cores_max"] <= NOISE_LIMIT for r in report["results"].values()
    )
    print(json.dumps(report, ensure_ascii=False, indent=2))
    return 0 if report["all_checks_ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
