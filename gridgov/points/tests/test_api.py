"""The API end to end through token auth: tasks, sign-ups, attendance, points, corrections, rewards."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from gridgov.points.models import PointsEntry
from gridgov.testing.api import ApiClient

from .conftest import COMMUNITY, GRID


def _task_body(**kw):
    start = timezone.now() + timedelta(days=2)
    body = {
        "area": COMMUNITY,
        "title": "关爱独居老人探访",
        "place": "姜谭路西社区服务站",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=2)).isoformat(),
        "slots": 2,
        "points": 10,
    }
    body.update(kw)
    return body


def test_task_journey_over_the_api(world, clock):
    staff, vol = ApiClient("community"), ApiClient("vol")
    r = staff.post("/tasks", _task_body())
    assert r.status_code == 201, r.content
    task = r.json()
    assert task["state"] == "draft" and task["allowed_actions"] == ["publish", "cancel"]
    assert vol.get(f"/tasks/{task['id']}").status_code == 404  # drafts do not exist for volunteers
    r = staff.post(f"/tasks/{task['id']}/publish")
    assert r.status_code == 200 and r.json()["state"] == "open", r.content
    listed = vol.get("/tasks?upcoming=true").json()
    assert listed["count"] == 1 and listed["items"][0]["free"] == 2
    assert listed["items"][0]["allowed_actions"] == ["signup"]
    r = vol.post(f"/tasks/{task['id']}/signup")
    assert r.status_code == 201 and r.json()["state"] == "signed_up"
    signup_id = r.json()["id"]
    detail = vol.get(f"/tasks/{task['id']}").json()
    assert detail["my_signup"]["id"] == signup_id and detail["signups"] is None and detail["timeline"] is None
    assert detail["task"]["allowed_actions"] == ["withdraw"]
    staff_view = staff.get(f"/tasks/{task['id']}").json()
    assert [s["id"] for s in staff_view["signups"]] == [signup_id]
    assert [e["action"] for e in staff_view["timeline"]] == ["create", "publish", "signup"]

    r = staff.post(f"/tasks/{task['id']}/attendance", [{"signup_id": signup_id, "attended": True}])
    assert r.status_code == 409 and r.json()["code"] == "not_allowed_now"
    clock.move_to(timezone.now() + timedelta(days=2, hours=3))
    for _ in range(2):
        r = staff.post(f"/tasks/{task['id']}/attendance", [{"signup_id": signup_id, "attended": True}])
        assert r.status_code == 200 and r.json()[0]["state"] == "attended" and r.json()[0]["hours"] == "2.00"
    me = vol.get("/points/me").json()
    assert me["balance"] == 10 and me["hours"] == "2.00" and me["history"][0]["kind"] == "task"
    r = staff.post(f"/tasks/{task['id']}/finish")
    assert r.status_code == 200 and r.json()["state"] == "finished"


def test_task_refusals_over_the_api(world):
    staff, other, vol = ApiClient("community"), ApiClient("street2"), ApiClient("vol")
    task = staff.post("/tasks", _task_body(publish=True, slots=1)).json()
    assert other.get(f"/tasks/{task['id']}").status_code == 404
    assert other.post(f"/tasks/{task['id']}/cancel", {"reason": "x"}).status_code == 404
    r = staff.post(f"/tasks/{task['id']}/cancel", {"reason": " "})
    assert r.status_code == 400 and r.json()["field"] == "reason"
    r = staff.post(f"/tasks/{task['id']}/publish")
    assert r.status_code == 409 and r.json()["allowed_actions"] == ["signup", "withdraw", "close", "cancel"]
    assert vol.post(f"/tasks/{task['id']}/close").status_code == 403
    assert staff.post(f"/tasks/{task['id']}/explode").status_code == 404
    assert vol.post(f"/tasks/{task['id']}/signup").status_code == 201
    r = ApiClient("vol2").post(f"/tasks/{task['id']}/signup")
    assert r.status_code == 409 and r.json()["code"] == "task_full"
    r = staff.post("/tasks", _task_body(area=GRID, slots=0))
    assert r.status_code == 400 and r.json()["field"] == "slots"
    assert ApiClient("worker").post("/tasks", _task_body()).status_code == 404  # the community is above them
    assert vol.post("/tasks", _task_body()).status_code == 403
    r = staff.post(f"/tasks/{task['id']}/cancel", {"reason": "天气原因"})
    assert r.status_code == 200 and r.json()["state"] == "cancelled"


def test_points_and_rewards_over_the_api(world, clock):
    staff, vol = ApiClient("community"), ApiClient("vol")
    r = staff.post(
        "/points/grants", {"volunteer": world.vol.pk, "area": COMMUNITY, "amount": 70, "reason": "补录"}
    )
    assert r.status_code == 201 and r.json()["kind"] == "grant"
    r = staff.post("/rewards", {"area": COMMUNITY, "name": "大米 5kg", "cost": 30, "stock": 3})
    assert r.status_code == 201
    reward = r.json()
    assert vol.get("/rewards").json()["items"][0]["name"] == "大米 5kg"
    r = vol.post(f"/rewards/{reward['id']}/redeem", {"quantity": 1})
    assert r.status_code == 201 and r.json()["balance"] == 40 and r.json()["stock"] == 2
    r = staff.post(f"/rewards/{reward['id']}/redeem", {"volunteer": world.vol.pk, "quantity": 1})
    assert r.status_code == 201 and r.json()["balance"] == 10
    r = vol.post(f"/rewards/{reward['id']}/redeem", {"quantity": 1})
    assert r.status_code == 409 and r.json()["code"] == "insufficient_points" and r.json()["balance"] == 10
    r = staff.post(f"/rewards/{reward['id']}/redeem", {"volunteer": world.vol.pk, "quantity": 5})
    assert r.status_code == 409  # 150 points needed: refused on points before stock

    me = vol.get("/points/me").json()
    assert [(h["kind"], h["change"], h["balance"]) for h in me["history"]] == [
        ("redemption", -30, 10),
        ("redemption", -30, 40),
        ("grant", 70, 70),
    ]
    account = me["account"]["id"]
    assert staff.get(f"/points/accounts/{account}").json()["balance"] == 10
    assert ApiClient("vol2").get(f"/points/accounts/{account}").status_code == 404
    last = PointsEntry.objects.filter(kind="redemption").order_by("-id").first()
    r = staff.post("/points/corrections", {"entry": last.pk, "reason": ""})
    assert r.status_code == 400 and r.json()["field"] == "reason"
    r = staff.post("/points/corrections", {"entry": last.pk, "reason": "物品退回"})
    assert r.status_code == 201 and r.json()["reverses"] == last.pk
    r = staff.post("/points/corrections", {"entry": last.pk, "reason": "物品退回"})
    assert r.status_code == 409 and r.json()["code"] == "already_reversed"
    assert (
        ApiClient("street2").post("/points/corrections", {"entry": last.pk, "reason": "x"}).status_code == 404
    )
    today = timezone.localdate()
    r = staff.get(f"/points/summary?start={today}&end={today}")
    assert r.status_code == 200, r.content
    s = r.json()
    assert (s["issued"], s["redeemed"], s["corrected_to_volunteers"]) == (70, 60, 30)
    assert staff.get(f"/points/summary?area=610302002&start={today}&end={today}").status_code == 404
    assert vol.get(f"/points/summary?start={today}&end={today}").status_code == 403
