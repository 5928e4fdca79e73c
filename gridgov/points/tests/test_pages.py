"""The volunteer pages: list, task, sign-up, attendance, my page, station, community, rewards; scope 404."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from gridgov.points import actions
from gridgov.points.actions import balance, volunteer_account
from gridgov.points.models import Reward, Signup
from gridgov.testing.factories import PASSWORD

from .conftest import COMMUNITY, make_reward, make_task


def client(username: str) -> Client:
    c = Client()
    assert c.login(username=username, password=PASSWORD)
    return c


@pytest.fixture
def task(world):
    return make_task(world, title="垃圾分类督导", slots=2, points=12)


def test_volunteer_signs_up_and_withdraws_on_the_pages(world, task):
    c = client("vol")
    page = c.get("/volunteer/").content.decode()
    assert "垃圾分类督导" in page and "余 2 / 2 个名额" in page
    page = c.get(f"/volunteer/tasks/{task.pk}/").content.decode()
    assert "我要报名" in page and "报名名单" not in page
    r = c.post(f"/volunteer/tasks/{task.pk}/signup/", follow=True)
    assert "报名成功" in r.content.decode() and "取消报名" in r.content.decode()
    assert Signup.objects.filter(volunteer=world.vol, state="signed_up").count() == 1
    r = c.post(f"/volunteer/tasks/{task.pk}/withdraw/", follow=True)
    assert "已取消报名" in r.content.decode()
    r = c.post(f"/volunteer/tasks/{task.pk}/publish/", follow=True)
    assert "不能发布" in r.content.decode()


def test_staff_pages_and_scope(world, task, clock):
    staff = client("community")
    page = staff.get(f"/volunteer/tasks/{task.pk}/").content.decode()
    assert "截止报名" in page and "取消任务" in page and "发布" not in page.split("action-bar")[1][:300]
    assert client("street2").get(f"/volunteer/tasks/{task.pk}/").status_code == 404
    assert client("vol").get("/volunteer/station/").status_code == 404
    assert client("vol").get(f"/volunteer/tasks/{task.pk}/attendance/").status_code == 404
    r = staff.post(f"/volunteer/tasks/{task.pk}/cancel/", {"reason": ""}, follow=True)
    assert "取消任务必须填写原因" in r.content.decode()
    s = actions.signup_create(task_id=task.pk, by=world.vol)
    clock.move_to(task.starts_at + timedelta(minutes=10))
    r = staff.post(f"/volunteer/tasks/{task.pk}/attendance/", {f"mark-{s.pk}": "attended"}, follow=True)
    assert "参加情况已确认" in r.content.decode()
    assert balance(volunteer_account(world.vol)) == 12
    assert "12" in client("vol").get("/volunteer/me/").content.decode()


def test_task_form(world):
    staff = client("community")
    assert staff.get("/volunteer/tasks/new/").status_code == 200
    r = staff.post(
        "/volunteer/tasks/new/",
        {
            "area": COMMUNITY,
            "title": "",
            "place": "x",
            "starts_at": "2026-12-01T09:00",
            "ends_at": "2026-12-01T11:00",
            "slots": "3",
            "points": "5",
        },
    )
    assert r.status_code == 400 and "必填" in r.content.decode()
    r = staff.post(
        "/volunteer/tasks/new/",
        {
            "area": COMMUNITY,
            "title": "义诊",
            "place": "社区卫生站",
            "starts_at": "2026-12-01T09:00",
            "ends_at": "2026-12-01T11:00",
            "slots": "3",
            "points": "5",
            "publish": "1",
        },
        follow=True,
    )
    assert "志愿任务已发布" in r.content.decode()


def test_station_redeems_for_a_volunteer(world):
    actions.points_grant(by=world.community, volunteer=world.vol, area=COMMUNITY, amount=50, reason="补录")
    reward = make_reward(world, cost=20, stock=3, name="毛巾")
    staff = client("community")
    page = staff.get("/volunteer/station/?q=vol").content.decode()
    assert "vol2" in page  # two matches: a list to choose from
    page = staff.get(f"/volunteer/station/?volunteer={world.vol.pk}").content.decode()
    assert 'id="station-balance">50<' in page
    r = staff.post(
        "/volunteer/station/", {"volunteer": world.vol.pk, "reward": reward.pk, "quantity": "2"}, follow=True
    )
    assert "已为" in r.content.decode() and 'id="station-balance">10<' in r.content.decode()
    assert Reward.objects.get(pk=reward.pk).stock == 1
    r = staff.post(
        "/volunteer/station/", {"volunteer": world.vol.pk, "reward": reward.pk, "quantity": "1"}, follow=True
    )
    assert "积分不足" in r.content.decode()


def test_self_service_and_figures(world, clock):
    actions.points_grant(by=world.community, volunteer=world.vol, area=COMMUNITY, amount=50, reason="补录")
    reward = make_reward(world, cost=20, stock=3, name="毛巾")
    r = client("vol").post(f"/volunteer/rewards/{reward.pk}/redeem/", {"quantity": "1"}, follow=True)
    assert "兑换成功" in r.content.decode() and 'id="my-balance">30<' in r.content.decode()
    page = client("community").get("/volunteer/community/").content.decode()
    assert 'data-figure="issued">50<' in page and 'data-figure="redeemed">20<' in page
    assert client("community").get("/volunteer/community/?area=610302002001").status_code == 404
    assert "毛巾" in client("community").get("/volunteer/rewards/").content.decode()
