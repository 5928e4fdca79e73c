"""``gridgov refresh_figures [--since YYYY-MM-DD]``: recount the command centre's figures (docs/dashboards.md)
from a day on — after an import of past casework, or to rebuild them — and prints what was done as JSON."""

from __future__ import annotations

import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from gridgov.dashboards.actions import figures_refresh


class Command(BaseCommand):
    help = "重新统计指挥中心的每日数据（默认只统计尚未定稿的日期）"

    def add_arguments(self, parser):
        parser.add_argument("--since", help=_("从这一天起重新统计（如 2026-01-01）"))

    def handle(self, *args, **options):
        since = None
        if options["since"]:
            try:
                since = date.fromisoformat(options["since"])
            except ValueError as exc:
                raise CommandError(
                    _("--since：无法识别的日期「%(since)s」，请写作 2026-01-01") % {"since": options["since"]}
                ) from exc
        self.stdout.write(json.dumps(figures_refresh(since=since), ensure_ascii=False))
