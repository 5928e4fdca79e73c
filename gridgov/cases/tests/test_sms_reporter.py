"""Residents who reported by phone number hear of their case's key steps by SMS (gridgov/cases/sms.py):
accepted, rejected with the reason, closed with the link to rate, reopened — through a real HTTP receiver
standing in for the SMS gateway; nothing without a gateway, nothing for reporters with an account, and no
phone number in the outbox."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from django.db import connection

from gridgov.cases import actions, sms
from gridgov.core import events, outbound, outbox
from gridgov.core.models import OutboxAttempt, OutboxMessage
from gridgov.testing.receiver import Receiver

from .conftest import TZ, report
from .test_workflow import walk_to

pytestmark = pytest.mark.django_db

SITE = "https://grid.example.cn"
PHONE = "13800001111"  # the conftest's reporter


@pytest.fixture
def gateway(settings):
    settings.OUTBOUND_ALLOW = ["127.0.0.1/32"]
    settings.SITE_URL = SITE
    settings.RESIDENT_SMS_QUIET_HOURS = "21:00-08:00"
    with Receiver() as rx:
        rx.secret = outbound.new_secret()
        settings.SMS_GATEWAY_URL = rx.url("/sms")
        settings.SMS_GATEWAY_SECRET = rx.secret
        yield rx


def _sent(rx) -> list[dict]:
    outbox.deliver_all()
    return [json.loads(r.body) for r in rx.requests]


def test_accept_and_close_are_sent_with_the_tracking_link(world, gateway):
    case = report(world, by=None).case
    assert _sent(gateway) == []  # the report itself is not told: the resident has the page in front of them
    actions.case_accept(ref=case.ref, by=world.worker)
    (accepted,) = _sent(gateway)
    track = f"{SITE}/track/{case.ref}"
    assert accepted["to"] == PHONE and accepted["kind"] == "case.accepted" and accepted["url"] == track
    assert accepted["text"] == f"您反映的问题已受理，编号{case.ref}。 {track}"
    walk_to(world, "closed", case.ref)
    closed = _sent(gateway)[1:]
    assert [m["kind"] for m in closed] == ["case.closed"]  # not every step: dispatch, claim … are not told
    assert closed[0]["text"] == f"您反映的问题{case.ref}已办结，欢迎评价。 {track}"
    for request in gateway.requests:
        assert outbound.verify(gateway.secret, request.headers, request.body)
    assert OutboxMessage.objects.filter(state=OutboxMessage.State.DELIVERED).count() == 2


def test_reject_tells_the_reason(world, gateway):
    case = report(world, by=None).case
    actions.case_reject(ref=case.ref, by=world.worker, reason="不属于本平台受理范围，请拨打12345")
    (rejected,) = _sent(gateway)
    assert rejected["kind"] == "case.rejected"
    assert rejected["text"].startswith(f"您反映的问题{case.ref}不予受理：不属于本平台受理范围，请拨打12345")


def test_reopen_is_sent(world, gateway):
    intake = report(world, by=None)
    walk_to(world, "closed", intake.case.ref)
    actions.case_rate(ref=intake.case.ref, token=intake.rate_token, rating="unsatisfied")
    actions.case_reopen(ref=intake.case.ref, token=intake.rate_token, reason="还在")
    # sent together, on several threads: in any order
    assert sorted(m["kind"] for m in _sent(gateway)) == ["case.accepted", "case.closed", "case.reopened"]


def test_a_reporter_with_an_account_or_without_a_phone_gets_no_sms(world, gateway):
    world.category.anonymous_allowed = True
    world.category.save()
    signed_in = report(world, by=world.resident).case  # the account has a phone, and an inbox
    anonymous = report(world, by=None, anonymous=True).case  # the intake keeps no phone then
    for case in (signed_in, anonymous):
        actions.case_accept(ref=case.ref, by=world.worker)
    assert not OutboxMessage.objects.filter(target__startswith="case:").exists()


def test_a_report_typed_in_by_staff_for_a_caller_is_told(world, gateway):
    case = report(world, by=world.worker, reporter_phone="13700002222", channel="hotline").case
    actions.case_accept(ref=case.ref, by=world.worker)
    assert [m["to"] for m in _sent(gateway)] == ["13700002222"]


def test_nothing_without_a_gateway(world, settings):
    settings.SMS_GATEWAY_URL = ""
    assert sms.interested("cases.case") is False
    case = report(world, by=None).case
    actions.case_accept(ref=case.ref, by=world.worker)
    assert not OutboxMessage.objects.exists()


def test_interest_is_only_in_cases_with_a_gateway(gateway):
    assert sms.interested("cases.case") is True
    assert sms.interested("orders.order") is False
    assert sms.on_step in events.LISTENERS


def test_no_phone_in_the_outbox_tables(world, gateway):
    gateway.answers = [500, 200]
    case = report(world, by=None).case
    actions.case_accept(ref=case.ref, by=world.worker)
    msg = OutboxMessage.objects.get()
    assert msg.target == f"case:{case.pk}" and msg.payload == {"step": "accept"}
    outbox.deliver_due()
    msg.refresh_from_db()
    outbox.deliver_due(now=msg.next_at + timedelta(seconds=1))
    assert OutboxAttempt.objects.count() == 2
    with connection.cursor() as cursor:
        dump = ""
        for table in (OutboxMessage._meta.db_table, OutboxAttempt._meta.db_table):
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608
            dump += repr(cursor.fetchall())
    assert PHONE not in dump


def test_a_step_at_night_waits_for_the_morning(world, gateway, clock):
    case = report(world, by=None).case
    clock.move_to(datetime(2026, 11, 23, 22, 15, tzinfo=TZ))
    actions.case_accept(ref=case.ref, by=world.worker)
    msg = OutboxMessage.objects.get()
    assert msg.next_at == datetime(2026, 11, 24, 8, 0, tzinfo=TZ)
    assert outbox.deliver_all()["claimed"] == 0
    clock.move_to(datetime(2026, 11, 24, 8, 0, 1, tzinfo=TZ))
    assert len(_sent(gateway)) == 1


def test_a_phone_erased_before_sending_is_given_up(world, gateway):
    case = report(world, by=None).case
    actions.case_accept(ref=case.ref, by=world.worker)
    type(case).objects.filter(pk=case.pk).update(reporter_phone="")
    outbox.deliver_all()
    assert OutboxMessage.objects.get().state == OutboxMessage.State.DEAD
    assert gateway.requests == []


def test_a_malformed_quiet_hours_setting_never_blocks_the_step(world, gateway, settings, clock):
    settings.RESIDENT_SMS_QUIET_HOURS = "late evening"
    case = report(world, by=None).case
    clock.move_to(datetime(2026, 11, 23, 23, 0, tzinfo=TZ))
    assert actions.case_accept(ref=case.ref, by=world.worker).state == "accepted"
    assert len(_sent(gateway)) == 1  # sent at once
