"""``gridgov import_history FILE [--on-unmapped refuse|skip] [--map "old name=category_code" ...] [--area
CODE]``: the history import of the upload page, run here and now as the operator (no scope limit), with
the outcome on stdout. Exit code 0 when imported, 1 when rejected, 2 when the file cannot be processed."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from gridgov.assist import history
from gridgov.assist.models import HistoryImport
from gridgov.core.errors import DomainError


class Command(BaseCommand):
    @property
    def help(self):
        return _("导入原系统的历史工单（.xlsx 或 .csv），作为已结案的历史工单")

    def add_arguments(self, parser):
        parser.add_argument("file", help=_(".xlsx 或 .csv 文件"))
        parser.add_argument(
            "--on-unmapped",
            choices=HistoryImport.OnUnmapped.values,
            default=HistoryImport.OnUnmapped.REFUSE,
            help=_("有错误的行或未对应的分类：refuse 全部不导入（默认），skip 跳过这些行"),
        )
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="OLD=CODE",
            help=_("原分类名称=事项分类代码（可多次；代码留空表示不导入该分类），保存为对应关系"),
        )
        parser.add_argument("--area", help=_("导入范围的区域编码（默认：唯一的区）"))
        parser.add_argument("--errors", type=int, default=20, help=_("列出的错误条数（默认 20）"))

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("文件不存在：%(path)s") % {"path": path})
        try:
            for item in options["map"]:
                name, sep, code = item.partition("=")
                if not sep or not name.strip():
                    raise CommandError(_("--map 应为「原分类名称=分类代码」：%(item)s") % {"item": item})
                history.alias_set(by=None, kind="category", name=name, target=code.strip() or None)
            job = history.history_import_create(
                by=None,
                file=path,
                filename=path.name,
                on_unmapped=options["on_unmapped"],
                area=options["area"],
                start=False,
            )
        except DomainError as exc:
            self.stderr.write(_("无法导入：%(message)s") % {"message": exc.message})
            sys.exit(2)
        history.history_import_run(job.pk, on_progress=self._progress)
        job.refresh_from_db()
        self._summary(job, options["errors"])
        if job.state != HistoryImport.State.DONE:
            sys.exit(1 if job.state == HistoryImport.State.REJECTED else 2)

    def _progress(self, job: HistoryImport) -> None:
        self.stderr.write(_("已检查 %(rows)s 行…") % {"rows": job.rows_total}, ending="\r")
        self.stderr.flush()

    def _summary(self, job: HistoryImport, limit: int) -> None:
        out = self.stdout
        out.write(_("历史工单导入 %(pk)s：%(state)s") % {"pk": job.pk, "state": job.get_state_display()})
        out.write(
            _("数据行 %(total)s，新增 %(created)s，已导入过 %(existing)s，跳过 %(skipped)s，错误 %(errors)s")
            % {
                "total": job.rows_total,
                "created": job.rows_created,
                "existing": job.rows_existing,
                "skipped": job.rows_skipped,
                "errors": job.error_count,
            }
        )
        if job.message:
            out.write(job.message)
        for key, label in (("categories", _("未对应的分类")), ("units", _("未对应的单位"))):
            names = (job.unmapped or {}).get(key) or {}
            if names:
                out.write(label + _("：") + _("，").join(f"{n} ({c})" for n, c in names.items()))
        for e in job.errors[:limit]:
            out.write(
                _("  第 %(row)s 行 [%(column)s] %(value)s：%(reason)s")
                % {"row": e["row"], "column": e["column"], "value": f"{e['value']!r}", "reason": e["reason"]}
            )
        if job.error_count > limit:
            out.write(_("  ……共 %(count)s 处错误") % {"count": job.error_count})
