"""History import: mapping of old names, row-level errors, refuse or skip, idempotent re-import, .xlsx and
.csv files (UTF-8 and GB18030), and the imported cases themselves."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from gridgov.assist import history, history_file
from gridgov.assist.models import CategoryAlias, HistoryImport, UnitAlias
from gridgov.cases.models import Case, Category, Channel, State
from gridgov.cases.tests.conftest import IN_GRID_111, IN_GRID_221, TZ, World, build_world
from gridgov.core.errors import DomainError

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db) -> World:  # noqa: ARG001
    w = build_world()
    Category.objects.create(
        code="road_repair",
        name="道路维修",
        response_limit=Decimal("2"),
        response_unit="urgent_hours",
        resolution_limit=Decimal("24"),
        resolution_unit="urgent_hours",
    )
    return w


def row(n: int = 1, **kw) -> dict:
    base = {
        "ref": f"OLD-{n:05d}",
        "reported_at": f"2023/5/{1 + n % 28} 14:03",
        "text": f"小区门口垃圾堆放多日 {n}",
        "category": "垃圾堆放",
        "lng": IN_GRID_111[0],
        "lat": IN_GRID_111[1],
    }
    base.update(kw)
    return base


def test_rows_become_closed_historical_cases(world):
    job = history.import_rows(
        [
            row(1, unit="城管执法局", result="已清运", closed_at="2023-05-03 10:00", address="幸福路 1 号"),
            row(2, lng=IN_GRID_221[0], lat=IN_GRID_221[1], category="litter"),
            row(3, lng=None, lat=None, grid="610302001001002"),
            row(4, lng=None, lat=None),
        ],
        by=world.district,
    )
    assert job.state == HistoryImport.State.DONE, job.message
    assert (job.rows_total, job.rows_created, job.rows_existing, job.rows_skipped) == (4, 4, 0, 0)
    cases = {c.description[-1]: c for c in Case.objects.filter(historical=True)}
    one = cases["1"]
    assert one.state == State.CLOSED and one.channel == Channel.API
    assert one.area_code == "610302001001001" and one.level == "grid"
    assert one.lead_unit == world.unit_a and one.result == "已清运" and one.address == "幸福路 1 号"
    assert one.reported_at == datetime(2023, 5, 2, 14, 3, tzinfo=TZ)
    assert one.closed_at == datetime(2023, 5, 3, 10, 0, tzinfo=TZ)
    assert one.ref.startswith("LS-20230502-") and len(one.ref) <= 32
    assert one.idempotency_key.startswith("history:")
    assert one.entered_by == world.district
    assert cases["2"].area_code == "610302002002002"
    assert cases["3"].area_code == "610302001001002"
    assert cases["4"].area_code == "610302" and cases["4"].level == "district"  # the job's area
    assert cases["4"].closed_at == cases["4"].reported_at


def test_alias_maps_an_old_name_and_an_alias_to_nothing_leaves_rows_out(world):
    CategoryAlias.objects.create(name="环境卫生", category=world.category)
    CategoryAlias.objects.create(name="其他", category=None)
    UnitAlias.objects.create(name="区城管局", unit=world.unit_a)
    job = history.import_rows(
        [row(1, category="环境卫生", unit="区城管局"), row(2, category="其他"), row(3, unit="不认识的单位")],
        by=world.district,
    )
    assert job.state == HistoryImport.State.DONE
    assert (job.rows_created, job.rows_skipped) == (2, 1)
    assert job.unmapped == {"categories": {}, "units": {"不认识的单位": 1}}
    first = Case.objects.get(description__endswith=" 1")
    assert first.category == world.category and first.lead_unit == world.unit_a
    assert Case.objects.get(description__endswith=" 3").lead_unit is None


def test_unmapped_names_refuse_everything_with_counts(world):
    job = history.import_rows(
        [row(1), row(2, category="市容环境"), row(3, category="市容环境"), row(4, category="噪音")],
        by=world.district,
    )
    assert job.state == HistoryImport.State.REJECTED
    assert job.unmapped["categories"] == {"市容环境": 2, "噪音": 1}
    assert "2 个分类名称未对应" in job.message
    assert job.rows_created == 0 and not Case.objects.filter(historical=True).exists()


def test_unmapped_names_skipped_when_asked(world):
    job = history.import_rows(
        [row(1), row(2, category="市容环境"), row(3, category="道路维修")],
        by=world.district,
        on_unmapped="skip",
    )
    assert job.state == HistoryImport.State.DONE
    assert (job.rows_created, job.rows_skipped) == (2, 1)
    assert job.unmapped["categories"] == {"市容环境": 1}
    assert Case.objects.filter(category__code="road_repair", historical=True).count() == 1  # exact name


def test_row_errors_name_row_column_value_and_reason(world):
    rows = [
        row(1),
        row(2, reported_at="昨天"),
        row(3, text=""),
        row(4, text="长" * 2001),
        row(5, lng=200),
        row(6, lat=None),
        row(7, closed_at="2023-01-01"),
        row(8, grid="不存在的网格", lng=None, lat=None),
        row(9, reported_at=None),
    ]
    job = history.import_rows(rows, by=world.district)
    assert job.state == HistoryImport.State.REJECTED
    assert Case.objects.filter(historical=True).count() == 0
    found = {(e["row"], e["column"]) for e in job.errors}
    assert found == {
        (3, "上报时间"),
        (4, "问题描述"),
        (5, "问题描述"),
        (6, "经度"),
        (7, "纬度"),
        (8, "办结时间"),
        (9, "所属网格"),
        (10, "上报时间"),
    }
    by_row = {e["row"]: e for e in job.errors}
    assert by_row[3]["value"] == "昨天" and "无法识别" in by_row[3]["reason"]
    assert by_row[4]["reason"] == "必填"
    assert "2000" in by_row[5]["reason"]
    assert "早于上报时间" in by_row[8]["reason"]
    assert job.error_count == 8

    skipped = history.import_rows(rows, by=world.district, on_unmapped="skip")
    assert skipped.state == HistoryImport.State.DONE
    assert (skipped.rows_created, skipped.rows_skipped, skipped.error_count) == (1, 8, 8)


def test_reimport_creates_nothing_new(world):
    rows = [row(1), row(2), row(3, ref=None), row(3, ref=None)]  # the last one twice in the file
    first = history.import_rows(rows, by=world.district)
    assert (first.rows_created, first.rows_existing) == (3, 1)
    again = history.import_rows(rows + [row(4)], by=world.district)
    assert again.state == HistoryImport.State.DONE
    assert (again.rows_created, again.rows_existing) == (1, 4)
    assert Case.objects.filter(historical=True).count() == 4


def test_rows_outside_the_importers_scope_are_errors(world):
    job = history.import_rows(
        [row(1), row(2, lng=IN_GRID_221[0], lat=IN_GRID_221[1])], by=world.street, on_unmapped="skip"
    )
    assert job.area.code == "610302001"  # the street's own area
    assert job.rows_created == 1
    assert [(e["row"], e["column"]) for e in job.errors] == [(3, "经度")]


def test_community_staff_cannot_import(world):
    with pytest.raises(DomainError) as exc:
        history.import_rows([row(1)], by=world.community)
    assert exc.value.status == 403


@pytest.mark.parametrize(
    ("name", "encoding"), [("h.xlsx", None), ("h.csv", "utf-8-sig"), ("h.csv", "utf-8"), ("h.csv", "gb18030")]
)
def test_files_in_every_format_import(world, tmp_path, settings, name, encoding):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.HISTORY_IMPORT_INLINE = True
    path = history_file.write_rows(
        tmp_path / name, [row(1), row(2, text="=公式不执行")], encoding=encoding or "utf-8"
    )
    job = history.history_import_create(by=world.district, file=path, filename=name)
    assert job.state == HistoryImport.State.DONE, job.message
    assert job.rows_created == 2
    assert Case.objects.filter(description="=公式不执行", historical=True).exists()


def test_aware_moments_keep_their_wall_clock_time_through_a_workbook(world, tmp_path, settings):
    from zoneinfo import ZoneInfo

    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.HISTORY_IMPORT_INLINE = True
    at = datetime(2023, 5, 6, 14, 3, tzinfo=ZoneInfo("Asia/Shanghai"))
    path = history_file.write_rows(tmp_path / "aware.xlsx", [row(1, reported_at=at)])
    job = history.history_import_create(by=world.district, file=path, filename="aware.xlsx")
    assert job.state == HistoryImport.State.DONE, job.message
    assert Case.objects.get(historical=True).reported_at == at


def test_english_headers_and_excel_dates(world, tmp_path, settings):
    from openpyxl import Workbook

    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.HISTORY_IMPORT_INLINE = True
    wb = Workbook()
    ws = wb.active
    ws.append(["ref", "reported_at", "text", "category", "grid"])
    ws.append(["A1", datetime(2022, 3, 4, 8, 30), "井盖松动有响声", "litter", "610302001001001"])
    ws.append(["A2", 44000, "井盖松动有响声", "litter", "610302001001001"])  # an unformatted Excel date
    ws.append([None, None, None, None, None])
    wb.save(tmp_path / "en.xlsx")
    job = history.history_import_create(by=world.district, file=tmp_path / "en.xlsx")
    assert job.state == HistoryImport.State.DONE, job.errors
    assert job.rows_total == 2
    assert {c.reported_at.date().isoformat() for c in Case.objects.filter(historical=True)} == {
        "2022-03-04",
        "2020-06-17",
    }


def test_wrong_files_are_refused(world, tmp_path, settings):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    bad = tmp_path / "bad.csv"
    bad.write_text("编号,内容\n1,2\n", encoding="utf-8")
    settings.HISTORY_IMPORT_INLINE = True
    job = history.history_import_create(by=world.district, file=bad)
    assert job.state == HistoryImport.State.FAILED
    assert "缺少列" in job.message and "上报时间" in job.message
    binary = tmp_path / "x.csv"
    binary.write_bytes(b"\x00\x01\x02" * 100)
    with pytest.raises(DomainError):
        history.history_import_create(by=world.district, file=binary)


def test_rerun_of_a_finished_job_does_nothing_and_recovery_requeues_stale_jobs(world, tmp_path, settings):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.HISTORY_IMPORT_INLINE = True
    path = history_file.write_rows(tmp_path / "h.csv", [row(1)])
    job = history.history_import_create(by=world.district, file=path, start=False)
    assert history.history_import_recover() == [job.pk]
    job.refresh_from_db()
    assert job.state == HistoryImport.State.DONE
    assert history.history_import_run(job.pk) is None
