"""A deliberation journey in Chromium (Debian's, through Playwright): a resident proposes a topic on their
phone, three neighbours support it, the community convenes a meeting that decides it by a show of hands,
the decision is carried out as a project, and the resident rates it.

Set ``GRIDGOV_SCREENSHOTS`` to a directory to keep full-page screenshots."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from gridgov.cases.tests.test_browser import shot, signed_in
from gridgov.deliberation.models import Decision, Topic
from gridgov.testing.browser import chromium

from .conftest import GRID, make_deliberation

pytestmark = pytest.mark.browser


@pytest.fixture
def cast(transactional_db, settings):  # noqa: ARG001
    settings.DELIBERATION_SUPPORT = {"microgrid": 2, "grid": 3, "community": 5, "street": 10}
    return make_deliberation()


@pytest.fixture
def browser(cast, live_server, monkeypatch):  # noqa: ARG001
    with chromium(monkeypatch) as browser:
        yield browser


def _post(page, button: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=button, exact=True).first.click()


def test_propose_support_decide_carry_out_and_rate(browser, live_server):
    base = live_server.url
    resident = signed_in(browser, base, "r00")
    resident.set_viewport_size({"width": 390, "height": 844})
    resident.goto(f"{base}/deliberation/")
    resident.click("#propose summary")
    resident.fill("#id_title", "三号楼加装电梯")
    resident.fill("#id_description", "三号楼老人多，上下楼困难")
    resident.select_option("#id_area", GRID)
    _post(resident, "提出")
    assert "议题已提出" in resident.inner_text(".notices")
    topic = Topic.objects.get()
    for name in ("r01", "r02", "r03"):
        neighbour = signed_in(browser, base, name)
        neighbour.goto(f"{base}/deliberation/topics/{topic.ref}/")
        _post(neighbour, "我支持")
        assert "感谢您的支持" in neighbour.inner_text(".notices")
    assert "待议" in neighbour.inner_text("#topic-state")
    shot(neighbour, "deliberation-topic-agenda")

    staff = signed_in(browser, base, "community")
    staff.goto(f"{base}/deliberation/meetings/")
    staff.click("#convene summary")
    staff.fill("#id_title", "三号楼加装电梯协商会")
    staff.select_option("#id_area", GRID)
    staff.fill("#id_starts_at", "2026-12-05T19:00")
    staff.fill("#id_place", "社区议事亭")
    staff.check(f'input[name="topics"][value="{topic.ref}"]')
    _post(staff, "召集")
    staff.click("#meeting-list a")
    for name in ("王大爷", "李阿姨", "赵师傅"):
        staff.fill("#id_pname", name)
        _post(staff, "加入名单")
    _post(staff, "开会签到")
    for _n in range(3):
        _post(staff, "签到")
    assert "已达法定人数" in staff.inner_text("#quorum")
    staff.fill('input[name="yes"]', "3")
    staff.fill('input[name="no"]', "0")
    staff.fill('input[name="abstain"]', "0")
    staff.fill('textarea[name="text"]', "加装电梯，费用按楼层分摊")
    _post(staff, "计算表决结果")
    assert "表决结果已计算" in staff.inner_text(".notices")
    assert "通过" in staff.inner_text("#agenda")
    shot(staff, "deliberation-meeting")

    Decision.objects.update(notice_until=timezone.now() - timedelta(minutes=1))  # the notice period is over
    staff.goto(f"{base}/deliberation/topics/{topic.ref}/")
    _post(staff, "转入办理（生成项目）")
    assert "项目已生成" in staff.inner_text(".notices")
    assert "进度" in staff.inner_text("#progress")

    resident.goto(f"{base}/deliberation/topics/{topic.ref}/")
    resident.select_option("#id_score", "5")
    _post(resident, "评价办理结果")
    assert "感谢您的评价" in resident.inner_text(".notices")
    assert "1" in resident.inner_text("#decision")
    shot(resident, "deliberation-rated")
    assert Decision.objects.get().ratings.get().score == 5
