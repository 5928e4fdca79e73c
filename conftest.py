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
