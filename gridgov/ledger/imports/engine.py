"""The engine of a ledger import: :class:`Importer` checks rows one by one against maps preloaded once,
collects (row, column, value, reason) errors, then writes the kept records with :func:`fast_insert` and
:func:`fast_update` (one statement per batch)."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, models
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.areas.models import Area, Level
from gridgov.core.errors import DomainError
from gridgov.ledger import excel, rules
from gridgov.ledger.models import Building, FocusTag, Household, ImportJob, TagAssignment

BATCH = 2_000  # rows per bulk statement
DEFAULT_TAG_REASON = "台账导入"  # data: stored as the reason of tags added by an import


def media(rel: str) -> Path:
    return Path(settings.MEDIA_ROOT) / rel


@dataclass
class Outcome:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class Importer(ABC):
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
                    bad.append((name, value, _("必填")))
                elif col.choices is None:
                    cleaned[name] = col.clean(value, name)
                continue  # an empty choice: the model default applies
            if value.__class__ is str:
                if len(value) > excel.MAX_CELL:
                    bad.append(
                        (
                            name,
                            value,
                            _("内容过长（%(n)s 字，单元格上限 %(max)s 字）")
                            % {"n": len(value), "max": excel.MAX_CELL},
                        )
                    )
                    continue
                if value[0] == "=" and len(value) > 1:
                    bad.append((name, value, _("不能使用公式，请改为填写数值")))
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
                self.error(bad, "tags", value, _("标签「%(tag)s」不存在或已停用") % {"tag": name})
                continue
            wanted = FocusTag.AppliesTo.RESIDENT if for_resident else FocusTag.AppliesTo.HOUSEHOLD
            if tag.applies_to not in (wanted, FocusTag.AppliesTo.BOTH):
                self.error(
                    bad,
                    "tags",
                    value,
                    (_("标签「%(tag)s」不能用于居民") if for_resident else _("标签「%(tag)s」不能用于户"))
                    % {"tag": tag.name},
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
        return _("%(what)s不存在或不在导入范围「%(area)s」（%(code)s）内") % {
            "what": what,
            "area": self.area.name,
            "code": self.area.code,
        }

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
        for chunk in chunks(objs, BATCH):
            TagAssignment.objects.bulk_create(chunk, ignore_conflicts=True)


def chunks(items: list, size: int):
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
    for chunk in chunks(rows, batch):
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
        elif isinstance(f, models.JSONField):  # sent as text, cast to jsonb[] with the others
            columns[i] = [None if v is None else json.dumps(v, cls=f.encoder) for v in columns[i]]
    casts = ", ".join(f"%s::{f.db_type(connection)}[]" for f in fields)
    sql = (
        f"INSERT INTO {qn(opts.db_table)} ({', '.join(qn(f.column) for f in fields)}) "
        f"SELECT * FROM UNNEST({casts}) RETURNING {qn(opts.pk.column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, columns)
        return [r[0] for r in cursor.fetchall()]


def grids(prefix: str) -> dict[str, Area]:
    return {
        a.code: a
        for a in Area.objects.filter(
            code__startswith=prefix, is_active=True, level__in=(Level.GRID, Level.MICROGRID)
        ).only("id", "code", "name")
    }


def buildings(prefix: str) -> dict[str, tuple[int, str]]:
    return {
        code: (pk, area_code)
        for pk, code, area_code in Building.objects.filter(
            area_code__startswith=prefix, is_active=True
        ).values_list("id", "code", "area_code")
    }


def households(prefix: str) -> dict[tuple[int, str, str], int]:
    return {
        (b, u, r): pk
        for pk, b, u, r in Household.objects.filter(area_code__startswith=prefix).values_list(
            "id", "building_id", "unit", "room"
        )
    }


def set_changed(changes: dict, existing: dict, name: str, value: Any) -> None:
    """A provided value that differs from the stored one (blank cells never overwrite)."""
    if value is None or value == "":
        return
    if existing.get(name) != value:
        changes[name] = value


def apply_updates(model, updates: list[tuple[int, dict]], now) -> int:
    """Group updates by the set of changed fields and run :func:`fast_update` per group."""
    groups: dict[tuple[str, ...], list[dict]] = defaultdict(list)
    for pk, changes in updates:
        names = tuple(sorted(changes))
        groups[names].append({"id": pk, **changes, "updated_at": now})
    for names, rows in groups.items():
        fast_update(model, rows, [*names, "updated_at"])
    return len(updates)


# ---------------------------------------------------------------- residents
