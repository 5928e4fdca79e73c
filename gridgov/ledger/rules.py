"""Field rules of the ledger, shared by the actions (forms, API) and the spreadsheet import.

Each ledger kind is a list of :class:`Column`: the API/model field name, the Chinese column header of the
spreadsheet template, whether it is required, and a cleaner that turns a raw value (a string from a form
or a spreadsheet cell, or a JSON value) into the stored value or raises :class:`DomainError` naming the
field. :func:`clean_row` runs every cleaner and collects every error of a row, so an import report lists
all problems of a row at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import models
from django.utils.translation import gettext as _

from gridgov.core.crypto import mask_id_number, mask_phone
from gridgov.core.errors import DomainError
from gridgov.core.validators import normalise_credit_code, normalise_phone, parse_id_number
from gridgov.ledger.models import Building, Household, Organisation, Resident

MAX_TEXT = 2000


def text(max_length: int) -> Callable[[Any, str], str]:
    def clean(value: Any, name: str) -> str:
        if value is None:
            return ""
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        s = str(value).strip()
        if len(s) > max_length:
            raise DomainError(
                "too_long",
                (
                    _("不能超过 %(max_length)s 个字（现为 %(length)s 个）")
                    % {"max_length": max_length, "length": len(s)}
                ),
                name,
            )
        return s

    return clean


def positive_int(maximum: int) -> Callable[[Any, str], int | None]:
    def clean(value: Any, name: str) -> int | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        try:
            number = float(str(value).strip())
        except ValueError:
            raise DomainError(
                "invalid_number", (_("「%(value)s」不是数字") % {"value": value}), name
            ) from None
        if not number.is_integer() or number < 0 or number > maximum:
            raise DomainError(
                "invalid_number", (_("应为 0 到 %(maximum)s 之间的整数") % {"maximum": maximum}), name
            )
        return int(number)

    return clean


def coordinate(low: float, high: float) -> Callable[[Any, str], float | None]:
    def clean(value: Any, name: str) -> float | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        try:
            number = float(str(value).strip())
        except ValueError:
            raise DomainError(
                "invalid_number", (_("「%(value)s」不是数字") % {"value": value}), name
            ) from None
        if not low <= number <= high:
            raise DomainError(
                "invalid_location", (_("应在 %(low)s 到 %(high)s 之间") % {"low": low, "high": high}), name
            )
        return number

    return clean


def choice(choices: type[models.TextChoices]) -> Callable[[Any, str], str]:
    """Accepts the code (``head``) or the Chinese label (``户主``)."""
    by_label = {str(label): value for value, label in choices.choices}
    values = set(choices.values)

    def clean(value: Any, name: str) -> str:
        s = "" if value is None else str(value).strip()
        if s in values:
            return s
        if s in by_label:
            return by_label[s]
        allowed = "、".join(str(label) for _, label in choices.choices)
        raise DomainError(
            "invalid_choice",
            (_("「%(s)s」不是可选值（可选：%(allowed)s）") % {"s": s, "allowed": allowed}),
            name,
        )

    return clean


def a_date(value: Any, name: str) -> date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    s = str(value).strip().replace("/", "-").replace(".", "-")
    try:
        return date.fromisoformat(s)
    except ValueError:
        raise DomainError(
            "invalid_date",
            (_("「%(value)s」不是日期（应为 2026-01-31 这样的格式）") % {"value": value}),
            name,
        ) from None


def phone(value: Any, name: str) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return normalise_phone("" if value is None else str(value), name)


def id_number(value: Any, name: str):
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return parse_id_number(str(value), name)


def credit_code(value: Any, name: str) -> str:
    return normalise_credit_code("" if value is None else str(value), name)


@dataclass(frozen=True)
class Column:
    name: str
    header: str
    clean: Callable[[Any, str], Any]
    required: bool = False
    choices: type[models.TextChoices] | None = None
    help: str = ""
    width: int = 14

    @property
    def labels(self) -> list[str]:
        return [str(label) for _, label in self.choices.choices] if self.choices else []


def _choice_column(name, header, choices, required=False, **kw) -> Column:
    return Column(name, header, choice(choices), required, choices, **kw)


# Column order is the template's column order.
BUILDING_COLUMNS = [
    Column("code", "楼栋编码", text(40), True, help="本区唯一，重复导入按编码更新", width=22),
    Column("name", "楼栋名称", text(100), True, help="如：3号楼"),
    Column("grid", "所在网格编码", text(18), True, help="15 位网格编码", width=18),
    Column("address", "地址", text(200), width=30),
    _choice_column("kind", "类型", Building.Kind),
    Column("units", "单元数", positive_int(99)),
    Column("floors", "层数", positive_int(200)),
    Column("lng", "经度", coordinate(-180, 180)),
    Column("lat", "纬度", coordinate(-90, 90)),
    Column("note", "备注", text(MAX_TEXT), width=20),
]

HOUSEHOLD_COLUMNS = [
    Column("building", "楼栋编码", text(40), True, width=22),
    Column("unit", "单元", text(10)),
    Column("room", "室号", text(20), True),
    _choice_column("occupancy", "居住状态", Household.Occupancy),
    Column("tags", "户标签", text(300), help="多个标签用顿号分隔", width=20),
    Column("tag_reason", "标签说明", text(200), width=20),
    Column("note", "备注", text(MAX_TEXT), width=20),
]

RESIDENT_COLUMNS = [
    Column("name", "姓名", text(50), True),
    Column("id_number", "身份证号", id_number, help="18 位，校验位自动核对", width=22),
    Column("phone", "联系电话", phone, width=16),
    Column("building", "楼栋编码", text(40), True, width=22),
    Column("unit", "单元", text(10)),
    Column("room", "室号", text(20), True),
    _choice_column("relation", "与户主关系", Resident.Relation, True),
    _choice_column("residence_type", "人口类型", Resident.ResidenceType),
    Column("ethnicity", "民族", text(20)),
    _choice_column("political_status", "政治面貌", Resident.PoliticalStatus),
    Column("workplace", "工作单位/学校", text(100), width=20),
    Column("tags", "重点人群标签", text(300), help="多个标签用顿号分隔", width=20),
    Column("tag_reason", "标签说明", text(200), width=20),
    Column("note", "备注", text(MAX_TEXT), width=20),
]

ORGANISATION_COLUMNS = [
    _choice_column("kind", "类型", Organisation.Kind, True),
    Column("name", "名称", text(100), True, width=24),
    Column("credit_code", "统一社会信用代码", credit_code, help="有则填写，重复导入按此更新", width=22),
    Column("grid", "所在网格编码", text(18), True, width=18),
    Column("building", "楼栋编码", text(40), width=22),
    Column("address", "地址", text(200), width=30),
    Column("industry", "行业/业态", text(50)),
    Column("contact_name", "负责人/店长", text(50)),
    Column("contact_phone", "联系电话", phone, width=16),
    Column("staff_count", "从业人数", positive_int(1_000_000)),
    Column("note", "备注", text(MAX_TEXT), width=20),
]

COLUMNS: dict[str, list[Column]] = {
    "buildings": BUILDING_COLUMNS,
    "households": HOUSEHOLD_COLUMNS,
    "residents": RESIDENT_COLUMNS,
    "organisations": ORGANISATION_COLUMNS,
}


@dataclass
class RowErrors:
    errors: list[tuple[str, Any, str]] = field(default_factory=list)  # (field, value, reason)

    def add(self, name: str, value: Any, reason: str) -> None:
        self.errors.append((name, value, reason))

    def __bool__(self) -> bool:
        return bool(self.errors)


def clean_row(columns: list[Column], raw: dict[str, Any]) -> tuple[dict[str, Any], RowErrors]:
    """Clean every column of ``raw`` (keyed by column name); every failing column is reported."""
    cleaned: dict[str, Any] = {}
    problems = RowErrors()
    for col in columns:
        value = raw.get(col.name)
        empty = value is None or (isinstance(value, str) and not value.strip())
        if empty:
            if col.required:
                problems.add(col.name, value, _("必填"))
                continue
            if col.choices is not None:
                continue  # the model default applies
        try:
            cleaned[col.name] = col.clean(value, col.name)
        except DomainError as exc:
            problems.add(col.name, value, exc.message)
    return cleaned, problems


def clean_fields(columns: list[Column], raw: dict[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """For forms and the API: clean the given fields, raising the first error as a DomainError.
    With ``partial``, only the fields present in ``raw`` are cleaned (an update)."""
    wanted = [c for c in columns if c.name in raw] if partial else columns
    cleaned, problems = clean_row(wanted, raw)
    if problems:
        name, _value, reason = problems.errors[0]
        header = next(c.header for c in columns if c.name == name)
        code = "required" if reason == _("必填") else "invalid"
        raise DomainError(code, f"{header}：{reason}", name)
    return cleaned


def personal_fields(id_value, phone_value: str | None) -> dict[str, Any]:
    """The stored columns that follow from an ID number (parsed) and a phone: hashes, masks, derived data.
    Plain values go into the encrypted fields; only their masks and keyed hashes are kept beside them."""
    from gridgov.core.crypto import blind_index

    out: dict[str, Any] = {}
    if id_value is not None:
        if id_value:
            out.update(
                id_number=id_value.value,
                id_number_hash=blind_index(id_value.value),
                id_number_masked=mask_id_number(id_value.value),
                birth_date=id_value.birth_date,
                gender=id_value.gender,
            )
        else:
            out.update(id_number="", id_number_hash="", id_number_masked="")
    if phone_value is not None:
        out.update(
            phone=phone_value,
            phone_hash=blind_index(phone_value) if phone_value else "",
            phone_masked=mask_phone(phone_value),
        )
    return out


def split_tags(value: str) -> list[str]:
    for sep in (",", "，", ";", "；", "/", " "):
        value = value.replace(sep, "、")
    return [t.strip() for t in value.split("、") if t.strip()]
