"""``gridgov sla_sweep [--at ISO-TIME]``: run one deadline sweep of every workflow as of now or of
the given time; prints one JSON object with a result per workflow."""

from __future__ import annotations

import json
from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.core.deadlines import run_sweeps


class Command(BaseCommand):
    help = "执行一次时限巡查：事件（预警、超时、自动升级、报到检查）以及服务单、心愿、志愿任务等各流程"

    def add_arguments(self, parser):
        parser.add_argument("--at", help=_("按此时间巡查（ISO 8601，如 2026-11-23T10:00:00+08:00）"))

    def handle(self, *args, **options):
        at = None
        if options["at"]:
            try:
                at = datetime.fromisoformat(options["at"])
            except ValueError as exc:
                raise CommandError(
                    _("--at：无法识别的时间「%(at)s」，请用 ISO 8601 格式") % {"at": options["at"]}
                ) from exc
            if timezone.is_naive(at):
                at = timezone.make_aware(at)
        self.stdout.write(json.dumps(run_sweeps(at), ensure_ascii=False))
