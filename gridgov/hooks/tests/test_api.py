"""``/api/v1/webhooks``: the catalogue, the subscriptions' life, the secret shown once, the delivery log
and replay, and who may do what."""

from __future__ import annotations

import pytest

from gridgov.core import outbox
from gridgov.testing.api import ApiClient

from .conftest import received, report, verify

pytestmark = pytest.mark.django_db


def _body(rx, **kw):
    return {"name": "区级平台", "url": rx.url("/in"), "event_types": ["case.created"], "area": "610302", **kw}


def test_the_catalogue_lists_every_event_type(world):
    from gridgov.hooks.subjects import catalogue

    r = ApiClient("street").get("/webhooks/event-types")
    assert r.status_code == 200
    types = [e["type"] for e in r.json()]
    assert types == [e.type for e in catalogue()]
    assert {"case.created", "case.dispatched", "case.closed", "order.created", "wish.published"} <= set(types)
    first = r.json()[0]
    assert first == {
        "type": "case.created",
        "subject": "case",
        "subject_label": "事件",
        "action": "report",
        "label": "上报",
    }


def test_a_subscription_from_creation_to_deletion(world, rx):
    api = ApiClient("district")
    r = api.post("/webhooks", _body(rx))
    assert r.status_code == 201, r.content
    created = r.json()
    sid, secret = created["id"], created["secret"]
    assert secret.startswith("whsec_") and created["scope"] == "area"
    assert created["area"] == {"code": "610302", "name": "渭滨区"} and created["is_active"]
    got = api.get(f"/webhooks/{sid}").json()
    assert "secret" not in got and got["event_types"] == ["case.created"]
    assert [s["id"] for s in api.get("/webhooks").json()["items"]] == [sid]
    r = api.patch(f"/webhooks/{sid}", {"event_types": ["case.created", "case.closed"]})
    assert r.status_code == 200 and r.json()["event_types"] == ["case.created", "case.closed"]
    rotated = api.post(f"/webhooks/{sid}/rotate-secret").json()
    assert rotated["secret"] not in (secret, "") and rotated["previous_secret_until"]
    assert api.post(f"/webhooks/{sid}/disable").json()["is_active"] is False
    assert api.post(f"/webhooks/{sid}/disable").status_code == 409
    r = api.post(f"/webhooks/{sid}/enable").json()
    assert r["is_active"] is True and r["failures"] == 0
    assert api.delete(f"/webhooks/{sid}").status_code == 204
    assert api.get(f"/webhooks/{sid}").status_code == 404


def test_the_delivery_log_and_replay(world, rx):
    rx.answers = [502, 200]
    api = ApiClient("district")
    created = api.post("/webhooks", _body(rx)).json()
    sid = created["id"]
    case = report(world)
    outbox.deliver_all()
    r = api.get(f"/webhooks/{sid}/deliveries")
    assert r.status_code == 200
    (row,) = r.json()["items"]
    assert row["event_type"] == "case.created" and row["state"] == "pending" and row["attempts"] == 1
    assert row["payload"]["data"]["object"]["ref"] == case.ref
    (attempt,) = row["tries"]
    assert attempt["status"] == 502 and attempt["ok"] is False and attempt["response"] == "not today"
    assert api.post(f"/webhooks/{sid}/deliveries/{row['id']}/replay").status_code == 409  # still pending
    from gridgov.core.models import OutboxMessage

    msg = OutboxMessage.objects.get(pk=row["id"])
    outbox.deliver_due(now=msg.next_at)
    (row,) = api.get(f"/webhooks/{sid}/deliveries?state=delivered").json()["items"]
    assert [t["status"] for t in row["tries"]] == [502, 200]
    r = api.post(f"/webhooks/{sid}/deliveries/{row['id']}/replay")
    assert r.status_code == 200 and r.json()["state"] == "pending" and r.json()["msg_id"] == row["msg_id"]
    outbox.deliver_all()
    assert len(rx.requests) == 3 and all(verify(created["secret"], q.headers, q.body) for q in rx.requests)
    assert received(rx)[-1]["data"]["object"]["ref"] == case.ref
    assert api.get(f"/webhooks/{sid}/deliveries?state=bogus").status_code == 400


def test_a_private_destination_is_a_400_on_url(world, settings):
    settings.OUTBOUND_ALLOW = []
    r = ApiClient("district").post(
        "/webhooks",
        {"name": "内网", "url": "http://10.0.0.5/in", "event_types": ["case.created"], "area": "610302"},
    )
    assert r.status_code == 400
    assert r.json()["code"] == "refused_destination" and r.json()["field"] == "url"
    assert "10.0.0.5" in r.json()["message"]


def test_who_may_use_the_api(world, rx):
    admin_made = ApiClient("root").post("/webhooks", _body(rx, area="610302002")).json()["id"]
    assert ApiClient("resident").get("/webhooks").status_code == 403
    assert ApiClient("worker").post("/webhooks", _body(rx)).status_code == 403
    assert ApiClient("resident").get("/webhooks/event-types").status_code == 403
    street = ApiClient("street")
    assert street.get(f"/webhooks/{admin_made}").status_code == 404
    assert street.get(f"/webhooks/{admin_made}/deliveries").status_code == 404
    assert street.delete(f"/webhooks/{admin_made}").status_code == 404
    assert ApiClient("street2").get(f"/webhooks/{admin_made}").status_code == 200
    unit = ApiClient("ha")
    r = unit.post("/webhooks", {"name": "A", "url": rx.url("/a"), "event_types": ["case.dispatched"]})
    assert r.status_code == 201 and r.json()["unit"]["id"] == world.unit_a.pk
    r = unit.post(
        "/webhooks", {"name": "A", "url": rx.url("/a"), "event_types": ["case.dispatched"], "area": "610302"}
    )
    assert r.status_code == 403 and r.json()["field"] == "area"
    r = unit.post("/webhooks", _body(rx, area=None, unit=world.unit_b.pk))
    assert r.status_code == 403 and r.json()["field"] == "unit"
    assert ApiClient().get("/webhooks").status_code == 401
