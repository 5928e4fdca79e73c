"""Ledger export (台账导出): any ledger list, with the list's own filters, as an .xlsx in the import
template's layout (same headers), so an export can be corrected and imported again.

Rows come from the scoped list selectors, so an export never holds a row outside the user's scope. ID
numbers and phones are written from the stored masks (nothing is decrypted) unless the user may reveal
personal data (:func:`gridgov.ledger.actions.may_reveal`), asks for it and gives a reason; such an export
decrypts, and writes one audit entry ``ledger.export.reveal`` with the reason, the filters and the row count.
"""

from __future__ import annotations

import io
from collections import defaultdict
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from gridgov.core import audit
from gridgov.core.errors import DomainError
from gridgov.core.scope import is_staff
from gridgov.ledger import excel, selectors
from gridgov.ledger.actions import may_reveal
from gridgov.ledger.models import Building, Household, Organisation, Resident, TagAssignment

CHUNK = 2_000

# The filters each list takes (the keyword arguments of its selector).
FILTERS: dict[str, tuple[str, ...]] = {
    "buildings": ("area", "q", "kind", "active"),
    "households": ("area", "building", "q", "tag", "active"),
    "residents": ("area", "q", "qh", "tag", "residence_type", "household", "active"),
    "organisations": ("area", "q", "kind", "active"),
}
LISTS = {
    "buildings": selectors.building_list,
    "households": selectors.household_list,
    "residents": selectors.resident_list,
    "organisations": selectors.organisation_list,
}


PERSONAL_IN_URL = gettext_lazy(
    "完整身份证号或手机号不能放在网址里：请用 POST /residents/search 查询，或以其检索令牌 qh 代替"
)


def _labels(choices) -> dict[str, str]:
    return {value: str(label) for value, label in choices.choices}


def _filters(ledger: str, raw: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in FILTERS[ledger]:
        value = raw.get(name)
        if value is None or value == "":
            continue
        if name == "active":
            value = value if isinstance(value, bool) else str(value).lower() not in ("0", "false", "no", "")
        elif name == "household":
            try:
                value = int(value)
            except (TypeError, ValueError):
                raise DomainError("invalid", _("household 应为数字编号"), "household") from None
        else:
            value = str(value).strip()[:100]
            if name == "q" and selectors.personal_number(value):
                raise DomainError("personal_data_in_url", PERSONAL_IN_URL, "q")
        out[name] = value
    return out


def ledger_export(
    *, by, ledger: str, filters: dict[str, Any] | None = None, reveal: bool = False, reason: str = ""
) -> tuple[str, bytes, int]:
    """``(filename, xlsx bytes, row count)`` of the scoped, filtered list ``ledger``."""
    excel.columns_for(ledger)
    if not is_staff(by):
        raise DomainError("forbidden", _("只有工作人员可以导出台账"), status=403)
    clean = _filters(ledger, filters or {})
    reason = (reason or "").strip()
    if reveal:
        if not may_reveal(by):
            raise DomainError("forbidden", _("您没有导出完整个人信息的权限"), "reveal", status=403)
        if len(reason) < 2:
            raise DomainError("required", _("导出完整身份证号和电话需填写原因"), "reason")
        if len(reason) > 200:
            raise DomainError("too_long", _("原因不能超过 200 字"), "reason")
    qs = LISTS[ledger](by, **clean)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(excel.KIND_LABELS[ledger])
    columns = excel.columns_for(ledger)
    for index, col in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(index)].width = col.width
    ws.freeze_panes = "A2"
    ws.append([c.header for c in columns])
    count = 0
    for row in ROWS[ledger](qs, reveal):
        ws.append([excel.safe_cell(v) for v in row])
        count += 1
    out = io.BytesIO()
    wb.save(out)
    if reveal:
        audit.record(
            actor=by,
            verb="ledger.export.reveal",
            object_type=f"ledger.{ledger}",
            after={"ledger": ledger, "filters": clean, "rows": count},
            reason=reason,
        )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    suffix = _("-完整") if reveal else ""
    return (
        (
            _("%(kind)s台账-%(stamp)s%(suffix)s.xlsx")
            % {"kind": excel.KIND_LABELS[ledger], "stamp": stamp, "suffix": suffix}
        ),
        out.getvalue(),
        count,
    )


def _chunked_ids(qs, fields: tuple[str, ...]):
    """``values_list`` rows in primary-key order, in chunks (the list's own filters and scope kept)."""
    rows = qs.order_by("pk").values_list("pk", *fields)
    chunk: list = []
    for row in rows.iterator(chunk_size=CHUNK):
        chunk.append(row)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _tag_names(target: str, ids: list[int]) -> dict[int, str]:
    names: dict[int, list[str]] = defaultdict(list)
    rows = (
        TagAssignment.objects.filter(**{f"{target}_id__in": ids})
        .order_by("tag__sort", "tag__code")
        .values_list(f"{target}_id", "tag__name")
    )
    for pk, name in rows:
        names[pk].append(name)
    return {pk: "、".join(v) for pk, v in names.items()}


def _building_rows(qs, reveal: bool):  # noqa: ARG001
    kinds = _labels(Building.Kind)
    fields = ("code", "name", "area_code", "address", "kind", "units", "floors", "lng", "lat", "note")
    for chunk in _chunked_ids(qs, fields):
        for _pk, code, name, grid, address, kind, units, floors, lng, lat, note in chunk:
            yield [code, name, grid, address, kinds.get(kind, kind), units, floors, lng, lat, note]


def _household_rows(qs, reveal: bool):  # noqa: ARG001
    occupancy = _labels(Household.Occupancy)
    fields = ("building__code", "unit", "room", "occupancy", "note")
    for chunk in _chunked_ids(qs, fields):
        tags = _tag_names("household", [r[0] for r in chunk])
        for pk, building, unit, room, occ, note in chunk:
            yield [building, unit, room, occupancy.get(occ, occ), tags.get(pk, ""), "", note]


def _resident_rows(qs, reveal: bool):
    relation, residence = _labels(Resident.Relation), _labels(Resident.ResidenceType)
    political = _labels(Resident.PoliticalStatus)
    # Plain values only for a reveal: reading id_number/phone decrypts them.
    personal = ("id_number", "phone") if reveal else ("id_number_masked", "phone_masked")
    fields = (
        "name",
        *personal,
        "household__building__code",
        "household__unit",
        "household__room",
        "relation",
        "residence_type",
        "ethnicity",
        "political_status",
        "workplace",
        "note",
    )
    for chunk in _chunked_ids(qs, fields):
        tags = _tag_names("resident", [r[0] for r in chunk])
        for pk, name, id_no, phone, building, unit, room, rel, res, eth, pol, work, note in chunk:
            yield [
                name,
                id_no,
                phone,
                building,
                unit,
                room,
                relation.get(rel, rel),
                residence.get(res, res),
                eth,
                political.get(pol, pol),
                work,
                tags.get(pk, ""),
                "",
                note,
            ]


def _organisation_rows(qs, reveal: bool):
    kinds = _labels(Organisation.Kind)
    phone = "contact_phone" if reveal else "contact_phone_masked"
    fields = (
        "kind",
        "name",
        "credit_code",
        "area_code",
        "building__code",
        "address",
        "industry",
        "contact_name",
        phone,
        "staff_count",
        "note",
    )
    for chunk in _chunked_ids(qs, fields):
        for _pk, kind, *rest in chunk:
            yield [kinds.get(kind, kind), *rest]


ROWS = {
    "buildings": _building_rows,
    "households": _household_rows,
    "residents": _resident_rows,
    "organisations": _organisation_rows,
}
