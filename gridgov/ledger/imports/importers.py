"""The four kinds of ledger import: residents, buildings, households, organisations. Each checks its
rows (references inside the job's area, duplicates within the file, tags), matches them to stored rows
and writes them; see :mod:`gridgov.ledger.imports` for the matching rules."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext as _

from gridgov.core.crypto import blind_index, blind_indexes, mask_id_number, mask_phone
from gridgov.ledger.imports.engine import (
    BATCH,
    Importer,
    Outcome,
    apply_updates,
    buildings,
    chunks,
    fast_insert,
    grids,
    households,
    set_changed,
)
from gridgov.ledger.models import Building, Household, Organisation, Resident, TagAssignment


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


class ResidentImporter(Importer):
    kind = "residents"

    def preload(self) -> None:
        self.buildings = buildings(self.prefix)
        self.households = households(self.prefix)
        self.load_tags()
        self.seen_ids: dict[str, int] = {}
        self.seen_names: dict[tuple, int] = {}

    def check(self, number: int, c: dict, bad: list):
        code = c["building"]
        building = self.buildings.get(code)
        if building is None:
            self.error(bad, "building", code, self.outside(_("楼栋「%(code)s」") % {"code": code}))
            return None
        idv = c.get("id_number")
        id_value = idv.value if idv else ""
        if id_value:
            first = self.seen_ids.setdefault(id_value, number)
            if first != number:
                self.error(
                    bad,
                    "id_number",
                    mask_id_number(id_value),
                    _("与第 %(row)s 行的身份证号重复") % {"row": first},
                )
        else:
            key = (building[0], c.get("unit", ""), c["room"], c["name"])
            first = self.seen_names.setdefault(key, number)
            if first != number:
                self.error(
                    bad,
                    "name",
                    c["name"],
                    _("与第 %(row)s 行重复（同一户、同名且都没有身份证号）") % {"row": first},
                )
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
        fields += ("birth_date", "gender", "political_status_by_party")
        with_id = [r for r in self.records if r.id_value]
        for chunk in chunks(with_id, 1_000):
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
                        _("该身份证号已登记在导入范围「%(area)s」之外，请先由原辖区办理迁出或迁移")
                        % {"area": self.area.name},
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
        for part in chunks(keys, BATCH):
            ids = fast_insert(Household, [new_households[k] for k in part])
            self.households.update(zip(part, ids, strict=True))
        touched: set[int] = set()
        moved: dict[str, list[int]] = defaultdict(list)
        # Batch by batch, so at most BATCH model instances and pending updates exist at a time.
        for chunk in chunks(self.records, BATCH):
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
                    if name == "political_status" and old["political_status_by_party"]:
                        continue  # a registered party member's status follows the membership
                    set_changed(changes, old, name, value)
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
            out.updated += apply_updates(Resident, updates, self.now)
            self.add_tags([(t, r.pk, r.area_code, r.tag_reason) for r in chunk for t in r.tags], "resident")
        for code, pks in moved.items():
            for part in chunks(pks, BATCH):
                TagAssignment.objects.filter(resident_id__in=part).update(area_code=code)
        # A household without a head takes the member marked 户主.
        head = (
            Resident.objects.filter(household=OuterRef("pk"), relation=Resident.Relation.HEAD, is_active=True)
            .order_by("id")
            .values("id")[:1]
        )
        for chunk in chunks(sorted(touched), BATCH):
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


class BuildingImporter(Importer):
    kind = "buildings"

    def preload(self) -> None:
        self.grids = grids(self.prefix)
        self.seen: dict[str, int] = {}

    def check(self, number: int, c: dict, bad: list):
        grid = self.grids.get(c["grid"])
        if grid is None:
            self.error(bad, "grid", c["grid"], self.outside(_("网格「%(code)s」") % {"code": c["grid"]}))
        first = self.seen.setdefault(c["code"], number)
        if first != number:
            self.error(bad, "code", c["code"], _("与第 %(row)s 行的楼栋编码重复") % {"row": first})
        if bad:
            return None
        data = {n: c[n] for n in BUILDING_PLAIN if n in c}
        data["area_id"] = grid.pk
        return Record(number, c["code"], data, area_code=grid.code)

    def resolve(self) -> None:
        self.existing: dict[int, dict] = {}
        fields = ("id", "code", "area_id", "area_code", *BUILDING_PLAIN)
        by_code = {r.key: r for r in self.records}
        for chunk in chunks(list(by_code), BATCH):
            for row in Building.objects.filter(code__in=chunk).values(*fields):
                r = by_code[row["code"]]
                if not row["area_code"].startswith(self.prefix):
                    self.drop(
                        r,
                        "code",
                        r.key,
                        _("楼栋编码已被导入范围「%(area)s」之外的楼栋使用") % {"area": self.area.name},
                    )
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
                set_changed(changes, old, name, value)
            if "area_id" in changes:
                changes["area_code"] = r.area_code
                regridded.append((r.pk, r.area_code))
            if changes:
                updates.append((r.pk, changes))
            else:
                out.unchanged += 1
        for chunk in chunks(creates, BATCH):
            Building.objects.bulk_create(chunk)
        out.created = len(creates)
        out.updated = apply_updates(Building, updates, self.now)
        for pk, code in regridded:  # the building moved to another grid: its people move with it
            Household.objects.filter(building_id=pk).update(area_code=code)
            Resident.objects.filter(household__building_id=pk).update(area_code=code)
            TagAssignment.objects.filter(household__building_id=pk).update(area_code=code)
            TagAssignment.objects.filter(resident__household__building_id=pk).update(area_code=code)
        return out


# ---------------------------------------------------------------- households


class HouseholdImporter(Importer):
    kind = "households"

    def preload(self) -> None:
        self.buildings = buildings(self.prefix)
        self.households = households(self.prefix)
        self.load_tags()
        self.seen: dict[tuple, int] = {}

    def check(self, number: int, c: dict, bad: list):
        building = self.buildings.get(c["building"])
        if building is None:
            self.error(
                bad, "building", c["building"], self.outside(_("楼栋「%(code)s」") % {"code": c["building"]})
            )
            return None
        key = (building[0], c.get("unit", ""), c["room"])
        first = self.seen.setdefault(key, number)
        if first != number:
            self.error(
                bad, "room", c["room"], _("与第 %(row)s 行是同一户（楼栋、单元、室号相同）") % {"row": first}
            )
        tags = self.tag_ids(c, bad, for_resident=False)
        data = {n: c[n] for n in ("occupancy", "note") if n in c}
        record = Record(number, key, data, tags, c.get("tag_reason", ""), area_code=building[1])
        record.pk = self.households.get(key)
        return record

    def resolve(self) -> None:
        ids = [r.pk for r in self.records if r.pk]
        self.existing = {}
        for chunk in chunks(ids, BATCH):
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
                set_changed(changes, self.existing[r.pk], name, value)
            if changes:
                updates.append((r.pk, changes))
            else:
                out.unchanged += 1
        for chunk in chunks(creates, BATCH):
            Household.objects.bulk_create(chunk)
        it = iter(creates)
        for r in self.records:
            if r.pk is None:
                r.pk = next(it).pk
        out.created = len(creates)
        out.updated = apply_updates(Household, updates, self.now)
        self.add_tags(
            [(t, r.pk, r.area_code, r.tag_reason) for r in self.records for t in r.tags], "household"
        )
        return out


# ---------------------------------------------------------------- organisations

ORGANISATION_PLAIN = ("kind", "name", "address", "industry", "contact_name", "staff_count", "note")


class OrganisationImporter(Importer):
    kind = "organisations"

    def preload(self) -> None:
        self.grids = grids(self.prefix)
        self.buildings = buildings(self.prefix)
        self.seen_codes: dict[str, int] = {}
        self.seen_names: dict[tuple, int] = {}

    def check(self, number: int, c: dict, bad: list):
        grid = self.grids.get(c["grid"])
        if grid is None:
            self.error(bad, "grid", c["grid"], self.outside(_("网格「%(code)s」") % {"code": c["grid"]}))
            return None
        data = {n: c[n] for n in ORGANISATION_PLAIN if n in c}
        data["area_id"] = grid.pk
        if c.get("building"):
            building = self.buildings.get(c["building"])
            if building is None:
                self.error(
                    bad,
                    "building",
                    c["building"],
                    self.outside(_("楼栋「%(code)s」") % {"code": c["building"]}),
                )
            else:
                data["building_id"] = building[0]
        credit = c.get("credit_code") or ""
        if credit:
            first = self.seen_codes.setdefault(credit, number)
            if first != number:
                self.error(
                    bad, "credit_code", credit, _("与第 %(row)s 行的统一社会信用代码重复") % {"row": first}
                )
            data["credit_code"] = credit
        else:
            first = self.seen_names.setdefault((c["name"], grid.pk), number)
            if first != number:
                self.error(
                    bad,
                    "name",
                    c["name"],
                    _("与第 %(row)s 行重复（同一网格同名且都没有信用代码）") % {"row": first},
                )
        record = Record(number, credit or (c["name"], grid.pk), data, area_code=grid.code)
        record.phone = c.get("contact_phone") or ""
        return record

    def resolve(self) -> None:
        self.existing: dict[int, dict] = {}
        fields = ("id", "area_id", "area_code", "credit_code", "building_id", "contact_phone_hash")
        fields += ORGANISATION_PLAIN
        with_code = {r.key: r for r in self.records if isinstance(r.key, str)}
        for chunk in chunks(list(with_code), BATCH):
            for row in Organisation.objects.filter(credit_code__in=chunk).values(*fields):
                r = with_code[row["credit_code"]]
                if not row["area_code"].startswith(self.prefix):
                    self.drop(
                        r,
                        "credit_code",
                        r.key,
                        _("该信用代码已登记在导入范围「%(area)s」之外") % {"area": self.area.name},
                    )
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
                set_changed(changes, old, name, value)
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
        for chunk in chunks(creates, BATCH):
            Organisation.objects.bulk_create(chunk)
        out.created = len(creates)
        out.updated = apply_updates(Organisation, updates, self.now)
        return out


IMPORTERS: dict[str, type[Importer]] = {
    "buildings": BuildingImporter,
    "households": HouseholdImporter,
    "residents": ResidentImporter,
    "organisations": OrganisationImporter,
}
