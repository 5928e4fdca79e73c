"""``gridgov restore FILE [--force]``: restore a ``gridgov backup`` archive into an empty database and
MEDIA_ROOT, then run ``migrate``. Every member is checked before anything is written; ``--force``
replaces a database that already has tables. See ``gridgov.core.backup`` and docs/deploy.md."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from gridgov.core.backup import backup_restore


class Command(BaseCommand):
    @property
    def help(self) -> str:
        return _("从备份文件恢复数据库和上传文件到空数据库，然后运行 migrate")

    def add_arguments(self, parser):
        parser.add_argument("file", help=_("gridgov backup 写出的备份文件"))
        parser.add_argument(
            "--force",
            action="store_true",
            help=_("目标数据库已有数据表时也恢复：先清空它（与载入在同一事务中），并覆盖同名上传文件"),
        )
        parser.add_argument("--database", default="default", help=_("恢复到的数据库别名（默认 default）"))

    def handle(self, *args, **options):
        result = backup_restore(
            options["file"],
            using=options["database"],
            force=options["force"],
            progress=self._progress if options["verbosity"] >= 1 else None,
        )
        self.stdout.write(json.dumps(result, ensure_ascii=False))

    def _progress(self, phase: str, info: dict) -> None:
        messages = {
            "verify": _("正在核对备份文件的 %(members)s 个成员……"),
            "files": _("正在解出 %(files)s 个上传文件……"),
            "database": _("正在载入数据库（%(vendor)s）……"),
            "migrate": _("正在运行 migrate……"),
        }
        self.stderr.write(messages[phase] % info)
