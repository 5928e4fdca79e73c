"""``gridgov import_ledger FILE --kind residents --area CODE [--valid-rows] [--user USERNAME]``: the same
import as the upload page, run here and now, with progress on stderr and a summary on stdout. Exit code
0 when imported, 1 when rejected (row errors) and 2 when the file cannot be processed."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from gridgov.accounts.models import User
from gridgov.core.errors import DomainError
from gridgov.ledger.imports import ledger_import_create, ledger_import_run
from gridgov.ledger.models import ImportJob


class Command(BaseCommand):
    help = "导入台账 Excel 文件（楼栋、户、居民、组织）"

    def add_arguments(self, parser):
        parser.add_argument("file", help=_(".xlsx 文件（用导入模板填写）"))
        parser.add_argument("--kind", required=True, choices=[k for k, _ in ImportJob.Kind.choices])
        parser.add_argument("--area", required=True, help=_("导入范围的区域编码（行中的网格、楼栋须在其内）"))
        parser.add_argument("--valid-rows", action="store_true", help=_("导入正确的行，退回错误的行"))
        parser.add_argument("--user", help=_("以该账号的身份和管辖范围导入（默认：系统，不限范围）"))
        parser.add_argument("--errors", type=int, default=20, help=_("列出的错误条数（默认 20）"))

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("文件不存在：%(path)s") % {"path": path})
        by = None
        if options["user"]:
            by = User.objects.filter(username=options["user"]).first()
            if by is None:
                raise CommandError(_("账号不存在：%(user)s") % {"user": options["user"]})
        mode = ImportJob.Mode.VALID_ROWS if options["valid_rows"] else ImportJob.Mode.ALL_OR_NOTHING
        try:
            job = ledger_import_create(
                by=by,
                kind=options["kind"],
                area=options["area"],
                file=path,
                filename=path.name,
                mode=mode,
                start=False,
            )
        except DomainError as exc:
            self.stderr.write(_("无法导入：%(message)s") % {"message": exc.message})
            sys.exit(2)
        ledger_import_run(job_id=job.pk, on_progress=self._progress)
        job.refresh_from_db()
        self._summary(job, options["errors"])
        if job.state == ImportJob.State.DONE:
            return
        sys.exit(1 if job.state == ImportJob.State.REJECTED else 2)

    def _progress(self, job: ImportJob) -> None:
        self.stderr.write(
            (_("已检查 %(rows_checked)s 行…") % {"rows_checked": job.rows_checked}), ending="\r"
        )
        self.stderr.flush()

    def _summary(self, job: ImportJob, limit: int) -> None:
        self.stderr.write("")
        out = self.stdout
        out.write(
            _("导入任务 %(pk)s：%(get_state_display)s（%(get_kind_display)s，范围 %(code)s）")
            % {
                "pk": job.pk,
                "get_state_display": job.get_state_display(),
                "get_kind_display": job.get_kind_display(),
                "code": job.area.code,
            }
        )
        out.write(
            _(
                "数据行 %(rows_total)s，新增 %(rows_created)s，更新 %(rows_updated)s，退回 %(rows_rejected)s，错误 %(error_count)s"
            )
            % {
                "rows_total": job.rows_total,
                "rows_created": job.rows_created,
                "rows_updated": job.rows_updated,
                "rows_rejected": job.rows_rejected,
                "error_count": job.error_count,
            }
        )
        if job.message:
            out.write(job.message)
        for e in job.errors[:limit]:
            out.write(
                _("  第 %(row)s 行 [%(column)s] %(value)s：%(reason)s")
                % {"row": e["row"], "column": e["column"], "value": f"{e['value']!r}", "reason": e["reason"]}
            )
        if job.error_count > limit:
            out.write(
                _("  ……共 %(error_count)s 处错误，完整报告见导入任务 %(pk)s")
                % {"error_count": job.error_count, "pk": job.pk}
            )
