"""The legal-consultation journey in phone-sized Chromium (Debian's, through Playwright), four sign-ins:
a resident orders the lawyers' Wednesday session → the community dispatches it to the lawyers'
association → the lawyer accepts and delivers → the resident rates it and the order is closed.

Set ``GRIDGOV_SCREENSHOTS`` to a directory to keep full-page screenshots."""

from __future__ import annotations

import pytest
from django.db import connections
from playwright.sync_api import sync_playwright

from gridgov.cases.tests.test_browser import CHROMIUM_ARGS, shot, signed_in
from gridgov.core.models import TimelineEvent
from gridgov.orders.models import Order, ServiceSlot

from .conftest import GRID, build_world

pytestmark = pytest.mark.browser


@pytest.fixture
def cast(transactional_db):  # noqa: ARG001
    return build_world()


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


def state_of(page) -> str:
    return page.locator("#order-state").inner_text()


def test_resident_orders_a_legal_consultation_through_to_rating(browser, live_server, cast):
    base = live_server.url

    # 1. The resident picks the lawyers' Wednesday session and orders.
    resident = signed_in(browser, base, "resident")
    resident.goto(f"{base}/orders/services/")
    card = resident.locator(f'.service-card[data-item="{cast.consult.pk}"]')
    assert "剩余 6 个名额" in card.inner_text() and "无偿" in card.inner_text()
    shot(resident, "orders-catalogue")
    card.get_by_role("link", name="律师坐班法律咨询").click()
    resident.wait_for_url(f"{base}/orders/services/{cast.consult.pk}/")
    first = resident.locator(".slot-option").first
    slot_key = first.get_attribute("data-slot")
    assert "星期三" in first.inner_text() or "Wed" in first.inner_text()
    first.locator("input").check()
    resident.select_option("#id_grid", GRID)
    resident.fill("#id_note", "房东不退押金，想咨询怎么维权")
    shot(resident, "orders-item")
    with resident.expect_navigation():
        resident.get_by_role("button", name="提交点单").click()
    order = Order.objects.get()
    assert resident.url == f"{base}/orders/{order.ref}/"
    assert state_of(resident) == "已点单"
    assert order.slot.date.weekday() == 2 and f"{order.slot.date:%Y-%m-%d}T14:00" == slot_key
    assert ServiceSlot.objects.get().taken == 1

    # 2. The community dispatches it to the lawyers' association.
    community = signed_in(browser, base, "community")
    community.goto(f"{base}/orders/")
    community.locator(f'.order-row[data-ref="{order.ref}"]').get_by_role("link", name=order.ref).click()
    community.wait_for_url(f"{base}/orders/{order.ref}/")
    community.locator("#act-dispatch summary").click()
    community.select_option("#id_provider_unit", label="宝鸡市律师协会")
    shot(community, "orders-dispatch")
    with community.expect_navigation():
        community.get_by_role("button", name="确认派单").click()
    assert state_of(community) == "已派单"
    assert community.locator("#order-provider").inner_text() == "宝鸡市律师协会"

    # 3. The lawyer accepts from the inbox, then records the consultation.
    lawyer = signed_in(browser, base, "lawyer")
    lawyer.goto(f"{base}/orders/inbox/")
    row = lawyer.locator(f'.order-row[data-ref="{order.ref}"]')
    shot(lawyer, "orders-inbox")
    with lawyer.expect_navigation():
        row.get_by_role("button", name="接单").click()
    assert state_of(lawyer) == "已接单"
    lawyer.locator("#act-deliver summary").click()
    lawyer.fill("#id_notes", "讲解了租赁合同押金条款和调解、起诉途径，建议先书面催告")
    with lawyer.expect_navigation():
        lawyer.get_by_role("button", name="确认服务完成").click()
    assert state_of(lawyer) == "已服务"

    # 4. The resident rates it: the order is closed.
    resident.reload()
    assert state_of(resident) == "已服务"
    resident.locator("#act-rate summary").click()
    resident.get_by_label("满意", exact=True).check()
    resident.fill("#id_comment", "律师讲得很清楚")
    with resident.expect_navigation():
        resident.get_by_role("button", name="确认评价").click()
    assert state_of(resident) == "已结单"
    assert resident.locator("#order-rating").inner_text() == "满意：律师讲得很清楚"
    shot(resident, "orders-closed")

    order.refresh_from_db()
    assert (order.state, order.rating, order.provider_unit_id) == ("closed", "satisfied", cast.lawyers.pk)
    actions = list(
        TimelineEvent.objects.filter(subject="orders.order", subject_id=order.pk).values_list(
            "action", flat=True
        )
    )
    assert actions == ["order", "dispatch", "accept", "deliver", "rate"]
    assert resident.locator("#order-timeline li").count() == 5
