"""The API of the three lists: shapes, pagination, one POST per workflow step, error answers."""

from __future__ import annotations

from gridgov.testing.api import ApiClient

from .conftest import COMMUNITY_11, GRID_111, GRID_211, need, project


def test_needs_crud_and_close(world):
    api = ApiClient("community")
    created = api.post(
        "/needs",
        {
            "title": "楼道照明",
            "category": "repair",
            "area": GRID_111,
            "beneficiaries": 24,
            "urgency": "urgent",
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["state"] == "open" and body["allowed_actions"] == ["close"]
    assert body["timeline"][0]["action"] == "record" and body["category"] == {
        "code": "repair",
        "name": "维修",
    }
    nid = body["id"]
    again = api.post(
        "/needs", {"title": "x", "category": "repair", "area": GRID_111, "source": "order", "source_id": 5}
    )
    same = api.post(
        "/needs", {"title": "y", "category": "repair", "area": GRID_111, "source": "order", "source_id": 5}
    )
    assert (again.status_code, same.status_code) == (201, 200) and again.json()["id"] == same.json()["id"]
    page = api.get("/needs?urgency=urgent").json()
    assert page["count"] == 1 and page["items"][0]["id"] == nid
    patched = api.patch(f"/needs/{nid}", {"beneficiaries": 30})
    assert patched.status_code == 200 and patched.json()["beneficiaries"] == 30
    missing = api.post(f"/needs/{nid}/close", {"reason": ""})
    assert missing.status_code == 400 and missing.json()["field"] == "reason"
    closed = api.post(f"/needs/{nid}/close", {"reason": "已由物业解决"})
    assert closed.json()["state"] == "closed" and closed.json()["allowed_actions"] == ["reopen"]
    twice = api.post(f"/needs/{nid}/close", {"reason": "x"})
    assert twice.status_code == 409 and twice.json()["allowed_actions"] == ["reopen"]
    assert api.post(f"/needs/{nid}/reopen").json()["state"] == "open"
    assert ApiClient("community2").get(f"/needs/{nid}").status_code == 404
    assert ApiClient("handler").get("/needs").status_code == 403
    bad = api.post("/needs", {"title": "x", "category": "nope", "area": GRID_111})
    assert bad.status_code == 400 and bad.json()["field"] == "category"


def test_resources_api(world):
    api = ApiClient("community")
    r = api.post(
        "/resources",
        {
            "title": "周六法律咨询",
            "category": "legal",
            "kind": "skill",
            "area": COMMUNITY_11,
            "owner_unit": world.unit.pk,
            "availability": "每周六上午",
            "available_until": "2026-12-31",
        },
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["owner"] == {"kind": "unit", "id": world.unit.pk, "name": "渭滨区人民医院"}
    assert api.get("/resources?kind=skill").json()["count"] == 1
    off = api.patch(f"/resources/{body['id']}", {"is_active": False})
    assert off.status_code == 200 and off.json()["is_active"] is False
    two = api.post(
        "/resources",
        {
            "title": "x",
            "category": "legal",
            "kind": "skill",
            "area": COMMUNITY_11,
            "owner_unit": world.unit.pk,
            "owner_user": world.volunteer.pk,
        },
    )
    assert two.status_code == 400 and two.json()["field"] == "owner"
    assert ApiClient("handler").get(f"/resources/{body['id']}").status_code == 200
    assert ApiClient("handler_b").get(f"/resources/{body['id']}").status_code == 404


def test_project_workflow_over_the_api(world):
    n = need(world)
    staff = ApiClient("community")
    created = staff.post(
        "/projects",
        {
            "title": "长者助餐点",
            "area": COMMUNITY_11,
            "needs": [n.pk],
            "budget": "20000",
            "end_date": "2026-12-31",
            "milestones": [{"title": "选址"}, {"title": "开餐", "due": "2026-12-20"}],
        },
    )
    assert created.status_code == 201, created.content
    p = created.json()
    pid = p["id"]
    assert (
        p["state"] == "draft" and p["allowed_actions"] == ["publish", "assign"] and len(p["milestones"]) == 2
    )
    assert staff.post(f"/projects/{pid}/publish").json()["state"] == "open"
    unit = ApiClient("handler")
    assert [x["id"] for x in unit.get("/projects?state=open").json()["items"]] == [pid]
    claimed = unit.post(f"/projects/{pid}/claim")
    assert claimed.json()["owner"]["name"] == "渭滨区人民医院" and claimed.json()["state"] == "in_progress"
    lost = ApiClient("handler_b").post(f"/projects/{pid}/claim")
    assert lost.status_code == 409 and lost.json()["state"] == "in_progress"
    m1, m2 = (m["id"] for m in claimed.json()["milestones"])
    assert unit.post(f"/projects/{pid}/milestones/{m1}/done").json()["progress"] == 50
    assert unit.post(f"/projects/{pid}/milestone", {"milestone": m2}).json()["progress"] == 100
    added = unit.post(f"/projects/{pid}/milestones", {"title": "回访"})
    assert added.status_code == 201
    no_summary = unit.post(f"/projects/{pid}/complete", {"summary": ""})
    assert no_summary.status_code == 400 and no_summary.json()["field"] == "summary"
    done = unit.post(f"/projects/{pid}/complete", {"summary": "助餐点已开餐"})
    assert done.json()["state"] == "completed"
    assert staff.get(f"/needs/{n.pk}").json()["state"] == "met"
    resident = ApiClient("resident")
    ev = resident.post(f"/projects/{pid}/evaluations", {"score": 5, "comment": "饭菜可口"})
    assert ev.status_code == 201 and ev.json()["rating"] == "satisfied"
    assert resident.post(f"/projects/{pid}/evaluate", {"score": 4}).status_code == 409
    detail = resident.get(f"/projects/{pid}").json()
    assert detail["evaluation_average"] == 5.0 and [t["action"] for t in detail["timeline"]][-1] == "evaluate"
    early = staff.post(f"/projects/{pid}/close")
    assert early.status_code == 409 and early.json()["code"] == "not_allowed_now"
    assert staff.post(f"/projects/{pid}/fly").status_code == 404
    assert ApiClient("community2").get(f"/projects/{pid}").status_code == 404


def test_assign_withdraw_and_refusals_over_the_api(world):
    pid = project(world).pk
    staff = ApiClient("community")
    assert staff.post(f"/projects/{pid}/assign", {}).json()["field"] == "owner_unit"
    sec = staff.post(f"/projects/{pid}/assign", {"owner_user": world.secretary.pk})
    assert sec.json()["is_secretary_project"] is True
    assert staff.get("/projects?secretary=true").json()["count"] == 1
    missing = staff.post(f"/projects/{pid}/withdraw", {"reason": ""})
    assert missing.status_code == 400 and missing.json()["field"] == "reason"
    assert staff.post(f"/projects/{pid}/withdraw", {"reason": "重新论证"}).json()["state"] == "draft"
    assert ApiClient("worker").post(f"/projects/{pid}/publish").status_code == 404
    forbidden = ApiClient("resident").post(f"/projects/{pid}/publish")
    assert forbidden.status_code == 404
    far = project(world, area="610302002001", by=world.admin)
    assert staff.get(f"/projects/{far.pk}").status_code == 404
    assert ApiClient("street2").post("/projects", {"title": "x", "area": GRID_211}).status_code == 201
