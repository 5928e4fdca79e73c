"""``/api/v1/exports`` and the export download: scoped rows, the list's filters, the template's headers (an
export imports again), masking, and the reveal export (permission + reason, audited)."""

# ruff: noqa: F811  (the shared fixtures are imported from test_import)
from __future__ import annotations

import io

from django.db import connection
from openpyxl import load_workbook

from gridgov.core.models import AuditEntry
from gridgov.ledger import rules
from gridgov.ledger.exports import ledger_export
from gridgov.ledger.models import ImportJob, Resident
from gridgov.ledger.tests.test_import import GRID_A, inline_jobs, iw, resident, run  # noqa: F401
from gridgov.testing.api import ApiClient
from gridgov.testing.factories import PASSWORD


def rows_of(response) -> list[tuple]:
    assert response.status_code == 200, response.content
    content = b"".join(response.streaming_content)
    return list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))


def test_export_is_scoped_masked_and_uses_the_template_headers(iw):
    rows = rows_of(ApiClient("worker").get("/exports/residents"))
    assert list(rows[0]) == [c.header for c in rules.RESIDENT_COLUMNS]
    names = {r[0] for r in rows[1:]}
    assert names == {"王建国", "李秀英"}  # the household in GRID_A only, not the one in the other street
    wang = next(r for r in rows[1:] if r[0] == "王建国")
    assert wang[1] == iw.head.id_number_masked and "*" in wang[1] and iw.head.id_number not in str(rows)
    assert wang[2] == "139****5678" and wang[3] == iw.building.code and wang[6] == "户主"
    admin_rows = rows_of(ApiClient("root").get("/exports/residents"))
    assert len(admin_rows) == 5  # header + both households


def test_export_applies_the_list_filters(iw):
    run(iw.worker, "residents", [resident("赵老人", 9, room="901", tags="独居老人")], area=GRID_A)
    api = ApiClient("worker")
    assert [r[0] for r in rows_of(api.get("/exports/residents?tag=living_alone"))[1:]] == ["赵老人"]
    assert [r[0] for r in rows_of(api.get("/exports/residents?q=王建"))[1:]] == ["王建国"]
    tagged = rows_of(api.get("/exports/residents?tag=living_alone"))[1]
    assert tagged[11] == "独居老人"
    households = rows_of(api.get(f"/exports/households?building={iw.building.code}"))
    assert len(households) == 3 and households[0][0] == "楼栋编码"
    buildings = rows_of(api.get("/exports/buildings"))
    assert buildings[1][:3] == (iw.building.code, "A号楼", GRID_A)
    assert len(rows_of(api.get("/exports/organisations"))) == 1
    assert api.get("/exports/pets").status_code == 400


def test_reveal_export_needs_permission_and_reason_and_is_audited(iw):
    colleague = ApiClient("colleague")
    response = colleague.get("/exports/residents?reveal=true&reason=核对低保")
    assert response.status_code == 403 and response.json()["field"] == "reveal"
    secretary = ApiClient("secretary")
    response = secretary.get("/exports/residents?reveal=true")
    assert response.status_code == 400 and response.json()["field"] == "reason"
    assert not AuditEntry.objects.filter(verb="ledger.export.reveal").exists()
    rows = rows_of(secretary.get("/exports/residents?reveal=true&reason=核对低保名单"))
    wang = next(r for r in rows[1:] if r[0] == "王建国")
    assert wang[1] == iw.head.id_number and wang[2] == "13912345678"
    entry = AuditEntry.objects.get(verb="ledger.export.reveal")
    assert entry.reason == "核对低保名单" and entry.after["rows"] == 2 and entry.actor.username == "secretary"
    # without reveal the same user gets masks and no audit entry
    rows_of(secretary.get("/exports/residents"))
    assert AuditEntry.objects.filter(verb="ledger.export.reveal").count() == 1


def test_revealed_export_imports_again_without_duplicates(iw, tmp_path):
    _name, content, count = ledger_export(by=iw.secretary, ledger="residents", reveal=True, reason="年度核对")
    assert count == 2
    before = Resident.objects.count()
    from gridgov.ledger.imports import ledger_import_create

    f = io.BytesIO(content)
    f.name = "export.xlsx"
    job = ledger_import_create(by=iw.secretary, kind="residents", area=GRID_A, file=f)
    job.refresh_from_db()
    assert job.state == ImportJob.State.DONE, job.errors
    assert (job.rows_created, job.rows_updated) == (0, 0) and Resident.objects.count() == before


def test_export_page_download_and_refusal(iw, client):
    client.login(username="worker", password=PASSWORD)
    response = client.get("/ledger/export/residents/?q=李")
    assert [r[0] for r in rows_of(response)[1:]] == ["李秀英"]
    assert "attachment" in response["Content-Disposition"]
    response = client.get("/ledger/export/residents/?reveal=1&reason=看看", headers={"Referer": "/ledger/"})
    assert response.status_code == 302 and response["Location"] == "/ledger/"


def test_one_stored_value_a_spreadsheet_cannot_hold_never_fails_the_export(iw):
    """A name stored with control characters (written before input was checked: NUL where the database
    holds it, SQLite) is exported with those characters replaced; its row and every other row are still
    there."""
    first = "\x00" if connection.vendor == "sqlite" else "\x01"  # PostgreSQL text never holds NUL
    Resident.objects.filter(pk=iw.head.pk).update(name=f"王{first}建国\x0b", note="备注\x1f")
    rows = rows_of(ApiClient("worker").get("/exports/residents"))
    names = {r[0] for r in rows[1:]}
    assert names == {"王\ufffd建国\ufffd", "李秀英"}
