"""Shared test set-up: fast password hashing, a small area tree, and accounts on it."""

from __future__ import annotations

import pytest


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
