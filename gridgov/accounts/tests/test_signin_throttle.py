"""One sign-in throttle for every way of signing in (API token, page, admin), counted per (username,
address) with a progressive delay per username and a lock per address (decision 8)."""

from __future__ import annotations

from datetime import datetime

import pytest
import time_machine
from django.contrib.auth import authenticate
from django.test import Client
from django.utils import timezone

from gridgov.accounts.models import LoginFailure
from gridgov.core.errors import Throttled
from gridgov.testing.api import ApiClient
from gridgov.testing.concurrency import race
from gridgov.testing.factories import PASSWORD, make_admin

pytestmark = pytest.mark.django_db

A, B = "198.51.100.7", "203.0.113.9"
START = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.get_fixed_timezone(480))


def token(username: str, password: str, address: str = A, **extra):
    return ApiClient().post(
        "/auth/token", {"username": username, "password": password}, REMOTE_ADDR=address, **extra
    )


def page_login(client: Client, username: str, password: str, address: str = A):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def admin_login(client: Client, username: str, password: str, address: str = A):
    return client.post(
        "/admin/login/",
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=address,
    )


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


# ---------------------------------------------------------------- one throttle for every way in


def test_admin_login_is_throttled_and_records_failures():
    make_admin("admin")
    client = Client()
    for _ in range(8):
        response = admin_login(client, "admin", "wrong-password")
        assert response.status_code == 200 and not signed_in(client)
    # five failures lock the pair; the three attempts after them were refused, not tried
    assert LoginFailure.objects.filter(username="admin", ip=A).count() == 5
    refused = admin_login(client, "admin", PASSWORD)
    assert not signed_in(client)
    assert "登录失败次数过多" in refused.content.decode()
    assert client.get("/admin/").status_code == 302


def test_admin_login_with_right_password_signs_in_and_clears_failures():
    make_admin("admin")
    client = Client()
    admin_login(client, "admin", "wrong-password")
    response = admin_login(client, "admin", PASSWORD)
    assert response.status_code == 302 and signed_in(client)
    assert not LoginFailure.objects.filter(username="admin", ip=A).exists()


def test_failures_on_any_way_in_count_towards_one_throttle():
    make_admin("admin")
    client = Client()
    for _ in range(2):
        assert token("admin", "wrong-password").status_code == 401
    for _ in range(2):
        assert page_login(client, "admin", "wrong-password").status_code == 400
    admin_login(client, "admin", "wrong-password")
    assert LoginFailure.objects.filter(username="admin").count() == 5

    api = token("admin", PASSWORD)
    assert api.status_code == 429 and api.json()["code"] == "too_many_attempts"
    page = page_login(client, "admin", PASSWORD)
    assert page.status_code == 429 and "登录失败次数过多" in page.content.decode()
    admin = admin_login(client, "admin", PASSWORD)
    assert "登录失败次数过多" in admin.content.decode()
    assert not signed_in(client)


def test_authenticate_itself_is_throttled(settings):
    """No code path can check a password around the throttle: the authentication backend holds it."""
    settings.LOGIN_FAILURE_LIMIT = 2
    make_admin("admin")
    assert authenticate(None, username="admin", password="wrong") is None
    assert authenticate(None, username="admin", password="wrong") is None
    with pytest.raises(Throttled):
        authenticate(None, username="admin", password=PASSWORD)
    assert settings.AUTHENTICATION_BACKENDS == ["gridgov.accounts.backends.ThrottledModelBackend"]


# ---------------------------------------------------------------- per (username, address)


def test_failures_lock_only_that_username_and_address(settings):
    make_admin("admin")
    with time_machine.travel(START, tick=False) as clock:
        for _ in range(5):
            assert token("admin", "wrong-password", A).status_code == 401
        locked = token("admin", PASSWORD, A)
        assert locked.status_code == 429
        assert locked.json()["code"] == "too_many_attempts"
        assert int(locked["Retry-After"]) == settings.LOGIN_FAILURE_WINDOW_SECONDS
        # the owner, elsewhere, is not locked out by someone else's failures
        assert token("admin", PASSWORD, B).status_code == 200
        clock.shift(settings.LOGIN_FAILURE_WINDOW_SECONDS - 60)
        assert int(token("admin", PASSWORD, A)["Retry-After"]) == 60
        clock.shift(60)
        assert token("admin", PASSWORD, A).status_code == 200


def test_refused_attempts_do_not_extend_the_lock(settings):
    make_admin("admin")
    with time_machine.travel(START, tick=False) as clock:
        for _ in range(5):
            token("admin", "wrong-password", A)
        clock.shift(300)
        for _ in range(3):
            assert token("admin", "wrong-password", A).status_code == 429
        assert LoginFailure.objects.filter(username="admin", ip=A).count() == 5
        clock.shift(settings.LOGIN_FAILURE_WINDOW_SECONDS - 300)
        assert token("admin", PASSWORD, A).status_code == 200


def test_success_clears_the_failures_of_that_pair_only():
    make_admin("admin")
    assert token("admin", "wrong-password", B).status_code == 401
    for _ in range(4):
        assert token("admin", "wrong-password", A).status_code == 401
    assert token("admin", PASSWORD, A).status_code == 200
    assert not LoginFailure.objects.filter(username="admin", ip=A).exists()
    assert LoginFailure.objects.filter(username="admin", ip=B).count() == 1
    # a fresh allowance of five for that pair
    for _ in range(5):
        assert token("admin", "wrong-password", A).status_code == 401
    assert token("admin", "wrong-password", A).status_code == 429


# ---------------------------------------------------------------- per username: slowed down, never locked


def test_failures_from_many_addresses_slow_the_username_down_progressively(settings):
    settings.LOGIN_USERNAME_FAILURE_LIMIT = 3
    settings.LOGIN_DELAY_MAX_SECONDS = 4
    make_admin("admin")
    with time_machine.travel(START, tick=False) as clock:
        for n in range(3):
            assert token("admin", "wrong-password", f"192.0.2.{n}").status_code == 401
        waits = []
        for n in range(3, 7):
            slowed = token("admin", PASSWORD, f"192.0.2.{n}")
            assert slowed.status_code == 429
            assert slowed.json()["code"] == "sign_in_delayed"
            waits.append(int(slowed["Retry-After"]))
            clock.shift(waits[-1] - 1)
            assert token("admin", "wrong-password", f"192.0.2.{n}").status_code == 429
            clock.shift(1)
            assert token("admin", "wrong-password", f"192.0.2.{n}").status_code == 401
        assert waits == [1, 2, 4, 4]  # doubling, capped
        # a slowed-down attempt is not a failure: only the tried ones are recorded
        assert LoginFailure.objects.filter(username="admin").count() == 7
        clock.shift(4)
        # the owner still gets in, from any address, once the short delay has passed
        assert token("admin", PASSWORD, B).status_code == 200


def test_the_delay_starts_only_above_the_username_limit(settings):
    settings.LOGIN_USERNAME_FAILURE_LIMIT = 4
    make_admin("admin")
    with time_machine.travel(START, tick=False):
        for n in range(3):
            assert token("admin", "wrong-password", f"192.0.2.{n}").status_code == 401
        assert token("admin", PASSWORD, B).status_code == 200


# ---------------------------------------------------------------- per address: spraying locks the address


def test_spraying_many_usernames_from_one_address_locks_that_address(settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 4
    make_admin("admin")
    with time_machine.travel(START, tick=False) as clock:
        for n in range(4):
            assert token(f"guess{n}", "Passw0rd!", A).status_code == 401
        locked = token("admin", PASSWORD, A)
        assert locked.status_code == 429 and locked.json()["code"] == "too_many_attempts"
        assert int(locked["Retry-After"]) == settings.LOGIN_FAILURE_WINDOW_SECONDS
        assert token("admin", PASSWORD, B).status_code == 200
        clock.shift(settings.LOGIN_FAILURE_WINDOW_SECONDS)
        assert token("admin", PASSWORD, A).status_code == 200


# ---------------------------------------------------------------- the address the throttle counts


def test_forwarded_header_from_an_untrusted_peer_is_ignored():
    make_admin("admin")
    for n in range(5):
        assert token("admin", "wrong-password", A, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}").status_code == 401
    assert set(LoginFailure.objects.values_list("ip", flat=True)) == {A}
    spoofed = token("admin", PASSWORD, A, HTTP_X_FORWARDED_FOR="192.0.2.99")
    assert spoofed.status_code == 429


def test_forwarded_header_from_a_trusted_proxy_names_the_client(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    make_admin("admin")
    response = token(
        "admin", "wrong-password", "10.0.0.2", HTTP_X_FORWARDED_FOR="192.0.2.1, 203.0.113.9, 10.0.0.3"
    )
    assert response.status_code == 401
    assert list(LoginFailure.objects.values_list("ip", flat=True)) == [B]


def test_a_garbage_forwarded_header_is_not_stored():
    make_admin("admin")
    assert token("admin", "wrong-password", A, HTTP_X_FORWARDED_FOR="not-an-address").status_code == 401
    assert list(LoginFailure.objects.values_list("ip", flat=True)) == [A]


# ---------------------------------------------------------------- input that no account can have


@pytest.mark.parametrize("username", ["x" * 151, "ad\nmin"])
def test_impossible_usernames_fail_like_wrong_passwords(username):
    response = token(username, "whatever")
    assert response.status_code == 401 and response.json()["code"] == "invalid_credentials"
    assert LoginFailure.objects.filter(ip=A).count() == 1


def test_a_username_with_a_control_character_is_refused_as_input_before_sign_in():
    response = token("ad\x00min", "whatever")
    assert response.status_code == 400 and response.json()["code"] == "invalid_text"
    assert response.json()["field"] == "username"
    assert not LoginFailure.objects.exists()


# ---------------------------------------------------------------- concurrent guesses


@pytest.mark.django_db(transaction=True)
def test_concurrent_guesses_cannot_exceed_the_pair_limit(settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    make_admin("admin")
    responses = race(*[lambda: token("admin", "wrong-password", A)] * 8)
    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {401, 429}
    assert statuses.count(401) <= 3
    assert LoginFailure.objects.filter(username="admin", ip=A).count() == statuses.count(401)


# ---------------------------------------------------------------- the sign-in rate limit


def test_every_way_in_shares_the_signin_rate_limit_per_address(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "signin": 3}
    make_admin("admin")
    client = Client()
    with time_machine.travel(START, tick=False):
        assert token("admin", "wrong-password").status_code == 401
        assert page_login(client, "admin", "wrong-password").status_code == 400
        admin_login(client, "admin", "wrong-password")
        refused = token("admin", PASSWORD)
        assert refused.status_code == 429 and refused["Retry-After"] == "60"
        assert refused.json()["code"] == "rate_limited"
        page = page_login(client, "admin", PASSWORD)
        assert page.status_code == 429 and page["Retry-After"] == "60"
        assert "请求过于频繁" in admin_login(client, "admin", PASSWORD).content.decode()
        assert not signed_in(client)
        # counted apart from the failures: the refusals were never tried
        assert LoginFailure.objects.filter(username="admin").count() == 3
        assert token("admin", PASSWORD, B).status_code == 200


@pytest.mark.django_db
def test_the_wait_is_computed_when_counted_rows_are_gone_meanwhile():
    """A concurrent refused attempt takes its row back between the count and the wait's computation: the
    answer is still a wait (it was an error page)."""
    from datetime import timedelta

    from django.utils import timezone

    from gridgov.accounts.models import LoginFailure
    from gridgov.accounts.throttle import _unlocked_in

    now = timezone.now()
    window = timedelta(minutes=15)
    assert _unlocked_in(LoginFailure.objects.none(), 3, window, now) == 1
    LoginFailure.objects.create(username="admin", ip="192.0.2.1", at=now - timedelta(minutes=5))
    assert _unlocked_in(LoginFailure.objects.all(), 3, window, now) == 600
