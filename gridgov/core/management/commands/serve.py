"""``gridgov serve``: run gridgov under gunicorn (the same server as production, fewer workers).

Without ``GRIDGOV_REDIS_URL`` (the embedded default) this process also runs the background jobs on a
timer — the deadline sweep every ``GRIDGOV_SLA_SWEEP_MINUTES`` — and sends the outbox (webhooks, email,
SMS; ``core.outbox``) on a thread of its own, so one command is the whole system.
With Redis, jobs belong to ``celery -A gridgov worker`` and ``celery -A gridgov beat`` (docs/deploy.md).
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import threading

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils.translation import gettext as _

log = logging.getLogger("gridgov.serve")


def run_jobs_forever(stop: threading.Event, minutes: int) -> None:
    from gridgov.core.deadlines import run_sweeps
    from gridgov.core.jobs import run_recoveries

    while True:
        try:
            run_sweeps()  # every workflow's deadlines: cases, orders, wishes, volunteer tasks …
        except Exception:  # a failed sweep is retried next round; the next sweep picks up everything missed
            log.exception("deadline sweep failed")
        finally:
            close_old_connections()
        try:
            run_recoveries()  # work left by a dead process (ledger imports …), and queued jobs, run again
        except Exception:
            log.exception("job recovery failed")
        finally:
            close_old_connections()
        if stop.wait(minutes * 60):
            return


def run_outbox(stop: threading.Event) -> None:
    from gridgov.core.outbox import run_forever

    run_forever(stop)


class Command(BaseCommand):
    help = "启动 gridgov 网页与接口服务（gunicorn）；未配置 Redis 时同时运行后台任务"

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=os.environ.get("GRIDGOV_BIND", "127.0.0.1:8000"))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("GRIDGOV_WORKERS", "2")))
        parser.add_argument("--threads", type=int, default=int(os.environ.get("GRIDGOV_THREADS", "4")))

    def handle(self, *args, **options):
        argv = [
            sys.executable,
            "-m",
            "gunicorn",
            "gridgov.wsgi:application",
            "--bind",
            options["bind"],
            "--workers",
            str(options["workers"]),
            "--threads",
            str(options["threads"]),
            "--access-logfile",
            "-",
            "--forwarded-allow-ips",
            os.environ.get("GRIDGOV_FORWARDED_ALLOW_IPS", "127.0.0.1"),
        ]
        if settings.REUSE_PORT and hasattr(socket, "SO_REUSEPORT"):
            # Each worker listens on a socket of its own (SO_REUSEPORT) and the kernel spreads new
            # connections over them; with one shared socket the first worker to wake takes most of a burst
            # of keep-alive connections and keeps them (docs/performance.md, "Balancing the workers").
            argv.append("--reuse-port")
        self.stdout.write(
            _("gridgov 正在 http://%(bind)s 提供服务（Ctrl-C 停止）") % {"bind": options["bind"]}
        )
        sys.stdout.flush()
        if settings.REDIS_URL:
            os.execv(sys.executable, argv)
        stop = threading.Event()
        jobs = threading.Thread(
            target=run_jobs_forever, args=(stop, settings.SLA_SWEEP_MINUTES), daemon=True, name="gridgov-jobs"
        )
        server = subprocess.Popen(argv)
        signal.signal(signal.SIGTERM, lambda *_: server.terminate())
        sender = threading.Thread(target=run_outbox, args=(stop,), daemon=True, name="gridgov-outbox")
        jobs.start()
        sender.start()
        try:
            server.wait()
        except KeyboardInterrupt:
            server.terminate()
            server.wait()
        finally:
            stop.set()
