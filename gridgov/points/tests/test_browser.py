"""The volunteer journey in a phone-sized Chromium (Debian's, through Playwright): a volunteer signs up for a
task, the community confirms attendance, the volunteer sees the points, the exchange station redeems a
reward for them, and the balance and the stock drop.

Set ``GRIDGOV_SCREENSHOTS`` to a directory to keep full-page screenshots."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone
from playwright.sync_api import sync_playwright

from gridgov.cases.tests.test_browser import CHROMIUM_ARGS, shot, signed_in
from gridgov.points import actions
from gridgov.points.models import Reward, VolunteerTask
from gridgov.testing.factories import make_tree, make_user

pytestmark = pytest.mark.browser

COMMUNITY = "610302001001"


@pytest.fixture
def cast(transactional_db):
    tree = make_tree()
    admin = tree.admin
    staff = make_user(admin, "shequ", "community", tree[COMMUNITY])
    volunteer = make_user(admin, "zhangdy", "volunteer")
    volunteer.display_name = "张党员"
    volunteer.save()
    start = timezone.now() + timedelta(days=2)
    task = actions.task_create(
        by=staff,
        area=COMMUNITY,
        title="关爱独居老人探访",
        place="姜谭路西社区 5 号楼",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        slots=3,
        points=40,
        publish=True,
    )
    reward = actions.reward_create(by=staff, area=COMMUNITY, name="洗衣液", cost=30, stock=5)
    return task, reward, volunteer


@pytest.fixture
def browser(cast, live_server, monkeypatch):  # noqa: ARG001
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        connections.close_all()
        browser.close()


def test_volunteer_signs_up_earns_points_and_redeems_them(browser, live_server, cast):
    task, reward, volunteer = cast
    base = live_server.url

    # The volunteer finds the task and signs up.
    vol = signed_in(browser, base, "zhangdy")
    vol.goto(f"{base}/volunteer/")
    card = vol.locator(f'.task-card[data-task="{task.pk}"]')
    assert "余 3 / 3 个名额" in card.inner_text()
    card.get_by_role("link", name="关爱独居老人探访").click()
    vol.wait_for_url(f"{base}/volunteer/tasks/{task.pk}/")
    with vol.expect_navigation():
        vol.get_by_role("button", name="我要报名").click()
    assert "报名成功" in vol.locator(".notices").inner_text()
    assert "余 2 / 3 个名额" in vol.locator("#task-places").inner_text()
    shot(vol, "points-task-signed-up")

    # The visit took place (the task moves into the past), the community confirms attendance.
    VolunteerTask.objects.filter(pk=task.pk).update(
        starts_at=task.starts_at - timedelta(days=3), ends_at=task.ends_at - timedelta(days=3)
    )
    staff = signed_in(browser, base, "shequ")
    staff.goto(f"{base}/volunteer/tasks/{task.pk}/")
    staff.get_by_role("link", name="确认参加情况").click()
    staff.wait_for_url(f"{base}/volunteer/tasks/{task.pk}/attendance/")
    row = staff.locator(".attendance-row").filter(has_text="张党员")
    row.get_by_label("参加").check()
    shot(staff, "points-attendance")
    with staff.expect_navigation():
        staff.get_by_role("button", name="保存参加情况").click()
    assert "积分已记入" in staff.locator(".notices").inner_text()
    assert "已参加" in staff.locator(".attendance-row").filter(has_text="张党员").inner_text()

    # The volunteer sees the points and hours.
    vol.goto(f"{base}/volunteer/me/")
    assert vol.locator("#my-balance").inner_text() == "40"
    assert vol.locator("#my-hours").inner_text() == "2.00"
    assert "关爱独居老人探访" in vol.locator("#my-history").inner_text()
    shot(vol, "points-me")

    # At the exchange station the community redeems a reward for the volunteer.
    staff.goto(f"{base}/volunteer/station/")
    staff.fill("#id_q", "张党员")
    with staff.expect_navigation():
        staff.get_by_role("button", name="查找").click()
    assert staff.locator("#station-balance").inner_text() == "40"
    staff.select_option("#id_reward", str(reward.pk))
    staff.fill("#id_quantity", "1")
    with staff.expect_navigation():
        staff.get_by_role("button", name="确认兑换").click()
    assert "洗衣液 × 1" in staff.locator(".notices").inner_text()
    assert staff.locator("#station-balance").inner_text() == "10"
    assert staff.locator(f'#station-stock [data-reward="{reward.pk}"] .stock').inner_text() == "4"
    shot(staff, "points-station")

    vol.goto(f"{base}/volunteer/me/")
    assert vol.locator("#my-balance").inner_text() == "10"
    assert "洗衣液 × 1" in vol.locator("#my-redemptions").inner_text()
    assert Reward.objects.get(pk=reward.pk).stock == 4
    assert actions.balance(actions.volunteer_account(volunteer)) == 10
