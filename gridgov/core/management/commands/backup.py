"""``gridgov backup FILE``: write the database and every uploaded file to one archive, while the server
runs. The figures are printed as one JSON line at the end; progress goes to stderr.
See ``gridgov.core.backup`` and docs/deploy.md ("Backup and restore")."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from gridgov.core.backup import backup_create


class Command(BaseCommand):
    @property
    def help(self) -> str:
        return _("把数据库和全部上传文件备份到一个文件（服务运行时也可以备份）")

    def add_arguments(self, parser):
        parser.add_argument("file", help=_("备份文件（.zip）"))
        parser.add_argument("--overwrite", action="store_true", help=_("覆盖已存在的同名备份文件"))
        parser.add_argument("--database", default="default", help=_("要备份的数据库别名（默认 default）"))

    def handle(self, *args, **options):
        result = backup_create(
            options["file"],
            using=options["database"],
            overwrite=options["overwrite"],
            progress=self._progress if options["verbosity"] >= 1 else None,
        )
        self.stdout.write(json.dumps(result, ensure_ascii=False))

    def _progress(self, phase: str, info: dict) -> None:
        if phase == "database":
            self.stderr.write(_("正在导出数据库（%(vendor)s）……") % info)
        elif phase == "files":
            self.stderr.write(_("数据库已导出：%(tables)s 张表，%(rows)s 行；正在复制上传文件……") % info)
