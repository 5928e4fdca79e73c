"""Shared test set-up: fast password hashing, a small area tree, and accounts on it."""

from __future__ import annotations

import os

import pytest

# The demo district's past (assist.demo): 300 cases per category in the suite instead of 2,000 — enough
# for its first model, a seventh of the time in the tests that load the whole demo.
os.environ.setdefault("GRIDGOV_DEMO_HISTORY_PER_CATEGORY", "300")


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    # Argon2 at production cost is deliberately slow; tests that check hashing ask for it explicitly.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_lookup_index():
    from gridgov.areas import lookup

    lookup.invalidate()
    yield
    lookup.invalidate()


@pytest.fixture(autouse=True)
def _fresh_category_cache():
    # A test's categories are rolled back with it; the next test must not find them in this process's copy.
    from gridgov.cases import category_cache

    category_cache.invalidate()
    yield
    category_cache.invalidate()


@pytest.fixture(autouse=True)
def _generous_rate_limits(settings):
    # Many tests sign in and report over and over from one address; the tests of the limits set their own.
    # Counters live in the test's database (rolled back with it) unless a test names a Redis store.
    settings.RATE_LIMITS = dict.fromkeys(settings.RATE_LIMITS, 100_000)
    settings.RATE_LIMIT_REDIS_URL = ""


@pytest.fixture
def rate_limit_redis(settings):
    """Rate limits counted in the real Redis, under a key prefix of this test's own (removed afterwards)."""
    import os
    import uuid

    import redis

    url = os.environ.get("GRIDGOV_TEST_RATE_LIMIT_REDIS_URL", "redis://127.0.0.1:6379/11")
    prefix = f"gridgov-test-rl:{uuid.uuid4().hex}"
    settings.RATE_LIMIT_REDIS_URL = url
    settings.RATE_LIMIT_KEY_PREFIX = prefix
    yield prefix
    client = redis.Redis.from_url(url)
    for key in client.scan_iter(match=f"{prefix}:*"):
        client.delete(key)
    client.close()


@pytest.fixture
def policy_problems() -> list[str]:
    """What the security-policy check below found in this test (a test of the check itself empties it)."""
    return []


@pytest.fixture(autouse=True)
def _security_policy_on_every_page(request, monkeypatch, policy_problems):
    """Every response a test receives through Django's test client carries the Content-Security-Policy and
    holds no inline code; every page a browser test opens reports no policy violation. Either fails the
    test that saw it (gridgov/testing/security.py)."""
    from django.test import Client

    from gridgov.testing.security import response_problems, watch_browsers

    send = Client.request

    def checked(self, **kwargs):
        response = send(self, **kwargs)
        policy_problems.extend(response_problems(response, kwargs.get("PATH_INFO", "")))
        return response

    monkeypatch.setattr(Client, "request", checked)
    if request.node.get_closest_marker("browser"):
        watch_browsers(monkeypatch, policy_problems)
    yield
    if policy_problems:
        pytest.fail("Content-Security-Policy:\n" + "\n".join(dict.fromkeys(policy_problems)), pytrace=False)


def pytest_collection_modifyitems(items):
    """With a read replica configured (the PostgreSQL run sets ``GRIDGOV_READ_DATABASE_URL`` to the suite's own
    database, decision 46), a test that commits — a transactional test, or a browser test whose live server
    answers from another thread — reads figures through the replica's connection too, so it may use it.
    Tests inside a transaction never reach the replica (the router keeps their reads on the primary)."""
    from django.conf import settings

    if "replica" not in settings.DATABASES:
        return
    for item in items:
        marker = item.get_closest_marker("django_db")
        fixtures = getattr(item, "fixturenames", ())
        commits = bool(marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])))
        if commits or "transactional_db" in fixtures or "live_server" in fixtures:
            kwargs = {**(marker.kwargs if marker else {}), "transaction": True, "databases": "__all__"}
            item.add_marker(pytest.mark.django_db(**kwargs), append=False)
