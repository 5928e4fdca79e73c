"""From workflow steps to deliveries: which subscriptions get which events (type, area subtree, unit), the
body, no personal data, and nothing for a step rolled back."""

from __future__ import annotations

import json

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from gridgov.cases import actions as case_actions
from gridgov.core import outbox
from gridgov.core.models import OutboxMessage
from gridgov.hooks import fanout
from gridgov.hooks.channel import encode

from .conftest import IN_GRID_121, IN_GRID_221, dispatch, received, report, subscribe, verify

pytestmark = pytest.mark.django_db


def _messages(sub):
    return list(OutboxMessage.objects.filter(channel="webhook", target=str(sub.pk)).order_by("id"))


def test_a_step_reaches_the_subscriptions_of_its_type_signed(world, rx):
    sub, secret = subscribe(world, rx, kinds=["case.created", "case.dispatched"])
    other, _ = subscribe(world, rx, kinds=["case.closed"], path="/other")
    case = report(world)
    dispatch(world, case)
    assert [m.event_type for m in _messages(sub)] == ["case.created", "case.dispatched"]
    assert _messages(other) == []
    assert outbox.deliver_all()["delivered"] == 2
    assert [r.path for r in rx.requests] == ["/hook", "/hook"]
    for request in rx.requests:
        assert verify(secret, request.headers, request.body)
    # deliveries go out in parallel: a receiver orders them by the object's state, not by arrival
    created, dispatched = sorted(received(rx), key=lambda b: b["type"] != "case.created")
    assert created["type"] == "case.created" and dispatched["type"] == "case.dispatched"
    assert dispatched["data"]["action"] == "dispatch" and dispatched["data"]["previous_state"] == "accepted"
    obj = dispatched["data"]["object"]
    assert obj["ref"] == case.ref and obj["state"] == "dispatched" and obj["state_label"] == "已派遣"
    assert obj["category"] == {"code": "litter", "name": "垃圾堆放"}
    assert obj["area"] == {"code": "610302001001001", "name": "网格1-1-1"}
    assert obj["lead_unit"] == {"id": world.unit_a.pk, "name": "城管执法局"}
    assert obj["tracking_url"].endswith(f"/track/{case.ref}")
    assert obj["resolution_due"] and obj["reported_at"].endswith("+08:00")


def test_the_payload_names_no_reporter(world, rx):
    sub, _ = subscribe(world, rx, kinds=["case.created"])
    report(world, reporter_name="张三丰", reporter_phone="13800001111")
    (msg,) = _messages(sub)
    text = encode(msg.payload).decode()
    for personal in ("张三丰", "13800001111", "1111", "reporter"):
        assert personal not in text


def test_the_body_is_the_standard_shape(world, rx):
    subscribe(world, rx, kinds=["case.created"])
    case = report(world)
    outbox.deliver_all()
    (body,) = received(rx)
    assert set(body) == {"type", "timestamp", "data"}
    assert body["data"]["object"]["ref"] == case.ref and body["data"]["previous_state"] is None
    assert json.loads(rx.requests[0].body) == body  # what was signed is what was sent


def test_an_area_subscription_gets_its_subtree_only(world, rx):
    community, _ = subscribe(world, rx, kinds=["case.created"], area="610302001001", path="/c")
    street, _ = subscribe(world, rx, kinds=["case.created"], area="610302001", path="/s")
    report(world)  # grid 111: community 1 of street 1
    report(world, point=IN_GRID_121)  # community 2 of street 1
    report(world, point=IN_GRID_221)  # street 2
    assert len(_messages(community)) == 1
    assert len(_messages(street)) == 2


def test_a_unit_subscription_gets_only_the_cases_of_its_unit(world, rx):
    from gridgov.hooks.actions import subscription_create

    a, _ = subscription_create(
        by=world.handler_a, name="A", url=rx.url("/a"), event_types=["case.dispatched", "case.closed"]
    )
    c, _ = subscription_create(
        by=world.handler_c, name="C", url=rx.url("/c"), event_types=["case.dispatched"]
    )
    assert a.unit_id == world.unit_a.pk and a.area_id is None
    case = report(world)
    dispatch(world, case)  # lead A, assist B: nothing of it concerns C
    assert [m.event_type for m in _messages(a)] == ["case.dispatched"]
    assert _messages(c) == []
    # a case dispatched to C alone reaches C's subscription and not A's
    other = report(world)
    case_actions.case_accept(ref=other.ref, by=world.worker)
    case_actions.case_dispatch(ref=other.ref, by=world.worker, lead_unit_id=world.unit_c.pk)
    assert len(_messages(a)) == 1
    assert [m.payload["data"]["object"]["ref"] for m in _messages(c)] == [other.ref]


def test_an_assisting_unit_hears_of_the_case_too(world, rx):
    from gridgov.hooks.actions import subscription_create

    b, _ = subscription_create(
        by=world.handler_b, name="B", url=rx.url("/b"), event_types=["case.dispatched"]
    )
    dispatch(world, report(world))
    assert len(_messages(b)) == 1


def test_a_rolled_back_step_sends_nothing(world, rx):
    sub, _ = subscribe(world, rx, kinds=["case.accepted"])
    case = report(world)
    with pytest.raises(RuntimeError), transaction.atomic():
        case_actions.case_accept(ref=case.ref, by=world.worker)
        assert len(_messages(sub)) == 1  # written in the step's transaction …
        raise RuntimeError("the change fails after the step")
    assert _messages(sub) == []  # … and gone with it
    assert outbox.deliver_all()["claimed"] == 0
    assert rx.requests == []


def test_a_disabled_subscription_gets_nothing_more(world, rx):
    from gridgov.hooks.actions import subscription_disable

    sub, _ = subscribe(world, rx, kinds=["case.created"])
    subscription_disable(by=world.admin, subscription=sub.pk)
    report(world)
    assert _messages(sub) == []


def test_orders_wishes_and_projects_are_subjects_with_their_units(world):
    from gridgov.core.events import SUBJECTS

    assert {"cases.case", "orders.order", "wishes.wish", "projects.project"} <= set(SUBJECTS)
    assert SUBJECTS["orders.order"].name == "order"


def test_interest_is_a_lookup_without_a_query_once_loaded(world, rx):
    assert not fanout.interested("cases.case")  # nobody subscribed yet
    subscribe(world, rx, kinds=["case.created"])
    assert fanout.interested("cases.case")  # the process that subscribed knows at once
    with CaptureQueriesContext(connection) as queries:
        for _ in range(100):
            assert fanout.interested("cases.case")
            assert not fanout.interested("orders.order")
    assert len(queries) == 0


def test_another_process_notices_within_the_recheck(world, rx, monkeypatch):
    fanout.current()  # this process's copy: no subscription
    sub, _ = subscribe(world, rx, kinds=["case.created"])
    fanout._index = fanout._load()
    fanout._index.by_label.clear()  # as another process would still have it
    assert not fanout.interested("cases.case")
    monkeypatch.setattr(fanout, "RECHECK_SECONDS", 0.0)
    assert fanout.interested("cases.case")
    assert sub.pk in {s.id for s in fanout.current().by_label["cases.case"]["case.created"]}
