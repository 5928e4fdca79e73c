"""A real sender killed in the middle of a delivery loses nothing: ``gridgov deliver_outbox --forever`` runs
in a process of its own against this test's database, claims the delivery and posts it to a receiver that
holds the request; the process is killed (SIGKILL: no clean-up of any kind). The delivery is still pending
under the dead sender's claim; once the claim has run out another sender delivers it, and the log shows
exactly one successful try (the receiver saw the same ``webhook-id`` twice: at-least-once)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from gridgov.core import outbox
from gridgov.core.models import OutboxAttempt, OutboxMessage

from .conftest import build_world, report, subscribe, verify

REPO_DIR = settings.REPO_DIR


def _database_url() -> str:
    """The URL of the database this test runs on (the suite's test database, not the configured one)."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _wait_for(predicate, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.mark.django_db(transaction=True)
def test_a_sender_killed_mid_delivery_loses_nothing_and_logs_one_success(rx):
    world = build_world()
    sub, secret = subscribe(world, rx, kinds=["case.created"])
    report(world)
    (msg,) = OutboxMessage.objects.filter(channel="webhook", target=str(sub.pk))
    rx.delay = 3.0  # the receiver holds the request: the sender is killed while it waits for the answer
    env = {
        **os.environ,
        "GRIDGOV_DATABASE_URL": _database_url(),
        "GRIDGOV_OUTBOUND_ALLOW": "127.0.0.1/32",
        "GRIDGOV_OUTBOX_POLL_SECONDS": "0.2",
        "GRIDGOV_REDIS_URL": "",
    }
    env.pop("GRIDGOV_READ_DATABASE_URL", None)
    sender = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "gridgov", "deliver_outbox", "--forever"],
        cwd=REPO_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_for(lambda: rx.requests or sender.poll() is not None, 60, "the sender's request")
        assert sender.poll() is None, sender.stderr.read().decode()[-2000:]
        os.kill(sender.pid, signal.SIGKILL)
        sender.wait(10)
    finally:
        if sender.poll() is None:
            sender.kill()
            sender.wait(10)
        sender.stderr.close()
    rx.delay = 0.0
    msg.refresh_from_db()
    assert msg.state == OutboxMessage.State.PENDING and msg.attempts == 0
    assert msg.claimed_until is not None and msg.claimed_until > timezone.now()  # the dead sender's claim
    assert not OutboxAttempt.objects.filter(message=msg).exists()
    assert outbox.deliver_due()["claimed"] == 0  # the claim holds until its lease runs out
    later = timezone.now() + outbox.LEASE + timedelta(seconds=1)
    assert outbox.deliver_due(now=later)["delivered"] == 1
    msg.refresh_from_db()
    assert msg.state == OutboxMessage.State.DELIVERED and msg.attempts == 1
    (attempt,) = OutboxAttempt.objects.filter(message=msg)
    assert attempt.ok and attempt.status == 200
    assert [r.headers["webhook-id"] for r in rx.requests] == [msg.msg_id, msg.msg_id]
    assert all(verify(secret, r.headers, r.body) for r in rx.requests)
