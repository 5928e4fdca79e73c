"""The inbox page (站内消息) at ``/inbox/``: one account's messages, unread first; marking them read."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from gridgov.notify.actions import notify
from gridgov.notify.models import Notification
from gridgov.testing.factories import make_tree, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    tree = make_tree()
    return (
        make_user(tree.admin, "worker", "grid_worker", tree["610302001001001"]),
        make_user(tree.admin, "other", "grid_worker", tree["610302001001002"]),
    )


def test_inbox_shows_unread_first_and_marks_all_read(client, people):
    worker, other = people
    now = timezone.now()
    notify(users=[worker], kind="order", title="较早的消息", url="/orders/", at=now - timedelta(hours=2))
    notify(users=[worker], kind="order", title="已读的新消息", at=now)
    notify(users=[other], kind="order", title="别人的消息", at=now)
    Notification.objects.filter(title="已读的新消息").update(read_at=now)
    client.force_login(worker)
    body = client.get("/inbox/").content.decode()
    assert body.index("较早的消息") < body.index("已读的新消息")  # unread first, then newest first
    assert "别人的消息" not in body
    assert '<a href="/inbox/" data-nav="inbox" aria-current="page">' in body and '<span class="badge"' in body
    response = client.post("/inbox/read/")
    assert (response.status_code, response.url) == (302, "/inbox/")
    assert not Notification.objects.filter(user=worker, read_at__isnull=True).exists()
    assert Notification.objects.get(user=other).read_at is None
    assert '<span class="badge"' not in client.get("/inbox/").content.decode()


def test_inbox_needs_sign_in(client):
    response = client.get("/inbox/")
    assert response.status_code == 302 and response.url.startswith("/login/")
