"""The email channel against a real SMTP server in this process: delivered with the notification's text and
link, a refused address given up at once, a temporary refusal and a missing server tried again."""

from __future__ import annotations

from datetime import timedelta
from email.header import decode_header, make_header

import pytest
from django.utils import timezone

from gridgov.core import outbox
from gridgov.core.errors import DomainError
from gridgov.core.models import OutboxAttempt, OutboxMessage
from gridgov.notify.actions import notify, preference_save
from gridgov.notify.models import Notification

from .conftest import SITE, WORKER_EMAIL, free_port

pytestmark = pytest.mark.django_db

State = OutboxMessage.State


def _subject(message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def _send_order(people, **kw):
    preference_save(by=people.worker, kinds={"order": ["email"]})
    notify(
        users=[people.worker],
        kind="order",
        title="服务单 FW-1 已派到本社区",
        body="请及时接单",
        url="/orders/FW-1/",
        **kw,
    )
    return OutboxMessage.objects.get(channel="email")


def test_an_email_is_sent_with_the_notification_text_and_link(people, smtp):
    msg = _send_order(people)
    assert msg.target == str(Notification.objects.get(user=people.worker).pk)
    assert outbox.deliver_all()["delivered"] == 1
    (mail,) = smtp.received
    assert mail["X-Envelope-To"] == WORKER_EMAIL and mail["To"] == WORKER_EMAIL
    assert mail["From"] == "gridgov@example.cn"
    assert _subject(mail) == "服务单 FW-1 已派到本社区"
    assert mail["Message-ID"] == f"<{msg.msg_id}@gridgov>"
    text = mail.get_payload(decode=True).decode(mail.get_content_charset())
    assert "请及时接单" in text
    assert f"{SITE}/orders/FW-1/" in text
    assert f"{SITE}/inbox/settings/" in text
    msg.refresh_from_db()
    assert msg.state == State.DELIVERED
    (attempt,) = OutboxAttempt.objects.filter(message=msg)
    assert attempt.ok and attempt.status == 250


def test_an_email_in_the_recipients_language(people, smtp):
    people.worker.language = "en"
    people.worker.save(update_fields=["language"])
    _send_order(people)
    outbox.deliver_all()
    text = smtp.received[0].get_payload(decode=True).decode("utf-8")
    # the lines around the notification follow the recipient's language (the site's name, say)
    assert "Grid Governance Platform" in text and "网格化基层治理平台" not in text


def test_a_refused_address_is_given_up_at_once_and_not_logged(people, smtp):
    smtp.refuse[WORKER_EMAIL] = f"550 5.1.1 <{WORKER_EMAIL}>: Recipient address rejected"
    msg = _send_order(people)
    assert outbox.deliver_all()["dead"] == 1
    msg.refresh_from_db()
    assert (msg.state, msg.attempts, msg.last_status) == (State.DEAD, 1, 550)
    assert "Recipient address rejected" in msg.last_error
    assert WORKER_EMAIL not in msg.last_error
    assert WORKER_EMAIL not in OutboxAttempt.objects.get(message=msg).error
    assert smtp.received == []


def test_a_temporary_refusal_is_tried_again(people, smtp):
    smtp.data_replies = ["451 4.3.0 Try again later"]
    msg = _send_order(people)
    outbox.deliver_due()
    msg.refresh_from_db()
    assert (msg.state, msg.attempts, msg.last_status) == (State.PENDING, 1, 451)
    outbox.deliver_due(now=msg.next_at + timedelta(seconds=1))
    msg.refresh_from_db()
    assert msg.state == State.DELIVERED and msg.attempts == 2
    assert [a.status for a in OutboxAttempt.objects.filter(message=msg)] == [451, 250]
    assert len(smtp.received) == 1


def test_a_server_that_cannot_be_reached_is_tried_again(people, smtp, settings):
    settings.EMAIL_PORT = free_port()  # nothing listens there
    msg = _send_order(people)
    outbox.deliver_due()
    msg.refresh_from_db()
    assert msg.state == State.PENDING and msg.attempts == 1 and msg.last_status is None
    assert msg.next_at > timezone.now()
    settings.EMAIL_PORT = smtp.port
    outbox.deliver_due(now=msg.next_at + timedelta(seconds=1))
    msg.refresh_from_db()
    assert msg.state == State.DELIVERED
    assert len(smtp.received) == 1


def test_an_account_whose_email_was_removed_is_given_up(people, smtp):
    msg = _send_order(people)
    people.worker.email = ""
    people.worker.save(update_fields=["email"])
    outbox.deliver_all()
    msg.refresh_from_db()
    assert msg.state == State.DEAD and msg.attempts == 1
    assert smtp.received == []


def test_without_an_smtp_host_email_is_not_offered(people, settings):
    settings.EMAIL_HOST = ""
    with pytest.raises(DomainError) as info:
        preference_save(by=people.worker, kinds={"order": ["email"]})
    assert info.value.code == "channel_unavailable"
