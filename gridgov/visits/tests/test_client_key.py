"""A visit sent again with its client key (a double click, a retry after a lost answer) is the visit made the
first time, never a second one: through the page, the action, and two sends at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from gridgov.core.errors import DomainError
from gridgov.testing.concurrency import race
from gridgov.visits.models import Visit
from gridgov.visits.tests.conftest import T0, record

KEY = "0f4c2a9e8b7d4c1aa2b3c4d5e6f70819"


def form(world, **extra):
    data = {
        "household": str(world.h1.pk),
        "kind": "routine",
        "visited_at": (T0 - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "duration_minutes": "25",
        "situation": "老人身体还好",
        "problems": "楼道灯不亮",
        "client_key": KEY,
    }
    data.update(extra)
    return data


def post(client, world, **extra):
    return client.post(f"/visits/new/?household={world.h1.pk}", form(world, **extra))


@pytest.mark.django_db
def test_the_form_carries_a_fresh_key_and_is_marked_for_the_offline_queue(client, world):
    client.force_login(world.worker)
    first = client.get(f"/visits/new/?household={world.h1.pk}").content.decode()
    second = client.get(f"/visits/new/?household={world.h1.pk}").content.decode()
    assert 'data-offline-queue="visit"' in first

    def key(html):
        return html.split('name="client_key" value="', 1)[1].split('"', 1)[0]

    assert len(key(first)) == 32 and key(first) != key(second)


@pytest.mark.django_db
def test_a_replayed_post_returns_the_first_visit(client, world):
    client.force_login(world.worker)
    first = post(client, world)
    assert first.status_code == 302
    visit = Visit.objects.get()
    assert first["Location"] == f"/visits/{visit.pk}/"
    assert visit.client_key == KEY and visit.duration_minutes == 25

    again = post(client, world, problems="楼道灯不亮（重发）")  # the answer was lost; the device sends again
    assert again.status_code == 302 and again["Location"] == f"/visits/{visit.pk}/"
    assert Visit.objects.count() == 1
    assert Visit.objects.get().problems == "楼道灯不亮"


@pytest.mark.django_db
def test_without_a_key_or_with_another_key_each_send_is_a_visit(client, world):
    client.force_login(world.worker)
    post(client, world, client_key="")
    post(client, world, client_key="")
    post(client, world, client_key="another-key_1")
    assert Visit.objects.count() == 3


@pytest.mark.django_db
def test_the_key_is_per_recorder(world):
    mine = record(world, world.h1, T0 - timedelta(hours=1), client_key=KEY)
    theirs = record(world, world.h1, T0 - timedelta(hours=1), by=world.chief, client_key=KEY)
    assert mine.pk != theirs.pk and Visit.objects.count() == 2
    assert record(world, world.h2, T0 - timedelta(hours=2), client_key=KEY).pk == mine.pk


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("key", "reason"),
    [("k" * 65, "不能超过 64 个字符"), ("坏键", "只能包含字母、数字、连字符和下划线"), ("a b", "只能包含")],
)
def test_a_bad_key_is_refused_by_name_and_writes_nothing(client, world, key, reason):
    with pytest.raises(DomainError) as raised:
        record(world, world.h1, T0 - timedelta(hours=1), client_key=key)
    assert raised.value.field == "client_key" and reason in raised.value.message
    client.force_login(world.worker)
    response = post(client, world, client_key=key)
    assert response.status_code == 400
    assert reason in response.content.decode()
    assert not Visit.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_sends_at_once_make_one_visit(world):
    """Two tabs (or a retry racing the first send) post the same key at the same moment: real threads and
    transactions; the unique constraint decides and the loser answers with the winner's visit."""
    clients = [Client(), Client(), Client()]
    for c in clients:
        c.force_login(world.worker)
    responses = race(*[(lambda c=c: post(c, world)) for c in clients])
    assert [r.status_code for r in responses] == [302, 302, 302], [r.content[:300] for r in responses]
    visit = Visit.objects.get()
    assert {r["Location"] for r in responses} == {f"/visits/{visit.pk}/"}
