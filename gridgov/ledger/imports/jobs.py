"""Ledger import jobs: create (store the upload, queue), start (Celery, a thread or inline), recover,
run (claim, check, write in one transaction) and the report files. The check and write engine is
:mod:`.engine`; the per-kind rules are :mod:`.importers`."""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Iterable
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts.models import User
from gridgov.areas.models import Area
from gridgov.core import audit
from gridgov.core.errors import DomainError, NotFound
from gridgov.core.scope import in_scope, is_staff, require_staff
from gridgov.ledger import excel
from gridgov.ledger.imports.engine import BATCH, Importer, media
from gridgov.ledger.imports.importers import IMPORTERS
from gridgov.ledger.models import ImportJob

log = logging.getLogger("gridgov.ledger.imports")

PROGRESS_EVERY = BATCH  # rows between two progress updates
ERRORS_KEPT = 500  # errors stored on the job; the downloadable report has them all
STALE_AFTER = timedelta(minutes=15)  # a running job without a heartbeat for this long is re-queued

State, Mode = ImportJob.State, ImportJob.Mode


def _in_scope(by: User | None, code: str) -> bool:
    return by is None or in_scope(by, code)  # by=None: the command line, run by the operator


# ---------------------------------------------------------------- create, start, recover


def ledger_import_create(
    *,
    by: User | None,
    kind: str,
    area: str,
    file,
    filename: str = "",
    mode: str = Mode.ALL_OR_NOTHING,
    start: bool = True,
) -> ImportJob:
    """Store an uploaded workbook and queue its job. ``file`` is an uploaded file (``chunks()``) or a path.
    Refusals: 403 not staff, 404 area not in scope, 400 bad kind/mode/file (the file is not kept).
    With ``start`` (the default) the job is handed to the job runner after the commit; the command line
    passes ``False`` and runs it itself."""
    if by is not None:  # None: the command line, run by the operator
        require_staff(by, _("只有工作人员可以导入台账"))
    excel.columns_for(kind)
    mode = mode or Mode.ALL_OR_NOTHING
    if mode not in Mode.values:
        raise DomainError(
            "invalid_mode",
            _("导入方式「%(mode)s」无效（可选：%(choices)s）")
            % {"mode": mode, "choices": "、".join(Mode.values)},
            "mode",
        )
    target = Area.objects.filter(code=(area or "").strip(), is_active=True).first()
    if target is None or not _in_scope(by, target.code):
        raise NotFound(field="area")
    filename = (filename or getattr(file, "name", "") or "upload.xlsx").replace("\\", "/").split("/")[-1]
    rel = f"imports/{timezone.localdate():%Y/%m}/{uuid.uuid4().hex}.xlsx"
    path = media(rel)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        _save(file, path)
        excel.check_file(path)
        with transaction.atomic():
            job = ImportJob.objects.create(
                kind=kind, mode=mode, area=target, filename=filename[:200], path=rel, created_by=by
            )
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    if not start:
        return job
    if _inline():
        ledger_import_run(job_id=job.pk)
        job.refresh_from_db()
    else:
        transaction.on_commit(lambda: ledger_import_start(job.pk))
    return job


def _save(file, path: Path) -> None:
    limit = excel.max_bytes()
    written = 0
    with path.open("wb") as out:
        if isinstance(file, (str, Path)):
            chunks: Iterable[bytes] = _file_chunks(Path(file))
        elif hasattr(file, "chunks"):
            chunks = file.chunks()
        else:
            chunks = iter(lambda: file.read(1 << 20), b"")
        for chunk in chunks:
            written += len(chunk)
            if written > limit:
                raise DomainError(
                    "file_too_large", _("文件过大（上限 %(mb)s MB）") % {"mb": limit // 1048576}, "file"
                )
            out.write(chunk)
    if written == 0:
        raise DomainError("empty_file", _("文件是空的"), "file")


def _file_chunks(path: Path):
    with path.open("rb") as fh:
        yield from iter(lambda: fh.read(1 << 20), b"")


def _inline() -> bool:
    return bool(getattr(settings, "LEDGER_JOBS_INLINE", False))


def ledger_import_start(job_id: int) -> None:
    """Hand a queued job to whatever runs jobs here: a Celery worker with Redis, else a daemon thread."""
    if _inline():
        ledger_import_run(job_id=job_id)
    elif settings.REDIS_URL:
        from gridgov.ledger.tasks import ledger_import_task

        ledger_import_task.delay(job_id)
    else:
        threading.Thread(
            target=_run_in_thread, args=(job_id,), daemon=True, name=f"ledger-import-{job_id}"
        ).start()


def _run_in_thread(job_id: int) -> None:
    try:
        ledger_import_run(job_id=job_id)
    except Exception:  # the job row already says failed; a thread has nobody else to tell
        log.exception("ledger import %s", job_id)
    finally:
        close_old_connections()
        connection.close()


def ledger_import_recover(*, now=None, stale_after: timedelta = STALE_AFTER) -> list[int]:
    """Re-queue jobs left running by a process that died (no heartbeat for ``stale_after``) and start every
    queued job. The import is one transaction, so running a job again is safe. Returns the started ids."""
    now = now or timezone.now()
    ImportJob.objects.filter(state=State.RUNNING, heartbeat_at__lt=now - stale_after).update(
        state=State.QUEUED, message=_("处理中断，已重新排队")
    )
    ids = list(ImportJob.objects.filter(state=State.QUEUED).order_by("id").values_list("id", flat=True))
    for job_id in ids:
        ledger_import_start(job_id)
    return ids


# ---------------------------------------------------------------- run


def ledger_import_run(*, job_id: int, on_progress: Callable[[ImportJob], None] | None = None):
    """Claim and run one queued job; returns the finished job, or ``None`` if another runner has it."""
    now = timezone.now()
    claimed = ImportJob.objects.filter(pk=job_id, state=State.QUEUED).update(
        state=State.RUNNING,
        started_at=now,
        heartbeat_at=now,
        finished_at=None,
        message="",
        rows_total=0,
        rows_checked=0,
        rows_created=0,
        rows_updated=0,
        rows_rejected=0,
        error_count=0,
        errors=[],
        rejected_path="",
    )
    if not claimed:
        return None
    job = ImportJob.objects.select_related("area", "created_by").get(pk=job_id)
    try:
        _execute(job, on_progress)
    except DomainError as exc:
        _finish(job, State.FAILED, message=exc.message[:300])
    except Exception:
        log.exception("ledger import %s failed", job_id)
        _finish(job, State.FAILED, message=_("处理文件时发生内部错误，已记录，请联系管理员"))
    return job


def _finish(job: ImportJob, state: str, message: str = "", **counts) -> None:
    job.state = state
    job.message = message
    job.finished_at = job.heartbeat_at = timezone.now()
    for name, value in counts.items():
        setattr(job, name, value)
    job.save()


def _execute(job: ImportJob, on_progress) -> None:
    by = job.created_by
    if by is not None and (not is_staff(by) or not _in_scope(by, job.area.code)):
        raise DomainError("forbidden", _("导入人已无权维护该范围的台账"))
    importer = IMPORTERS[job.kind](job, by)
    sheet = excel.open_sheet(media(job.path), job.kind)
    try:
        job.rows_total = sheet.declared_rows
        job.save(update_fields=["rows_total"])
        checked = 0
        for number, values in sheet.rows():
            importer.check_row(number, values)
            checked += 1
            if checked % PROGRESS_EVERY == 0:
                _progress(job, checked, on_progress)
    finally:
        sheet.close()
    importer.resolve()
    errors = importer.sorted_errors()
    rejected_rows = len(importer.rejected)
    job.rows_total = checked
    job.error_count = len(errors)
    job.errors = errors[:ERRORS_KEPT]
    job.rows_rejected = rejected_rows
    _progress(job, checked, on_progress)
    if errors:
        importer.fill_rejected(media(job.path))
        _write_reports(job, importer, errors)
    if checked == 0:
        _finish(job, State.FAILED, message=_("文件中没有数据行"))
        return
    if errors and (job.mode == Mode.ALL_OR_NOTHING or not importer.records):
        _finish(
            job,
            State.REJECTED,
            message=_("%(rows)s 行有错误（共 %(errors)s 处），未导入任何数据")
            % {"rows": rejected_rows, "errors": len(errors)},
        )
        return
    job.message = _("正在写入…")
    job.save(update_fields=["message", "rows_total", "error_count", "errors", "rows_rejected"])
    with transaction.atomic():
        outcome = importer.write()
        audit.record(
            actor=by,
            verb="ledger.import",
            obj=job,
            object_id=str(job.pk),
            after={
                "kind": job.kind,
                "mode": job.mode,
                "area": job.area.code,
                "file": job.filename,
                "rows": checked,
                "created": outcome.created,
                "updated": outcome.updated,
                "unchanged": outcome.unchanged,
                "rejected": rejected_rows,
            },
        )
    parts = [_("新增 %(n)s 条") % {"n": outcome.created}, _("更新 %(n)s 条") % {"n": outcome.updated}]
    if outcome.unchanged:
        parts.append(_("%(n)s 条无变化") % {"n": outcome.unchanged})
    if rejected_rows:
        parts.append(_("退回 %(n)s 行") % {"n": rejected_rows})
    _finish(
        job,
        State.DONE,
        message=_("，").join(parts),
        rows_created=outcome.created,
        rows_updated=outcome.updated,
    )
    if on_progress:
        on_progress(job)


def _progress(job: ImportJob, checked: int, on_progress) -> None:
    job.rows_checked = checked
    job.heartbeat_at = timezone.now()
    ImportJob.objects.filter(pk=job.pk).update(rows_checked=checked, heartbeat_at=job.heartbeat_at)
    if on_progress:
        on_progress(job)


def _write_reports(job: ImportJob, importer: Importer, errors: list[dict]) -> None:
    stem = job.path.removesuffix(".xlsx")
    media(f"{stem}.errors.xlsx").write_bytes(excel.error_report_bytes(errors))
    rel = f"{stem}.rejected.xlsx"
    media(rel).write_bytes(excel.rejected_rows_bytes(job.kind, importer.rejected_rows()))
    job.rejected_path = rel
    job.save(update_fields=["rejected_path"])


def error_report_path(job: ImportJob) -> Path | None:
    if not job.error_count:
        return None
    path = media(job.path.removesuffix(".xlsx") + ".errors.xlsx")
    return path if path.exists() else None


def rejected_rows_path(job: ImportJob) -> Path | None:
    path = media(job.rejected_path) if job.rejected_path else None
    return path if path is not None and path.exists() else None
