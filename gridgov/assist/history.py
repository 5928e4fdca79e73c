"""History import: years of work orders from a district's old system, brought in as closed
historical cases (``Case.historical``) that the suggestions learn from and the hot spots count, and that
current figures leave out.

:func:`history_import_create` stores an upload (.xlsx or .csv, see :mod:`gridgov.assist.history_file`)
and queues a :class:`HistoryImport`; :func:`history_import_run` claims it (``UPDATE … WHERE state =
'queued'``) and runs it in two phases, as the ledger import does:

1. **Check** every row: the column rules, the old category name (a :class:`CategoryAlias`, else an
   active category's exact name or code), the old unit name (a :class:`UnitAlias`, else a unit's exact
   name), the place (the ``grid`` column as an area code or a grid name; else the grid holding the point,
   by the intake's grid index; else the job's area). Errors are (row, column, value, reason).
2. **Write**, one transaction, in bulk batches. With ``on_unmapped=refuse`` nothing is written when any
   row has an error or an old category name that maps to nothing; with ``skip`` those rows are skipped
   and counted. An alias to no category leaves its rows out on purpose (counted as skipped) in both.

Re-importing creates nothing new: each case carries ``idempotency_key = "history:" + sha256`` of the old
number (or, without one, of time, text and category) within the district, and rows whose key is taken
are counted as ``rows_existing``. :func:`import_rows` runs the same checks on rows given in memory (the
demo data, tests).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts.models import Unit
from gridgov.areas.lookup import GRID_FIELDS
from gridgov.areas.models import Area, Level
from gridgov.assist import history_file
from gridgov.assist.models import CategoryAlias, HistoryImport, UnitAlias
from gridgov.cases.models import Case, Category, Channel, HandlingLevel, State
from gridgov.core import audit, cleaners
from gridgov.core.errors import DomainError, NotFound
from gridgov.core.roles import Role
from gridgov.core.scope import filter_in_scope, in_scope
from gridgov.ledger.imports.engine import BATCH, fast_insert, media
from gridgov.ledger.imports.jobs import _save as save_upload

log = logging.getLogger("gridgov.assist.history")

ERRORS_KEPT = 500
STALE_AFTER = timedelta(minutes=15)
# China's extent (with a margin): a point outside is a swapped or mistyped coordinate.
LNG_RANGE = (73.0, 136.0)
LAT_RANGE = (3.0, 54.0)
EARLIEST = datetime(1990, 1, 1)
DATETIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d",
    "%Y%m%d",
    "%Y%m%d%H%M%S",
)
IMPORT_ROLES = (Role.DISTRICT, Role.STREET)
AREA_LEVELS = {
    Level.GRID: HandlingLevel.GRID,
    Level.COMMUNITY: HandlingLevel.COMMUNITY,
    Level.STREET: HandlingLevel.STREET,
    Level.DISTRICT: HandlingLevel.DISTRICT,
}

State_, OnUnmapped = HistoryImport.State, HistoryImport.OnUnmapped


# ---------------------------------------------------------------- who may


def may_import(user) -> bool:
    """Admins, and district and street staff (within their scope): the history of their area."""
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.is_active
        and (user.is_admin or (user.role in IMPORT_ROLES and user.area_id))
    )


def may_map(user) -> bool:
    """The mapping of old names is one table for the whole platform: admins and district staff."""
    return may_import(user) and (user.is_admin or user.role == Role.DISTRICT)


def _require_import(by) -> None:
    if by is not None and not may_import(by):
        raise DomainError("forbidden", _("只有管理员和区、街道工作人员可以导入历史工单"), status=403)


# ---------------------------------------------------------------- reads


def imports_visible_to(user) -> QuerySet[HistoryImport]:
    """The jobs ``user`` may see: an admin all; district and street staff those of areas in their scope."""
    if not may_import(user):
        return HistoryImport.objects.none()
    qs = HistoryImport.objects.select_related("area", "created_by")
    if user.is_admin:
        return qs
    return filter_in_scope(qs, user, "area__code")


def import_get_visible(user, job_id) -> HistoryImport:
    try:
        return imports_visible_to(user).get(pk=int(job_id))
    except (ValueError, TypeError, HistoryImport.DoesNotExist):
        raise NotFound(field="job") from None


@dataclass
class AliasRow:
    kind: str  # "category" or "unit"
    name: str
    rows: int  # rows of the visible jobs that carried the name while it was unmapped
    alias: CategoryAlias | UnitAlias | None


def aliases_overview(user) -> dict[str, list[AliasRow]]:
    """For the mapping page: every stored alias and every name the user's visible jobs reported as
    unmapped and still without an alias, with how many rows carried it (unmapped first, most rows first)."""
    if not may_import(user):
        raise DomainError("forbidden", _("只有管理员和区、街道工作人员可以导入历史工单"), status=403)
    seen: dict[str, Counter] = {"category": Counter(), "unit": Counter()}
    for unmapped in imports_visible_to(user).order_by("-id").values_list("unmapped", flat=True)[:200]:
        for kind, key in (("category", "categories"), ("unit", "units")):
            for name, count in (unmapped or {}).get(key, {}).items():
                seen[kind][name] += count
    out: dict[str, list[AliasRow]] = {}
    for kind, model in (("category", CategoryAlias), ("unit", UnitAlias)):
        stored = {a.name: a for a in model.objects.select_related(kind).order_by("name")}
        rows = [AliasRow(kind, n, c, None) for n, c in seen[kind].most_common() if n not in stored]
        rows += [AliasRow(kind, n, seen[kind].get(n, 0), a) for n, a in stored.items()]
        out[kind] = rows
    return out


# ---------------------------------------------------------------- mapping


def alias_set(*, by, kind: str, name: str, target: str | int | None) -> CategoryAlias | UnitAlias:
    """Map an old category name to a category (``target``: its code or id) or an old unit name to a unit
    (its id or exact name); ``None`` or ``""`` leaves rows under a category name out on purpose (a unit
    name mapped to nothing keeps its rows without a unit). Audited."""
    if by is not None and not may_map(by):
        raise DomainError("forbidden", _("只有管理员和区级工作人员可以维护历史名称对应"), status=403)
    name = cleaners.text(name, "name", limit=100, required=True, label=_("原系统名称"))
    if kind == "category":
        model, attr, found = CategoryAlias, "category", _category_target(target)
    elif kind == "unit":
        model, attr, found = UnitAlias, "unit", _unit_target(target)
    else:
        raise DomainError("invalid", _("类型「%(kind)s」无效") % {"kind": kind}, "kind")
    with transaction.atomic():
        before = model.objects.filter(name=name).values_list(f"{attr}_id", flat=True).first()
        alias, _created = model.objects.update_or_create(
            name=name, defaults={attr: found, "updated_by": by if getattr(by, "pk", None) else None}
        )
        audit.record(
            actor=by,
            verb=f"assist.history_{kind}_alias",
            obj=alias,
            before={"target": before},
            after={"name": name, "target": found.pk if found else None},
        )
    return alias


def _category_target(target) -> Category | None:
    if target in (None, ""):
        return None
    value = str(target).strip()
    category = Category.objects.filter(Q(code=value) | Q(pk=int(value) if value.isdigit() else None)).first()
    if category is None:
        raise DomainError("invalid_category", _("事项分类「%(code)s」不存在") % {"code": value}, "category")
    return category


def _unit_target(target) -> Unit | None:
    if target in (None, ""):
        return None
    value = str(target).strip()
    unit = Unit.objects.filter(Q(name=value) | Q(pk=int(value) if value.isdigit() else None)).first()
    if unit is None:
        raise DomainError("invalid_unit", _("单位「%(name)s」不存在") % {"name": value}, "unit")
    return unit


class Mapping:
    """Old names → ids, loaded once per import: aliases first, then exact names (and category codes).
    ``category(name)`` is an id, ``None`` for a name deliberately left out, or ``MISSING``."""

    MISSING = object()

    def __init__(self) -> None:
        self.categories: dict[str, int | None] = {}
        names: dict[str, list[int]] = {}
        for pk, code, name in Category.objects.filter(is_active=True).values_list("id", "code", "name"):
            self.categories[code] = pk
            names.setdefault(name, []).append(pk)
        for name, ids in names.items():
            if len(ids) == 1:  # a name two categories share needs an alias
                self.categories.setdefault(name, ids[0])
        self.categories.update(CategoryAlias.objects.values_list("name", "category_id"))
        self.units: dict[str, int | None] = dict(Unit.objects.values_list("name", "id"))
        self.units.update(UnitAlias.objects.values_list("name", "unit_id"))

    def category(self, name: str):
        return self.categories.get(name, self.MISSING)

    def unit(self, name: str):
        return self.units.get(name, self.MISSING)


# ---------------------------------------------------------------- values


def parse_moment(value: Any, column: str, *, required: bool = False) -> datetime | None:
    """A datetime from a cell: a datetime or date, an Excel serial number, or ``2023/5/6 14:03``,
    ``2023-05-06``, ``2023.5.6``, the same with the Chinese year, month and day marks, ISO 8601. Naive ones are in the site's zone."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise DomainError("required", _("必填"), column)
        return None
    moment: datetime | None = None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time())
    elif isinstance(value, (int, float)) and not isinstance(value, bool) and 20000 < value < 80000:
        moment = datetime(1899, 12, 30) + timedelta(days=float(value))  # an Excel serial date
        moment = moment.replace(microsecond=0)
    else:
        moment = _parse_text(str(value).strip())
    if moment is None:
        raise DomainError(
            "invalid_date", _("时间「%(value)s」无法识别（应为 2023-05-06 14:03 这样的格式）") % {"value": value}, column
        )  # fmt: skip
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    if moment < timezone.make_aware(EARLIEST) or moment > timezone.now() + timedelta(days=1):
        raise DomainError("invalid_date", _("时间「%(value)s」超出合理范围") % {"value": value}, column)
    return moment


def _parse_text(s: str) -> datetime | None:
    s = s.replace("年", "-").replace("月", "-").replace("日", " ").replace("/", "-").replace(".", "-")
    s = " ".join(s.split())
    try:
        return datetime.fromisoformat(s)
    except ValueError:
        pass
    head, _sep, tail = s.partition(" ")
    parts = head.split("-")
    if len(parts) == 3 and all(p.isdigit() for p in parts):  # 2023-5-6: pad month and day
        head = f"{int(parts[0]):04d}-{int(parts[1]):02d}-{int(parts[2]):02d}"
        s = f"{head} {tail}".strip()
    for fmt in DATETIME_FORMATS:
        try:
            return datetime.strptime(s, fmt)
        except ValueError:
            continue
    return None


def _coordinate(value: Any, column: str, low: float, high: float) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(str(value).strip())
    except ValueError:
        raise DomainError("invalid_number", _("「%(value)s」不是数字") % {"value": value}, column) from None
    if not low <= number <= high:
        raise DomainError(
            "invalid_location", _("应在 %(low)s 到 %(high)s 之间（中国境内）") % {"low": low, "high": high}, column
        )  # fmt: skip
    return number


def history_key(district: str, ref: str, reported_at: datetime, text: str, category: str) -> str:
    """The idempotency key of an old work order within a district: its old number when it has one, else
    its time, text and old category name."""
    if ref:
        material = "\x1f".join(("ref", district, ref))
    else:
        material = "\x1f".join(("row", district, reported_at.isoformat(), text, category))
    return "history:" + hashlib.sha256(material.encode()).hexdigest()


def _case_ref(key: str, reported_at: datetime) -> str:
    """``LS-20230506-<12 hex>``: unique with the key (24 characters), never the old number itself."""
    return f"LS-{timezone.localtime(reported_at):%Y%m%d}-{key.removeprefix('history:')[:12]}"


# ---------------------------------------------------------------- checking rows


@dataclass
class Checker:
    """Checks rows one by one; keeps the valid ones as Case field dicts and the errors, the unmapped names
    and the counts the job reports."""

    job: HistoryImport
    by: Any
    mapping: Mapping = field(default_factory=Mapping)
    records: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    bad_rows: set[int] = field(default_factory=set)
    unmapped_categories: Counter = field(default_factory=Counter)
    unmapped_units: Counter = field(default_factory=Counter)
    unmapped_rows: int = 0
    left_out: int = 0
    duplicates: int = 0
    checked: int = 0

    def __post_init__(self) -> None:
        self.area: Area = self.job.area
        self.district = self.area.code[:6]
        self.keys: set[str] = set()
        self.places: dict[str, Area | None | DomainError] = {}
        from gridgov.areas.lookup import get_index

        self.index = get_index()

    def error(self, number: int, column: str, value: Any, reason: str) -> None:
        from gridgov.ledger.excel import report_value

        self.bad_rows.add(number)
        self.errors.append(
            {
                "row": number,
                "column": history_file.header_of(column),
                "value": report_value(value),
                "reason": reason,
            }
        )

    def check(self, number: int, raw: dict) -> None:
        self.checked += 1
        values: dict[str, Any] = {}
        for col in history_file.COLUMNS:
            value = raw.get(col.name)
            try:
                if col.name in ("reported_at", "closed_at"):
                    values[col.name] = parse_moment(value, col.name, required=col.required)
                elif col.name == "lng":
                    values[col.name] = _coordinate(value, col.name, *LNG_RANGE)
                elif col.name == "lat":
                    values[col.name] = _coordinate(value, col.name, *LAT_RANGE)
                else:
                    values[col.name] = cleaners.text(
                        value, col.name, limit=col.max_length or 100, required=_("必填") if col.required else False
                    )  # fmt: skip
            except DomainError as exc:
                self.error(number, col.name, value, exc.message)
        if number in self.bad_rows and not values.get("category"):
            return
        self._check_links(number, raw, values)

    def _check_links(self, number: int, raw: dict, values: dict[str, Any]) -> None:
        reported, closed = values.get("reported_at"), values.get("closed_at")
        if reported and closed and closed < reported:
            self.error(number, "closed_at", raw.get("closed_at"), _("办结时间不能早于上报时间"))
        lng, lat = values.get("lng"), values.get("lat")
        if ("lng" in values and "lat" in values) and (lng is None) != (lat is None):
            missing = "lng" if lng is None else "lat"
            self.error(number, missing, raw.get(missing), _("经度和纬度必须同时填写"))
        category_id = self.mapping.category(values.get("category", "")) if values.get("category") else None
        if category_id is Mapping.MISSING:
            self.unmapped_categories[values["category"]] += 1
        unit_id = None
        if values.get("unit"):
            unit_id = self.mapping.unit(values["unit"])
            if unit_id is Mapping.MISSING:
                self.unmapped_units[values["unit"]] += 1
                unit_id = None
        area = self._place(number, raw, values)
        if number in self.bad_rows:
            return
        if category_id is Mapping.MISSING:
            self.unmapped_rows += 1
            return
        if category_id is None:
            self.left_out += 1
            return
        key = history_key(self.district, values["ref"], reported, values["text"], values["category"])
        if key in self.keys:  # the same old work order twice in one file: imported once
            self.duplicates += 1
            return
        self.keys.add(key)
        closed = closed or reported
        self.records.append(
            {
                "ref": _case_ref(key, reported),
                "idempotency_key": key,
                "category_id": category_id,
                "description": values["text"],
                "address": values.get("address", ""),
                "lng": lng,
                "lat": lat,
                "area_id": area.pk,
                "area_code": area.code,
                "level": AREA_LEVELS.get(area.level, HandlingLevel.GRID),
                "handling_area_id": area.pk,
                "state": State.CLOSED,
                "channel": Channel.API,
                "entered_by_id": getattr(self.by, "pk", None),
                "reported_at": reported,
                "lead_unit_id": unit_id,
                "resolved_at": closed,
                "closed_at": closed,
                "result": values.get("result", ""),
                "historical": True,
            }
        )

    def _place(self, number: int, raw: dict, values: dict[str, Any]) -> Area | None:
        """The grid column, else the grid holding the point, else the job's area; inside the job's area."""
        grid = values.get("grid")
        if grid:
            found = self._named_area(grid)
            if isinstance(found, DomainError):
                self.error(number, "grid", raw.get("grid"), found.message)
                return None
            area = found
            column = "grid"
        elif values.get("lng") is not None and values.get("lat") is not None:
            code = self.index.lookup(values["lng"], values["lat"])
            area = Area.from_db("default", GRID_FIELDS, self.index.grids[code]) if code else self.area
            column = "lng"
        else:
            return self.area
        if not area.code.startswith(self.area.code) or (
            self.by is not None and not in_scope(self.by, area.code)
        ):
            self.error(number, column, raw.get(column), _("不在本次导入范围（%(code)s）内") % {"code": self.area.code})  # fmt: skip
            return None
        return area

    def _named_area(self, value: str) -> Area | DomainError:
        if value in self.places:
            return self.places[value]
        by_code = Area.objects.filter(code=value, is_active=True).first()
        found: Area | DomainError
        if by_code is not None:
            found = by_code
        else:
            named = list(
                Area.objects.filter(
                    name=value, level__in=(Level.GRID, Level.MICROGRID), is_active=True, code__startswith=self.district
                )[:2]
            )  # fmt: skip
            if len(named) == 1:
                found = named[0]
            elif named:
                found = DomainError("ambiguous_grid", _("有多个网格名为「%(name)s」，请填写网格编码") % {"name": value})  # fmt: skip
            else:
                found = DomainError("invalid_grid", _("网格「%(name)s」不存在") % {"name": value})
        if isinstance(found, Area) and found.level == Level.MICROGRID:
            found = found.parent
        self.places[value] = found
        return found


# ---------------------------------------------------------------- create, start, recover


def _job_area(by, area: str | None) -> Area:
    """The import's area: the one given, else the importer's own, else the only district."""
    if area:
        target = Area.objects.filter(code=area.strip(), is_active=True).first()
        if target is None or (by is not None and not in_scope(by, target.code)):
            raise NotFound(_("导入范围 %(code)s 不存在或不在您的管辖范围内") % {"code": area}, field="area")
        return target
    if by is not None and by.area_id:
        return by.area
    districts = list(Area.objects.filter(level=Level.DISTRICT, is_active=True)[:2])
    if len(districts) != 1:
        raise DomainError("required", _("请指定导入范围（区域编码）"), "area")
    return districts[0]


def _on_unmapped(value: str | None) -> str:
    value = value or OnUnmapped.REFUSE
    if value not in OnUnmapped.values:
        raise DomainError(
            "invalid",
            _("「%(value)s」无效（可选：%(choices)s）") % {"value": value, "choices": "、".join(OnUnmapped.values)},
            "on_unmapped",
        )  # fmt: skip
    return value


def history_import_create(
    *,
    by,
    file,
    filename: str = "",
    on_unmapped: str = OnUnmapped.REFUSE,
    area: str | None = None,
    start: bool = True,
) -> HistoryImport:
    """Store an uploaded file (an uploaded file or a path) and queue its job. Refusals: 403 not allowed to
    import, 404 area not in scope, 400 bad choice or file (the file is not kept). With ``start`` the job is
    handed to the job runner after the commit; the command line passes ``False`` and runs it itself."""
    _require_import(by)
    on_unmapped = _on_unmapped(on_unmapped)
    target = _job_area(by, area)
    filename = (filename or getattr(file, "name", "") or "history.xlsx").replace("\\", "/").split("/")[-1]
    suffix = ".csv" if filename.lower().endswith(".csv") else ".xlsx"
    rel = f"history/{timezone.localdate():%Y/%m}/{uuid.uuid4().hex}{suffix}"
    path = media(rel)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        save_upload(file, path)
        history_file.check_file(path)
        job = HistoryImport.objects.create(
            filename=filename[:200], path=rel, on_unmapped=on_unmapped, area=target, created_by=by
        )
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    if start:
        if _inline():
            history_import_run(job.pk)
            job.refresh_from_db()
        else:
            transaction.on_commit(lambda: history_import_start(job.pk))
    return job


def _inline() -> bool:
    return bool(getattr(settings, "HISTORY_IMPORT_INLINE", getattr(settings, "LEDGER_JOBS_INLINE", False)))


def history_import_start(job_id: int) -> None:
    """Hand a queued job to a Celery worker (with Redis), else a daemon thread."""
    if _inline():
        history_import_run(job_id)
    elif settings.REDIS_URL:
        from gridgov.assist.history_tasks import history_import_task

        history_import_task.delay(job_id)
    else:
        threading.Thread(target=_thread, args=(job_id,), daemon=True, name=f"history-import-{job_id}").start()


def _thread(job_id: int) -> None:
    try:
        history_import_run(job_id)
    except Exception:  # the job row already says failed; a thread has nobody else to tell
        log.exception("history import %s", job_id)
    finally:
        close_old_connections()
        connection.close()


def history_import_recover(*, now=None, stale_after: timedelta = STALE_AFTER) -> list[int]:
    """Re-queue jobs left running by a dead process and start every queued one (a job is one
    transaction, so running it again is safe). Returns the started ids."""
    now = now or timezone.now()
    HistoryImport.objects.filter(state=State_.RUNNING, heartbeat_at__lt=now - stale_after).update(
        state=State_.QUEUED, message=_("处理中断，已重新排队")
    )
    ids = list(
        HistoryImport.objects.filter(state=State_.QUEUED).exclude(path="").order_by("id").values_list("id", flat=True)
    )  # fmt: skip
    for job_id in ids:
        history_import_start(job_id)
    return ids


# ---------------------------------------------------------------- run


def history_import_run(job_id: int, on_progress: Callable[[HistoryImport], None] | None = None):
    """Claim and run one queued job from its stored file; the finished job, or ``None`` if another runner
    has it."""
    job = _claim(job_id)
    if job is None:
        return None
    return _run(job, lambda: history_file.read_rows(media(job.path)), on_progress)


def import_rows(
    rows: Iterable[dict],
    *,
    by,
    on_unmapped: str = OnUnmapped.REFUSE,
    area: str | None = None,
    filename: str = "",
) -> HistoryImport:
    """The same import for rows already in memory (dicts keyed by the column names of
    :data:`history_file.COLUMNS`), run here and now: the demo data and tests. Returns the finished job."""
    _require_import(by)
    job = HistoryImport.objects.create(
        filename=(filename or _("直接导入"))[:200],
        path="",
        on_unmapped=_on_unmapped(on_unmapped),
        area=_job_area(by, area),
        created_by=by,
    )
    job = _claim(job.pk)
    numbered = ((number, row) for number, row in enumerate(rows, start=2))
    return _run(job, lambda: numbered, None)


def _claim(job_id: int) -> HistoryImport | None:
    now = timezone.now()
    claimed = HistoryImport.objects.filter(pk=job_id, state=State_.QUEUED).update(
        state=State_.RUNNING,
        started_at=now,
        heartbeat_at=now,
        finished_at=None,
        message="",
        rows_total=0,
        rows_created=0,
        rows_existing=0,
        rows_skipped=0,
        error_count=0,
        errors=[],
        unmapped={},
    )
    if not claimed:
        return None
    return HistoryImport.objects.select_related("area", "created_by").get(pk=job_id)


def _run(job: HistoryImport, rows: Callable[[], Iterator[tuple[int, dict]]], on_progress) -> HistoryImport:
    try:
        _execute(job, rows, on_progress)
    except DomainError as exc:
        _finish(job, State_.FAILED, exc.message[:300])
    except Exception:
        log.exception("history import %s failed", job.pk)
        _finish(job, State_.FAILED, _("处理文件时发生内部错误，已记录，请联系管理员"))
    return job


def _finish(job: HistoryImport, state: str, message: str = "") -> None:
    job.state = state
    job.message = message[:300]
    job.finished_at = job.heartbeat_at = timezone.now()
    job.save()


def _execute(job: HistoryImport, rows, on_progress) -> None:
    by = job.created_by
    if by is not None and (not may_import(by) or not in_scope(by, job.area.code)):
        raise DomainError("forbidden", _("导入人已无权导入该范围的历史工单"))
    checker = Checker(job, by)
    for number, raw in rows():
        checker.check(number, raw)
        if checker.checked % BATCH == 0:
            job.rows_total = checker.checked
            job.heartbeat_at = timezone.now()
            HistoryImport.objects.filter(pk=job.pk).update(
                rows_total=job.rows_total, heartbeat_at=job.heartbeat_at
            )
            if on_progress:
                on_progress(job)
    job.rows_total = checker.checked
    job.error_count = len(checker.errors)
    job.errors = sorted(checker.errors, key=lambda e: e["row"])[:ERRORS_KEPT]
    job.unmapped = {
        "categories": dict(checker.unmapped_categories.most_common()),
        "units": dict(checker.unmapped_units.most_common()),
    }
    if checker.checked == 0:
        _finish(job, State_.FAILED, _("文件中没有数据行"))
        return
    refuse = job.on_unmapped == OnUnmapped.REFUSE
    if refuse and (checker.errors or checker.unmapped_categories):
        parts = []
        if checker.bad_rows:
            parts.append(_("%(rows)s 行有错误（共 %(errors)s 处）") % {"rows": len(checker.bad_rows), "errors": len(checker.errors)})  # fmt: skip
        if checker.unmapped_categories:
            parts.append(_("%(names)s 个分类名称未对应") % {"names": len(checker.unmapped_categories)})
        _finish(job, State_.REJECTED, _("%(parts)s，未导入任何工单") % {"parts": "；".join(parts)})
        return
    with transaction.atomic():
        created, existing = _write(checker.records)
        job.rows_created, job.rows_existing = created, existing + checker.duplicates
        job.rows_skipped = len(checker.bad_rows) + checker.unmapped_rows + checker.left_out
        audit.record(
            actor=by,
            verb="assist.history_import",
            obj=job,
            object_id=str(job.pk),
            after={
                "file": job.filename,
                "area": job.area.code,
                "rows": job.rows_total,
                "created": job.rows_created,
                "existing": job.rows_existing,
                "skipped": job.rows_skipped,
            },
        )
        _finish(job, State_.DONE, outcome_text(job))
    if on_progress:
        on_progress(job)


def _write(records: list[dict]) -> tuple[int, int]:
    """Insert the records whose key is not yet taken, in batches; (created, already there)."""
    created = existing = 0
    for start in range(0, len(records), BATCH):
        batch = records[start : start + BATCH]
        taken = set(
            Case.objects.filter(idempotency_key__in=[r["idempotency_key"] for r in batch]).values_list(
                "idempotency_key", flat=True
            )
        )
        fresh = [r for r in batch if r["idempotency_key"] not in taken]
        fast_insert(Case, fresh)
        created += len(fresh)
        existing += len(batch) - len(fresh)
    return created, existing


def outcome_text(job: HistoryImport) -> str:
    parts = [_("新增 %(n)s 条") % {"n": job.rows_created}]
    if job.rows_existing:
        parts.append(_("%(n)s 条已导入过") % {"n": job.rows_existing})
    if job.rows_skipped:
        parts.append(_("跳过 %(n)s 行") % {"n": job.rows_skipped})
    return _("，").join(parts)


def job_file(job: HistoryImport) -> Path | None:
    path = media(job.path) if job.path else None
    return path if path is not None and path.exists() else None
