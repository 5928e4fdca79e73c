"""双报到: the compliance report (units below N listed, N configurable) and the year-end scores."""

from __future__ import annotations

import pytest

from gridgov.core.errors import DomainError
from gridgov.core.models import AuditEntry
from gridgov.projects import actions
from gridgov.projects.models import UnitYearScore
from gridgov.projects.selectors import compliance_report
from gridgov.testing.api import ApiClient
from gridgov.testing.factories import make_user

from .conftest import COMMUNITY_11, COMMUNITY_12, STREET_1, project


def _claimed(world, handler, area=COMMUNITY_11, done=False, year=None):
    p = project(world, by=world.street, area=area, year=year)
    p = actions.project_publish(by=world.street, project=p)
    p = actions.project_claim(by=handler, project=p)
    if done:
        actions.project_complete(by=handler, project=p, summary="完成")
    return p


@pytest.fixture
def season(world):
    _claimed(world, world.handler, done=True)  # 渭滨区人民医院: 1 claimed, 1 done
    _claimed(world, world.handler_b, area=COMMUNITY_12)  # 中国银行: 1 claimed, 0 done
    _claimed(world, world.handler, year=2025, done=True)  # another year: not counted
    dept_handler = make_user(world.admin, "dept", "unit", unit=world.dept)
    p = actions.project_assign(
        by=world.street, project=project(world, by=world.street), owner_unit=world.dept.pk
    )
    actions.project_complete(by=dept_handler, project=p, summary="完成")
    return world


def _rows(report):
    return {r.unit.name: (r.claimed, r.completed, r.required, r.status) for r in report.rows}


def test_street_report_lists_partners_and_units_that_took_projects(season):
    w = season
    report = compliance_report(w.street, area=STREET_1, year=2026)
    assert report.required == 1
    assert _rows(report) == {
        "渭滨区人民医院": (1, 1, 1, "达标"),
        "中国银行渭滨支行": (1, 0, 1, "未达标"),
        "渭滨区城市管理执法局": (1, 1, 1, "达标"),  # not a partner, but took a project here
    }
    assert [r.unit.name for r in report.below] == ["中国银行渭滨支行"]  # 宝鸡市律师协会 serves street 2


def test_n_is_configurable_and_the_nearest_rule_applies(season):
    w = season
    actions.cobuilding_rule_set(by=w.street, area=STREET_1, required_projects=2)
    report = compliance_report(w.street, area=STREET_1, year=2026)
    assert report.required == 2
    assert sorted(r.unit.name for r in report.below) == [
        "中国银行渭滨支行",
        "渭滨区人民医院",
        "渭滨区城市管理执法局",
    ]
    # A community rule overrides the street's for that community.
    actions.cobuilding_rule_set(by=w.community, area=COMMUNITY_11, required_projects=1)
    community = compliance_report(w.community, area=COMMUNITY_11, year=2026)
    assert community.required == 1
    assert _rows(community)["渭滨区人民医院"] == (1, 1, 1, "达标")
    assert "中国银行渭滨支行" not in _rows(community)  # serves the street, took nothing in this community
    with pytest.raises(DomainError) as exc:
        actions.cobuilding_rule_set(by=w.street, area=STREET_1, required_projects=0)
    assert exc.value.field == "required_projects"
    with pytest.raises(DomainError) as exc:
        actions.cobuilding_rule_set(by=w.worker, area="610302001001001", required_projects=1)
    assert exc.value.status == 403


def test_report_is_scoped(season):
    w = season
    with pytest.raises(DomainError) as exc:
        compliance_report(w.community2, area=COMMUNITY_11, year=2026)
    assert exc.value.status == 404
    with pytest.raises(DomainError) as exc:
        compliance_report(w.handler, area=COMMUNITY_11, year=2026)
    assert exc.value.status == 403


def test_compliance_api(season):
    body = ApiClient("street").get(f"/projects/compliance?area={STREET_1}&year=2026").json()
    assert body["required"] == 1 and body["area"]["code"] == STREET_1
    assert [u["unit_name"] for u in body["below"]] == ["中国银行渭滨支行"]
    assert ApiClient("street2").get(f"/projects/compliance?area={STREET_1}").status_code == 404


def test_scores_validation_and_rescore(world):
    w = world

    def score(by=None, **kw):
        args = {"unit": w.unit.pk, "community": COMMUNITY_11, "year": 2026, "score": 90, "comment": ""}
        args.update(kw)
        return actions.unit_score(by=by or w.community, **args)

    for bad, field in ((101, "score"), (-1, "score"), ("九十", "score")):
        with pytest.raises(DomainError) as exc:
            score(score=bad)
        assert exc.value.field == field
    with pytest.raises(DomainError) as exc:
        score(score=59)
    assert exc.value.field == "comment" and exc.value.status == 400
    with pytest.raises(DomainError) as exc:
        score(community=STREET_1, by=w.street)
    assert exc.value.field == "community"
    with pytest.raises(DomainError) as exc:
        score(by=w.community2)
    assert exc.value.status == 404
    for who, status in ((w.worker, 404), (w.secretary, 403), (w.handler, 403)):
        with pytest.raises(DomainError) as exc:
            score(by=who)
        assert exc.value.status == status
    first = score(score=59, comment="全年只参与一次活动")
    again = score(score=85, by=w.street)
    assert first.pk == again.pk and UnitYearScore.objects.get().score == 85
    entry = AuditEntry.objects.filter(verb="unit_year_score.set").order_by("id").last()
    assert entry.before == {"score": 59, "comment": "全年只参与一次活动"} and entry.after["score"] == 85
    report = compliance_report(w.community, area=COMMUNITY_11, year=2026)
    assert {r.unit.name: r.score for r in report.rows} == {"渭滨区人民医院": 85}


def test_scores_api(world):
    api = ApiClient("community")
    ok = api.post(
        "/projects/scores", {"unit": world.unit.pk, "community": COMMUNITY_11, "year": 2026, "score": 92}
    )
    assert ok.status_code == 201 and ok.json()["score"] == 92
    low = api.post(
        "/projects/scores", {"unit": world.unit.pk, "community": COMMUNITY_11, "year": 2026, "score": 40}
    )
    assert low.status_code == 400 and low.json()["field"] == "comment"
