"""Suggestions in the request (SPEC M14): what a dispatcher or a hotline operator waits for, end to end,
against one real ``gridgov serve`` on PostgreSQL.

Run from the repository root::

    .venv/bin/python -m bench.assist_request [--requests 2000] [--seed 1]

Set-up: a fresh PostgreSQL database ``gridgov_bench_assist_<pid>`` on 127.0.0.1:5432 (dropped at the end),
``gridgov migrate``, ``gridgov load_demo`` (which imports the demo district's history — 2,000 past cases
per category written as residents write — and trains the first suggester on it), then ``gridgov serve
--workers 1 --threads 2``. One keep-alive connection with a grid worker's token sends, one after another,
after 100 untimed requests:

1. ``POST /api/v1/assist/suggest`` with a new resident text (the category hints of the report form):
   the server reads the active model's version (one query), cleans the text, scores it, answers the top
   three with their words. Target: p95 < 20 ms.
2. ``GET /api/v1/assist/cases/{ref}/suggestions`` (as the district's dispatcher) for a case just reported (the suggestion stored by the
   intake), as the case page's panel reads it.

Latency is the client's (request written → answer read), in milliseconds: p50, p95, p99, max. Prints one
JSON object; exit status 1 when a request fails.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shlex
import sys
import time

from bench._server import (
    Server,
    Site,
    loadavg_1m,
    machine_info,
    pg_create,
    pg_drop,
    pg_url,
    temp_var_dir,
)
from bench.intake import UNLIMITED  # one client sends everything: no per-address limits

TARGET_P95_MS = 20.0
BBOX = (107.0, 34.28, 107.35, 34.45)  # the demo district, which its grids tile
USER = "gridworker"  # the demo district's grid worker (load_demo)
DISPATCHER = "district"  # the district's command centre dispatches every case of the district
PASSWORD = "gridgov-demo"


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return round(values[min(len(values) - 1, int(q * len(values)))] * 1000, 2)


def figures(times: list[float]) -> dict:
    return {
        "n": len(times),
        "p50": pct(times, 0.50),
        "p95": pct(times, 0.95),
        "p99": pct(times, 0.99),
        "max": round(max(times) * 1000, 2),
    }


class Client:
    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.headers = {"Content-Type": "application/json"}

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict, float]:
        data = json.dumps(body).encode() if body is not None else None
        start = time.perf_counter()
        self.conn.request(method, path, body=data, headers=self.headers)
        response = self.conn.getresponse()
        raw = response.read()
        elapsed = time.perf_counter() - start
        return response.status, (json.loads(raw) if raw else {}), elapsed


def texts(n: int, seed: int) -> list[str]:
    from gridgov.assist import corpus

    rows = corpus.history_rows(seed=seed, per_category=max(1, n // 10 + 1))
    random.Random(seed).shuffle(rows)
    return [r["text"] for r in rows[:n]]


def run(args) -> dict:
    dbname = f"gridgov_bench_assist_{os.getpid()}"
    pg_create(dbname)
    try:
        with temp_var_dir() as var_dir:
            site = Site(pg_url(dbname), var_dir, extra_env=UNLIMITED)
            t = time.perf_counter()
            site.manage("migrate", "-v0")
            demo = site.manage("load_demo", timeout=1800)
            setup_s = time.perf_counter() - t
            server = Server(site, workers=1, threads=2)
            server.start()
            try:
                return measure(server, args) | {
                    "setup_s": round(setup_s, 1),
                    "load_demo_says": demo.splitlines()[-3:],
                }
            finally:
                server.stop()
    finally:
        pg_drop(dbname)


def measure(server: Server, args) -> dict:
    client = Client(server.port)
    status, body, _ = client.call("POST", "/api/v1/auth/token", {"username": USER, "password": PASSWORD})
    if status != 200:
        raise RuntimeError(f"sign-in failed: {status} {body}")
    client.headers["Authorization"] = f"Bearer {body['token']}"
    pool = texts(args.requests + 100, args.seed)
    errors = 0
    first_error = None
    suggest: list[float] = []
    for i, text in enumerate(pool):
        status, body, elapsed = client.call("POST", "/api/v1/assist/suggest", {"text": text})
        if status != 200 or not body.get("categories"):
            errors += 1
        elif i >= 100:
            suggest.append(elapsed)
    # cases reported through the API, then their stored suggestions read as the case page does
    refs = []
    rng = random.Random(args.seed)
    for text in pool[: min(300, len(pool))]:
        payload = {
            "category": "city_appearance",
            "description": text,
            "reporter_phone": f"139{rng.randint(10_000_000, 99_999_999)}",  # a grid worker enters it for the resident
            "lng": rng.uniform(BBOX[0], BBOX[2]),
            "lat": rng.uniform(BBOX[1], BBOX[3]),
        }
        status, body, _ = client.call("POST", "/api/v1/cases", payload)
        if status == 201:
            refs.append(body["ref"])
        else:
            errors += 1
            first_error = first_error or body
    reader = Client(server.port)  # the district's dispatcher reads them (a case page's panel)
    status, body, _ = reader.call(
        "POST", "/api/v1/auth/token", {"username": DISPATCHER, "password": PASSWORD}
    )
    reader.headers["Authorization"] = f"Bearer {body['token']}"
    read: list[float] = []
    for i, ref in enumerate(refs * 3):
        status, body, elapsed = reader.call("GET", f"/api/v1/assist/cases/{ref}/suggestions")
        if status != 200 or not body.get("category"):
            errors += 1
            first_error = first_error or body
        elif i >= 100:
            read.append(elapsed)
    s = figures(suggest)
    return {
        "errors": errors,
        "first_error": first_error,
        "cases_reported": len(refs),
        "suggest_text_ms": s,
        "case_suggestions_ms": figures(read) if read else None,
        "meets_target": {"suggest_p95": s["p95"] < TARGET_P95_MS},
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--requests", type=int, default=2000)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args(argv)
    report = {
        "benchmark": "assist_request",
        "command": shlex.join(
            ["python", "-m", "bench.assist_request", *(sys.argv[1:] if argv is None else argv)]
        ),
        "loadavg_1m_at_start": loadavg_1m(),
        "machine": machine_info(),
        "server": "gridgov serve --workers 1 --threads 2 (gunicorn gthread, access log on)",
        "database": "PostgreSQL (127.0.0.1, fresh database, the demo district)",
        "targets": {"suggest_p95_ms_max": TARGET_P95_MS},
    }
    report["result"] = run(args)
    print(json.dumps(report, ensure_ascii=False, indent=2))
    return 0 if report["result"]["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
