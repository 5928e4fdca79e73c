"""Open311 reports against the REST intake: ``POST /open311/v2/requests.json`` beside ``POST /api/v1/cases``
in the same run, against one real ``gridgov serve`` on PostgreSQL.

Run from the repository root::

    .venv/bin/python -m bench.open311 [--seconds 15] [--clients 32] [--rounds 2]

Set-up as in ``bench.intake``: a fresh PostgreSQL database ``gridgov_bench_o311_<pid>`` on 127.0.0.1:5432
(dropped at the end), ``gridgov migrate``, ``gridgov load_demo``, one client application made with
``gridgov open311_key create`` (no per-application limit, as the intake bench turns the per-address
limits off), then ``gridgov serve --workers 2 --threads 4``. Both endpoints take the same report: an
anonymous-capable category (``city_appearance``), a random point of the demo district, a phone number,
a unique idempotency key (``client_id`` / ``Idempotency-Key``). The Open311 body is the spec's
``application/x-www-form-urlencoded`` form with its ``api_key``.

Phases, each after a warm-up that is not counted:

1. **closed loop**, ``--rounds`` times in turn (cases, open311, cases, open311 …): each endpoint at full
   speed, ``--clients`` keep-alive connections (wrk with a Lua script). The best round of each is its
   throughput; their ratio is the figure the target is set on (Open311 ≥ 80 % of ``/api/v1/cases``).
2. **paced**, open loop: each endpoint at the same rate, half the ``/api/v1/cases`` throughput, request
   *i* due at ``t0 + i / rate`` and its latency counted from then (no coordinated omission). Target: p99
   under 100 ms for both (the intake's target).

Checks (exit status 1 when one fails): no error (any non-2xx status, socket error or timeout, as the
clients saw it and as the access log has it); the cases in the database number exactly the ``201``
answers of both endpoints in the access log. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote, urlencode

from bench._server import (
    REPO_DIR,
    CpuMeter,
    Server,
    Site,
    loadavg_1m,
    machine_info,
    pg_create,
    pg_drop,
    pg_settings,
    pg_url,
    postgres_pids_for,
    temp_var_dir,
    wait_for_quiet,
)
from bench.intake import (
    BBOX,
    CATEGORY,
    DESCRIPTION,
    NOISE_LIMIT,
    THREADS,
    UNLIMITED,
    WORKERS,
    WRK_RESULT_LUA,
    _balanced,
    _Conn,
    count_cases,
    percentile,
    run_wrk,
)

CASES_PATH = "/api/v1/cases"
OPEN311_PATH = "/open311/v2/requests.json"
WARMUP_S = 3.0
PACED_WARMUP_S = 2.0
TARGET_RATIO = 0.8  # Open311 reports/s ≥ 80 % of /api/v1/cases
TARGET_P99_MS = 100.0  # at half the /api/v1/cases throughput, for both

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
end

function request()
  counter = counter + 1
  local lng = {min_lng} + math.random() * {span_lng}
  local lat = {min_lat} + math.random() * {span_lat}
  local phone = string.format("139%08d", math.random(0, 99999999))
  local key = string.format("%s-%d-%d", prefix, tid, counter)
  if mode == "cases" then
    local body = string.format(
      '{"category":"{category}","description":"{description} #%d","lng":%.6f,"lat":%.6f,' ..
      '"reporter_phone":"%s","client_id":"%s"}', counter, lng, lat, phone, key)
    return wrk.format("POST", "{cases_path}", {["Content-Type"] = "application/json"}, body)
  end
  local body = string.format(
    "api_key={api_key}&service_code={category}&description={description_form}%%20%%23%d" ..
    "&long=%.6f&lat=%.6f&phone=%s", counter, lng, lat, phone)
  local headers = {["Content-Type"] = "application/x-www-form-urlencoded", ["Idempotency-Key"] = key}
  return wrk.format("POST", "{open311_path}", headers, body)
end

"""
    + WRK_RESULT_LUA
)


def wrk_script(api_key: str) -> str:
    values = {
        "min_lng": repr(BBOX[0]),
        "min_lat": repr(BBOX[1]),
        "span_lng": repr(round(BBOX[2] - BBOX[0], 10)),
        "span_lat": repr(round(BBOX[3] - BBOX[1], 10)),
        "category": CATEGORY,
        "description": DESCRIPTION,
        # a Lua format string: every "%" of the encoded text doubled
        "description_form": quote(DESCRIPTION).replace("%", "%%"),
        "api_key": quote(api_key, safe=""),
        "cases_path": CASES_PATH,
        "open311_path": OPEN311_PATH,
    }
    script = WRK_LUA
    for name, value in values.items():
        script = script.replace("{" + name + "}", value)
    return script


# ---------------------------------------------------------------- open loop


def _request(host: str, port: int, path: str, body: bytes, headers: dict[str, str]) -> bytes:
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n{head}Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


def paced_requests(
    mode: str, n: int, *, api_key: str, prefix: str, seed: int, host: str, port: int
) -> list[bytes]:
    """The ``n`` requests of a paced run, made up front so the generator does no work while it keeps time."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        lng = round(BBOX[0] + rng.random() * (BBOX[2] - BBOX[0]), 6)
        lat = round(BBOX[1] + rng.random() * (BBOX[3] - BBOX[1]), 6)
        phone = f"139{rng.randrange(10**8):08d}"
        key = f"{prefix}-{i}"
        if mode == "cases":
            body = json.dumps(
                {
                    "category": CATEGORY,
                    "description": f"{DESCRIPTION} #{i}",
                    "lng": lng,
                    "lat": lat,
                    "reporter_phone": phone,
                    "client_id": key,
                },
                ensure_ascii=False,
            ).encode()
            out.append(_request(host, port, CASES_PATH, body, {"Content-Type": "application/json"}))
        else:
            form = {
                "api_key": api_key,
                "service_code": CATEGORY,
                "description": f"{DESCRIPTION} #{i}",
                "long": lng,
                "lat": lat,
                "phone": phone,
            }
            headers = {"Content-Type": "application/x-www-form-urlencoded", "Idempotency-Key": key}
            out.append(_request(host, port, OPEN311_PATH, urlencode(form).encode(), headers))
    return out


async def _paced(
    server: Server, requests: list[bytes], *, rate: float, warmup: float, connections: int
) -> dict:
    """Send ``requests`` at ``rate`` (the first ``warmup`` seconds' worth not counted); latency from each
    request's due time (the scheme of ``bench.intake``'s paced phase)."""
    loop = asyncio.get_running_loop()
    n_total = len(requests)
    n_warm = round(rate * warmup)
    latency = [0.0] * n_total
    send_lag = [0.0] * n_total
    status = [0] * n_total
    next_index = 0
    split: dict[int, int] = {}
    for _attempt in range(20):
        conns = [_Conn("127.0.0.1", server.port) for _ in range(connections)]
        await asyncio.gather(*(c.open() for c in conns))
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
                status[i] = await asyncio.wait_for(conn.roundtrip(requests[i]), timeout=10)
            except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError, IndexError):
                status[i] = -1
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
        "connections": connections,
        "connections_per_worker": sorted(split.values(), reverse=True),
        "target_rps": round(rate, 1),
        "requests_measured": len(lat_ms),
        "achieved_rps": round(len(lat_ms) / span, 1) if span > 0 else None,
        "statuses": dict(sorted(counts.items())),
        "errors": sum(v for k, v in counts.items() if not k.startswith("2")),
        "latency_ms_from_due_time": {
            "p50": round(percentile(lat_ms, 50), 2),
            "p95": round(percentile(lat_ms, 95), 2),
            "p99": round(percentile(lat_ms, 99), 2),
            "max": round(lat_ms[-1], 2),
        },
        "generator_send_lag_ms": {
            "p50": round(percentile(lag_ms, 50), 2),
            "p99": round(percentile(lag_ms, 99), 2),
        },
        "load_generator_cores": round(((cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)) / wall, 3),
    }


# ---------------------------------------------------------------- the run


def run(args: argparse.Namespace) -> dict:
    pid = os.getpid()
    dbname = f"gridgov_bench_o311_{pid}"
    with temp_var_dir("gridgov-bench-open311-") as var:
        pg_create(dbname)
        site = Site(pg_url(dbname), var, extra_env=UNLIMITED, source_dir=args.source)
        try:
            t = time.perf_counter()
            site.manage("migrate", "--no-input", "-v", "0")
            site.manage("load_demo")
            api_key = (
                site.manage("open311_key", "create", "bench", "--rate-limit", "0").strip().splitlines()[-1]
            )
            setup_s = time.perf_counter() - t
            cases_before = count_cases("postgres", dbname)
            script = var / "open311.lua"
            script.write_text(wrk_script(api_key), encoding="utf-8")
            server = Server(site, workers=WORKERS, threads=THREADS)
            server.start()
            groups = {"server": server.all_pids, "postgres": postgres_pids_for(dbname)}
            unmeasured: list[dict] = []
            closed: dict[str, list[dict]] = {"cases": [], "open311": []}
            paced: dict[str, dict] = {}

            def quiet() -> dict:
                return wait_for_quiet(args.quiet_wait) if args.quiet_wait > 0 else {}

            def wrk(mode: str, seconds: float, prefix: str) -> dict:
                return run_wrk(
                    server,
                    script,
                    mode=mode,
                    seconds=seconds,
                    clients=args.clients,
                    prefix=prefix,
                    seed=args.seed,
                    discarded=unmeasured,
                    cpu_groups=groups,
                )

            try:
                for mode in ("cases", "open311"):  # one warm-up each: connections, prepared statements
                    unmeasured.append(wrk(mode, WARMUP_S, f"{pid}w{mode}"))
                for n in range(args.rounds):
                    for mode in ("cases", "open311"):
                        before = quiet()
                        result = wrk(mode, args.seconds, f"{pid}r{n}{mode}")
                        result["machine_before"] = before
                        closed[mode].append(result)
                best = {mode: max(r["rps"] for r in results) for mode, results in closed.items()}
                rate = best["cases"] / 2
                for mode in ("cases", "open311"):
                    before = quiet()
                    n_total = round(rate * (PACED_WARMUP_S + args.seconds))
                    requests = paced_requests(
                        mode,
                        n_total,
                        api_key=api_key,
                        prefix=f"{pid}p{mode}",
                        seed=args.seed,
                        host="127.0.0.1",
                        port=server.port,
                    )
                    meter = CpuMeter(groups)
                    meter.start()
                    result = asyncio.run(
                        _paced(server, requests, rate=rate, warmup=PACED_WARMUP_S, connections=args.clients)
                    )
                    result["cpu"] = meter.stop()
                    result["machine_before"] = before
                    paced[mode] = result
            finally:
                server.stop()
            log = server.count_log_statuses()
            cases_created = count_cases("postgres", dbname) - cases_before
        finally:
            pg_drop(dbname)

    every = [*unmeasured, *closed["cases"], *closed["open311"], *paced.values()]
    client_errors = sum(r["errors"] for r in every)
    server_non_2xx = {k: v for k, v in log.items() if not k.rsplit(" ", 1)[-1].startswith("2")}
    created_201 = log.get(f"POST {CASES_PATH} 201", 0) + log.get(f"POST {OPEN311_PATH} 201", 0)
    ratio = best["open311"] / best["cases"] if best["cases"] else None
    p99 = {mode: paced[mode]["latency_ms_from_due_time"]["p99"] for mode in paced}
    rest = max(
        (r["cpu"].get("rest_of_machine_cores") or 0.0)
        for r in [*closed["cases"], *closed["open311"], *paced.values()]
    )
    return {
        "cases_rps_rounds": [r["rps"] for r in closed["cases"]],
        "open311_rps_rounds": [r["rps"] for r in closed["open311"]],
        "cases_rps": best["cases"],
        "open311_rps": best["open311"],
        "ratio_open311_to_cases": round(ratio, 3) if ratio is not None else None,
        "paced_rps": round(rate, 1),
        "cases_paced_ms": paced["cases"]["latency_ms_from_due_time"],
        "open311_paced_ms": paced["open311"]["latency_ms_from_due_time"],
        "errors": client_errors + sum(server_non_2xx.values()),
        "check": {
            "cases_created": cases_created,
            "responses_201_in_access_log": created_201,
            "cases_match_201s": cases_created == created_201,
            "non_2xx_in_access_log": server_non_2xx,
            "errors_seen_by_clients": client_errors,
        },
        "meets_target": {
            "open311_ge_80_percent_of_cases": ratio is not None and ratio >= TARGET_RATIO,
            "open311_p99_lt_100ms_at_half_rate": p99["open311"] < TARGET_P99_MS,
            "cases_p99_lt_100ms_at_half_rate": p99["cases"] < TARGET_P99_MS,
            "zero_errors": client_errors + sum(server_non_2xx.values()) == 0,
            "cases_match_201s": cases_created == created_201,
        },
        "rest_of_machine_cores_max": rest,
        "setup_seconds": round(setup_s, 1),
        "phases": {"closed_loop": closed, "paced": paced},
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.open311", description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=15, help="measured seconds per phase (15)")
    parser.add_argument("--clients", type=int, default=32, help="concurrent keep-alive connections (32)")
    parser.add_argument("--rounds", type=int, default=2, help="closed-loop rounds per endpoint, in turn (2)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--source",
        type=Path,
        default=REPO_DIR,
        help="run another checkout of the product with this virtualenv",
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
    if not 1 <= args.rounds <= 10:
        parser.error("--rounds must be between 1 and 10")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is not installed (Debian: apt-get install wrk)", file=sys.stderr)
        return 2
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split("\n")[0].strip()
    report: dict = {
        "benchmark": "open311_vs_cases_intake_http",
        "command": shlex.join(["python", "-m", "bench.open311", *(sys.argv[1:] if argv is None else argv)]),
        "loadavg_1m_at_start": loadavg_1m(),
        "machine": machine_info(),
        "server": f"gridgov serve --workers {WORKERS} --threads {THREADS} (gunicorn gthread, access log on)",
        "database": "PostgreSQL (127.0.0.1, fresh database)",
        "load_generator": f"{wrk_version}, 1 thread, {args.clients} keep-alive connections; paced: asyncio",
        "settings": {
            "seconds": args.seconds,
            "clients": args.clients,
            "rounds": args.rounds,
            "seed": args.seed,
            "category": CATEGORY,
        },
        "targets": {"open311_to_cases_ratio_min": TARGET_RATIO, "p99_ms_at_half_rate_max": TARGET_P99_MS},
        "postgres_settings": pg_settings(),
    }
    report["result"] = run(args)
    report["all_targets_met"] = all(report["result"]["meets_target"].values())
    report["all_checks_ok"] = (
        report["result"]["errors"] == 0 and report["result"]["check"]["cases_match_201s"]
    )
    report["noise_limit_cores"] = NOISE_LIMIT
    report["measured_on_quiet_machine"] = report["result"]["rest_of_machine_cores_max"] <= NOISE_LIMIT
    print(json.dumps(report, ensure_ascii=False, indent=2))
    return 0 if report["all_checks_ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
