"""``gridgov import_ledger FILE --kind residents --area CODE [--valid-rows] [--user USERNAME]``: the same
import as the upload page, run here and now, with progress on stderr and a summary on stdout. Exit code
0 when imported, 1 when rejected (row errors) and 2 when the file cannot be processed."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from gridgov.accounts.models import User
from gridgov.core.errors import DomainError
from gridgov.ledger.imports import ledger_import_create, ledger_import_run
from gridgov.ledger.models import ImportJob


class Command(BaseCommand):
    help = "导入台账 Excel 文件（楼栋、户、居民、组织）"

    def add_arguments(self, parser):
        parser.add_argument("file", help=".xlsx 文件（用导入模板填写）")
        parser.add_argument("--kind", required=True, choices=[k for k, _ in ImportJob.Kind.choices])
        parser.add_argument("--area", required=True, help="导入范围的区域编码（行中的网格、楼栋须在其内）")
        parser.add_argument("--valid-rows", action="store_true", help="导入正确的行，退回错误的行")
        parser.add_argument("--user", help="以该账号的身份和管辖范围导入（默认：系统，不限范围）")
        parser.add_argument("--errors", type=int, default=20, help="列出的错误条数（默认 20）")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"文件不存在：{path}")
        by = None
        if options["user"]:
            by = User.objects.filter(username=options["user"]).first()
            if by is None:
                raise CommandError(f"账号不存在：{options['user']}")
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
            self.stderr.write(f"无法导入：{exc.message}")
            sys.exit(2)
        ledger_import_run(job_id=job.pk, on_progress=self._progress)
        job.refresh_from_db()
        self._summary(job, options["errors"])
        if job.state == ImportJob.State.DONE:
            return
        sys.exit(1 if job.state == ImportJob.State.REJECTED else 2)

    def _progress(self, job: ImportJob) -> None:
        self.stderr.write(f"已检查 {job.rows_checked} 行…", ending="\r")
        self.stderr.flush()

    def _summary(self, job: ImportJob, limit: int) -> None:
        self.stderr.write("")
        out = self.stdout
        out.write(
            f"导入任务 {job.pk}：{job.get_state_display()}（{job.get_kind_display()}，范围 {job.area.code}）"
        )
        out.write(
            f"数据行 {job.rows_total}，新增 {job.rows_created}，更新 {job.rows_updated}，"
            f"退回 {job.rows_rejected}，错误 {job.error_count}"
        )
        if job.message:
            out.write(job.message)
        for e in job.errors[:limit]:
            out.write(f"  第 {e['row']} 行 [{e['column']}] {e['value']!r}：{e['reason']}")
        if job.error_count > limit:
            out.write(f"  ……共 {job.error_count} 处错误，完整报告见导入任务 {job.pk}")
