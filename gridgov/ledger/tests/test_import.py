"""Ledger import: good rows, all-or-nothing with a row-level report, valid rows with the rejected-rows file,
re-import idempotence, references checked against the job's area, tags, the audit entry.

The helpers and the ``iw`` world here are shared by the other ``test_import*``/``test_export*`` modules."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

import pytest
from django.contrib.auth.models import Permission
from openpyxl import Workbook, load_workbook

from gridgov.accounts.models import User
from gridgov.core.models import AuditEntry
from gridgov.core.validators import synthetic_id_number
from gridgov.ledger import rules
from gridgov.ledger.imports import ledger_import_create
from gridgov.ledger.models import Building, Household, ImportJob, Organisation, Resident, TagAssignment
from gridgov.ledger.tags import ensure_standard_tags
from gridgov.testing.factories import Tree, make_ledger, make_tree, make_user

GRID_A = "610302001001001"
GRID_A2 = "610302001001002"
GRID_B = "610302002001001"
COMMUNITY_A = "610302001001"
BUILDING_A = f"B-{GRID_A}-A"
BUILDING_B = f"B-{GRID_B}-B"


@dataclass
class ImportWorld:
    tree: Tree
    admin: User
    worker: User  # grid GRID_A
    secretary: User  # community COMMUNITY_A, may reveal
    colleague: User  # community COMMUNITY_A, may not reveal
    building: Building
    household: Household
    head: Resident
    spouse: Resident
    other_building: Building


def grant_reveal(user: User) -> User:
    user.user_permissions.add(
        Permission.objects.get(codename="reveal_personal", content_type__app_label="ledger")
    )
    return User.objects.get(pk=user.pk)


@pytest.fixture
def inline_jobs(settings, tmp_path):
    settings.LEDGER_JOBS_INLINE = True
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings


@pytest.fixture
def iw(db, inline_jobs) -> ImportWorld:  # noqa: ARG001
    tree = make_tree()
    admin = tree.admin
    ensure_standard_tags()
    building, household, head, spouse = make_ledger(admin, GRID_A, "A")
    other_building, *_ = make_ledger(admin, GRID_B, "B")
    return ImportWorld(
        tree=tree,
        admin=admin,
        worker=make_user(admin, "worker", "grid_worker", tree[GRID_A]),
        secretary=grant_reveal(make_user(admin, "secretary", "community", tree[COMMUNITY_A])),
        colleague=make_user(admin, "colleague", "community", tree[COMMUNITY_A]),
        building=building,
        household=household,
        head=head,
        spouse=spouse,
        other_building=other_building,
    )


def xlsx(kind: str, rows: list[dict], headers: list[str] | None = None) -> io.BytesIO:
    """A workbook in the template's layout; ``rows`` are dicts keyed by column name (missing = blank)."""
    columns = rules.COLUMNS[kind]
    wb = Workbook()
    ws = wb.active
    ws.append(headers if headers is not None else [c.header for c in columns])
    for row in rows:
        ws.append([row.get(c.name) for c in columns])
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    out.name = f"{kind}.xlsx"
    return out


def idn(seq: int, born: date = date(1980, 5, 17)) -> str:
    return synthetic_id_number("610302", born, seq)


def resident(name: str, seq: int | None, room: str = "201", **kw) -> dict:
    row = {
        "name": name,
        "id_number": idn(seq) if seq is not None else None,
        "building": BUILDING_A,
        "unit": "1",
        "room": room,
        "relation": "户主",
    }
    row.update(kw)
    return row


def run(by, kind: str, rows: list[dict], area: str = COMMUNITY_A, mode: str = "all_or_nothing", **kw):
    job = ledger_import_create(by=by, kind=kind, area=area, file=xlsx(kind, rows, **kw), mode=mode)
    job.refresh_from_db()
    return job


# ---------------------------------------------------------------- residents


def test_good_rows_are_imported_with_households_created_once_and_tags(iw):
    rows = [
        resident("张伟", 1, phone="13800001111", tags="独居老人、残疾人", tag_reason="2024 年走访认定"),
        resident("张丽", 2, relation="配偶", ethnicity="汉族"),
        resident("赵强", 3, room="202", relation="户主", political_status="中共党员"),
        resident("钱小宝", None, room="202", relation="子女"),
    ]
    job = run(iw.worker, "residents", rows, area=GRID_A)
    assert job.state == ImportJob.State.DONE, (job.message, job.errors)
    assert (job.rows_total, job.rows_created, job.rows_updated, job.error_count) == (4, 4, 0, 0)
    zhang = Resident.objects.get(name="张伟")
    assert zhang.id_number == idn(1) and zhang.id_number_masked == idn(1)[:4] + "*" * 10 + idn(1)[-4:]
    assert zhang.phone == "13800001111" and zhang.phone_masked == "138****1111"
    assert zhang.birth_date == date(1980, 5, 17) and zhang.area_code == GRID_A
    # "enter once": rooms 201 and 202 became households, the head is set from the 户主 row
    h201 = Household.objects.get(building=iw.building, unit="1", room="201")
    assert h201.head == zhang and h201.members.count() == 2
    assert Household.objects.get(room="202").members.count() == 2
    tags = TagAssignment.objects.filter(resident=zhang).order_by("tag__code")
    assert [(t.tag.name, t.reason) for t in tags] == [
        ("残疾人", "2024 年走访认定"),
        ("独居老人", "2024 年走访认定"),
    ]
    assert tags[0].area_code == GRID_A and tags[0].by == iw.worker
    # one audit entry for the job, with counts and no personal data
    entries = AuditEntry.objects.filter(verb="ledger.import")
    assert entries.count() == 1
    assert entries[0].after["created"] == 4 and idn(1) not in str(entries[0].after)


def test_all_or_nothing_imports_nothing_and_reports_every_error(iw):
    before = Resident.objects.count()
    rows = [
        resident("好人", 11),
        {**resident("", 12), "id_number": "610302198005171230"},  # no name, bad check digit
        resident("外人", 13, building=BUILDING_B),  # building outside the area
        resident("重复", 11, room="203"),  # same ID as row 2
        resident("标签", 14, tags="不存在的标签"),
        resident("关系", 15, relation="邻居"),
    ]
    job = run(iw.worker, "residents", rows, area=GRID_A)
    assert job.state == ImportJob.State.REJECTED
    assert Resident.objects.count() == before and job.rows_created == 0
    assert job.rows_total == 6 and job.rows_rejected == 5
    errors = [(e["row"], e["column"], e["reason"]) for e in job.errors]
    assert (3, "姓名", "必填") in errors
    assert any(r == 3 and c == "身份证号" and "校验位" in reason for r, c, reason in errors)
    assert any(r == 4 and c == "楼栋编码" and "不在导入范围" in reason for r, c, reason in errors)
    assert any(r == 5 and c == "身份证号" and "与第 2 行" in reason for r, c, reason in errors)
    assert any(r == 6 and c == "重点人群标签" and "不存在的标签" in reason for r, c, reason in errors)
    assert any(r == 7 and c == "与户主关系" and "邻居" in reason for r, c, reason in errors)
    assert job.error_count == len(job.errors) == 6
    row3_bad_id = next(e for e in job.errors if e["row"] == 3 and e["column"] == "身份证号")
    assert row3_bad_id["value"] == "610302198005171230"
    assert not AuditEntry.objects.filter(verb="ledger.import").exists()


def test_valid_rows_mode_imports_good_rows_and_returns_the_rejected_ones(iw):
    from gridgov.ledger.imports import error_report_path, rejected_rows_path

    rows = [resident("好人甲", 21), resident("坏人", 22, relation="邻居"), resident("好人乙", 23, room="301")]
    job = run(iw.worker, "residents", rows, area=GRID_A, mode="valid_rows")
    assert job.state == ImportJob.State.DONE
    assert (job.rows_created, job.rows_rejected, job.error_count) == (2, 1, 1)
    assert set(Resident.objects.filter(name__startswith="好人").values_list("name", flat=True)) == {
        "好人甲",
        "好人乙",
    }
    assert not Resident.objects.filter(name="坏人").exists()
    ws = load_workbook(rejected_rows_path(job)).active
    values = list(ws.iter_rows(values_only=True))
    assert values[0][-2:] == ("原行号", "错误原因")
    assert values[1][0] == "坏人" and values[1][-2] == 3 and "与户主关系" in values[1][-1]
    report = list(load_workbook(error_report_path(job)).active.iter_rows(values_only=True))
    assert report[0] == ("行号", "列", "内容", "原因") and report[1][:3] == (3, "与户主关系", "邻居")


def test_reimport_of_the_same_file_updates_and_never_duplicates(iw):
    rows = [
        resident("孙一", 31, phone="13800003131", tags="独居老人"),
        resident("孙二", None, relation="配偶"),
    ]
    first = run(iw.worker, "residents", rows, area=GRID_A)
    assert first.rows_created == 2
    counts = (Resident.objects.count(), Household.objects.count(), TagAssignment.objects.count())
    again = run(iw.worker, "residents", rows, area=GRID_A)
    assert again.state == ImportJob.State.DONE
    assert (again.rows_created, again.rows_updated) == (0, 0) and "2 条无变化" in again.message
    assert (Resident.objects.count(), Household.objects.count(), TagAssignment.objects.count()) == counts
    # a changed file updates the matched rows in place (by ID hash, and by household + name without ID)
    rows[0].update(phone="13900003131", workplace="宝鸡市第一中学")
    rows[1].update(ethnicity="回族")
    changed = run(iw.worker, "residents", rows, area=GRID_A)
    assert (changed.rows_created, changed.rows_updated) == (0, 2)
    sun = Resident.objects.get(name="孙一")
    assert (
        sun.phone == "13900003131" and sun.phone_masked == "139****3131" and sun.workplace == "宝鸡市第一中学"
    )
    assert Resident.objects.get(name="孙二").ethnicity == "回族"
    assert Resident.objects.count() == counts[0]


def test_reimport_matches_by_id_hash_under_an_old_key_during_rotation(iw, settings):
    from cryptography.fernet import Fernet

    run(iw.worker, "residents", [resident("周一", 41)], area=GRID_A)
    settings.FIELD_KEY = Fernet.generate_key().decode() + "," + settings.FIELD_KEY
    job = run(iw.worker, "residents", [resident("周一", 41)], area=GRID_A)
    assert (job.rows_created, job.rows_updated) == (0, 1)  # found under the old key, re-hashed under the new
    zhou = Resident.objects.get(name="周一")
    from gridgov.core.crypto import blind_index

    assert zhou.id_number_hash == blind_index(idn(41)) and zhou.id_number == idn(41)


def test_resident_registered_outside_the_area_is_a_row_error(iw):
    row = resident("王建国", None)
    row["id_number"] = iw.head.id_number  # lives in GRID_A
    job = run(iw.admin, "residents", [{**row, "building": BUILDING_B}], area=GRID_B)
    assert job.state == ImportJob.State.REJECTED
    assert job.errors[0]["column"] == "身份证号" and "导入范围" in job.errors[0]["reason"]
    assert "*" in job.errors[0]["value"]  # the report never repeats a full ID number of someone else


def test_existing_resident_without_id_gets_the_id_from_the_file(iw):
    run(iw.worker, "residents", [resident("吴无号", None, room="501")], area=GRID_A)
    job = run(iw.worker, "residents", [resident("吴无号", 51, room="501")], area=GRID_A)
    assert (job.rows_created, job.rows_updated) == (0, 1)
    assert Resident.objects.get(name="吴无号").id_number == idn(51)


def test_area_outside_scope_is_404_and_rows_outside_area_are_errors(iw):
    from gridgov.core.errors import NotFound

    with pytest.raises(NotFound):
        ledger_import_create(by=iw.worker, kind="residents", area=GRID_B, file=xlsx("residents", []))
    with pytest.raises(NotFound):
        ledger_import_create(by=iw.worker, kind="residents", area="610302", file=xlsx("residents", []))
    # a grid code of another grid of the same community is outside a grid worker's area GRID_A
    job = run(iw.worker, "buildings", [{"code": "X-1", "name": "1号楼", "grid": GRID_A2}], area=GRID_A)
    assert job.state == ImportJob.State.REJECTED and "不在导入范围" in job.errors[0]["reason"]


# ---------------------------------------------------------------- other kinds


def test_buildings_households_organisations_import_and_reimport(iw):
    buildings = [
        {"code": "C-1", "name": "1号楼", "grid": GRID_A, "kind": "住宅楼", "units": 3, "floors": 6},
        {"code": "C-2", "name": "2号楼", "grid": GRID_A2, "address": "经二路 2 号"},
    ]
    job = run(iw.secretary, "buildings", buildings)
    assert (job.state, job.rows_created) == (ImportJob.State.DONE, 2), job.errors
    assert Building.objects.get(code="C-1").units == 3
    buildings[0]["floors"] = 7
    job = run(iw.secretary, "buildings", buildings)
    assert (job.rows_created, job.rows_updated) == (0, 1)
    assert Building.objects.get(code="C-1").floors == 7

    households = [
        {"building": "C-1", "unit": "1", "room": "101", "occupancy": "出租", "tags": "困难家庭"},
        {"building": "C-2", "room": "1", "tags": "独居老人"},  # a resident tag on a household
    ]
    job = run(iw.secretary, "households", households, mode="valid_rows")
    assert (job.rows_created, job.rows_rejected) == (1, 1)
    assert "不能用于户" in job.errors[0]["reason"]
    hh = Household.objects.get(building__code="C-1", room="101")
    assert hh.occupancy == "rented" and hh.tags.get().tag.code == "needy"
    job = run(iw.secretary, "households", households[:1])
    assert (job.rows_created, job.rows_updated) == (0, 0) and Household.objects.filter(
        building__code="C-1"
    ).count() == 1

    orgs = [
        {
            "kind": "商户",
            "name": "便民超市",
            "grid": GRID_A,
            "building": "C-1",
            "contact_phone": "13800008888",
        },
        {"kind": "物业企业", "name": "安居物业", "credit_code": "91610302MA6X12345T", "grid": GRID_A2},
    ]
    job = run(iw.secretary, "organisations", orgs, mode="valid_rows")
    if job.error_count:  # the sample credit code may not carry a valid check character
        assert job.errors[0]["column"] == "统一社会信用代码"
        orgs[1].pop("credit_code")
        job = run(iw.secretary, "organisations", orgs)
    assert Organisation.objects.filter(name="便民超市").get().contact_phone_masked == "138****8888"
    count = Organisation.objects.count()
    job = run(iw.secretary, "organisations", orgs)
    assert job.rows_created == 0 and Organisation.objects.count() == count
