from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.hashers import identify_hasher
from django.utils import timezone

from gridgov.accounts.models import ApiToken, LoginFailure
from gridgov.testing.api import ApiClient
from gridgov.testing.factories import make_admin, make_tree, make_user

pytestmark = pytest.mark.django_db


def test_token_then_me_masks_phone():
    tree = make_tree()
    make_user(tree.admin, "street1", "street", area=tree["610302001"], phone="13912345678")
    body = ApiClient("street1").get("/me").json()
    assert body["role"] == "street" and body["area"]["code"] == "610302001"
    assert body["phone"] == "139****5678"
    assert body["scope"] == ["610302001"]


def test_wrong_password_then_throttled_even_with_right_password(settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    make_admin("root")
    api = ApiClient()
    for _ in range(3):
        response = api.post("/auth/token", {"username": "root", "password": "wrong"})
        assert response.status_code == 401
        assert response.json() == {
            "code": "invalid_credentials",
            "message": "用户名或密码不正确",
            "field": "password",
        }
    locked = api.post("/auth/token", {"username": "root", "password": "correct-horse-battery"})
    assert locked.status_code == 429
    assert locked.json()["code"] == "too_many_attempts"
    assert int(locked["Retry-After"]) > 0
    assert not ApiToken.objects.exists()


def test_throttle_window_passes():
    settings_limit = 5
    make_admin("root")
    old = timezone.now() - timedelta(hours=1)
    LoginFailure.objects.bulk_create([LoginFailure(username="root", at=old) for _ in range(settings_limit)])
    assert (
        ApiClient().post("/auth/token", {"username": "root", "password": "correct-horse-battery"}).status_code
        == 200
    )


def test_missing_fields_are_400_with_field():
    api = ApiClient()
    response = api.post("/auth/token", {"username": "root"})
    assert response.status_code == 400 and response.json()["field"] == "password"
    empty = api.post("/auth/token", {"username": "", "password": "x"})
    assert empty.status_code == 400 and empty.json()["field"] == "username"


def test_expired_or_bad_token_is_401():
    make_admin("root")
    api = ApiClient("root")
    assert api.get("/me").status_code == 200
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert api.get("/me").status_code == 401
    assert ApiClient().get("/me", headers={"Authorization": "Bearer nonsense"}).status_code == 401


def test_token_revoked_on_delete():
    make_admin("root")
    api = ApiClient("root")
    assert api.delete("/auth/token").status_code == 204
    assert api.get("/me").status_code == 401


def test_passwords_hashed_with_argon2(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    admin = make_admin("root")
    assert identify_hasher(admin.password).algorithm == "argon2"
    assert ApiClient("root").get("/me").status_code == 200
