"""供需对接 on a known data set: the order, the score parts and the reasons."""

from __future__ import annotations

from datetime import date

from gridgov.projects import actions
from gridgov.projects.matching import _shared_level, match_resources

from .conftest import COMMUNITY_11, GRID_111, GRID_112, GRID_211, STREET_1, TODAY, need, project, resource


def _rated(world, res, area, scores):
    p = project(world, by=world.admin, area=area, resources=[res], title=f"{res.title}项目")
    p = actions.project_assign(by=world.admin, project=p, owner_unit=world.dept.pk)
    actions.project_complete(by=_dept_handler(world), project=p, summary="完成")
    for i, score in enumerate(scores):
        who = [world.resident, world.resident2, world.volunteer][i]
        actions.project_evaluate(by=who, project=p, score=score)


def _dept_handler(world):
    from gridgov.testing.factories import make_user

    user = world.__dict__.get("_dept_handler")
    if user is None:
        user = make_user(world.admin, "dept", "unit", unit=world.dept)
        world.__dict__["_dept_handler"] = user
    return user


def test_resources_ranked_by_category_area_availability_and_ratings(world):
    n = need(world, title="独居老人助餐", category="meals", area=GRID_111)
    r1 = resource(world, "社区食堂助餐", "meals", GRID_111, capacity=20, available_until=date(2026, 12, 31))
    r2 = resource(world, "街道老年餐桌", "meals", STREET_1, capacity=50, availability="工作日中午")
    r3 = resource(world, "养老服务站上门服务", "elderly", COMMUNITY_11)
    r4 = resource(
        world,
        "志愿者送餐",
        "meals",
        GRID_112,
        owner_user=world.volunteer.pk,
        available_from=date(2026, 12, 10),
    )
    resource(world, "法律咨询", "legal", GRID_111)  # other category: left out while others fit
    r6 = resource(world, "爱心餐厅", "meals", GRID_211, capacity=5)
    resource(world, "过期的助餐券", "meals", GRID_111, available_until=date(2026, 11, 1))
    inactive = resource(world, "停用的食堂", "meals", GRID_111)
    actions.resource_update(by=world.admin, resource=inactive, is_active=False)
    resource(world, "明年的送餐", "meals", GRID_111, available_from=date(2027, 3, 1))
    _rated(world, r6, "610302002001", [5, 4])
    _rated(world, r1, COMMUNITY_11, [1])

    found = match_resources(n, today=TODAY)
    assert [m.resource for m in found] == [r6, r2, r1, r4, r3]
    assert [m.score for m in found] == [62.5, 60, 60, 60, 45]
    reasons = {m.resource.title: m.reasons for m in found}
    assert reasons["爱心餐厅"] == ["同类别：助餐", "同区", "长期可用", "往期项目评价 4.5/5 (1 个)"]
    assert reasons["街道老年餐桌"] == ["同类别：助餐", "同街道", "长期可用", "工作日中午", "暂无往期评价"]
    assert reasons["社区食堂助餐"] == [
        "同类别：助餐",
        "同网格",
        "可用至 2026-12-31",
        "往期项目评价 1.0/5 (1 个)",
    ]
    assert reasons["志愿者送餐"] == ["同类别：助餐", "同社区", "2026-12-10 起可用", "暂无往期评价"]
    assert reasons["养老服务站上门服务"] == ["相近类别：养老", "同社区", "长期可用", "暂无往期评价"]
    assert found[0].rating == 4.5 and found[0].rated_projects == 1


def test_the_needs_date_widens_the_window(world):
    n = need(world, category="meals", needed_by=date(2027, 6, 30))
    later = resource(world, "明年的送餐", "meals", GRID_111, available_from=date(2027, 3, 1))
    assert [m.resource for m in match_resources(n, today=TODAY)] == [later]


def test_other_categories_only_when_nothing_fits(world):
    n = need(world, title="楼道灯维修", category="repair")
    legal = resource(world, "法律咨询", "legal", GRID_111)
    meals = resource(world, "街道老年餐桌", "meals", STREET_1)
    found = match_resources(n, today=TODAY)
    assert [m.resource for m in found] == [legal, meals]
    assert found[0].reasons[0] == "其他类别：法律" and found[0].score == 30


def test_area_levels():
    assert _shared_level("610302001001001", "610302001001001") == 15
    assert _shared_level("610302001001001", "610302001001") == 12
    assert _shared_level("610302001001", "610302001001002") == 12
    assert _shared_level("610302001001001", "610302002") == 6
    assert _shared_level("610302001001001", "610303001001001") == 0


def test_matches_api_is_scoped(world):
    from gridgov.testing.api import ApiClient

    n = need(world, category="meals")
    resource(world, "社区食堂助餐", "meals", GRID_111)
    body = ApiClient("community").get(f"/needs/{n.pk}/matches").json()
    assert body[0]["resource"]["title"] == "社区食堂助餐" and body[0]["reasons"][:2] == [
        "同类别：助餐",
        "同网格",
    ]
    assert ApiClient("community2").get(f"/needs/{n.pk}/matches").status_code == 404
