# ruff: noqa: F811  (the world fixture is imported from test_history_import)
"""History import pages, API and command: who may import and see which jobs, the mapping page and API,
the command's output; historical cases on the case pages, refused rating and reopening."""

from __future__ import annotations

import io
import sys

import pytest
from django.core.management import call_command

from gridgov.assist import history, history_file
from gridgov.assist.models import CategoryAlias, HistoryImport, UnitAlias
from gridgov.assist.tests.test_history_import import row, world  # noqa: F401
from gridgov.cases.models import Case, Rating
from gridgov.core.errors import DomainError
from gridgov.testing.api import ApiClient
from gridgov.testing.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def inline(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.HISTORY_IMPORT_INLINE = True
    return tmp_path


def csv_upload(rows, name="old.csv") -> io.BytesIO:
    buffer = io.StringIO()
    import csv

    writer = csv.writer(buffer)
    writer.writerow([c.header for c in history_file.COLUMNS])
    for r in rows:
        writer.writerow(["" if r.get(c.name) is None else r.get(c.name) for c in history_file.COLUMNS])
    content = io.BytesIO(buffer.getvalue().encode("gb18030"))
    content.name = name
    return content


def signed_in(client, username):
    assert client.login(username=username, password=PASSWORD)
    return client


# ---------------------------------------------------------------- pages


def test_street_staff_upload_and_see_the_job(client, world, inline):
    c = signed_in(client, "street")
    page = c.get("/assist/history/")
    assert page.status_code == 200
    assert "工单编号" in page.content.decode() and 'name="file"' in page.content.decode()
    response = c.post("/assist/history/", {"file": csv_upload([row(1), row(2)]), "on_unmapped": "refuse", "area": "610302001"})  # fmt: skip
    assert response.status_code == 302
    job = HistoryImport.objects.get()
    assert response.url == f"/assist/history/{job.pk}/"
    assert job.state == HistoryImport.State.DONE and job.rows_created == 2
    body = c.get(response.url).content.decode()
    assert 'id="rows-created">2<' in body
    assert job.filename in c.get("/assist/history/").content.decode()


def test_job_page_lists_unmapped_names_and_errors(client, world, inline):
    job = history.import_rows([row(1, category="市容"), row(2, reported_at="不是时间")], by=world.district)
    body = signed_in(client, "district").get(f"/assist/history/{job.pk}/").content.decode()
    assert "市容" in body and "不是时间" in body and "上报时间" in body
    assert "去设置对应关系" in body


def test_community_worker_cannot_import(client, world, inline):
    c = signed_in(client, "community")
    assert c.get("/assist/history/").status_code == 404
    assert c.post("/assist/history/", {"file": csv_upload([row(1)])}).status_code == 404
    assert not HistoryImport.objects.exists()
    api = ApiClient("community")
    response = api.client.post(
        "/api/v1/assist/history", data={"file": csv_upload([row(1)])}, headers=api.headers
    )
    assert response.status_code == 403
    assert not Case.objects.filter(historical=True).exists()


def test_staff_see_only_jobs_in_their_scope(client, world, inline):
    mine = history.import_rows([row(1)], by=world.street)
    other = history.import_rows([row(2)], by=world.other_street, area="610302002")
    c = signed_in(client, "street")
    assert c.get(f"/assist/history/{mine.pk}/").status_code == 200
    assert c.get(f"/assist/history/{other.pk}/").status_code == 404
    api = ApiClient("street")
    assert [j["id"] for j in api.get("/assist/history").json()["items"]] == [mine.pk]
    assert api.get(f"/assist/history/{other.pk}").status_code == 404
    district = ApiClient("district")
    assert {j["id"] for j in district.get("/assist/history").json()["items"]} == {mine.pk, other.pk}


def test_upload_outside_scope_is_refused(world, inline):
    api = ApiClient("street")
    response = api.client.post(
        "/api/v1/assist/history",
        data={"file": csv_upload([row(1)]), "area": "610302002"},
        headers=api.headers,
    )
    assert response.status_code == 404
    assert response.json()["field"] == "area"


def test_mapping_page_maps_an_unmapped_name_then_reimport_succeeds(client, world, inline):
    rows = [row(1, category="市容", unit="老城管"), row(2, category="市容")]
    first = history.import_rows(rows, by=world.district)
    assert first.state == HistoryImport.State.REJECTED
    c = signed_in(client, "district")
    body = c.get("/assist/history/mapping/").content.decode()
    assert "市容" in body and "老城管" in body and 'name="target"' in body
    response = c.post(
        "/assist/history/mapping/", {"kind": "category", "name": "市容", "target": world.category.pk}
    )
    assert response.status_code == 302
    assert CategoryAlias.objects.get(name="市容").category == world.category
    c.post("/assist/history/mapping/", {"kind": "unit", "name": "老城管", "target": world.unit_a.pk})
    again = history.import_rows(rows, by=world.district)
    assert again.state == HistoryImport.State.DONE and again.rows_created == 2
    assert Case.objects.filter(historical=True, lead_unit=world.unit_a).count() == 1


def test_street_staff_cannot_change_the_mapping(client, world, inline):
    c = signed_in(client, "street")
    assert c.get("/assist/history/mapping/").status_code == 200
    assert (
        c.post("/assist/history/mapping/", {"kind": "category", "name": "市容", "target": ""}).status_code
        == 404
    )
    api = ApiClient("street")
    assert api.put("/assist/history/aliases", {"kind": "category", "name": "市容"}).status_code == 403
    assert not CategoryAlias.objects.exists()


# ---------------------------------------------------------------- API


def test_api_upload_detail_and_aliases(world, inline):
    api = ApiClient("district")
    response = api.client.post(
        "/api/v1/assist/history",
        data={
            "file": csv_upload([row(1), row(2, category="旧分类"), row(3, unit="旧单位")]),
            "on_unmapped": "skip",
        },
        headers=api.headers,
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["state"] == "done" and created["rows_created"] == 2 and created["rows_skipped"] == 1
    detail = api.get(f"/assist/history/{created['id']}").json()
    assert detail["unmapped"] == {"categories": {"旧分类": 1}, "units": {"旧单位": 1}}
    assert detail["area"] == "610302"
    aliases = api.get("/assist/history/aliases").json()
    assert [(a["name"], a["mapped"], a["rows"]) for a in aliases["categories"]] == [("旧分类", False, 1)]
    put = api.put("/assist/history/aliases", {"kind": "category", "name": "旧分类", "target": "litter"})
    assert put.status_code == 200, put.content
    assert put.json() == {
        "kind": "category",
        "name": "旧分类",
        "mapped": True,
        "target": "litter",
        "target_name": "垃圾堆放",
        "rows": 0,
    }
    put = api.put("/assist/history/aliases", {"kind": "unit", "name": "旧单位", "target": None})
    assert put.json()["mapped"] is True and UnitAlias.objects.get(name="旧单位").unit is None
    bad = api.put("/assist/history/aliases", {"kind": "category", "name": "x", "target": "nope"})
    assert bad.status_code == 400 and bad.json()["field"] == "category"


# ---------------------------------------------------------------- command


def test_command_maps_imports_and_prints_the_outcome(world, inline):
    path = history_file.write_rows(inline / "old.xlsx", [row(1, category="环卫"), row(2, category="杂项"), row(3, category="噪音"), row(4, reported_at="x")])  # fmt: skip
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "import_history",
        str(path),
        "--on-unmapped",
        "skip",
        "--map",
        "环卫=litter",
        "--map",
        "杂项=",
        stdout=out,
        stderr=err,
    )
    text = out.getvalue()
    assert "已完成" in text
    assert "数据行 4，新增 1，已导入过 0，跳过 3，错误 1" in text
    assert "噪音 (1)" in text
    assert "第 5 行 [上报时间]" in text
    assert CategoryAlias.objects.get(name="杂项").category is None


def test_command_refuses_and_exits_1(world, inline):
    path = history_file.write_rows(inline / "old.csv", [row(1, category="噪音")])
    out = io.StringIO()
    with pytest.raises(SystemExit) as exc:
        call_command("import_history", str(path), stdout=out, stderr=io.StringIO())
    assert exc.value.code == 1
    assert "有错误，未导入" in out.getvalue() and "噪音 (1)" in out.getvalue()


def test_command_help_is_translated():
    from django.utils import translation

    from gridgov.assist.management.commands.import_history import Command

    with translation.override("zh-hans"):
        assert "历史工单" in Command().help
    assert sys.modules  # the command module imports without a database


# ---------------------------------------------------------------- the cases


def test_case_pages_mark_historical_cases(client, world):
    history.import_rows([row(1)], by=world.district)
    case = Case.objects.get(historical=True)
    c = signed_in(client, "district")
    detail = c.get(f"/cases/{case.ref}/")
    assert detail.status_code == 200
    assert 'id="case-historical"' in detail.content.decode()
    listing = ApiClient("district").get("/cases?state=closed").json()["items"]
    assert [(c["ref"], c["historical"]) for c in listing] == [(case.ref, True)]


def test_historical_cases_cannot_be_rated_or_reopened(world):
    from gridgov.cases.actions import case_rate, case_reopen
    from gridgov.cases.workflow import allowed_actions

    history.import_rows([row(1)], by=world.district)
    case = Case.objects.get(historical=True)
    assert allowed_actions(world.district, case) == []
    with pytest.raises(DomainError) as exc:
        case_reopen(ref=case.ref, by=world.district, reason="居民不满意")
    assert exc.value.code == "historical" and exc.value.status == 409
    Case.objects.filter(pk=case.pk).update(rating=Rating.UNSATISFIED)  # even when an old rating says so
    with pytest.raises(DomainError) as exc:
        case_reopen(ref=case.ref, by=world.district, reason="居民不满意")
    assert exc.value.code == "historical"
    with pytest.raises(DomainError) as exc:
        case_rate(ref=case.ref, by=world.district, rating=Rating.SATISFIED)
    assert exc.value.code in ("historical", "not_found")
