"""The rate-limit counters: atomic, shared by every process, per window; Redis and the database alike."""

from __future__ import annotations

from datetime import datetime

import pytest
import time_machine
from django.test import RequestFactory
from django.utils import timezone

from gridgov.core import ratelimit
from gridgov.core.errors import Throttled
from gridgov.core.models import RateCounter
from gridgov.testing.concurrency import race

# On a minute boundary, so the test knows where each window ends.
START = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.get_fixed_timezone(480))
rf = RequestFactory()


def two_stores(kind: str, settings):
    """Two independent stores on the same backing service, as two web processes would have."""
    if kind == "database":
        return ratelimit.DatabaseCounter(), ratelimit.DatabaseCounter()
    return (
        ratelimit.RedisCounter(settings.RATE_LIMIT_REDIS_URL, settings.RATE_LIMIT_KEY_PREFIX),
        ratelimit.RedisCounter(settings.RATE_LIMIT_REDIS_URL, settings.RATE_LIMIT_KEY_PREFIX),
    )


@pytest.fixture(params=["database", "redis"])
def kind(request):
    if request.param == "redis":
        request.getfixturevalue("rate_limit_redis")
    else:
        request.getfixturevalue("db")
    return request.param


def test_counts_are_shared_between_processes_and_kept_per_window(kind, settings):
    one, two = two_stores(kind, settings)
    with time_machine.travel(START, tick=False) as clock:
        assert ratelimit.hit("intake", "192.0.2.1", limit=2, seconds=60, store=one).count == 1
        assert ratelimit.hit("intake", "192.0.2.1", limit=2, seconds=60, store=two).count == 2
        clock.shift(15)
        third = ratelimit.hit("intake", "192.0.2.1", limit=2, seconds=60, store=one)
        assert third.count == 3 and third.exceeded and third.retry_after == 45
        # other addresses and other classes count apart
        assert ratelimit.hit("intake", "192.0.2.2", limit=2, seconds=60, store=two).count == 1
        assert ratelimit.hit("tracking", "192.0.2.1", limit=2, seconds=60, store=two).count == 1
        clock.shift(45)  # the window has ended: the next request opens the next one
        fresh = ratelimit.hit("intake", "192.0.2.1", limit=2, seconds=60, store=two)
        assert fresh.count == 1 and not fresh.exceeded and fresh.retry_after == 60
        clock.shift(59)
        assert ratelimit.hit("intake", "192.0.2.1", limit=2, seconds=60, store=one).retry_after == 1


def test_release_takes_one_back_and_never_goes_below_zero(kind, settings):
    one, two = two_stores(kind, settings)
    with time_machine.travel(START, tick=False):
        first = ratelimit.hit("rating_code", "610302-20260302-000001", limit=5, seconds=3600, store=one)
        ratelimit.hit("rating_code", "610302-20260302-000001", limit=5, seconds=3600, store=one)
        ratelimit.release(first, store=two)
        ratelimit.release(first, store=two)
        ratelimit.release(first, store=two)
        again = ratelimit.hit("rating_code", "610302-20260302-000001", limit=5, seconds=3600, store=one)
        assert again.count == 1


def test_release_leaves_a_later_window_alone(kind, settings):
    one, _ = two_stores(kind, settings)
    with time_machine.travel(START, tick=False) as clock:
        old = ratelimit.hit("rating_code", "610302-20260302-000001", limit=5, seconds=60, store=one)
        clock.shift(60)
        ratelimit.hit("rating_code", "610302-20260302-000001", limit=5, seconds=60, store=one)
        ratelimit.release(old, store=one)
        assert (
            ratelimit.hit("rating_code", "610302-20260302-000001", limit=5, seconds=60, store=one).count == 2
        )


def test_redis_keys_carry_the_prefix_and_expire_with_their_window(rate_limit_redis):
    store = ratelimit.counter()
    assert isinstance(store, ratelimit.RedisCounter) and store.prefix == rate_limit_redis
    ratelimit.hit("wall", "192.0.2.1", limit=5, seconds=60)
    key = store.key("wall", "192.0.2.1")
    assert key == f"{rate_limit_redis}:wall:192.0.2.1"
    assert 0 < store.client.pttl(key) <= 60_000
    assert int(store.client.hget(key, "count")) == 1


def test_an_unreachable_redis_does_not_take_the_service_down(caplog):
    store = ratelimit.RedisCounter("redis://127.0.0.1:1/0", "gridgov-test-rl:down")
    counted = ratelimit.hit("intake", "192.0.2.1", limit=1, seconds=60, store=store)
    assert counted.count == 0 and not counted.exceeded
    assert "Redis is unavailable" in caplog.text


@pytest.mark.django_db
def test_the_database_store_prunes_ended_windows():
    store = ratelimit.DatabaseCounter()
    with time_machine.travel(START, tick=False) as clock:
        ratelimit.hit("intake", "192.0.2.1", limit=5, seconds=60, store=store)
        ratelimit.hit("tracking", "192.0.2.1", limit=5, seconds=60, store=store)
        assert RateCounter.objects.count() == 2
        clock.shift(30)
        ratelimit.hit("intake", "192.0.2.1", limit=5, seconds=60, store=store)
        assert RateCounter.objects.count() == 2  # nothing ended yet, and one row per window
        clock.shift(91)
        ratelimit.hit("intake", "192.0.2.9", limit=5, seconds=60, store=store)
        assert list(RateCounter.objects.values_list("ident", flat=True)) == ["192.0.2.9"]


@pytest.mark.parametrize("kind", ["database", "redis"])
@pytest.mark.django_db(transaction=True)
def test_concurrent_hits_are_each_counted_once(kind, settings, request):
    if kind == "redis":
        request.getfixturevalue("rate_limit_redis")
    else:
        settings.RATE_LIMIT_REDIS_URL = ""
    counts = race(*[lambda: ratelimit.hit("intake", "192.0.2.1", limit=100, seconds=3600).count] * 8)
    assert sorted(counts) == list(range(1, 9))


# ---------------------------------------------------------------- limit(): per endpoint class and address


@pytest.mark.django_db
def test_limit_refuses_over_the_class_allowance_per_address(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "intake": 2}
    with time_machine.travel(START, tick=False):
        for _ in range(2):
            ratelimit.limit(rf.post("/", REMOTE_ADDR="192.0.2.1"), "intake")
        with pytest.raises(Throttled) as info:
            ratelimit.limit(rf.post("/", REMOTE_ADDR="192.0.2.1"), "intake")
        assert info.value.code == "rate_limited" and info.value.status == 429
        assert info.value.extra["retry_after"] == 60
        assert "60 秒后再试" in info.value.message
        ratelimit.limit(rf.post("/", REMOTE_ADDR="192.0.2.2"), "intake")


@pytest.mark.django_db
def test_an_ipv6_subscriber_is_one_client_per_64(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "intake": 1}
    ratelimit.limit(rf.post("/", REMOTE_ADDR="2001:db8:1:2::1"), "intake")
    with pytest.raises(Throttled):
        ratelimit.limit(rf.post("/", REMOTE_ADDR="2001:db8:1:2:ffff::9"), "intake")
    ratelimit.limit(rf.post("/", REMOTE_ADDR="2001:db8:1:3::1"), "intake")


@pytest.mark.django_db
def test_a_class_set_to_zero_is_not_limited(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "intake": 0}
    for _ in range(3):
        ratelimit.limit(rf.post("/", REMOTE_ADDR="192.0.2.1"), "intake")
    assert not RateCounter.objects.exists()


@pytest.mark.django_db
def test_the_openapi_document_is_rate_limited(client, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "public": 1}
    assert client.get("/api/v1/openapi.json").status_code == 200
    refused = client.get("/api/v1/openapi.json")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert refused.json()["code"] == "rate_limited"
