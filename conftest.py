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
