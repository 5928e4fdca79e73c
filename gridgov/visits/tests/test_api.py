"""``/api/v1/visits``: CRUD, filters, the worklist, coverage, rules and visit → case, each in scope."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gridgov.cases.models import Case
from gridgov.core import uploads
from gridgov.ledger.actions import tag_assign
from gridgov.testing.api import ApiClient
from gridgov.visits.models import Visit, VisitPlan, VisitRule
from gridgov.visits.tests.conftest import T0, days_ago, record
from gridgov.visits.tests.test_record import upload


@pytest.fixture
def api(world):  # noqa: ARG001
    return {
        name: ApiClient(name)
        for name in ("worker", "worker2", "community", "district", "street2", "resident", "handler")
    }


def body(world, **kw):
    data = {
        "household": world.h1.pk,
        "visited_at": (T0 - timedelta(hours=1)).isoformat(),
        "duration_minutes": 30,
        "kind": "must",
        "situation": "老两口身体尚可",
        "problems": "楼道灯不亮",
    }
    data.update(kw)
    return data


def test_create_get_list_update_delete(world, api):
    r = api["worker"].post("/visits", body(world, visitors=[world.community.pk]))
    assert r.status_code == 201, r.content
    out = r.json()
    assert out["household"] == {"id": world.h1.pk, "label": "A号楼1单元101室", "area_code": "610302001001001"}
    assert out["kind_label"] == "必访" and out["photo_url"] is None and out["cases"] == []
    assert {p["id"] for p in out["visitors"]} == {world.worker.pk, world.community.pk}
    vid = out["id"]
    assert api["worker"].get(f"/visits/{vid}").json()["problems"] == "楼道灯不亮"
    listed = api["community"].get("/visits").json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == vid
    r = api["worker"].patch(f"/visits/{vid}", {"needs": "希望加装扶手", "duration_minutes": 45})
    assert r.status_code == 200 and r.json()["needs"] == "希望加装扶手" and r.json()["duration_minutes"] == 45
    r = api["worker"].client.post(
        f"/api/v1/visits/{vid}/photo", {"photo": upload()}, headers=api["worker"].headers
    )
    photo = uploads.of(Visit.objects.get(pk=vid)).get()
    assert r.status_code == 200 and r.json()["photo_url"] == f"/files/{photo.pk}/"
    assert api["worker"].delete(f"/visits/{vid}").json()["field"] == "reason"
    assert api["worker"].delete(f"/visits/{vid}?reason=录错").status_code == 204
    assert not Visit.objects.exists()


def test_errors_have_code_message_field(world, api):
    r = api["worker"].post("/visits", body(world, situation="", problems=""))
    assert r.status_code == 400 and r.json()["code"] == "required" and r.json()["field"] == "situation"
    r = api["worker"].post("/visits", body(world, visited_at=(T0 + timedelta(days=1)).isoformat()))
    assert r.status_code == 400 and r.json()["field"] == "visited_at"
    r = api["worker"].post("/visits", body(world, visitors=[world.worker2.pk]))
    assert r.status_code == 400 and r.json()["field"] == "visitors"
    r = api["worker"].post("/visits", body(world, household=world.h4.pk))
    assert r.status_code == 404 and r.json()["field"] == "household"
    r = api["resident"].post("/visits", body(world))
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    assert ApiClient().get("/visits").status_code == 401


def test_filters(world, api):
    record(world, world.h1, days_ago(10), kind="must")
    record(world, world.h2, days_ago(3))
    record(world, world.h4, days_ago(2), by=world.worker2)
    c = api["community"]
    assert c.get("/visits").json()["count"] == 3
    assert c.get(f"/visits?household={world.h2.pk}").json()["count"] == 1
    assert c.get("/visits?kind=must").json()["count"] == 1
    assert c.get("/visits?area=610302001001002").json()["count"] == 1
    assert c.get(f"/visits?start={days_ago(3)}&end={days_ago(2)}").json()["count"] == 2
    assert c.get(f"/visits?recorded_by={world.worker2.pk}").json()["count"] == 1


def test_every_visit_endpoint_is_scoped(world, api):
    visit = record(world, world.h1, days_ago(1), problems="电梯经常停运")
    other = api["worker2"]
    assert other.get("/visits").json()["count"] == 0
    assert other.get(f"/visits/{visit.pk}").status_code == 404
    assert other.patch(f"/visits/{visit.pk}", {"needs": "x"}).status_code == 404
    assert other.delete(f"/visits/{visit.pk}?reason=x").status_code == 404
    assert other.post(f"/visits/{visit.pk}/case", {"category": "property_service"}).status_code == 404
    assert api["street2"].get(f"/visits/{visit.pk}").status_code == 404
    for who in ("resident", "handler"):
        assert api[who].get("/visits").status_code == 403
        assert api[who].get(f"/visits/{visit.pk}").status_code == 404
        assert api[who].get("/visits/worklist").status_code == 403
        assert api[who].get("/visits/rules").status_code == 403
        assert api[who].get("/visits/coverage?start=2026-11-01&end=2026-11-23").status_code == 403
    # visible but not the recorder nor a supervisor: 403
    assert api["district"].patch(f"/visits/{visit.pk}", {"needs": "x"}).status_code == 200
    assert api["district"].delete(f"/visits/{visit.pk}?reason=x").status_code == 403
    assert Visit.objects.filter(pk=visit.pk).exists()


def test_visit_to_case_once(world, api):
    visit = record(world, world.h1, days_ago(1), problems="电梯经常停运，老人出行困难")
    r = api["worker"].post(f"/visits/{visit.pk}/case", {"category": "property_service"})
    assert r.status_code == 201 and r.json()["created"]
    ref = r.json()["case"]["ref"]
    r = api["worker"].post(f"/visits/{visit.pk}/case", {"category": "property_service"})
    assert r.status_code == 200 and not r.json()["created"] and r.json()["case"]["ref"] == ref
    assert Case.objects.count() == 1
    assert api["worker"].get(f"/visits/{visit.pk}").json()["cases"][0]["ref"] == ref
    assert api["worker"].get(f"/cases/{ref}").status_code == 200
    r = api["worker"].post(f"/visits/{record(world, world.h2, days_ago(1)).pk}/case", {"category": "x"})
    assert r.status_code == 400 and r.json()["field"] == "category"


def test_worklist_and_plan(world, api):
    tag_assign(by=world.admin, tag="needy", household=world.h2, reason="低保", since=days_ago(40))
    tag_assign(by=world.admin, tag="living_alone", resident=world.h4.head, reason="独居", since=days_ago(40))
    VisitPlan.objects.create(area=world.tree["610302"], households=10)
    record(world, world.h1, days_ago(0))
    out = api["worker"].get("/visits/worklist").json()
    assert out["count"] == 1
    item = out["items"][0]
    assert item["household"]["id"] == world.h2.pk and item["overdue"] and item["days_overdue"] == 10
    assert item["reason"] == "困难家庭" and item["tag"] == "needy" and item["interval_days"] == 30
    assert out["plan"]["households"] == 10 and out["plan"]["visited"] == 1
    assert api["community"].get("/visits/worklist").json()["count"] == 2
    assert api["community"].get("/visits/worklist?page_size=1&page=2").json()["items"][0]["household"][
        "id"
    ] in (
        world.h2.pk,
        world.h4.pk,
    )
    assert api["community"].get("/visits/worklist?days=-1").status_code == 400


def test_coverage_endpoint(world, api):
    record(world, world.h1, days_ago(1))
    r = api["community"].get(
        "/visits/coverage?area=610302001001&start=2026-11-01&end=2026-11-23&group_by=child"
    )
    assert r.status_code == 200
    out = r.json()
    assert (
        out["totals"]["households"] == 4
        and out["totals"]["visited"] == 1
        and out["totals"]["coverage"] == 0.25
    )
    assert [g["code"] for g in out["groups"]] == ["610302001001001", "610302001001002"]
    r = api["worker"].get("/visits/coverage?area=610302001001&start=2026-11-01&end=2026-11-23")
    assert r.status_code == 404 and r.json()["field"] == "area"
    r = api["community"].get("/visits/coverage?start=2026-11-23&end=2026-11-01")
    assert r.status_code == 400 and r.json()["field"] == "end"


def test_rules_listed_to_staff_and_configured_by_the_district(world, api):
    listed = api["worker"].get("/visits/rules").json()
    assert listed["count"] == 4 and {r["tag"] for r in listed["items"]} == {
        "living_alone",
        "needy",
        "old_party_member",
        None,
    }
    r = api["worker"].post("/visits/rules", {"district": "610302", "tag": "petitioner", "interval_days": 90})
    assert r.status_code == 403
    r = api["district"].post(
        "/visits/rules", {"district": "610302", "tag": "petitioner", "interval_days": 90}
    )
    assert r.status_code == 201 and r.json()["tag_name"] == "信访群众"
    r = api["district"].post("/visits/rules", {"district": "610302", "tag": "信访群众", "interval_days": 60})
    assert r.status_code == 409 and r.json()["field"] == "tag"
    r = api["district"].post("/visits/rules", {"district": "610302", "interval_days": 100})
    assert r.status_code == 409  # the every-household rule exists already
    r = api["district"].post("/visits/rules", {"district": "610302", "tag": "nope", "interval_days": 10})
    assert r.status_code == 400 and r.json()["field"] == "tag"
    r = api["district"].post("/visits/rules", {"district": "610302", "tag": "veteran", "interval_days": 0})
    assert r.status_code == 400 and r.json()["field"] == "interval_days"
    r = api["district"].post("/visits/rules", {"district": "610303", "tag": "veteran", "interval_days": 10})
    assert r.status_code == 404
    rid = world.rules["needy"].pk
    r = api["district"].patch(f"/visits/rules/{rid}", {"interval_days": 14, "is_active": False})
    assert r.status_code == 200 and r.json()["interval_days"] == 14 and not r.json()["is_active"]
    assert api["community"].patch(f"/visits/rules/{rid}", {"interval_days": 7}).status_code == 403
    assert api["resident"].patch(f"/visits/rules/{rid}", {"interval_days": 7}).status_code == 404
    assert VisitRule.objects.get(pk=rid).interval_days == 14
