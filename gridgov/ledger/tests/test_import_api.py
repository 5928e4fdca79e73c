"""``/api/v1/imports`` and the import pages: templates with headers and drop-down lists, upload, status,
error report and rejected rows, scope (404), refusals for non-staff."""

# ruff: noqa: F811  (the shared fixtures are imported from test_import)
from __future__ import annotations

import io

from openpyxl import load_workbook

from gridgov.ledger import rules
from gridgov.ledger.models import ImportJob, Resident
from gridgov.ledger.tests.test_import import (  # noqa: F401
    COMMUNITY_A,
    GRID_A,
    GRID_B,
    inline_jobs,
    iw,
    resident,
    xlsx,
)
from gridgov.testing.api import ApiClient
from gridgov.testing.factories import PASSWORD, make_user


def post_file(api: ApiClient, content: io.BytesIO, **form):
    form.setdefault("kind", "residents")
    return api.client.post("/api/v1/imports", data={"file": content, **form}, headers=api.headers)


def test_template_has_chinese_headers_comments_widths_and_validation_lists(iw):
    api = ApiClient("worker")
    response = api.get("/imports/templates/residents")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    ws = wb.worksheets[0]
    headers = [c.value for c in ws[1]]
    assert headers == [c.header for c in rules.RESIDENT_COLUMNS]
    assert "必填" in ws["A1"].comment.text and "18 位" in ws["B1"].comment.text
    assert ws.column_dimensions["B"].width >= 22
    lists = {str(dv.sqref)[0]: dv.formula1 for dv in ws.data_validations.dataValidation}
    relation_col = "G"  # 与户主关系
    assert lists[relation_col] == '"户主,配偶,子女,父母,孙辈,兄弟姐妹,租户,其他"'
    assert lists["L"].startswith("'标签'!$A$1")  # 重点人群标签 → the hidden sheet of active tags
    tags = wb["标签"]
    assert tags.sheet_state == "hidden"
    names = [r[0] for r in tags.iter_rows(values_only=True)]
    assert "独居老人" in names and "困难家庭" not in names  # household-only tags are not offered
    assert "填写说明" in wb.sheetnames
    assert api.get("/imports/templates/pets").status_code == 400
    for kind in ("buildings", "households", "organisations"):
        assert api.get(f"/imports/templates/{kind}").status_code == 200


def test_upload_runs_the_job_and_shows_status_errors_and_reports(iw):
    api = ApiClient("worker")
    rows = [resident("张伟", 1), resident("坏行", 2, relation="邻居")]
    response = post_file(api, xlsx("residents", rows), area=GRID_A, mode="valid_rows")
    assert response.status_code == 201, response.content
    job = response.json()
    assert job["state"] == "done" and job["rows_created"] == 1 and job["rows_rejected"] == 1
    detail = api.get(f"/imports/{job['id']}").json()
    assert detail["errors"] == [
        {"row": 3, "column": "与户主关系", "value": "邻居", "reason": detail["errors"][0]["reason"]}
    ]
    assert detail["rows_checked"] == 2 and detail["heartbeat_at"]
    report = api.get(detail["error_report"].removeprefix("/api/v1"))
    assert report.status_code == 200
    ws = load_workbook(io.BytesIO(b"".join(report.streaming_content))).active
    assert list(ws.iter_rows(values_only=True))[1][:3] == (3, "与户主关系", "邻居")
    rejected = api.get(detail["rejected_rows"].removeprefix("/api/v1"))
    ws = load_workbook(io.BytesIO(b"".join(rejected.streaming_content))).active
    assert list(ws.iter_rows(values_only=True))[1][0] == "坏行"
    listing = api.get("/imports").json()
    assert listing["count"] == 1 and listing["items"][0]["id"] == job["id"]


def test_upload_refusals(iw):
    api = ApiClient("worker")
    assert post_file(api, xlsx("residents", []), area=GRID_B).status_code == 404
    bad = io.BytesIO(b"name,id\n1,2\n")
    bad.name = "x.xlsx"
    response = post_file(api, bad, area=GRID_A)
    assert response.status_code == 400 and response.json()["code"] == "not_xlsx"
    assert response.json()["field"] == "file"
    response = post_file(api, xlsx("residents", []), area=GRID_A, mode="sometimes")
    assert response.status_code == 400 and response.json()["field"] == "mode"
    assert post_file(api, xlsx("residents", []), area=GRID_A, kind="pets").status_code == 400
    make_user(iw.admin, "resident1", "resident")
    assert post_file(ApiClient("resident1"), xlsx("residents", []), area=GRID_A).status_code == 403
    assert ApiClient().get("/imports").status_code == 401
    assert not ImportJob.objects.exists()


def test_jobs_of_other_areas_are_not_visible(iw):
    other = make_user(iw.admin, "worker_b", "grid_worker", iw.tree[GRID_B])
    job = post_file(ApiClient("worker"), xlsx("residents", [resident("张伟", 1)]), area=GRID_A).json()
    api_b = ApiClient(other.username)
    assert api_b.get(f"/imports/{job['id']}").status_code == 404
    assert api_b.get(f"/imports/{job['id']}/errors.xlsx").status_code == 404
    assert api_b.get("/imports").json()["count"] == 0
    assert ApiClient("secretary").get(f"/imports/{job['id']}").status_code == 200  # community above


def test_import_pages(iw, client):
    client.login(username="secretary", password=PASSWORD)
    page = client.get("/ledger/imports/")
    assert page.status_code == 200 and "台账导入" in page.content.decode()
    assert client.get("/ledger/imports/templates/residents.xlsx").status_code == 200
    upload = xlsx("residents", [resident("页面导入", 5), resident("", 6)])
    response = client.post(
        "/ledger/imports/", {"kind": "residents", "area": COMMUNITY_A, "mode": "", "file": upload}
    )
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert response["Location"] == f"/ledger/imports/{job.pk}/"
    assert job.state == "rejected" and not Resident.objects.filter(name="页面导入").exists()
    detail = client.get(response["Location"]).content.decode()
    assert "有错误，未导入" in detail and "必填" in detail and "下载错误报告" in detail
    assert client.get(f"/ledger/imports/{job.pk}/errors.xlsx").status_code == 200
    assert client.get(f"/ledger/imports/{job.pk}/rejected.xlsx").status_code == 200
    # htmx polling gets the status fragment only
    fragment = client.get(response["Location"], headers={"HX-Request": "true"}).content.decode()
    assert fragment.lstrip().startswith("<section") and "<html" not in fragment
    # a refused upload is shown next to its field
    bad = io.BytesIO(b"plain text")
    bad.name = "a.xlsx"
    response = client.post("/ledger/imports/", {"kind": "residents", "area": COMMUNITY_A, "file": bad})
    assert response.status_code == 400 and "不是 Excel .xlsx 格式" in response.content.decode()
    response = client.post(
        "/ledger/imports/", {"kind": "residents", "area": GRID_B, "file": xlsx("residents", [])}
    )
    assert response.status_code == 400 and "不在您的管辖范围内" in response.content.decode()


def test_import_pages_are_staff_only(iw, client):
    make_user(iw.admin, "resident1", "resident")
    client.login(username="resident1", password=PASSWORD)
    assert client.get("/ledger/imports/").status_code == 404
    assert client.get("/ledger/export/residents/").status_code == 404
