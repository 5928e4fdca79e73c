"""The ledger API: CRUD with field errors, scope on every endpoint (404 outside), masks everywhere."""

from __future__ import annotations

import json
from datetime import date

import pytest

from gridgov.core.crypto import decrypt
from gridgov.core.models import AuditEntry
from gridgov.core.validators import synthetic_id_number
from gridgov.ledger.models import Building, FocusTag, Household, Resident
from gridgov.testing.api import ApiClient
from gridgov.testing.factories import make_user

from .conftest import GRID_A, GRID_B

NEW_ID = synthetic_id_number("610302", date(1988, 2, 29), 357)


def _no_plain_personal_data(body, lw):
    text = json.dumps(body, ensure_ascii=False)
    for resident in (lw.head, lw.spouse, lw.other_head):
        assert resident.id_number not in text
        if resident.phone:
            assert resident.phone not in text


def test_worker_lists_only_their_grid_with_masked_numbers(lw):
    client = ApiClient("worker")
    body = client.get("/residents").json()
    assert {r["name"] for r in body["items"]} == {"王建国", "李秀英"}
    assert body["count"] == 2
    head = next(r for r in body["items"] if r["name"] == "王建国")
    assert head["id_number"] == lw.head.id_number_masked
    assert head["id_number"].startswith("6103") and head["id_number"].count("*") == 10
    assert head["phone"] == "139****5678"
    _no_plain_personal_data(body, lw)


@pytest.mark.parametrize(
    ("path", "per_household"), [("/residents", 2), ("/households", 1), ("/buildings", 1)]
)
def test_lists_are_scoped(lw, path, per_household):
    assert ApiClient("worker_b").get(path).json()["count"] == per_household
    assert ApiClient("worker_a2").get(path).json()["count"] == 0
    assert ApiClient("secretary").get(path).json()["count"] == per_household
    assert ApiClient("root").get(path).json()["count"] == 2 * per_household


def test_every_detail_endpoint_is_404_outside_scope(lw):
    client = ApiClient("worker_b")
    for path in (
        f"/residents/{lw.head.pk}",
        f"/households/{lw.household.pk}",
        f"/buildings/{lw.building.pk}",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.json()["code"] == "not_found"
    assert client.patch(f"/residents/{lw.head.pk}", {"name": "改名"}).status_code == 404
    assert client.post(f"/residents/{lw.head.pk}/move-out", {"reason": "搬走"}).status_code == 404
    assert client.post("/residents", {"household": lw.household.pk, "name": "张三"}).status_code == 404
    assert (
        client.post("/ledger/tags", {"tag": "独居老人", "reason": "x", "resident": lw.head.pk}).status_code
        == 404
    )
    lw.head.refresh_from_db()
    assert lw.head.name == "王建国" and lw.head.is_active


def test_units_and_residents_see_no_ledger(lw):
    from gridgov.accounts.models import Unit

    unit = Unit.objects.create(name="城管", kind="department", area=lw.tree["610302"])
    make_user(lw.admin, "handler", "unit", unit=unit)
    make_user(lw.admin, "someone", "resident")
    for username in ("handler", "someone"):
        client = ApiClient(username)
        assert client.get("/residents").json()["count"] == 0
        assert client.get(f"/residents/{lw.head.pk}").status_code == 404
        response = client.post("/buildings", {"code": "X1", "name": "1号楼", "grid": GRID_A})
        assert response.status_code == 403


def test_register_resident_derives_birth_date_and_gender_and_encrypts(lw):
    client = ApiClient("worker")
    response = client.post(
        "/residents",
        {
            "household": lw.household.pk,
            "name": "王小明",
            "id_number": NEW_ID,
            "phone": "138 1234 0000",
            "relation": "子女",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["birth_date"] == "1988-02-29"
    assert body["gender"] == "M"
    assert body["relation"] == "child"
    assert body["phone"] == "138****0000"
    resident = Resident.objects.get(pk=body["id"])
    assert resident.area_code == GRID_A
    # Stored as ciphertext, readable only through the key.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone FROM ledger_resident WHERE id = %s", [resident.pk])
        raw_id, raw_phone = cursor.fetchone()
    assert NEW_ID not in raw_id and "13812340000" not in raw_phone
    assert decrypt(raw_id) == NEW_ID
    audit = AuditEntry.objects.filter(verb="ledger.resident.create", object_id=str(resident.pk)).get()
    assert NEW_ID not in json.dumps(audit.after, ensure_ascii=False)


@pytest.mark.parametrize(
    ("data", "field", "code"),
    [
        ({"name": ""}, "name", "required"),
        ({"name": "张三", "id_number": "110105194912310021"}, "id_number", "invalid"),
        ({"name": "张三", "phone": "12345"}, "phone", "invalid"),
        ({"name": "张三", "relation": "邻居"}, "relation", "invalid"),
        ({"name": "张" * 51}, "name", "too_long"),
    ],
)
def test_bad_resident_fields_are_named(lw, data, field, code):
    before = Resident.objects.count()
    response = ApiClient("worker").post("/residents", {"household": lw.household.pk, **data})
    assert response.status_code == 400, response.content
    assert response.json()["field"] == field
    assert response.json()["code"] == code
    assert Resident.objects.count() == before


def test_duplicate_id_number_is_a_conflict_found_by_hash(lw):
    response = ApiClient("worker").post(
        "/residents", {"household": lw.household.pk, "name": "冒名", "id_number": lw.head.id_number.lower()}
    )
    assert response.status_code == 409
    assert response.json()["field"] == "id_number"
    # The message names the existing record by its mask only.
    assert lw.head.id_number not in response.json()["message"]


def test_search_by_full_id_number_and_phone_uses_the_keyed_hash(lw):
    client = ApiClient("secretary")
    found = client.post("/residents/search", {"q": lw.head.id_number}).json()["items"]
    assert [r["id"] for r in found] == [lw.head.pk]
    found = client.post("/residents/search", {"q": "139 1234 5678"}).json()["items"]
    assert [r["id"] for r in found] == [lw.head.pk]
    for number in (lw.head.id_number, "13912345678"):  # never in a URL: the access log would keep it
        refused = client.get(f"/residents?q={number}")
        assert refused.status_code == 400 and refused.json()["field"] == "q"
        assert refused.json()["code"] == "personal_data_in_url"
    found = client.get(f"/residents?q={lw.head.id_number[-4:]}").json()["items"]
    assert lw.head.pk in [r["id"] for r in found]
    assert client.get("/residents?q=王建").json()["count"] == 1


def test_building_household_resident_flow_and_move_out(lw):
    client = ApiClient("worker")
    b = client.post("/buildings", {"code": "WB-7", "name": "7号楼", "grid": GRID_A, "units": 3, "floors": 6})
    assert b.status_code == 201, b.content
    assert (
        client.post("/buildings", {"code": "WB-8", "name": "8号楼", "grid": GRID_B}).json()["field"] == "grid"
    )
    assert client.post("/buildings", {"code": "WB-7", "name": "again", "grid": GRID_A}).status_code == 409
    h = client.post("/households", {"building": "WB-7", "unit": "2", "room": "301"})
    assert h.status_code == 201, h.content
    assert client.post("/households", {"building": "WB-7", "unit": "2", "room": "301"}).status_code == 409
    hid = h.json()["id"]
    r = client.post("/residents", {"household": hid, "name": "赵六", "relation": "head"}).json()
    detail = client.get(f"/households/{hid}").json()
    assert detail["head"]["id"] == r["id"] and detail["label"] == "7号楼2单元301室"
    assert client.post(f"/residents/{r['id']}/move-out", {"reason": ""}).json()["field"] == "reason"
    moved = client.post(f"/residents/{r['id']}/move-out", {"reason": "搬至外区"})
    assert moved.status_code == 200 and moved.json()["is_active"] is False
    assert client.get(f"/households/{hid}").json()["head"] is None
    assert client.post(f"/residents/{r['id']}/move-out", {"reason": "again"}).status_code == 409
    assert client.post(f"/households/{hid}/retire", {"reason": "拆迁"}).status_code == 200
    assert Household.objects.get(pk=hid).is_active is False
    assert Building.objects.get(code="WB-7").is_active


def test_building_moved_to_another_grid_carries_its_people(lw):
    client = ApiClient("secretary")
    response = client.patch(f"/buildings/{lw.building.pk}", {"grid": "610302001001002"})
    assert response.status_code == 200, response.content
    lw.head.refresh_from_db()
    assert lw.head.area_code == "610302001001002"
    assert ApiClient("worker").get("/residents").json()["count"] == 0
    assert ApiClient("worker_a2").get("/residents").json()["count"] == 2


def test_tags_need_a_reason_and_fit_their_target(lw):
    client = ApiClient("worker")
    assert (
        client.post("/ledger/tags", {"tag": "独居老人", "resident": lw.head.pk}).json()["field"] == "reason"
    )
    assert (
        client.post("/ledger/tags", {"tag": "没有的标签", "reason": "x", "resident": lw.head.pk}).json()[
            "field"
        ]
        == "tag"
    )
    wrong = client.post("/ledger/tags", {"tag": "困难家庭", "reason": "低保", "resident": lw.head.pk})
    assert wrong.status_code == 400 and "不能用于居民" in wrong.json()["message"]
    ok = client.post(
        "/ledger/tags", {"tag": "living_alone", "reason": "老伴去世后独居", "resident": lw.head.pk}
    )
    assert ok.status_code == 201 and ok.json()["name"] == ok.json()["label"] == "独居老人"
    # the label follows the reader's language where the tag has an English name; the name stays
    FocusTag.objects.filter(code="living_alone").update(name_en="Living alone")
    english = client.get(f"/residents/{lw.head.pk}", headers={"Accept-Language": "en"}).json()["tags"][0]
    assert (english["name"], english["label"]) == ("独居老人", "Living alone")
    tags = {t["code"]: t for t in client.get("/ledger/tags", headers={"Accept-Language": "en"}).json()}
    assert (tags["living_alone"]["name_en"], tags["living_alone"]["label"]) == (
        "Living alone",
        "Living alone",
    )
    assert (
        client.post(
            "/ledger/tags", {"tag": "独居老人", "reason": "again", "resident": lw.head.pk}
        ).status_code
        == 409
    )
    assert client.get(f"/residents/{lw.head.pk}").json()["tags"][0]["reason"] == "老伴去世后独居"
    assert client.get("/residents?tag=living_alone").json()["count"] == 1
    hh = client.post("/ledger/tags", {"tag": "needy", "reason": "低保户", "household": lw.household.pk})
    assert hh.status_code == 201
    assert client.get("/households?tag=needy").json()["count"] == 1
    removed = client.post(f"/ledger/tags/{ok.json()['id']}/remove", {"reason": "子女接走同住"})
    assert removed.status_code == 204
    assert AuditEntry.objects.filter(verb="ledger.tag.remove", reason="子女接走同住").exists()
    assert (
        ApiClient("worker_b").post(f"/ledger/tags/{hh.json()['id']}/remove", {"reason": "x"}).status_code
        == 404
    )


def test_organisations_with_credit_code(lw):
    client = ApiClient("worker")
    data = {
        "kind": "商户",
        "name": "惠民超市",
        "credit_code": "91350100M000100Y43",
        "grid": GRID_A,
        "contact_name": "刘店长",
        "contact_phone": "13700001111",
    }
    created = client.post("/organisations", data)
    assert created.status_code == 201, created.content
    assert created.json()["kind"] == "shop" and created.json()["contact_phone"] == "137****1111"
    assert client.post("/organisations", data).status_code == 409
    bad = client.post("/organisations", {**data, "credit_code": "91350100M000100Y44"})
    assert bad.status_code == 400 and bad.json()["field"] == "credit_code"
    assert ApiClient("worker_b").get(f"/organisations/{created.json()['id']}").status_code == 404
    assert ApiClient("worker_b").get("/organisations").json()["count"] == 0


def test_an_id_number_registered_out_of_scope_names_nobody(lw):
    """A grid worker of another street entering a number already in the ledger learns only that it is
    registered elsewhere — not who holds it nor the row's id (no identity oracle across scopes)."""
    outsider = ApiClient("worker_b")
    response = outsider.post(
        "/residents", {"household": lw.other_household.pk, "name": "冒名", "id_number": lw.head.id_number}
    )
    assert response.status_code == 409 and response.json()["field"] == "id_number"
    message = response.json()["message"]
    assert lw.head.name not in message and str(lw.head.pk) not in message
    edited = outsider.patch(f"/residents/{lw.other_head.pk}", {"id_number": lw.head.id_number})
    assert edited.status_code == 409 and lw.head.name not in edited.json()["message"]
    assert str(lw.head.pk) not in edited.json()["message"]
    # inside the scope the message helps: it names the row
    inside = ApiClient("worker").post(
        "/residents", {"household": lw.household.pk, "name": "冒名", "id_number": lw.head.id_number}
    )
    assert inside.status_code == 409 and lw.head.name in inside.json()["message"]
