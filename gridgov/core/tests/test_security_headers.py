"""The security headers every answer carries, HTTPS-only cookies and HSTS, and the suite's own check."""

from __future__ import annotations

import runpy

import pytest
from django.http import HttpResponse
from django.test import Client

from gridgov import settings as settings_module
from gridgov.testing.factories import PASSWORD, make_admin
from gridgov.testing.security import inline_code, response_problems

POLICY = (
    "default-src 'self'; script-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'; "
    "base-uri 'self'; form-action 'self'"
)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/login/",
        "/report/",
        "/wishes/",
        "/admin/login/",
        "/api/v1/docs",
        "/no-such-page/",
        "/api/v1/categories",
    ],
)
def test_every_answer_carries_the_security_headers(client, path):
    response = client.get(path)
    assert response["Content-Security-Policy"] == POLICY
    assert response["Permissions-Policy"] == (
        "geolocation=(self), camera=(self), microphone=(), payment=(), usb=()"
    )
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    # Plain HTTP, and secure cookies off (the default): no HSTS.
    assert "Strict-Transport-Security" not in response


def _settings_with(monkeypatch, **env) -> dict:
    """The settings module as it reads this environment (run afresh, apart from the live settings)."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(settings_module.__file__)


def test_secure_cookies_turn_on_hsts_and_https_only_cookies(monkeypatch):
    monkeypatch.delenv("GRIDGOV_SECURE_COOKIES", raising=False)
    monkeypatch.delenv("GRIDGOV_HSTS_SECONDS", raising=False)
    off = _settings_with(monkeypatch)
    assert (off["SESSION_COOKIE_SECURE"], off["CSRF_COOKIE_SECURE"], off["SECURE_HSTS_SECONDS"]) == (
        False,
        False,
        0,
    )
    on = _settings_with(monkeypatch, GRIDGOV_SECURE_COOKIES="1")
    assert on["SESSION_COOKIE_SECURE"] and on["CSRF_COOKIE_SECURE"]
    assert on["SECURE_HSTS_SECONDS"] == 31536000 and on["SECURE_HSTS_INCLUDE_SUBDOMAINS"]
    staged = _settings_with(monkeypatch, GRIDGOV_SECURE_COOKIES="1", GRIDGOV_HSTS_SECONDS="300")
    assert staged["SECURE_HSTS_SECONDS"] == 300


@pytest.mark.django_db
def test_over_https_with_secure_cookies_the_session_is_https_only_and_hsts_is_sent(settings, monkeypatch):
    on = _settings_with(monkeypatch, GRIDGOV_SECURE_COOKIES="1")
    for name in ["SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_HSTS_SECONDS"]:
        setattr(settings, name, on[name])
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = on["SECURE_HSTS_INCLUDE_SUBDOMAINS"]
    make_admin("root")
    client = Client()
    page = client.get("/login/", secure=True)
    assert page["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert page.cookies["csrftoken"]["secure"]
    signed_in = client.post("/login/", {"username": "root", "password": PASSWORD}, secure=True)
    assert signed_in.status_code == 302
    assert signed_in.cookies["sessionid"]["secure"] and signed_in.cookies["sessionid"]["httponly"]
    # Over plain HTTP (a proxy that did not say the request was HTTPS) no HSTS is sent.
    assert "Strict-Transport-Security" not in client.get("/login/")


def test_the_suite_check_finds_inline_code_and_only_inline_code():
    found = {
        '<script src="/static/a.js" defer></script>': [],
        '<script id="d" type="application/json">{"a": 1}</script>': [],
        "<script>alert(1)</script>": ["inline <script>"],
        '<select name="state" onchange="this.form.submit()">': ["onchange= on <select>"],
        "<IMG SRC=x ONERROR=alert(1)>": ["onerror= on <img>"],
        '<a href=" javascript:alert(1)">': ["javascript: URL in href= on <a>"],
        '<div style="color: red">': ["style= on <div>"],
        "<style>p {}</style>": ["<style> element"],
        # User text is escaped, and text inside an attribute value is not an attribute.
        "<p>&lt;img src=x onerror=&quot;x&quot;&gt;</p>": [],
        "<input value=\"a onclick=b style=c\" title='javascript:x'>": [],
        '<body hx-headers=\'{"X-CSRFToken": "abc"}\'>': [],
    }
    assert {html: inline_code(html) for html in found} == found


def test_the_suite_check_finds_a_missing_or_weakened_policy():
    page = HttpResponse("<p>ok</p>")
    assert response_problems(page, "/p/") == ["/p/: no Content-Security-Policy"]
    page["Content-Security-Policy"] = POLICY.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")
    assert len(response_problems(page, "/p/")) == 2  # weakened, and not the site's policy
    page["Content-Security-Policy"] = POLICY
    assert response_problems(page, "/p/") == []
    # An uploaded file keeps the stricter policy its view gives it.
    photo = HttpResponse(b"\x89PNG", content_type="image/png")
    photo["Content-Security-Policy"] = "default-src 'none'; sandbox"
    assert response_problems(photo, "/cases/x/files/1") == []
