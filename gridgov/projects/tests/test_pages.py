"""The pages: lists, the need page with matches and 立项, the project page's buttons, compliance and scores."""

from __future__ import annotations

import pytest
from django.test import Client

from gridgov.projects import actions
from gridgov.projects.models import Need, Project, ProjectEvaluation, Resource, UnitYearScore
from gridgov.testing.factories import PASSWORD

from .conftest import COMMUNITY_11, GRID_111, GRID_211, need, project, resource


def signed_in(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


@pytest.fixture
def staff(world):  # noqa: ARG001
    return signed_in("community")


def test_needs_list_filters_and_scope(world, staff):
    need(world, title="独居老人助餐", urgency="urgent")
    need(world, title="远处的需求", area=GRID_211, by=world.admin)
    html = staff.get("/lists/needs/").content.decode()
    assert "独居老人助餐" in html and "远处的需求" not in html
    assert "独居老人助餐" not in staff.get("/lists/needs/?urgency=low").content.decode()
    assert signed_in("handler").get("/lists/needs/").status_code == 404
    assert signed_in("resident").get("/lists/needs/").status_code == 404


def test_need_form(world, staff):
    bad = staff.post("/lists/needs/new/", {"title": "", "category": "meals", "area": GRID_111})
    assert bad.status_code == 400 and "请填写需求" in bad.content.decode()
    ok = staff.post(
        "/lists/needs/new/",
        {"title": "楼道照明", "category": "repair", "area": GRID_111, "urgency": "normal"},
    )
    n = Need.objects.get()
    assert ok.status_code == 302 and ok["Location"] == f"/lists/needs/{n.pk}/"


def test_need_page_shows_matches_and_makes_a_project(world, staff):
    n = need(world)
    r = resource(world, "社区食堂助餐", "meals", GRID_111)
    html = staff.get(f"/lists/needs/{n.pk}/").content.decode()
    assert f'data-resource="{r.pk}"' in html and "同类别：助餐" in html and "同网格" in html
    assert signed_in("community2").get(f"/lists/needs/{n.pk}/").status_code == 404
    bad = staff.post(f"/lists/needs/{n.pk}/project/", {"title": "", "resources": [r.pk]})
    assert bad.status_code == 400
    done = staff.post(f"/lists/needs/{n.pk}/project/", {"title": "长者助餐点", "resources": [r.pk]})
    p = Project.objects.get()
    assert done.status_code == 302 and done["Location"] == f"/lists/projects/{p.pk}/"
    assert list(p.needs.all()) == [n] and list(p.resources.all()) == [r]
    n.refresh_from_db()
    assert n.state == "planned"


def test_need_close_page(world, staff):
    n = need(world)
    assert staff.post(f"/lists/needs/{n.pk}/close/", {"reason": ""}).status_code == 400
    assert staff.post(f"/lists/needs/{n.pk}/close/", {"reason": "已解决"}).status_code == 302
    n.refresh_from_db()
    assert n.state == "closed"


def test_project_page_shows_only_allowed_buttons_and_runs_them(world, staff):
    p = project(world)
    html = staff.get(f"/lists/projects/{p.pk}/").content.decode()
    assert f"/lists/projects/{p.pk}/publish/" in html and f"/lists/projects/{p.pk}/claim/" not in html
    assert staff.post(f"/lists/projects/{p.pk}/publish/").status_code == 302
    unit = signed_in("handler")
    assert "老旧小区加装扶手" in unit.get("/lists/projects/?state=open").content.decode()
    page = unit.get(f"/lists/projects/{p.pk}/").content.decode()
    assert f"/lists/projects/{p.pk}/claim/" in page and "/publish/" not in page
    assert unit.post(f"/lists/projects/{p.pk}/claim/").status_code == 302
    again = signed_in("handler_b").post(f"/lists/projects/{p.pk}/claim/")
    assert again.status_code == 404  # taken by another unit: no longer on their list
    assert unit.post(f"/lists/projects/{p.pk}/add_milestone/", {"title": "入户测量"}).status_code == 302
    m = p.milestones.get()
    assert unit.post(f"/lists/projects/{p.pk}/milestone/", {"milestone": m.pk}).status_code == 302
    assert unit.post(f"/lists/projects/{p.pk}/complete/", {"summary": ""}).status_code == 400
    assert unit.post(f"/lists/projects/{p.pk}/complete/", {"summary": "完成"}).status_code == 302
    resident = signed_in("resident")
    assert 'id="evaluate-form"' in resident.get(f"/lists/projects/{p.pk}/").content.decode()
    assert (
        resident.post(f"/lists/projects/{p.pk}/evaluate/", {"score": "4", "comment": "好"}).status_code == 302
    )
    assert ProjectEvaluation.objects.get().score == 4
    assert 'id="evaluate-form"' not in resident.get(f"/lists/projects/{p.pk}/").content.decode()
    assert resident.post(f"/lists/projects/{p.pk}/evaluate/", {"score": "5"}).status_code == 409
    assert staff.post(f"/lists/projects/{p.pk}/nonsense/").status_code == 404


def test_resources_pages(world, staff):
    ok = staff.post(
        "/lists/resources/new/",
        {
            "title": "法律咨询",
            "category": "legal",
            "kind": "skill",
            "area": COMMUNITY_11,
            "owner_unit": world.unit.pk,
        },
    )
    assert ok.status_code == 302
    res = Resource.objects.get()
    assert "法律咨询" in staff.get("/lists/resources/").content.decode()
    edit = staff.post(
        f"/lists/resources/{res.pk}/",
        {"title": "法律咨询（周三）", "category": "legal", "kind": "skill", "area": COMMUNITY_11},
    )
    assert edit.status_code == 302
    res.refresh_from_db()
    assert res.title == "法律咨询（周三）" and not res.is_active
    unit = signed_in("handler")
    assert (
        unit.post(
            "/lists/resources/new/",
            {"title": "义诊", "category": "elderly", "kind": "skill", "area": COMMUNITY_11},
        ).status_code
        == 302
    )
    assert Resource.objects.get(title="义诊").owner_unit == world.unit
    bad = unit.post(
        "/lists/resources/new/", {"title": "", "category": "elderly", "kind": "skill", "area": COMMUNITY_11}
    )
    assert bad.status_code == 400


def test_compliance_page_and_scoring(world, staff):
    html = staff.get(f"/lists/compliance/?area={COMMUNITY_11}&year=2026").content.decode()
    assert "渭滨区人民医院" in html and 'id="below"' in html and 'id="score-form"' in html
    bad = staff.post(
        "/lists/compliance/", {"area": COMMUNITY_11, "year": "2026", "unit": world.unit.pk, "score": "40"}
    )
    assert bad.status_code == 400 and "须填写评语" in bad.content.decode()
    ok = staff.post(
        "/lists/compliance/",
        {"area": COMMUNITY_11, "year": "2026", "unit": world.unit.pk, "score": "40", "comment": "未参与"},
    )
    assert ok.status_code == 302 and UnitYearScore.objects.get().score == 40
    assert signed_in("community2").get(f"/lists/compliance/?area={COMMUNITY_11}").status_code == 404
    actions.cobuilding_rule_set(by=world.street, area="610302001", required_projects=2)
    assert "须认领并完成 2 个项目" in signed_in("street").get("/lists/compliance/").content.decode()
