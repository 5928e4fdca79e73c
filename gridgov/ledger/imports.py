"""Ledger import (台账导入): the actions behind the upload page, ``POST /api/v1/imports``, the background job
and ``gridgov import_ledger``.

:func:`ledger_import_create` stores the upload (checked by content, see :mod:`gridgov.ledger.excel`) and
queues an :class:`ImportJob`; :func:`ledger_import_run` claims the job atomically (``UPDATE … WHERE
state = 'queued'``, so a second start does nothing) and runs it in two phases:

1. **Check** every row in one streaming pass: the field rules of :mod:`gridgov.ledger.rules`, then the
   cross-row rules (references must exist inside the job's area, duplicate keys within the file, tags must
   be active and fit the target) against maps preloaded once. Valid rows are kept as compact records;
   invalid ones as (row, column, value, reason) errors. Progress is written every batch.
2. **Write** in one transaction with ``bulk_create`` and a set-based ``UPDATE … FROM (VALUES …)`` in
   batches. Nothing is written when the mode is all-or-nothing and any row failed.

Re-importing updates, never duplicates: residents are matched by the keyed hash of their ID number (under
every configured key, so it works during a key rotation), else by (household, name); buildings by code;
households by (building, unit, room); organisations by credit code, else by (name, grid). A blank cell
never overwrites a stored value. Tags in the file are added, never removed. One audit entry per job.
"""

from __future__ import annotations

import logging
import threading
import uuid
from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from gridgov.areas.models import Area, Level
from gridgov.core import audit
from gridgov.core.crypto import blind_index, blind_indexes, mask_id_number, mask_phone
from gridgov.core.errors import DomainError, NotFound
from gridgov.core.scope import in_scope, is_staff
from gridgov.ledger import excel, rules
from gridgov.ledger.models import (
    Building,
    FocusTag,
    Household,
    ImportJob,
    Organisation,
    Resident,
    TagAssignment,
)

log = logging.getLogger("gridgov.ledger.imports")

BATCH = 2_000  # rows per progress update, per bulk statement
ERRORS_KEPT = 500  # errors stored on the job; the downloadable report has them all
STALE_AFTER = timedelta(minutes=15)  # a running job without a heartbeat for this long is re-queued
DEFAULT_TAG_REASON = "台账导入"

State, Mode = ImportJob.State, ImportJob.Mode


def _require_importer(by) -> None:
    if by is not None and not is_staff(by):
        raise DomainError("forbidden", "只有工作人员可以导入台账", status=403)


def _in_scope(by, code: str) -> bool:
    return by is None or in_scope(by, code)  # by=None: the command line, run by the operator


def _media(rel: str) -> Path:
    return Path(settings.MEDIA_ROOT) / rel


# ---------------------------------------------------------------- create, start, recover


def ledger_import_create(
    *,
    by,
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
    _require_importer(by)
    excel.columns_for(kind)
    mode = mode or Mode.ALL_OR_NOTHING
    if mode not in Mode.values:
        raise DomainError("invalid_mode", f"导入方式「{mode}」无效（可选：{'、'.join(Mode.values)}）", "mode")
    target = Area.objects.filter(code=(area or "").strip(), is_active=True).first()
    if target is None or not _in_scope(by, target.code):
        raise NotFound(field="area")
    filename = (filename or getattr(file, "name", "") or "upload.xlsx").replace("\\", "/").split("/")[-1]
    rel = f"imports/{timezone.localdate():%Y/%m}/{uuid.uuid4().hex}.xlsx"
    path = _media(rel)
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
                raise DomainError("file_too_large", f"文件过大（上限 {limit // 1048576} MB）", "file")
            out.write(chunk)
    if written == 0:
        raise DomainError("empty_file", "文件是空的", "file")


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
        state=State.QUEUED, message="处理中断，已重新排队"
    )
    ids = list(ImportJob.objects.filter(state=State.QUEUED).order_by("id").values_list("id", flat=True))
    for job_id in ids:
        ledger_import_start(job_id)
    return ids


# ---------------------------------------------------------------- run


@dataclass
class Outcome:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


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
        _finish(job, State.FAILED, message="处理文件时发生内部错误，已记录，请联系管理员")
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
        raise DomainError("forbidden", "导入人已无权维护该范围的台账")
    importer = IMPORTERS[job.kind](job, by)
    sheet = excel.open_sheet(_media(job.path), job.kind)
    try:
        job.rows_total = sheet.declared_rows
        job.save(update_fields=["rows_total"])
        checked = 0
        for number, values in sheet.rows():
            importer.check_row(number, values)
            checked += 1
            if checked % BATCH == 0:
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
        importer.fill_rejected(_media(job.path))
        _write_reports(job, importer, errors)
    if checked == 0:
        _finish(job, State.FAILED, message="文件中没有数据行")
        return
    if errors and (job.mode == Mode.ALL_OR_NOTHING or not importer.records):
        _finish(
            job,
            State.REJECTED,
            message=f"{rejected_rows} 行有错误（共 {len(errors)} 处），未导入任何数据",
        )
        return
    job.message = "正在写入…"
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
    parts = [f"新增 {outcome.created} 条", f"更新 {outcome.updated} 条"]
    if outcome.unchanged:
        parts.append(f"{outcome.unchanged} 条无变化")
    if rejected_rows:
        parts.append(f"退回 {rejected_rows} 行")
    _finish(
        job, State.DONE, message="，".join(parts), rows_created=outcome.created, rows_updated=outcome.updated
    )
    if on_progress:
        on_progress(job)


def _progress(job: ImportJob, checked: int, on_progress) -> None:
    job.rows_checked = checked
    job.heartbeat_at = timezone.now()
    ImportJob.objects.filter(pk=job.pk).update(rows_checked=checked, heartbeat_at=job.heartbeat_at)
    if on_progress:
        on_progress(job)


def _write_reports(job: ImportJob, importer: _Importer, errors: list[dict]) -> None:
    stem = job.path.removesuffix(".xlsx")
    _media(f"{stem}.errors.xlsx").write_bytes(excel.error_report_bytes(errors))
    rel = f"{stem}.rejected.xlsx"
    _media(rel).write_bytes(excel.rejected_rows_bytes(job.kind, importer.rejected_rows()))
    job.rejected_path = rel
    job.save(update_fields=["rejected_path"])


def error_report_path(job: ImportJob) -> Path | None:
    if not job.error_count:
        return None
    path = _media(job.path.removesuffix(".xlsx") + ".errors.xlsx")
    return path if path.exists() else None


def rejected_rows_path(job: ImportJob) -> Path | None:
    path = _media(job.rejected_path) if job.rejected_path else None
    return path if path is not None and path.exists() else None


# ---------------------------------------------------------------- importers


@dataclass
class _Importer(ABC):
    """Checks rows one by one against preloaded maps, then writes the valid records."""

    job: ImportJob
    by: Any
    kind = ""
    columns: list[rules.Column] = field(init=False)
    records: list = field(default_factory=list)
    errors: list[tuple[int, str, Any, str]] = field(default_factory=list)
    rejected: dict[int, tuple | None] = field(default_factory=dict)  # row number → raw values

    def __post_init__(self) -> None:
        self.columns = rules.COLUMNS[self.kind]
        self.headers = {c.name: c.header for c in self.columns}
        self.names = [c.name for c in self.columns]
        self.area = self.job.area
        self.prefix = self.area.code
        self.today = timezone.localdate()
        self.now = timezone.now()
        self.preload()

    def preload(self) -> None:  # noqa: B027 - an optional hook: kinds that need maps of the area load them here
        """Load the maps a kind checks its rows against (none by default)."""

    # -- phase 1

    def check_row(self, number: int, values: tuple) -> None:
        """Every field rule of :mod:`gridgov.ledger.rules` (as ``rules.clean_row``, inlined: this runs
        once per row of files of 100,000 rows), then the kind's cross-row checks."""
        cleaned: dict[str, Any] = {}
        bad: list[tuple[str, Any, str]] = []
        for col, value in zip(self.columns, values, strict=True):
            name = col.name
            if value is None or (value.__class__ is str and not value.strip()):
                if col.required:
                    bad.append((name, value, "必填"))
                elif col.choices is None:
                    cleaned[name] = col.clean(value, name)
                continue  # an empty choice: the model default applies
            if value.__class__ is str:
                if len(value) > excel.MAX_CELL:
                    bad.append((name, value, f"内容过长（{len(value)} 字，单元格上限 {excel.MAX_CELL} 字）"))
                    continue
                if value[0] == "=" and len(value) > 1:
                    bad.append((name, value, "不能使用公式，请改为填写数值"))
                    continue
            try:
                cleaned[name] = col.clean(value, name)
            except DomainError as exc:
                bad.append((name, value, exc.message))
        if not bad:
            record = self.check(number, cleaned, bad)
            if record is not None and not bad:
                self.records.append(record)
                return
        self.reject(number, values, bad)

    def reject(self, number: int, values: tuple, bad: list[tuple[str, Any, str]]) -> None:
        for name, value, reason in bad:
            self.errors.append((number, self.headers.get(name, name), value, reason))
        self.rejected[number] = values

    @abstractmethod
    def check(self, number: int, cleaned: dict, bad: list) -> Any:
        """The kind's own checks of one cleaned row; returns its compact record, or adds to ``bad``."""

    def error(self, bad: list, name: str, value: Any, reason: str) -> None:
        bad.append((name, value, reason))

    def tag_ids(self, cleaned: dict, bad: list, *, for_resident: bool) -> tuple[int, ...]:
        value = cleaned.get("tags") or ""
        if not value:
            return ()
        ids = []
        for name in rules.split_tags(value):
            tag = self.tags.get(name)
            if tag is None:
                self.error(bad, "tags", value, f"标签「{name}」不存在或已停用")
                continue
            wanted = FocusTag.AppliesTo.RESIDENT if for_resident else FocusTag.AppliesTo.HOUSEHOLD
            if tag.applies_to not in (wanted, FocusTag.AppliesTo.BOTH):
                self.error(
                    bad, "tags", value, f"标签「{tag.name}」不能用于{'居民' if for_resident else '户'}"
                )
                continue
            ids.append(tag.pk)
        return tuple(dict.fromkeys(ids))

    def load_tags(self) -> None:
        self.tags: dict[str, FocusTag] = {}
        for tag in FocusTag.objects.filter(is_active=True):
            self.tags[tag.code] = tag
            self.tags[tag.name] = tag

    def outside(self, what: str) -> str:
        return f"{what}不存在或不在导入范围「{self.area.name}」（{self.area.code}）内"

    # -- phase 1½: checks needing the database for the whole file

    def resolve(self) -> None:  # noqa: B027 - an optional hook: kinds with whole-file checks override it
        """Checks that need the whole file, such as duplicates across rows (none by default)."""

    def drop(self, record, name: str, value: Any, reason: str) -> None:
        """Move a kept record to the rejected rows (found by a check on the whole file)."""
        self.errors.append((record.row, self.headers[name], value, reason))
        self.rejected[record.row] = None  # its cells are read again for the rejected-rows file
        record.row = -1

    def sorted_errors(self) -> list[dict]:
        if any(r.row == -1 for r in self.records):
            self.records = [r for r in self.records if r.row != -1]
        self.errors.sort(key=lambda e: e[0])
        return [
            {"row": n, "column": col, "value": excel.report_value(v), "reason": reason}
            for n, col, v, reason in self.errors
        ]

    def fill_rejected(self, path: Path) -> None:
        """Read again the cells of rows rejected after the first pass (valid rows keep no raw cells)."""
        wanted = {n for n, v in self.rejected.items() if v is None}
        if not wanted:
            return
        sheet = excel.open_sheet(path, self.kind)
        try:
            for number, values in sheet.rows():
                if number in wanted:
                    self.rejected[number] = values
        finally:
            sheet.close()

    def rejected_rows(self) -> list[tuple[int, tuple, str]]:
        reasons: dict[int, list[str]] = defaultdict(list)
        for n, col, _v, reason in self.errors:
            reasons[n].append(f"{col}：{reason}")
        return [(n, values, "；".join(reasons[n])) for n, values in sorted(self.rejected.items())]

    # -- phase 2

    @abstractmethod
    def write(self) -> Outcome:
        """Phase 2: create and update the kind's rows from the kept records, in the job's transaction."""

    def add_tags(self, pairs: list[tuple[int, int, str, str]], target: str) -> None:
        """``(tag id, target id, area code, reason)``: added where missing, never removed."""
        objs = [
            TagAssignment(
                tag_id=tag_id,
                **{f"{target}_id": target_id},
                area_code=code,
                reason=(reason or DEFAULT_TAG_REASON)[:200],
                since=self.today,
                by=self.by,
            )
            for tag_id, target_id, code, reason in pairs
        ]
        for chunk in _chunks(objs, BATCH):
            TagAssignment.objects.bulk_create(chunk, ignore_conflicts=True)


def _chunks(items: list, size: int):
    for i in range(0, len(items), size):
        yield items[i : i + size]


def fast_update(model, rows: list[dict], fields: list[str]) -> int:
    """Update many rows in one statement per batch: ``UPDATE t SET f = v.f … FROM (VALUES …) v WHERE
    t.id = v.id`` (PostgreSQL, and SQLite ≥ 3.33). ``rows`` are dicts with ``id`` and every name in
    ``fields``; values pass through each field's ``get_db_prep_save`` (so encrypted fields are encrypted)."""
    if not rows:
        return 0
    opts = model._meta
    table = connection.ops.quote_name(opts.db_table)
    model_fields = [opts.get_field(name) for name in fields]
    columns = [f.column for f in model_fields]
    pg = connection.vendor == "postgresql"
    qn = connection.ops.quote_name
    sets = []
    for f, col in zip(model_fields, columns, strict=True):
        source = f"v.{qn(col)}"
        if pg:
            source = f"CAST({source} AS {f.db_type(connection)})"
        sets.append(f"{qn(col)} = {source}")
    width = len(fields) + 1
    batch = max(1, min(BATCH, 30_000 // width))
    if pg:
        alias = "v(" + ", ".join([qn("id")] + [qn(c) for c in columns]) + ")"
        key = f"CAST(v.{qn('id')} AS bigint)"
    else:  # SQLite names the columns of VALUES column1, column2, …
        alias = "v"
        sets = [f"{qn(c)} = v.column{i + 2}" for i, c in enumerate(columns)]
        key = "v.column1"
    placeholder = "(" + ", ".join(["%s"] * width) + ")"
    for chunk in _chunks(rows, batch):
        params: list[Any] = []
        for row in chunk:
            params.append(row["id"])
            for f in model_fields:
                params.append(f.get_db_prep_save(row[f.name], connection))
        sql = (
            f"UPDATE {table} SET {', '.join(sets)} FROM (VALUES {', '.join([placeholder] * len(chunk))}) "
            f"AS {alias} WHERE {table}.{qn(opts.pk.column)} = {key}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
    return len(rows)


def fast_insert(model, rows: list[dict]) -> list[int]:
    """Insert ``rows`` (dicts of attribute names; missing ones take the field default) and return their
    ids in order. On PostgreSQL one ``INSERT … SELECT * FROM UNNEST(…) RETURNING id`` per batch, built
    here without model instances (the import's hot path; encrypted fields are encrypted with
    :func:`gridgov.core.crypto.encrypt`, as the field would); elsewhere Django's ``bulk_create``."""
    if not rows:
        return []
    opts = model._meta
    fields = [f for f in opts.concrete_fields if not f.primary_key]
    now = timezone.now()
    if connection.vendor != "postgresql":
        objs = [model(**row) for row in rows]
        model.objects.bulk_create(objs)
        return [o.pk for o in objs]
    from gridgov.core.crypto import EncryptedTextField, encrypt

    qn = connection.ops.quote_name
    defaults = {}
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            defaults[f.attname] = now
        else:
            defaults[f.attname] = f.get_default()
    columns: list[list] = [[] for _ in fields]
    for row in rows:
        for i, f in enumerate(fields):
            columns[i].append(row.get(f.attname, defaults[f.attname]))
    for i, f in enumerate(fields):
        if isinstance(f, EncryptedTextField):
            columns[i] = [encrypt(v) if v else v for v in columns[i]]
    casts = ", ".join(f"%s::{f.db_type(connection)}[]" for f in fields)
    sql = (
        f"INSERT INTO {qn(opts.db_table)} ({', '.join(qn(f.column) for f in fields)}) "
        f"SELECT * FROM UNNEST({casts}) RETURNING {qn(opts.pk.column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, columns)
        return [r[0] for r in cursor.fetchall()]


def _grids(prefix: str) -> dict[str, Area]:
    return {
        a.code: a
        for a in Area.objects.filter(
            code__startswith=prefix, is_active=True, level__in=(Level.GRID, Level.MICROGRID)
        ).only("id", "code", "name")
    }


def _buildings(prefix: str) -> dict[str, tuple[int, str]]:
    return {
        code: (pk, area_code)
        for pk, code, area_code in Building.objects.filter(
            area_code__startswith=prefix, is_active=True
        ).values_list("id", "code", "area_code")
    }


def _households(prefix: str) -> dict[tuple[int, str, str], int]:
    return {
        (b, u, r): pk
        for pk, b, u, r in Household.objects.filter(area_code__startswith=prefix).values_list(
            "id", "building_id", "unit", "room"
        )
    }


def _set(changes: dict, existing: dict, name: str, value: Any) -> None:
    """A provided value that differs from the stored one (blank cells never overwrite)."""
    if value is None or value == "":
        return
    if existing.get(name) != value:
        changes[name] = value


def _apply(model, updates: list[tuple[int, dict]], now) -> int:
    """Group updates by the set of changed fields and run :func:`fast_update` per group."""
    groups: dict[tuple[str, ...], list[dict]] = defaultdict(list)
    for pk, changes in updates:
        names = tuple(sorted(changes))
        groups[names].append({"id": pk, **changes, "updated_at": now})
    for names, rows in groups.items():
        fast_update(model, rows, [*names, "updated_at"])
    return len(updates)


# ---------------------------------------------------------------- residents


@dataclass(slots=True)
class ResidentRecord:
    row: int
    building_id: int
    area_code: str
    unit: str
    room: str
    data: dict
    id_value: str
    phone: str
    tags: tuple[int, ...]
    tag_reason: str
    pk: int | None = None
    household_id: int | None = None
    id_hash: str = ""


RESIDENT_PLAIN = ("name", "relation", "residence_type", "ethnicity", "political_status", "workplace", "note")


class ResidentImporter(_Importer):
    kind = "residents"

    def preload(self) -> None:
        self.buildings = _buildings(self.prefix)
        self.households = _households(self.prefix)
        self.load_tags()
        self.seen_ids: dict[str, int] = {}
        self.seen_names: dict[tuple, int] = {}

    def check(self, number: int, c: dict, bad: list):
        code = c["building"]
        building = self.buildings.get(code)
        if building is None:
            self.error(bad, "building", code, self.outside(f"楼栋「{code}」"))
            return None
        idv = c.get("id_number")
        id_value = idv.value if idv else ""
        if id_value:
            first = self.seen_ids.setdefault(id_value, number)
            if first != number:
                self.error(bad, "id_number", mask_id_number(id_value), f"与第 {first} 行的身份证号重复")
        else:
            key = (building[0], c.get("unit", ""), c["room"], c["name"])
            first = self.seen_names.setdefault(key, number)
            if first != number:
                self.error(bad, "name", c["name"], f"与第 {first} 行重复（同一户、同名且都没有身份证号）")
        tags = self.tag_ids(c, bad, for_resident=True)
        data = {name: c[name] for name in RESIDENT_PLAIN if name in c}
        if idv:
            data["birth_date"], data["gender"] = idv.birth_date, idv.gender
        return ResidentRecord(
            number,
            building[0],
            building[1],
            c.get("unit", ""),
            c["room"],
            data,
            id_value,
            c.get("phone") or "",
            tags,
            c.get("tag_reason", ""),
        )

    def resolve(self) -> None:
        """Match every record to a stored resident (ID hash under every key, else household + name) and
        refuse ID numbers registered outside the job's area."""
        self.existing: dict[int, dict] = {}
        fields = ("id", "area_code", "household_id", "id_number_hash", "phone_hash", *RESIDENT_PLAIN)
        fields += ("birth_date", "gender")
        with_id = [r for r in self.records if r.id_value]
        for chunk in _chunks(with_id, 1_000):
            by_hash: dict[str, ResidentRecord] = {}
            for r in chunk:
                hashes = blind_indexes(r.id_value)
                r.id_hash = hashes[0]  # under the newest key: what is stored
                for h in hashes:
                    by_hash[h] = r
            # The exclude repeats the partial unique index's condition so PostgreSQL can use that index
            # (it cannot infer it from an IN list of more than 100 values).
            found = Resident.objects.filter(id_number_hash__in=list(by_hash)).exclude(id_number_hash="")
            for row in found.values(*fields):
                r = by_hash[row["id_number_hash"]]
                if not row["area_code"].startswith(self.prefix):
                    self.drop(
                        r,
                        "id_number",
                        mask_id_number(r.id_value),
                        f"该身份证号已登记在导入范围「{self.area.name}」之外，请先由原辖区办理迁出或迁移",
                    )
                    continue
                r.pk = row["id"]
                self.existing[row["id"]] = row
        # Residents stored without an ID number are matched by household and name.
        pending = [r for r in self.records if r.pk is None and r.row != -1]
        if pending:
            no_id: dict[tuple[int, str], dict] = {}
            rows = Resident.objects.filter(area_code__startswith=self.prefix, id_number_hash="").values(
                *fields
            )
            for row in rows.iterator(chunk_size=BATCH):
                no_id.setdefault((row["household_id"], row["name"]), row)
            claimed: set[int] = set(self.existing)
            for r in pending:
                hh = self.households.get((r.building_id, r.unit, r.room))
                row = no_id.get((hh, r.data["name"])) if hh else None
                if row is not None and row["id"] not in claimed:
                    claimed.add(row["id"])
                    r.pk = row["id"]
                    self.existing[row["id"]] = row

    def write(self) -> Outcome:
        out = Outcome()
        # Households first ("enter once": a resident's room becomes a household if it is not one yet).
        new_households: dict[tuple[int, str, str], dict] = {}
        for r in self.records:
            key = (r.building_id, r.unit, r.room)
            if key not in self.households and key not in new_households:
                new_households[key] = {
                    "building_id": r.building_id,
                    "unit": r.unit,
                    "room": r.room,
                    "area_code": r.area_code,
                }
        keys = list(new_households)
        for part in _chunks(keys, BATCH):
            ids = fast_insert(Household, [new_households[k] for k in part])
            self.households.update(zip(part, ids, strict=True))
        touched: set[int] = set()
        moved: dict[str, list[int]] = defaultdict(list)
        # Batch by batch, so at most BATCH model instances and pending updates exist at a time.
        for chunk in _chunks(self.records, BATCH):
            creates: list[tuple[ResidentRecord, dict]] = []
            updates: list[tuple[int, dict]] = []
            for r in chunk:
                r.household_id = self.households[(r.building_id, r.unit, r.room)]
                touched.add(r.household_id)
                id_hash = r.id_hash
                phone_hash = blind_index(r.phone) if r.phone else ""
                if r.pk is None:
                    data = dict(r.data)
                    if r.id_value:
                        data.update(
                            id_number=r.id_value,
                            id_number_hash=id_hash,
                            id_number_masked=mask_id_number(r.id_value),
                        )
                    if r.phone:
                        data.update(phone=r.phone, phone_hash=phone_hash, phone_masked=mask_phone(r.phone))
                    data.update(household_id=r.household_id, area_code=r.area_code)
                    creates.append((r, data))
                    continue
                old = self.existing[r.pk]
                changes: dict[str, Any] = {}
                for name, value in r.data.items():
                    _set(changes, old, name, value)
                if r.household_id != old["household_id"]:
                    changes.update(household_id=r.household_id, area_code=r.area_code)
                    if r.area_code != old["area_code"]:
                        moved[r.area_code].append(r.pk)
                if r.id_value and old["id_number_hash"] != id_hash:
                    changes.update(
                        id_number=r.id_value,
                        id_number_hash=id_hash,
                        id_number_masked=mask_id_number(r.id_value),
                    )
                if r.phone and old["phone_hash"] != phone_hash:
                    changes.update(phone=r.phone, phone_hash=phone_hash, phone_masked=mask_phone(r.phone))
                if changes:
                    updates.append((r.pk, changes))
                else:
                    out.unchanged += 1
            if creates:
                ids = fast_insert(Resident, [data for _r, data in creates])
                for (r, _data), pk in zip(creates, ids, strict=True):
                    r.pk = pk
                out.created += len(creates)
            out.updated += _apply(Resident, updates, self.now)
            self.add_tags([(t, r.pk, r.area_code, r.tag_reason) for r in chunk for t in r.tags], "resident")
        for code, pks in moved.items():
            for part in _chunks(pks, BATCH):
                TagAssignment.objects.filter(resident_id__in=part).update(area_code=code)
        # A household without a head takes the member marked 户主.
        head = (
            Resident.objects.filter(household=OuterRef("pk"), relation=Resident.Relation.HEAD, is_active=True)
            .order_by("id")
            .values("id")[:1]
        )
        for chunk in _chunks(sorted(touched), BATCH):
            Household.objects.filter(pk__in=chunk, head__isnull=True).update(head=Subquery(head))
        return out


# ---------------------------------------------------------------- buildings


@dataclass(slots=True)
class Record:
    row: int
    key: Any
    data: dict
    tags: tuple[int, ...] = ()
    tag_reason: str = ""
    pk: int | None = None
    area_code: str = ""
    phone: str = ""


BUILDING_PLAIN = ("name", "address", "kind", "units", "floors", "lng", "lat", "note")


class BuildingImporter(_Importer):
    kind = "buildings"

    def preload(self) -> None:
        self.grids = _grids(self.prefix)
        self.seen: dict[str, int] = {}

    def check(self, number: int, c: dict, bad: list):
        grid = self.grids.get(c["grid"])
        if grid is None:
            self.error(bad, "grid", c["grid"], self.outside(f"网格「{c['grid']}」"))
        first = self.seen.setdefault(c["code"], number)
        if first != number:
            self.error(bad, "code", c["code"], f"与第 {first} 行的楼栋编码重复")
        if bad:
            return None
        data = {n: c[n] for n in BUILDING_PLAIN if n in c}
        data["area_id"] = grid.pk
        return Record(number, c["code"], data, area_code=grid.code)

    def resolve(self) -> None:
        self.existing: dict[int, dict] = {}
        fields = ("id", "code", "area_id", "area_code", *BUILDING_PLAIN)
        by_code = {r.key: r for r in self.records}
        for chunk in _chunks(list(by_code), BATCH):
            for row in Building.objects.filter(code__in=chunk).values(*fields):
                r = by_code[row["code"]]
                if not row["area_code"].startswith(self.prefix):
                    self.drop(r, "code", r.key, f"楼栋编码已被导入范围「{self.area.name}」之外的楼栋使用")
                    continue
                r.pk = row["id"]
                self.existing[row["id"]] = row

    def write(self) -> Outcome:
        out = Outcome()
        creates, updates, regridded = [], [], []
        for r in self.records:
            if r.pk is None:
                data = {k: v for k, v in r.data.items() if v is not None}
                creates.append(Building(code=r.key, area_code=r.area_code, **data))
                continue
            old = self.existing[r.pk]
            changes: dict[str, Any] = {}
            for name, value in r.data.items():
                _set(changes, old, name, value)
            if "area_id" in changes:
                changes["area_code"] = r.area_code
                regridded.append((r.pk, r.area_code))
            if changes:
                updates.append((r.pk, changes))
            else:
                out.unchanged += 1
        for chunk in _chunks(creates, BATCH):
            Building.objects.bulk_create(chunk)
        out.created = len(creates)
        out.updated = _apply(Building, updates, self.now)
        for pk, code in regridded:  # the building moved to another grid: its people move with it
            Household.objects.filter(building_id=pk).update(area_code=code)
            Resident.objects.filter(household__building_id=pk).update(area_code=code)
            TagAssignment.objects.filter(household__building_id=pk).update(area_code=code)
            TagAssignment.objects.filter(resident__household__building_id=pk).update(area_code=code)
        return out


# ---------------------------------------------------------------- households


class HouseholdImporter(_Importer):
    kind = "households"

    def preload(self) -> None:
        self.buildings = _buildings(self.prefix)
        self.households = _households(self.prefix)
        self.load_tags()
        self.seen: dict[tuple, int] = {}

    def check(self, number: int, c: dict, bad: list):
        building = self.buildings.get(c["building"])
        if building is None:
            self.error(bad, "building", c["building"], self.outside(f"楼栋「{c['building']}」"))
            return None
        key = (building[0], c.get("unit", ""), c["room"])
        first = self.seen.setdefault(key, number)
        if first != number:
            self.error(bad, "room", c["room"], f"与第 {first} 行是同一户（楼栋、单元、室号相同）")
        tags = self.tag_ids(c, bad, for_resident=False)
        data = {n: c[n] for n in ("occupancy", "note") if n in c}
        record = Record(number, key, data, tags, c.get("tag_reason", ""), area_code=building[1])
        record.pk = self.households.get(key)
        return record

    def resolve(self) -> None:
        ids = [r.pk for r in self.records if r.pk]
        self.existing = {}
        for chunk in _chunks(ids, BATCH):
            for row in Household.objects.filter(pk__in=chunk).values("id", "occupancy", "note"):
                self.existing[row["id"]] = row

    def write(self) -> Outcome:
        out = Outcome()
        creates, updates = [], []
        for r in self.records:
            if r.pk is None:
                b, unit, room = r.key
                creates.append(
                    Household(building_id=b, unit=unit, room=room, area_code=r.area_code, **r.data)
                )
                continue
            changes: dict[str, Any] = {}
            for name, value in r.data.items():
                _set(changes, self.existing[r.pk], name, value)
            if changes:
                updates.append((r.pk, changes))
            else:
                out.unchanged += 1
        for chunk in _chunks(creates, BATCH):
            Household.objects.bulk_create(chunk)
        it = iter(creates)
        for r in self.records:
            if r.pk is None:
                r.pk = next(it).pk
        out.created = len(creates)
        out.updated = _apply(Household, updates, self.now)
        self.add_tags(
            [(t, r.pk, r.area_code, r.tag_reason) for r in self.records for t in r.tags], "household"
        )
        return out


# ---------------------------------------------------------------- organisations

ORGANISATION_PLAIN = ("kind", "name", "address", "industry", "contact_name", "staff_count", "note")


class OrganisationImporter(_Importer):
    kind = "organisations"

    def preload(self) -> None:
        self.grids = _grids(self.prefix)
        self.buildings = _buildings(self.prefix)
        self.seen_codes: dict[str, int] = {}
        self.seen_names: dict[tuple, int] = {}

    def check(self, number: int, c: dict, bad: list):
        grid = self.grids.get(c["grid"])
        if grid is None:
            self.error(bad, "grid", c["grid"], self.outside(f"网格「{c['grid']}」"))
            return None
        data = {n: c[n] for n in ORGANISATION_PLAIN if n in c}
        data["area_id"] = grid.pk
        if c.get("building"):
            building = self.buildings.get(c["building"])
            if building is None:
                self.error(bad, "building", c["building"], self.outside(f"楼栋「{c['building']}」"))
            else:
                data["building_id"] = building[0]
        credit = c.get("credit_code") or ""
        if credit:
            first = self.seen_codes.setdefault(credit, number)
            if first != number:
                self.error(bad, "credit_code", credit, f"与第 {first} 行的统一社会信用代码重复")
            data["credit_code"] = credit
        else:
            first = self.seen_names.setdefault((c["name"], grid.pk), number)
            if first != number:
                self.error(bad, "name", c["name"], f"与第 {first} 行重复（同一网格同名且都没有信用代码）")
        record = Record(number, credit or (c["name"], grid.pk), data, area_code=grid.code)
        record.phone = c.get("contact_phone") or ""
        return record

    def resolve(self) -> None:
        self.existing: dict[int, dict] = {}
        fields = ("id", "area_id", "area_code", "credit_code", "building_id", "contact_phone_hash")
        fields += ORGANISATION_PLAIN
        with_code = {r.key: r for r in self.records if isinstance(r.key, str)}
        for chunk in _chunks(list(with_code), BATCH):
            for row in Organisation.objects.filter(credit_code__in=chunk).values(*fields):
                r = with_code[row["credit_code"]]
                if not row["area_code"].startswith(self.prefix):
                    self.drop(r, "credit_code", r.key, f"该信用代码已登记在导入范围「{self.area.name}」之外")
                    continue
                r.pk = row["id"]
                self.existing[row["id"]] = row
        by_name: dict[tuple, dict] = {}
        for row in Organisation.objects.filter(area_code__startswith=self.prefix).values(*fields):
            by_name.setdefault((row["name"], row["area_id"]), row)
        claimed = set(self.existing)
        for r in self.records:
            if r.pk is None and r.row != -1:
                row = by_name.get((r.data["name"], r.data["area_id"]))
                if row is not None and row["id"] not in claimed:
                    claimed.add(row["id"])
                    r.pk = row["id"]
                    self.existing[row["id"]] = row

    def write(self) -> Outcome:
        out = Outcome()
        creates, updates = [], []
        for r in self.records:
            phone = r.phone
            phone_hash = blind_index(phone) if phone else ""
            if r.pk is None:
                data = {k: v for k, v in r.data.items() if v is not None}
                if phone:
                    data.update(
                        contact_phone=phone,
                        contact_phone_hash=phone_hash,
                        contact_phone_masked=mask_phone(phone),
                    )
                creates.append(Organisation(area_code=r.area_code, **data))
                continue
            old = self.existing[r.pk]
            changes: dict[str, Any] = {}
            for name, value in r.data.items():
                _set(changes, old, name, value)
            if "area_id" in changes:
                changes["area_code"] = r.area_code
            if phone and old["contact_phone_hash"] != phone_hash:
                changes.update(
                    contact_phone=phone, contact_phone_hash=phone_hash, contact_phone_masked=mask_phone(phone)
                )
            if changes:
                updates.append((r.pk, changes))
            else:
                out.unchanged += 1
        for chunk in _chunks(creates, BATCH):
            Organisation.objects.bulk_create(chunk)
        out.created = len(creates)
        out.updated = _apply(Organisation, updates, self.now)
        return out


IMPORTERS: dict[str, type[_Importer]] = {
    "buildings": BuildingImporter,
    "households": HouseholdImporter,
    "residents": ResidentImporter,
    "organisations": OrganisationImporter,
}
