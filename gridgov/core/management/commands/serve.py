"""``gridgov serve``: run gridgov under gunicorn (the same server as production, fewer workers)."""

from __future__ import annotations

import os
import sys

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "启动 gridgov 网页与接口服务（gunicorn）"

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=os.environ.get("GRIDGOV_BIND", "127.0.0.1:8000"))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("GRIDGOV_WORKERS", "2")))
        parser.add_argument("--threads", type=int, default=int(os.environ.get("GRIDGOV_THREADS", "4")))

    def handle(self, *args, **options):
        self.stdout.write(f"gridgov 正在 http://{options['bind']} 提供服务（Ctrl-C 停止）")
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
        sys.stdout.flush()
        os.execv(sys.executable, argv)
