"""The ``/api/v1/services`` and ``/api/v1/orders`` endpoints over the real HTTP stack and token auth."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gridgov.orders.models import Order, ServiceItem
from gridgov.testing import images
from gridgov.testing.api import ApiClient

from .conftest import COMMUNITY, GRID, STREET, WEDNESDAY, at

NEW_ITEM = {
    "category": "repair",
    "name": "老年助餐",
    "description": "社区食堂午餐，可送餐上门",
    "area": COMMUNITY,
    "providers": [],
    "fee": "low",
    "price": "12",
    "accept_limit": "2",
    "accept_unit": "working_hours",
    "deliver_limit": "1",
    "deliver_unit": "working_days",
    "schedules": [{"weekday": 0, "start": "11:00", "end": "12:30", "capacity": 30}],
}


def test_items_create_validate_update(world):
    community = ApiClient("community")
    body = {**NEW_ITEM, "providers": [world.repair_co.pk]}
    for field, value, code in (
        ("category", "nope", "invalid"),
        ("name", " ", "required"),
        ("fee", "cheap", "invalid"),
        ("price", "-1", "invalid"),
        ("accept_unit", "weeks", "invalid"),
        ("deliver_limit", "0", "invalid"),
        ("warning_ratio", "1.5", "invalid"),
        ("providers", [], "required"),
        ("providers", [99999], "invalid"),
    ):
        r = community.post("/services/items", {**body, field: value})
        assert r.status_code == 400, (field, r.content)
        assert r.json()["field"] in (field, f"{field}_limit", f"{field[:-6]}_unit", f"{field}"), r.json()
        assert r.json()["code"] == code, (field, r.json())
    r = community.post(
        "/services/items", {**body, "schedules": [{"weekday": 7, "start": "11:00", "end": "12:00"}]}
    )
    assert (r.status_code, r.json()["field"]) == (400, "schedules[0].weekday")
    r = community.post(
        "/services/items", {**body, "schedules": [{"weekday": 1, "start": "11:00", "end": "10:00"}]}
    )
    assert (r.status_code, r.json()["field"]) == (400, "schedules[0].end")
    r = community.post("/services/items", {**body, "fee": "low", "price": None})
    assert (r.status_code, r.json()["field"]) == (400, "price")
    r = community.post("/services/items", {**body, "fee": "free", "price": "5"})
    assert (r.status_code, r.json()["field"]) == (400, "price")
    # Out of scope: another community's area does not exist for this account.
    r = community.post("/services/items", {**body, "area": "610302001002"})
    assert (r.status_code, r.json()["field"]) == (404, "area")
    assert ApiClient("worker").post("/services/items", body).status_code == 403

    r = community.post("/services/items", body)
    assert r.status_code == 201, r.content
    item = r.json()
    assert item["fee_label"] == "低偿 12 元" and item["schedules"][0]["capacity"] == 30
    assert item["providers"] == [{"id": world.repair_co.pk, "name": "便民家电维修部"}]

    r = community.patch(f"/services/items/{item['id']}", {"price": "10", "is_active": False})
    assert r.status_code == 200 and r.json()["price"] == "10.00" and r.json()["is_active"] is False
    # Inactive: gone for residents, still there for its managers.
    assert ApiClient("resident").get(f"/services/items/{item['id']}").status_code == 404
    assert community.get(f"/services/items/{item['id']}").status_code == 200
    # The street's item is not the community's to change.
    r = community.patch(f"/services/items/{world.consult.pk}", {"name": "x"})
    assert r.status_code == 404
    r = ApiClient("street").patch(f"/services/items/{world.consult.pk}", {"schedules": []})
    assert r.status_code == 200 and r.json()["schedules"] == []


def test_items_list_filters(world):
    resident = ApiClient("resident")
    r = resident.get("/services/items")
    assert r.json()["count"] == 2
    r = resident.get("/services/items?category=legal")
    assert [i["name"] for i in r.json()["items"]] == ["律师坐班法律咨询"]
    # What reaches a grid of community 1-1: its community's and its street's items.
    assert resident.get(f"/services/items?area={GRID}").json()["count"] == 2
    assert resident.get("/services/items?area=610302002001001").json()["count"] == 0
    assert resident.get("/services/items?q=维修").json()["count"] == 1


def test_slots_show_free_places(world):
    resident = ApiClient("resident")
    r = resident.get(f"/services/items/{world.consult.pk}/slots?start=2026-11-23&end=2026-12-06")
    assert r.status_code == 200
    assert [(s["key"], s["free"]) for s in r.json()] == [("2026-11-25T14:00", 6), ("2026-12-02T14:00", 6)]
    resident.post("/orders", {"item": world.consult.pk, "slot": "2026-11-25T14:00"})
    r = resident.get(f"/services/items/{world.consult.pk}/slots?end=2026-11-29")
    assert [(s["free"], s["taken"], s["weekday"]) for s in r.json()] == [(5, 1, 2)]
    assert resident.get(f"/services/items/{world.fix.pk}/slots").json() == []
    r = resident.get(f"/services/items/{world.consult.pk}/slots?start=2026-12-06&end=2026-12-01")
    assert (r.status_code, r.json()["field"]) == (400, "end")


def test_order_over_the_api_and_retry(world):
    resident = ApiClient("resident")
    body = {
        "item": world.consult.pk,
        "slot": "2026-11-25T14:00",
        "grid": GRID,
        "note": "合同纠纷",
        "client_id": "c1",
    }
    r = resident.post("/orders", body)
    assert r.status_code == 201, r.content
    data = r.json()
    assert data["state"] == "ordered" and data["slot"] == "2026-11-25T14:00" and data["created"] is True
    assert data["contact_phone"] == "139****0000" and data["allowed_actions"] == ["cancel"]
    assert [t["action"] for t in data["timeline"]] == ["order"]
    again = resident.post("/orders", body)
    assert (
        again.status_code == 200 and again.json()["ref"] == data["ref"] and again.json()["created"] is False
    )
    header = resident.post("/orders", {**body, "client_id": None}, headers={"Idempotency-Key": "c1"})
    assert header.status_code == 200 and header.json()["ref"] == data["ref"]
    assert Order.objects.count() == 1
    r = resident.post("/orders", {**body, "client_id": None, "slot": "2026-11-26T14:00"})
    assert (r.status_code, r.json()["field"]) == (400, "slot")
    r = resident.post("/orders", {**body, "client_id": None, "slot": "tomorrow"})
    assert (r.status_code, r.json()["field"]) == (400, "slot")
    assert resident.post("/orders", {"item": 9999}).status_code == 404
    assert ApiClient("community").post("/orders", body).status_code == 403


def test_the_loop_over_the_api_with_scope(world, clock):
    resident, community, lawyer = ApiClient("resident"), ApiClient("community"), ApiClient("lawyer")
    ref = resident.post(
        "/orders", {"item": world.consult.pk, "slot": "2026-11-25T14:00", "grid": GRID}
    ).json()["ref"]
    # Nobody else sees it: another resident, a provider before dispatch, the neighbouring community.
    for name in ("resident2", "lawyer", "neighbour", "street2"):
        r = ApiClient(name).get(f"/orders/{ref}")
        assert (r.status_code, r.json()["code"]) == (404, "not_found"), name
    detail = community.get(f"/orders/{ref}").json()
    assert detail["allowed_actions"] == ["dispatch", "unservable"]
    assert {p["name"] for p in detail["providers"]} == {"宝鸡市律师协会", "秦风律师事务所"}
    r = community.post(f"/orders/{ref}/dispatch", {})
    assert (r.status_code, r.json()["field"]) == (400, "provider_unit")
    r = community.post(f"/orders/{ref}/dispatch", {"provider_unit": world.lawyers.pk})
    assert r.status_code == 200 and r.json()["state"] == "dispatched"
    r = community.post(f"/orders/{ref}/dispatch", {"provider_unit": world.lawyers.pk})
    assert r.status_code == 409 and r.json()["allowed_actions"] == ["accept", "decline", "cancel"]
    assert lawyer.get(f"/orders/{ref}").json()["allowed_actions"] == ["accept", "decline"]
    r = lawyer.post(f"/orders/{ref}/decline", {"reason": ""})
    assert (r.status_code, r.json()["field"]) == (400, "reason")
    assert lawyer.post(f"/orders/{ref}/accept", {}).json()["state"] == "accepted"
    clock.move_to(at(WEDNESDAY, 16))
    r = lawyer.post(f"/orders/{ref}/deliver", {"notes": ""})
    assert (r.status_code, r.json()["field"]) == (400, "notes")
    png = SimpleUploadedFile("a.png", images.PNG, content_type="image/png")
    r = lawyer.client.post(
        f"/api/v1/orders/{ref}/deliver", {"notes": "已解答", "evidence": [png]}, headers=lawyer.headers
    )
    assert r.status_code == 200, r.content
    assert r.json()["state"] == "delivered" and len(r.json()["evidence_urls"]) == 1
    r = resident.post(f"/orders/{ref}/rate", {"rating": "basic", "comment": "还行"})
    assert r.status_code == 200 and r.json()["state"] == "closed" and r.json()["rating"] == "basic"
    assert [t["action"] for t in r.json()["timeline"]] == ["order", "dispatch", "accept", "deliver", "rate"]


def test_other_actions_over_the_api(world, clock):
    resident, community, repairer = ApiClient("resident"), ApiClient("community"), ApiClient("repairer")
    a = resident.post("/orders", {"item": world.fix.pk}).json()["ref"]
    assert resident.post(f"/orders/{a}/cancel", {"reason": "不需要了"}).json()["state"] == "cancelled"
    b = resident.post("/orders", {"item": world.fix.pk}).json()["ref"]
    r = community.post(f"/orders/{b}/unservable", {"reason": "暂无维修师傅"})
    assert r.json()["state"] == "unserved"
    c = resident.post("/orders", {"item": world.fix.pk}).json()["ref"]
    community.post(f"/orders/{c}/dispatch", {"provider_unit": world.repair_co.pk})
    repairer.post(f"/orders/{c}/accept", {})
    assert repairer.post(f"/orders/{c}/deliver", {"notes": "修好了"}).json()["state"] == "delivered"
    r = community.post(f"/orders/{c}/close", {"note": "未评价"})
    assert (r.status_code, r.json()["code"]) == (409, "not_allowed_now")
    clock.shift(timedelta(days=8))
    assert community.post(f"/orders/{c}/close", {"note": "未评价"}).json()["state"] == "closed"


def test_order_lists_are_scoped_filtered_and_paged(world):
    resident, resident2 = ApiClient("resident"), ApiClient("resident2")
    for _ in range(3):
        resident.post("/orders", {"item": world.fix.pk})
    ref = resident2.post("/orders", {"item": world.consult.pk, "slot": "2026-11-25T14:00"}).json()["ref"]
    assert resident.get("/orders").json()["count"] == 3
    assert resident2.get("/orders").json()["count"] == 1
    community, street = ApiClient("community"), ApiClient("street")
    assert community.get("/orders").json()["count"] == 3  # the street-level order is not the community's
    assert street.get("/orders").json()["count"] == 4
    assert street.get("/orders?category=legal").json()["items"][0]["ref"] == ref
    assert ApiClient("repairer").get("/orders").json()["count"] == 0
    first = community.get("/orders").json()["items"][0]["ref"]
    community.post(f"/orders/{first}/dispatch", {"provider_unit": world.repair_co.pk})
    assert ApiClient("repairer").get("/orders").json()["count"] == 1
    assert community.get("/orders?state=dispatched").json()["count"] == 1
    assert community.get(f"/orders?provider={world.repair_co.pk}").json()["count"] == 1
    assert community.get("/orders?overdue=true").json()["count"] == 0
    assert community.get("/orders?page_size=2").json()["count"] == 3
    # Orders running against a deadline come first.
    assert community.get("/orders").json()["items"][0]["ref"] == first


def test_stats_endpoint(world):
    resident = ApiClient("resident")
    resident.post("/orders", {"item": world.fix.pk})
    r = ApiClient("street").get(
        f"/orders/stats?area={STREET}&start=2026-11-01&end=2026-11-30&group_by=category"
    )
    assert r.status_code == 200, r.content
    assert r.json()["totals"]["placed"] == 1 and r.json()["groups"][0]["key"] == "repair"
    assert resident.get("/orders/stats?start=2026-11-01&end=2026-11-30").status_code == 403
    r = ApiClient("neighbour").get(f"/orders/stats?area={COMMUNITY}&start=2026-11-01&end=2026-11-30")
    assert r.status_code == 404


def test_item_model_constraint_keeps_free_items_free(world):
    from django.db import IntegrityError, transaction

    with transaction.atomic(), pytest.raises(IntegrityError):
        ServiceItem.objects.filter(pk=world.consult.pk).update(price=5)
