"""The SMS and WeChat gateways, played by a real HTTP receiver: the signed JSON body, 2xx accepted, failures
tried again and logged, 4xx refusals final, nothing personal in the outbox tables, and messages read in the
app before they went out not sent."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection

from gridgov.core import outbound, outbox
from gridgov.core.models import OutboxAttempt, OutboxMessage
from gridgov.notify import channels
from gridgov.notify.actions import notification_mark_read, notify, preference_save
from gridgov.notify.models import Notification

from .conftest import RESIDENT_PHONE, SITE, WORKER_EMAIL, WORKER_PHONE

pytestmark = pytest.mark.django_db

State = OutboxMessage.State
TZ = ZoneInfo("Asia/Shanghai")


def _warn(people, **kw):
    notify(users=[people.worker], kind="warning", title="FW-1 即将超时", url="/cases/FW-1/", **kw)
    return OutboxMessage.objects.get(channel="sms")


def _retry(msg):
    msg.refresh_from_db()
    outbox.deliver_due(now=msg.next_at + timedelta(seconds=1))
    msg.refresh_from_db()


def test_an_sms_is_posted_signed_to_the_gateway(people, gateway):
    msg = _warn(people)
    assert outbox.deliver_all()["delivered"] == 1
    (got,) = gateway.requests
    assert got.path == "/sms"
    body = json.loads(got.body)
    assert body == {
        "id": msg.msg_id,
        "to": WORKER_PHONE,
        "text": f"FW-1 即将超时 {SITE}/cases/FW-1/",
        "kind": "warning",
        "url": f"{SITE}/cases/FW-1/",
    }
    assert got.headers["webhook-id"] == msg.msg_id
    assert outbound.verify(gateway.secret, got.headers, got.body)
    assert not outbound.verify(outbound.new_secret(), got.headers, got.body)
    (attempt,) = OutboxAttempt.objects.filter(message=msg)
    assert attempt.ok and attempt.status == 200 and attempt.response == "ok"


def test_two_secrets_sign_while_the_gateway_secret_is_rotated(people, gateway, settings):
    old = gateway.secret
    new = outbound.new_secret()
    settings.SMS_GATEWAY_SECRET = f"{new} {old}"
    _warn(people)
    outbox.deliver_all()
    got = gateway.requests[0]
    assert outbound.verify(old, got.headers, got.body) and outbound.verify(new, got.headers, got.body)


def test_a_failure_then_success_is_two_tries_and_one_sms(people, gateway):
    gateway.answers = [500, 200]
    msg = _warn(people)
    outbox.deliver_due()
    msg.refresh_from_db()
    assert (msg.state, msg.attempts, msg.last_status) == (State.PENDING, 1, 500)
    _retry(msg)
    assert msg.state == State.DELIVERED and msg.attempts == 2
    assert [(a.ok, a.status) for a in OutboxAttempt.objects.filter(message=msg)] == [
        (False, 500),
        (True, 200),
    ]
    # the same message both times: the gateway recognises a repeat by its id
    assert [json.loads(r.body)["id"] for r in gateway.requests] == [msg.msg_id, msg.msg_id]
    assert outbox.deliver_all()["claimed"] == 0


@pytest.mark.parametrize("status", [400, 401, 404, 422])
def test_a_refusal_is_final(people, gateway, status):
    gateway.answers = [status]
    msg = _warn(people)
    assert outbox.deliver_all()["dead"] == 1
    msg.refresh_from_db()
    assert (msg.state, msg.attempts, msg.last_status) == (State.DEAD, 1, status)


@pytest.mark.parametrize("status", [408, 429, 502, 503])
def test_a_passing_trouble_is_tried_again(people, gateway, status):
    gateway.answers = [status, 200]
    msg = _warn(people)
    outbox.deliver_due()
    msg.refresh_from_db()
    assert msg.state == State.PENDING and msg.attempts == 1
    _retry(msg)
    assert msg.state == State.DELIVERED


def test_an_unreachable_gateway_is_tried_again(people, gateway, settings):
    settings.SMS_GATEWAY_URL = "http://127.0.0.1:9/sms"  # discard port: nothing answers
    msg = _warn(people)
    outbox.deliver_due()
    msg.refresh_from_db()
    assert msg.state == State.PENDING and msg.last_status is None and msg.last_error


def test_a_gateway_on_a_private_address_must_be_allowed(people, gateway, settings):
    settings.OUTBOUND_ALLOW = []
    msg = _warn(people)
    outbox.deliver_due()
    msg.refresh_from_db()
    assert msg.state == State.PENDING and gateway.requests == []  # kept until the setting is fixed


def test_wechat_gets_the_link_apart(people, wechat):
    preference_save(by=people.worker, kinds={"order": ["wechat"]})
    notify(users=[people.worker], kind="order", title="服务单", body="请接单", url="/orders/1/")
    assert outbox.deliver_all()["delivered"] == 1
    (got,) = wechat.requests
    body = json.loads(got.body)
    assert got.path == "/wechat" and body["to"] == WORKER_PHONE
    assert body["text"] == "服务单：请接单" and body["url"] == f"{SITE}/orders/1/"
    assert outbound.verify(wechat.secret, got.headers, got.body)


def test_a_long_text_is_shortened_for_sms(people, gateway):
    notify(users=[people.worker], kind="overdue", title="已超时", body="很长的说明" * 30)
    outbox.deliver_all()
    text = json.loads(gateway.requests[0].body)["text"]
    assert len(text) <= channels.SMS_LENGTH and text.endswith("…")


def test_no_phone_or_email_in_the_outbox_tables(people, gateway, smtp):
    preference_save(by=people.worker, kinds={"order": ["email", "sms"], "warning": ["email", "sms"]})
    preference_save(by=people.resident, kinds={"order": ["sms"]})
    gateway.answers = [500, 200]
    notify(users=[people.worker, people.resident], kind="order", title="服务单", url="/orders/1/")
    notify(users=[people.worker], kind="warning", title="即将超时")
    assert OutboxMessage.objects.count() == 5
    for _ in range(3):
        outbox.deliver_all(now=outbox_later())
    assert OutboxMessage.objects.filter(state=State.DELIVERED).count() == 5
    assert {json.loads(r.body)["to"] for r in gateway.requests} == {WORKER_PHONE, RESIDENT_PHONE}
    with connection.cursor() as cursor:
        dump = ""
        for table in (OutboxMessage._meta.db_table, OutboxAttempt._meta.db_table):
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608
            dump += repr(cursor.fetchall())
    for secret in (WORKER_PHONE, RESIDENT_PHONE, WORKER_EMAIL):
        assert secret not in dump


def outbox_later():
    from django.utils import timezone

    return timezone.now() + timedelta(hours=1)


def test_scrub_removes_addresses_from_what_is_logged():
    said = f"bad number {WORKER_PHONE}, +86 139 1111 2222 or {WORKER_EMAIL}; id 20261204000001"
    assert channels.scrub(said, WORKER_PHONE) == "bad number ***, *** or ***; id 20261204000001"


# ---------------------------------------------------------------- read before it went out


def test_a_message_read_during_quiet_hours_is_cancelled(people, gateway):
    preference_save(by=people.worker, kinds={"order": ["sms"]}, quiet_start="22:00", quiet_end="07:00")
    with time_machine.travel(datetime(2026, 12, 1, 23, 0, tzinfo=TZ), tick=False):
        notify(users=[people.worker], kind="order", title="服务单")
        msg = OutboxMessage.objects.get()
        note = Notification.objects.get()
        assert outbox.deliver_all()["claimed"] == 0  # waits for 07:00
        notification_mark_read(user=people.worker, notification_id=note.pk)
    msg.refresh_from_db()
    assert msg.state == State.CANCELLED
    with time_machine.travel(datetime(2026, 12, 2, 7, 1, tzinfo=TZ), tick=False):
        assert outbox.deliver_all()["claimed"] == 0
    assert gateway.requests == []


def test_marking_all_read_cancels_every_waiting_message(people, gateway):
    preference_save(by=people.worker, kinds={"order": ["sms"]}, quiet_start="22:00", quiet_end="07:00")
    preference_save(by=people.resident, kinds={"order": ["sms"]}, quiet_start="22:00", quiet_end="07:00")
    with time_machine.travel(datetime(2026, 12, 1, 23, 0, tzinfo=TZ), tick=False):
        notify(users=[people.worker, people.resident], kind="order", title="一")
        notify(users=[people.worker], kind="order", title="二")
        notification_mark_read(user=people.worker)
    states = dict(OutboxMessage.objects.values_list("target", "state"))
    mine = {str(pk) for pk in Notification.objects.filter(user=people.worker).values_list("pk", flat=True)}
    assert {states[t] for t in mine} == {State.CANCELLED}
    assert [s for t, s in states.items() if t not in mine] == [State.PENDING]  # the resident's


def test_a_message_read_by_other_means_is_settled_unsent(people, gateway):
    msg = _warn(people)
    Notification.objects.update(read_at=msg.created_at)
    assert outbox.deliver_all()["delivered"] == 1
    msg.refresh_from_db()
    assert msg.state == State.DELIVERED
    assert OutboxAttempt.objects.get(message=msg).response == channels.READ
    assert gateway.requests == []


def test_a_phone_removed_before_sending_is_given_up(people, gateway):
    msg = _warn(people)
    people.worker.phone = ""
    people.worker.save(update_fields=["phone"])
    outbox.deliver_all()
    msg.refresh_from_db()
    assert msg.state == State.DEAD and gateway.requests == []
