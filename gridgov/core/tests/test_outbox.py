"""The outbox (core.outbox) and outbound HTTP (core.outbound): atomic with the change, retried on a
schedule, logged per try, claims that run out, refused destinations, Standard Webhooks signatures."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from gridgov.core import outbound, outbox
from gridgov.core.models import OutboxAttempt, OutboxMessage
from gridgov.testing.receiver import Receiver

pytestmark = pytest.mark.django_db


@pytest.fixture
def rx(settings):
    settings.OUTBOUND_ALLOW = ["127.0.0.1/32"]
    with Receiver() as receiver:
        yield receiver


@pytest.fixture
def channel(rx):
    """A test channel that posts each message's payload to the receiver, signed with one secret."""
    secret = outbound.new_secret()

    def send(msg, context):
        body = json.dumps(msg.payload).encode()
        return outbound.post(
            rx.url(f"/{msg.target}"), body, outbound.signed_headers([secret], msg.msg_id, body)
        )

    settled = []
    outbox.register_channel(
        outbox.Channel(
            name="test",
            send=send,
            settled=settled.extend,
            final=lambda answer: answer.status == 410,
        )
    )
    yield {"secret": secret, "settled": settled}
    outbox.CHANNELS.pop("test", None)


def _write(n=1, **kw):
    return outbox.enqueue(outbox.message("test", f"t{i}", "thing.happened", {"i": i}, **kw) for i in range(n))


def test_a_message_is_sent_once_signed_and_logged(rx, channel):
    with transaction.atomic():
        (msg,) = _write()
    assert outbox.deliver_all()["delivered"] == 1
    assert len(rx.requests) == 1
    got = rx.requests[0]
    assert json.loads(got.body) == {"i": 0}
    assert got.headers["webhook-id"] == msg.msg_id
    assert outbound.verify(channel["secret"], got.headers, got.body)
    msg.refresh_from_db()
    assert msg.state == OutboxMessage.State.DELIVERED and msg.attempts == 1
    (attempt,) = OutboxAttempt.objects.filter(message=msg)
    assert attempt.ok and attempt.status == 200 and attempt.response == "ok"
    assert outbox.deliver_all()["claimed"] == 0  # nothing is sent twice
    assert len(rx.requests) == 1


def test_a_rolled_back_change_sends_nothing(rx, channel):
    with pytest.raises(RuntimeError), transaction.atomic():
        _write(3)
        raise RuntimeError("the change fails")
    assert OutboxMessage.objects.count() == 0
    assert outbox.deliver_all()["claimed"] == 0
    assert rx.requests == []


def test_failures_are_retried_on_the_schedule_then_given_up(rx, channel):
    rx.answers = [500]
    (msg,) = _write()
    now = timezone.now()
    outbox.deliver_due(now=now)
    msg.refresh_from_db()
    assert msg.state == OutboxMessage.State.PENDING and msg.attempts == 1
    first_wait = (msg.next_at - now).total_seconds()
    assert outbox.SCHEDULE[0] * 0.8 - 1 <= first_wait <= outbox.SCHEDULE[0] * 1.2 + 1
    assert outbox.deliver_due(now=now)["claimed"] == 0  # not due yet
    # walk the whole schedule: each try waits longer than the one before (give or take the jitter)
    waits = [first_wait]
    for _ in range(len(outbox.SCHEDULE)):
        at = msg.next_at + timedelta(seconds=1)
        outbox.deliver_due(now=at)
        msg.refresh_from_db()
        if msg.next_at:
            waits.append((msg.next_at - timezone.now()).total_seconds())
    assert msg.state == OutboxMessage.State.DEAD
    assert msg.attempts == len(outbox.SCHEDULE) + 1
    assert OutboxAttempt.objects.filter(message=msg, ok=False, status=500).count() == msg.attempts
    assert 2.5 * 86400 < sum(outbox.SCHEDULE) < 3.5 * 86400  # about three days in all
    assert len(rx.requests) == msg.attempts


def test_a_failure_then_success(rx, channel):
    rx.answers = [503, 200]
    (msg,) = _write()
    outbox.deliver_due()
    msg.refresh_from_db()
    outbox.deliver_due(now=msg.next_at + timedelta(seconds=1))
    msg.refresh_from_db()
    assert msg.state == OutboxMessage.State.DELIVERED and msg.attempts == 2
    assert [a.status for a in OutboxAttempt.objects.filter(message=msg)] == [503, 200]
    assert [m.attempts for m, _ in channel["settled"]] == [1, 2]


def test_a_final_answer_gives_up_at_once(rx, channel):
    rx.answers = [410]
    (msg,) = _write()
    assert outbox.deliver_all()["dead"] == 1
    msg.refresh_from_db()
    assert msg.state == OutboxMessage.State.DEAD and msg.attempts == 1


def test_retry_after_is_respected(rx, channel):
    rx.answers = [429, 200]
    rx.extra_headers = {"Retry-After": "120"}
    (msg,) = _write()
    now = timezone.now()
    outbox.deliver_due(now=now)
    msg.refresh_from_db()
    assert (msg.next_at - now).total_seconds() >= 120 * 0.8


def test_a_claim_of_a_dead_sender_runs_out_and_nothing_is_lost(rx, channel):
    (msg,) = _write()
    now = timezone.now()
    claimed = outbox._claim(10, now)  # a sender claims the message and is killed before it sends
    assert [m.pk for m in claimed] == [msg.pk]
    assert outbox.deliver_due(now=now)["claimed"] == 0  # the claim holds: no second sender takes it
    later = now + outbox.LEASE + timedelta(seconds=1)
    assert outbox.deliver_due(now=later)["delivered"] == 1
    assert len(rx.requests) == 1


def test_replay_sends_the_same_message_again_with_a_fresh_schedule(rx, channel):
    rx.answers = [410, 200]
    (msg,) = _write()
    outbox.deliver_all()
    msg.refresh_from_db()
    assert msg.state == OutboxMessage.State.DEAD
    with transaction.atomic():
        outbox.replay(msg)
    outbox.deliver_all()
    msg.refresh_from_db()
    assert msg.state == OutboxMessage.State.DELIVERED
    assert [r.headers["webhook-id"] for r in rx.requests] == [msg.msg_id, msg.msg_id]
    assert OutboxAttempt.objects.filter(message=msg).count() == 2


def test_quiet_messages_wait_for_their_time(rx, channel):
    later = timezone.now() + timedelta(hours=3)
    (msg,) = _write(not_before=later)
    assert outbox.deliver_all()["claimed"] == 0
    assert outbox.deliver_all(now=later)["delivered"] == 1


def test_a_message_without_its_channel_is_kept_and_retried():
    (msg,) = outbox.enqueue([outbox.message("nowhere", "1", "x.y", {})])
    outbox.deliver_due()
    msg.refresh_from_db()
    assert msg.state == OutboxMessage.State.PENDING and msg.attempts == 1
    assert "nowhere" in msg.last_error


def test_prune_keeps_pending_and_recent(rx, channel, settings):
    old = timezone.now() - timedelta(days=settings.OUTBOX_KEEP_DAYS + 1)
    done, waiting = _write(2, at=old)
    OutboxMessage.objects.filter(pk=done.pk).update(state=OutboxMessage.State.DELIVERED)
    (recent,) = _write()
    OutboxMessage.objects.filter(pk=recent.pk).update(state=OutboxMessage.State.DELIVERED)
    assert outbox.prune() == 1
    assert set(OutboxMessage.objects.values_list("pk", flat=True)) == {waiting.pk, recent.pk}


# ---------------------------------------------------------------- destinations


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://localhost:8000/",
        "http://10.1.2.3/",
        "http://192.168.0.10/",
        "http://172.16.5.5/",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.64.0.1/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0/",
        "ftp://example.com/",
        "http://user:pw@example.com/",
        "javascript:alert(1)",
    ],
)
def test_private_loopback_and_odd_destinations_are_refused(url, settings):
    settings.OUTBOUND_ALLOW = []
    with pytest.raises(outbound.Refused):
        outbound.check_destination(url)
    answer = outbound.post(url, b"{}", {})
    assert not answer.ok and answer.status is None and answer.error


def test_an_allowed_network_may_be_used(settings):
    settings.OUTBOUND_ALLOW = ["127.0.0.1/32"]
    assert outbound.check_destination("http://127.0.0.1:9/x?y=1").path == "/x?y=1"
    with pytest.raises(outbound.Refused):
        outbound.check_destination("http://10.0.0.1/")


def test_a_public_address_passes():
    dest = outbound.check_destination("https://93.184.215.14/hook")
    assert dest.address == "93.184.215.14" and dest.port == 443


def test_an_unreachable_receiver_is_a_failed_try(settings):
    settings.OUTBOUND_ALLOW = ["127.0.0.1/32"]
    with Receiver() as r:
        port = r.port
    answer = outbound.post(f"http://127.0.0.1:{port}/", b"{}", {}, timeout=2)
    assert not answer.ok and answer.status is None and answer.error


# ---------------------------------------------------------------- signatures


def test_signatures_follow_standard_webhooks():
    # the example of the Standard Webhooks specification's reference libraries
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    msg_id = "msg_p5jXN8AQM9LWM0D4loKWxJek"
    timestamp = 1614265330
    body = b'{"test": 2432232314}'
    assert outbound.sign(secret, msg_id, timestamp, body) == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    headers = outbound.signed_headers([secret], msg_id, body, timestamp)
    assert outbound.verify(secret, headers, body, now=timestamp + 10)
    assert not outbound.verify(secret, headers, body + b" ", now=timestamp + 10)
    assert not outbound.verify(secret, headers, body, now=timestamp + 3600)  # too old: a replay


def test_two_secrets_sign_while_rotating():
    old, new = outbound.new_secret(), outbound.new_secret()
    headers = outbound.signed_headers([new, old], "msg_x", b"{}")
    assert len(headers["webhook-signature"].split()) == 2
    assert outbound.verify(old, headers, b"{}") and outbound.verify(new, headers, b"{}")
    assert not outbound.verify(outbound.new_secret(), headers, b"{}")
