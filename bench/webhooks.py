"""Outbound webhooks: 10,000 events to 10 subscribers (100,000 signed deliveries) through the outbox, with the
embedded sender and with Celery.

Run from the repository root::

    .venv/bin/python -m bench.webhooks                       # both modes, 10,000 events x 10 subscribers
    .venv/bin/python -m bench.webhooks --mode embedded --events 2000   # a quick look

Set-up: a fresh PostgreSQL database ``gridgov_bench_webhooks_<pid>`` on 127.0.0.1:5432 (dropped at the end),
``gridgov migrate``, then in this process (Django set up against it) the test district of
``gridgov.testing.factories``, one case category and ``--cases`` (50) cases reported through the intake.

For each mode:

1. **Subscriptions**: ``--subscribers`` (10) subscriptions made with ``hooks.actions.subscription_create`` (area:
   the district; event type ``case.dispatched``), each to its own path of one receiver on 127.0.0.1
   (``bench._hook_receiver``: asyncio, HTTP/1.1 keep-alive, ``--receiver-processes`` processes on one
   ``SO_REUSEPORT`` port, answering 200 at once, counting requests and distinct ``webhook-id`` values and
   checking every 50th signature with the standard library).
2. **Events** (not timed against the target; reported as ``enqueue``): ``--events`` workflow steps
   (``core.events.publish`` of a ``dispatch`` step of the cases in turn, 100 steps per transaction), which
   the webhooks' listener turns into one outbox row per subscription: ``--events`` x ``--subscribers``
   deliveries, all pending, no sender running.
3. **Delivery** (the target: everything delivered within 60 s of starting the sender):
   - ``embedded``: ``gridgov deliver_outbox --forever`` in a process of its own, which is
     ``core.outbox.run_forever`` — the sender thread of ``gridgov serve`` — with the kit's thread pool;
   - ``celery``: a real ``celery -A gridgov worker`` (``--concurrency`` processes, Redis broker at
     ``--redis``, database 15 by default, emptied first), sent one ``gridgov.core.deliver_outbox`` task per
     worker process, as commits and beat would queue them.
   The clock runs from the sender's start (process start-up included) until the database counts every
   delivery delivered; ``active_s`` is first to last try as logged.
4. **Checks**: every delivery ``delivered``; exactly one ``OutboxAttempt`` per delivery (each logged once);
   the receiver saw each ``webhook-id`` exactly once and no bad signature.

CPU used by the sender, the receiver and PostgreSQL is measured from ``/proc``. Prints one JSON object; the
exit status is 1 when a check fails.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench._server import (
    REPO_DIR,
    CpuMeter,
    Site,
    descendants_of,
    free_port,
    gridgov_argv,
    loadavg_1m,
    machine_info,
    pg_create,
    pg_drop,
    pg_settings,
    pg_url,
    postgres_pids_for,
    wait_for_quiet,
)

TARGET_S = 60.0
EVENTS_PER_TRANSACTION = 100


def _django(site: Site) -> None:
    for name, value in site.env.items():
        os.environ[name] = value
    os.environ.pop("GRIDGOV_REDIS_URL", None)  # this process writes events; it queues no task itself
    os.environ.pop("GRIDGOV_READ_DATABASE_URL", None)
    import django

    django.setup()


def _world(cases: int):
    from decimal import Decimal

    from gridgov.cases.actions import case_report
    from gridgov.cases.models import Case, Category
    from gridgov.testing.factories import make_tree

    tree = make_tree()
    category = Category.objects.create(
        code="bench_litter",
        name="垃圾堆放",
        response_limit=Decimal(2),
        response_unit="urgent_hours",
        resolution_limit=Decimal(24),
        resolution_unit="urgent_hours",
    )
    refs = []
    for i in range(cases):
        lng, lat = 107.005 + (i % 10) * 0.018, 34.005 + (i // 10 % 5) * 0.018
        intake = case_report(
            by=None,
            category_code=category.code,
            description=f"测试事件 {i}",
            lng=lng,
            lat=lat,
            reporter_phone="13800001111",
        )
        refs.append(intake.case.ref)
    cases = list(Case.objects.filter(ref__in=refs).select_related("category", "area", "lead_unit"))
    return tree.admin, cases


def _subscribe(admin, port: int, n: int) -> dict[str, str]:
    from django.db import connection

    from gridgov.hooks import actions, fanout
    from gridgov.hooks.models import Subscription

    with connection.cursor() as cursor:  # the previous mode's deliveries and their log
        cursor.execute("TRUNCATE core_outboxattempt, core_outboxmessage")
    Subscription.objects.all().delete()
    secrets = {}
    for i in range(n):
        path = f"/hook/{i}"
        _, secret = actions.subscription_create(
            by=admin,
            name=f"bench {i}",
            url=f"http://127.0.0.1:{port}{path}",
            event_types=["case.dispatched"],
            area="610302",
        )
        secrets[path] = secret
    fanout._drop()
    return secrets


def _enqueue(cases, events: int) -> dict:
    from django.db import transaction
    from django.utils import timezone

    from gridgov.core import events as core_events
    from gridgov.core.models import OutboxMessage

    started = time.perf_counter()
    done = 0
    while done < events:
        with transaction.atomic():
            for _ in range(min(EVENTS_PER_TRANSACTION, events - done)):
                case = cases[done % len(cases)]
                core_events.publish(case, "dispatch", "accepted", "dispatched", timezone.now())
                done += 1
    seconds = time.perf_counter() - started
    rows = OutboxMessage.objects.filter(channel="webhook").count()
    return {
        "events": events,
        "deliveries_written": rows,
        "seconds": round(seconds, 2),
        "events_per_s": round(events / seconds),
        "deliveries_per_s": round(rows / seconds),
    }


def _counts() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT state, count(*) FROM core_outboxmessage GROUP BY state")
        return dict(cursor.fetchall())


def _checks(total: int) -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT min(n), max(n), count(*) FROM (SELECT m.id, count(a.id) AS n FROM core_outboxmessage m "
            "LEFT JOIN core_outboxattempt a ON a.message_id = m.id GROUP BY m.id) t"
        )
        lo, hi, messages = cursor.fetchone()
        cursor.execute(
            "SELECT count(*), count(*) FILTER (WHERE ok), min(at), max(at) FROM core_outboxattempt"
        )
        attempts, ok, first, last = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM core_outboxmessage WHERE attempts <> 1")
        (not_once,) = cursor.fetchone()
    return {
        "messages": messages,
        "attempts": attempts,
        "attempts_ok": ok,
        "attempts_per_message_min": lo,
        "attempts_per_message_max": hi,
        "messages_with_attempts_not_1": not_once,
        "active_s": round((last - first).total_seconds(), 2) if first and last else None,
        "each_logged_once": messages == total and lo == 1 and hi == 1 and attempts == total and ok == total,
    }


def _start_receiver(port: int, processes: int, secrets: dict, work: Path) -> tuple[subprocess.Popen, Path]:
    secrets_file = work / "secrets.json"
    secrets_file.write_text(json.dumps(secrets), encoding="utf-8")
    out = work / f"rx-{port}"
    proc = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "bench._hook_receiver",
            "--port",
            str(port),
            "--processes",
            str(processes),
            "--secrets",
            str(secrets_file),
            "--out",
            str(out),
        ],
        cwd=REPO_DIR,
    )
    import socket

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            time.sleep(0.05)
    return proc, out


def _stop_receiver(proc: subprocess.Popen, out: Path, processes: int) -> dict:
    proc.send_signal(signal.SIGTERM)
    proc.wait(30)
    parts = [json.loads(Path(f"{out}.{i}.json").read_text(encoding="utf-8")) for i in range(processes)]
    ids: set[bytes] = set()
    for i in range(processes):
        ids.update(x for x in Path(f"{out}.{i}.ids").read_bytes().split(b"\n") if x)
    return {
        "requests": sum(p["requests"] for p in parts),
        "requests_per_process": [p["requests"] for p in parts],
        "distinct_ids": len(ids),
        "signatures_checked": sum(p["verified"] for p in parts),
        "bad_signatures": sum(p["bad_signatures"] for p in parts),
        "paths": len({path for p in parts for path in p["paths"]}),
    }


def _sender(mode: str, site: Site, args) -> tuple[subprocess.Popen, callable]:
    env = {
        **site.env,
        "GRIDGOV_OUTBOUND_ALLOW": "127.0.0.1/32",
        "GRIDGOV_OUTBOX_THREADS": str(args.threads),
        "GRIDGOV_OUTBOX_BATCH": str(args.batch),
        "GRIDGOV_OUTBOX_POLL_SECONDS": "0.5",
    }
    env.pop("GRIDGOV_READ_DATABASE_URL", None)
    if mode == "embedded":
        env.pop("GRIDGOV_REDIS_URL", None)
        proc = subprocess.Popen(gridgov_argv("deliver_outbox", "--forever"), env=env, cwd=REPO_DIR)  # noqa: S603
        return proc, lambda: None
    env["GRIDGOV_REDIS_URL"] = args.redis
    env["C_FORCE_ROOT"] = "1"  # the benchmark's machine may run everything as root
    celery = Path(sys.executable).with_name("celery")
    log = (site.var_dir / "celery.log").open("ab")
    proc = subprocess.Popen(  # noqa: S603
        [
            str(celery),
            "-A",
            "gridgov",
            "worker",
            "--concurrency",
            str(args.concurrency),
            "--loglevel",
            "warning",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        env=env,
        cwd=REPO_DIR,
        stdout=log,
        stderr=subprocess.STDOUT,
    )

    def kick() -> None:
        from celery import Celery

        client = Celery("bench", broker=args.redis)
        for _ in range(args.concurrency):
            client.send_task("gridgov.core.deliver_outbox")
        client.close()

    return proc, kick


def run_mode(mode: str, site: Site, admin, cases, args, work: Path) -> dict:
    port = free_port()
    secrets = _subscribe(admin, port, args.subscribers)
    total = args.events * args.subscribers
    enqueue = _enqueue(cases, args.events)
    receiver, out = _start_receiver(port, args.receiver_processes, secrets, work)
    quiet = wait_for_quiet(args.quiet_wait)
    if mode == "celery":
        import redis

        redis.Redis.from_url(args.redis).flushdb()
    started = time.perf_counter()
    sender, kick = _sender(mode, site, args)
    meter = CpuMeter(
        groups={
            "sender": lambda: [sender.pid, *descendants_of(sender.pid)],
            "receiver": lambda: [receiver.pid, *descendants_of(receiver.pid)],
            "postgres": postgres_pids_for(site.database_url.rsplit("/", 1)[1]),
        }
    )
    meter.start()
    kick()
    delivered_at = None
    progress = []
    while time.perf_counter() - started < args.timeout:
        counts = _counts()
        progress.append((round(time.perf_counter() - started, 1), counts.get("delivered", 0)))
        if counts.get("delivered", 0) >= total:
            delivered_at = time.perf_counter() - started
            break
        time.sleep(0.25)
    cpu = meter.stop()
    sender.send_signal(signal.SIGTERM)
    try:
        sender.wait(30)
    except subprocess.TimeoutExpired:
        sender.kill()
        sender.wait(10)
    got = _stop_receiver(receiver, out, args.receiver_processes)
    checks = _checks(total)
    ok = (
        delivered_at is not None
        and checks["each_logged_once"]
        and got["requests"] == total
        and got["distinct_ids"] == total
        and got["bad_signatures"] == 0
    )
    return {
        "mode": mode,
        "subscribers": args.subscribers,
        "deliveries": total,
        "enqueue": enqueue,
        "machine_before": quiet,
        "delivered_all_s": round(delivered_at, 2) if delivered_at is not None else None,
        "deliveries_per_s": round(total / delivered_at) if delivered_at else None,
        "active_s": checks["active_s"],
        "deliveries_per_active_s": round(total / checks["active_s"]) if checks["active_s"] else None,
        "target_s": TARGET_S,
        "meets_target": delivered_at is not None and delivered_at <= TARGET_S,
        "progress": progress[:: max(1, len(progress) // 20)],
        "cpu": cpu,
        "receiver": got,
        "log": checks,
        "states": _counts(),
        "checks_ok": ok,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--mode", choices=["embedded", "celery", "both"], default="both")
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--subscribers", type=int, default=10)
    parser.add_argument("--cases", type=int, default=50)
    parser.add_argument("--threads", type=int, default=8, help="GRIDGOV_OUTBOX_THREADS of the sender")
    parser.add_argument("--batch", type=int, default=500, help="GRIDGOV_OUTBOX_BATCH of the sender")
    parser.add_argument("--concurrency", type=int, default=2, help="Celery worker processes")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/15")
    parser.add_argument("--receiver-processes", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--quiet-wait", type=float, default=30)
    args = parser.parse_args()

    dbname = f"gridgov_bench_webhooks_{os.getpid()}"
    result: dict = {
        "benchmark": "webhooks",
        "machine": machine_info(),
        "loadavg_1m_at_start": loadavg_1m(),
        "postgres": pg_settings(),
        "database": dbname,
        "threads": args.threads,
        "batch": args.batch,
        "events": args.events,
        "subscribers": args.subscribers,
    }
    pg_create(dbname)
    try:
        with tempfile.TemporaryDirectory(prefix="gridgov-bench-webhooks-") as tmp:
            work = Path(tmp)
            site = Site(pg_url(dbname), work, extra_env={"GRIDGOV_OUTBOUND_ALLOW": "127.0.0.1/32"})
            site.manage("migrate", "--no-input")
            _django(site)
            admin, cases = _world(args.cases)
            modes = ["embedded", "celery"] if args.mode == "both" else [args.mode]
            result["runs"] = [run_mode(mode, site, admin, cases, args, work) for mode in modes]
            from django.db import connections

            connections.close_all()
    finally:
        pg_drop(dbname)
    result["all_checks_ok"] = all(r["checks_ok"] for r in result["runs"])
    result["all_targets_met"] = all(r["meets_target"] for r in result["runs"])
    print(json.dumps(result, ensure_ascii=False, indent=2))
    sys.exit(0 if result["all_checks_ok"] else 1)


if __name__ == "__main__":
    main()
