"""``gridgov deliver_outbox``: send the outbox's due messages now (``--forever``: keep sending, as the
sender thread of ``gridgov serve`` does)."""

from __future__ import annotations

import json
import threading

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from gridgov.core.outbox import deliver_all, run_forever


class Command(BaseCommand):
    @property
    def help(self) -> str:  # argparse needs text, not a lazy message
        return _("发送待发消息（外部推送、邮件、短信）")

    def add_arguments(self, parser):
        parser.add_argument("--forever", action="store_true", help=_("持续发送，直到进程结束"))

    def handle(self, *args, **options):
        if options["forever"]:
            run_forever(threading.Event())
            return
        self.stdout.write(json.dumps(deliver_all()))
