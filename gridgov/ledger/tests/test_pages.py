"""Ledger pages: scoped search, masks in every list, reveal through the page, member and tag forms."""

from __future__ import annotations

import re
from datetime import date

from django.test import Client

from gridgov.core.models import AuditEntry
from gridgov.core.validators import synthetic_id_number
from gridgov.ledger import selectors
from gridgov.ledger.models import Resident, TagAssignment
from gridgov.testing.factories import PASSWORD


def _client(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


def test_lists_show_only_masks_and_only_scope(lw):
    client = _client("worker")
    for kind in ("residents", "households", "buildings", "organisations"):
        response = client.get(f"/ledger/?kind={kind}")
        assert response.status_code == 200
        html = response.content.decode()
        assert lw.head.id_number not in html and "13912345678" not in html
        assert (
            f"/ledger/residents/{lw.other_head.pk}/" not in html
            and lw.other_head.id_number_masked not in html
        )
    html = client.get("/ledger/").content.decode()
    assert lw.head.id_number_masked in html and "139****5678" in html and "王建国" in html


def test_search_by_full_id_number_finds_by_hash_and_never_puts_it_in_an_address(lw):
    client = _client("secretary")
    page = client.get("/ledger/").content.decode()
    assert 'method="post"' in page and 'hx-post="/ledger/"' in page  # the search box posts
    response = client.post(
        "/ledger/",
        {"kind": "residents", "q": lw.head.id_number},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="ledger-results",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "王建国" in html and "李秀英" not in html
    token = selectors.search_token(lw.head.id_number)
    pushed = response.headers["HX-Push-Url"]
    assert lw.head.id_number not in pushed and f"qh={token}" in pushed
    full = client.post("/ledger/", {"kind": "residents", "q": "13912345678"}).content.decode()
    addresses = re.findall(r'(?:href|hx-get|action)="([^"]*)"', full)
    assert not [a for a in addresses if "13912345678" in a or lw.head.id_number in a]
    # the list's own address carries the keyed hash, which finds the same person
    again = client.get(f"/ledger/?kind=residents&qh={token}").content.decode()
    assert "王建国" in again and "李秀英" not in again


def test_units_and_residents_get_404(lw):
    from gridgov.testing.factories import make_user

    make_user(lw.admin, "someone", "resident")
    client = _client("someone")
    assert client.get("/ledger/").status_code == 404
    assert client.get(f"/ledger/households/{lw.household.pk}/").status_code == 404


def test_household_page_out_of_scope_is_404(lw):
    assert _client("worker_b").get(f"/ledger/households/{lw.household.pk}/").status_code == 404
    assert _client("worker_b").get(f"/ledger/residents/{lw.head.pk}/").status_code == 404


def test_reveal_form_only_for_permitted_users_and_audited(lw):
    page = _client("colleague").get(f"/ledger/households/{lw.household.pk}/").content.decode()
    assert 'name="reason"' not in page.split("家庭成员")[1].split("登记成员")[0]
    refused = _client("colleague").post(
        "/ledger/reveal/", {"kind": "resident", "id": lw.head.pk, "field": "id_number", "reason": "核对"}
    )
    assert lw.head.id_number not in refused.content.decode()
    secretary = _client("secretary")
    page = secretary.get(f"/ledger/households/{lw.household.pk}/").content.decode()
    assert "查看原因" in page
    empty = secretary.post(
        "/ledger/reveal/", {"kind": "resident", "id": lw.head.pk, "field": "id_number", "reason": ""}
    )
    assert lw.head.id_number not in empty.content.decode() and "原因" in empty.content.decode()
    shown = secretary.post(
        "/ledger/reveal/",
        {"kind": "resident", "id": lw.head.pk, "field": "id_number", "reason": "办理高龄补贴"},
    )
    assert lw.head.id_number in shown.content.decode()
    assert (
        AuditEntry.objects.filter(
            verb="ledger.reveal", reason="办理高龄补贴", actor__username="secretary"
        ).count()
        == 1
    )


def test_add_member_with_a_bad_id_number_shows_the_error_and_writes_nothing(lw):
    client = _client("worker")
    before = Resident.objects.count()
    response = client.post(
        f"/ledger/households/{lw.household.pk}/members/",
        {"name": "王小红", "id_number": "110105194912310021", "relation": "child"},
    )
    assert response.status_code == 400
    assert "校验位" in response.content.decode()
    assert Resident.objects.count() == before
    good = synthetic_id_number("610302", date(2015, 9, 1), 42)
    response = client.post(
        f"/ledger/households/{lw.household.pk}/members/",
        {"name": "王小红", "id_number": good, "relation": "grandchild"},
    )
    assert response.status_code == 302
    child = Resident.objects.get(name="王小红")
    assert child.birth_date == date(2015, 9, 1) and child.gender == "F"


def test_tag_forms_and_move_out(lw):
    client = _client("worker")
    response = client.post("/ledger/tags/", {"resident": lw.head.pk, "tag": "living_alone", "reason": "独居"})
    assert response.status_code == 302
    assignment = TagAssignment.objects.get(resident=lw.head)
    assert "独居老人" in client.get(f"/ledger/households/{lw.household.pk}/").content.decode()
    client.post(f"/ledger/tags/{assignment.pk}/remove/", {"reason": ""})
    assert TagAssignment.objects.filter(pk=assignment.pk).exists()  # no reason, nothing removed
    client.post(f"/ledger/tags/{assignment.pk}/remove/", {"reason": "女儿回来同住"})
    assert not TagAssignment.objects.filter(pk=assignment.pk).exists()
    response = client.post(f"/ledger/residents/{lw.spouse.pk}/move-out/", {"reason": "随子女迁往西安"})
    assert response.status_code == 302
    lw.spouse.refresh_from_db()
    assert lw.spouse.is_active is False and lw.spouse.moved_out_at is not None


def test_edit_keeps_stored_id_number_when_the_box_is_left_empty(lw):
    client = _client("worker")
    response = client.post(
        f"/ledger/residents/{lw.head.pk}/",
        {
            "name": "王建国",
            "relation": "head",
            "residence_type": "registered",
            "political_status": "party_member",
            "workplace": "退休",
        },
    )
    assert response.status_code == 302
    head = Resident.objects.get(pk=lw.head.pk)
    assert head.id_number == lw.head.id_number and head.phone == "13912345678"
    assert head.political_status == "party_member" and head.workplace == "退休"


def test_admin_shows_residents_masked_and_read_only(lw):
    lw.admin.is_staff = True
    lw.admin.save(update_fields=["is_staff"])
    client = _client("root")
    listing = client.get("/admin/ledger/resident/").content.decode()
    change = client.get(f"/admin/ledger/resident/{lw.head.pk}/change/")
    assert change.status_code == 200
    for html in (listing, change.content.decode()):
        assert lw.head.id_number not in html and "13912345678" not in html
    assert lw.head.id_number_masked in listing
    response = client.post(f"/admin/ledger/resident/{lw.head.pk}/change/", {"name": "改名"})
    assert response.status_code == 403
    assert Resident.objects.get(pk=lw.head.pk).name == "王建国"


def test_export_from_the_list_page_keeps_the_filters_and_masks(lw):
    import io

    import openpyxl

    client = _client("worker")
    page = client.get("/ledger/?kind=residents&q=王建国").content.decode()
    assert "/ledger/export/residents/?q=" in page
    assert "导出完整身份证号和电话" not in page  # the worker may not reveal
    response = client.get("/ledger/export/residents/?q=王建国")
    assert response.status_code == 200
    rows = list(
        openpyxl.load_workbook(
            io.BytesIO(b"".join(response.streaming_content)), read_only=True
        ).active.iter_rows(values_only=True)
    )
    text = repr(rows)
    assert "王建国" in text and "李秀英" not in text
    assert lw.head.id_number not in text and lw.head.id_number_masked in text
    assert "导出完整身份证号和电话" in _client("secretary").get("/ledger/").content.decode()
