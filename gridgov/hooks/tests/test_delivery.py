"""Sending: retries on the kit's schedule, the delivery log, disabling on 410 and on a message given up (the
owners told), refused destinations at send time, replay, and secret rotation."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from gridgov.core import outbox
from gridgov.core.models import AuditEntry, OutboxAttempt, OutboxMessage
from gridgov.hooks import actions
from gridgov.hooks.models import Disabled, Subscription
from gridgov.notify.models import Notification

from .conftest import received, report, subscribe, verify

pytestmark = pytest.mark.django_db
State = OutboxMessage.State


def _deliveries(sub):
    return OutboxMessage.objects.filter(channel="webhook", target=str(sub.pk)).order_by("id")


def _again(msg):
    """Deliver what is due once the message's next try has come."""
    msg.refresh_from_db()
    return outbox.deliver_due(now=msg.next_at + timedelta(seconds=1))


def test_a_failure_is_retried_then_delivered_and_every_try_is_logged(world, rx):
    rx.answers = [500, 503, 200]
    sub, secret = subscribe(world, rx, kinds=["case.created"])
    report(world)
    (msg,) = _deliveries(sub)
    outbox.deliver_due()
    sub.refresh_from_db()
    assert sub.failures == 1 and sub.last_status == 500 and sub.last_failure_at and sub.is_active
    _again(msg)
    sub.refresh_from_db()
    assert sub.failures == 2 and sub.last_status == 503
    _again(msg)
    msg.refresh_from_db()
    sub.refresh_from_db()
    assert msg.state == State.DELIVERED and msg.attempts == 3
    assert sub.failures == 0 and sub.last_success_at and sub.last_status == 200 and sub.last_error == ""
    tries = list(OutboxAttempt.objects.filter(message=msg))
    assert [(t.status, t.ok) for t in tries] == [(500, False), (503, False), (200, True)]
    assert [t.response for t in tries] == ["not today", "not today", "ok"]
    assert all(t.duration_ms >= 0 for t in tries)
    # the receiver got the same message three times, the same id each time, each signed
    assert {r.headers["webhook-id"] for r in rx.requests} == {msg.msg_id}
    assert all(verify(secret, r.headers, r.body) for r in rx.requests)


def test_410_gone_disables_the_subscription_and_tells_its_owner(world, rx):
    rx.answers = [410]
    sub, _ = subscribe(world, rx, by=world.street, area="610302001", kinds=["case.created"])
    report(world)
    report(world)
    counts = outbox.deliver_all()
    sub.refresh_from_db()
    assert not sub.is_active and sub.disabled_reason == Disabled.GONE and sub.disabled_at
    # the first 410 gives up at once; whatever else was pending for it is cancelled, not tried
    assert counts["dead"] >= 1
    states = [m.state for m in _deliveries(sub)]
    assert State.PENDING not in states and State.DEAD in states
    note = Notification.objects.get(user=world.street, kind="webhook")
    assert sub.name in note.title and note.url == f"/hooks/{sub.pk}/"
    assert AuditEntry.objects.filter(verb="webhook.disable", object_id=str(sub.pk), actor=None).exists()
    report(world)  # no longer subscribed
    assert _deliveries(sub).filter(state=State.PENDING).count() == 0


def test_a_message_given_up_disables_the_subscription(world, rx):
    rx.answers = [500]
    sub, _ = subscribe(world, rx, kinds=["case.created"])
    report(world)
    (msg,) = _deliveries(sub)
    outbox.deliver_due()
    for _ in range(len(outbox.SCHEDULE)):
        _again(msg)
    msg.refresh_from_db()
    sub.refresh_from_db()
    assert msg.state == State.DEAD and msg.attempts == len(outbox.SCHEDULE) + 1
    assert not sub.is_active and sub.disabled_reason == Disabled.FAILING and sub.disabled_detail == "500"
    assert sub.failures == msg.attempts
    assert Notification.objects.filter(user=world.admin, kind="webhook").count() == 1
    assert len(rx.requests) == msg.attempts


def test_a_unit_subscription_tells_the_units_handlers(world, rx):
    rx.answers = [410]
    sub, _ = actions.subscription_create(
        by=world.handler_a, name="A", url=rx.url("/a"), event_types=["case.dispatched"]
    )
    from .conftest import dispatch

    dispatch(world, report(world))
    outbox.deliver_all()
    assert Notification.objects.filter(user=world.handler_a, kind="webhook").exists()
    assert not Notification.objects.filter(user=world.handler_b, kind="webhook").exists()


def test_a_destination_refused_at_send_time_gives_up_and_disables(world, rx, settings):
    sub, _ = subscribe(world, rx, kinds=["case.created"])
    report(world)
    settings.OUTBOUND_ALLOW = []  # 127.0.0.1 is no longer allowed (or the name now resolves inside)
    assert outbox.deliver_all()["dead"] == 1
    sub.refresh_from_db()
    assert not sub.is_active and sub.disabled_reason == Disabled.REFUSED
    assert rx.requests == []
    (attempt,) = OutboxAttempt.objects.filter(message__target=str(sub.pk))
    assert attempt.status is None and attempt.error


def test_replay_sends_the_same_message_again(world, rx):
    rx.answers = [410, 200]
    sub, secret = subscribe(world, rx, kinds=["case.created"])
    report(world)
    outbox.deliver_all()
    (msg,) = _deliveries(sub)
    assert msg.state == State.DEAD
    with pytest.raises(Exception) as info:  # a disabled subscription is enabled first
        actions.delivery_replay(by=world.admin, subscription=sub.pk, delivery=msg.pk)
    assert info.value.status == 409 and info.value.code == "disabled"
    actions.subscription_enable(by=world.admin, subscription=sub.pk)
    actions.delivery_replay(by=world.admin, subscription=sub.pk, delivery=msg.pk)
    msg.refresh_from_db()
    assert msg.state == State.PENDING and msg.attempts == 0
    with pytest.raises(Exception) as info:  # already on its way
        actions.delivery_replay(by=world.admin, subscription=sub.pk, delivery=msg.pk)
    assert info.value.status == 409
    outbox.deliver_all()
    msg.refresh_from_db()
    assert msg.state == State.DELIVERED
    assert [r.headers["webhook-id"] for r in rx.requests] == [msg.msg_id, msg.msg_id]
    assert verify(secret, rx.requests[1].headers, rx.requests[1].body)
    assert OutboxAttempt.objects.filter(message=msg).count() == 2
    assert AuditEntry.objects.filter(verb="webhook.replay", object_id=str(sub.pk)).exists()


def test_enabling_resets_the_failure_state(world, rx):
    rx.answers = [410]
    sub, _ = subscribe(world, rx, kinds=["case.created"])
    report(world)
    outbox.deliver_all()
    sub.refresh_from_db()
    assert not sub.is_active and sub.failures == 1
    sub = actions.subscription_enable(by=world.admin, subscription=sub.pk)
    assert sub.is_active and sub.failures == 0 and sub.disabled_reason == "" and sub.disabled_at is None


def test_a_rotated_secret_signs_beside_the_old_one_for_the_overlap_then_alone(world, rx):
    sub, old = subscribe(world, rx, kinds=["case.created"])
    sub, new = actions.subscription_rotate_secret(by=world.admin, subscription=sub.pk)
    assert new != old and new.startswith("whsec_")
    assert sub.previous_until - timezone.now() == pytest.approx(timedelta(hours=24), abs=timedelta(seconds=5))
    report(world)
    outbox.deliver_all()
    first = rx.requests[-1]
    assert len(first.headers["webhook-signature"].split()) == 2
    assert verify(old, first.headers, first.body) and verify(new, first.headers, first.body)
    later = timezone.now() + timedelta(hours=24, minutes=1)
    with time_machine.travel(later, tick=True):
        report(world)
        outbox.deliver_all()
        last = rx.requests[-1]
        assert len(last.headers["webhook-signature"].split()) == 1
        assert verify(new, last.headers, last.body) and not verify(old, last.headers, last.body)
    sub.refresh_from_db()
    assert sub.previous_secret == "" and sub.previous_until is None  # dropped, not only unused
    entry = AuditEntry.objects.get(verb="webhook.rotate_secret")
    assert old not in str(entry.after) and new not in str(entry.after)


def test_secrets_are_encrypted_at_rest(world, rx):
    from django.db import connection

    sub, secret = subscribe(world, rx)
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM hooks_subscription WHERE id = %s", [sub.pk])
        (stored,) = cursor.fetchone()
    assert secret not in stored and Subscription.objects.get(pk=sub.pk).secret == secret
    assert secret not in str(AuditEntry.objects.get(verb="webhook.create").after)


def test_the_receiver_may_be_slow_to_answer_and_is_logged_with_its_duration(world, rx):
    rx.delay = 0.05
    sub, _ = subscribe(world, rx, kinds=["case.created"])
    report(world)
    outbox.deliver_all()
    (attempt,) = OutboxAttempt.objects.filter(message__target=str(sub.pk))
    assert attempt.ok and attempt.duration_ms >= 40
    assert received(rx)[0]["type"] == "case.created"


def test_an_answer_the_database_cannot_hold_is_logged_cleaned(world, rx):
    """A receiver's answer with NUL characters (which PostgreSQL refuses in text) is logged without them; a
    batch that could not be settled would be claimed and sent again forever."""
    from gridgov.core.outbound import Answer

    sub, _ = subscribe(world, rx, kinds=["case.created"])
    report(world)
    (msg,) = _deliveries(sub)
    rows = outbox._claim(10, timezone.now())
    outbox._settle([(rows[0], Answer(ok=False, status=500, response="bad\x00answer", error=""))])
    msg.refresh_from_db()
    sub.refresh_from_db()
    (attempt,) = OutboxAttempt.objects.filter(message=msg)
    assert attempt.response == "badanswer" and msg.last_error == "badanswer" and sub.last_error == "badanswer"
    assert msg.state == State.PENDING and msg.attempts == 1
