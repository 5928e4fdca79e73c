"""The settings page (``/inbox/settings/``) and ``GET/PUT /api/v1/inbox/preferences``: each account sees and
changes only its own preferences, and only channels this server offers and it has an address for."""

from __future__ import annotations

import pytest

from gridgov.core.models import AuditEntry
from gridgov.notify.models import Kind, Preference
from gridgov.testing.api import ApiClient

pytestmark = pytest.mark.django_db

URGENT = ("warning", "overdue", "escalation", "whistle")


@pytest.fixture
def offered(settings):
    settings.EMAIL_HOST = "127.0.0.1"
    settings.SMS_GATEWAY_URL = "http://127.0.0.1:9/sms"
    settings.SMS_GATEWAY_SECRET = "whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ="


def _kinds(body) -> dict:
    return {k["kind"]: k["channels"] for k in body["kinds"]}


def test_api_shows_the_defaults(people, offered):
    body = ApiClient("worker").get("/inbox/preferences").json()
    assert body["channels"] == [
        {"code": "email", "label": "邮件", "available": True},
        {"code": "sms", "label": "短信", "available": True},
    ]
    kinds = _kinds(body)
    assert set(kinds) == set(Kind.values)
    assert kinds["warning"] == ["sms"] and kinds["overdue"] == ["sms"] and kinds["order"] == []
    assert (body["quiet_start"], body["quiet_end"]) == (None, None)
    resident = ApiClient("resi").get("/inbox/preferences").json()
    assert _kinds(resident)["warning"] == []  # residents are not sent SMS by default
    assert [c["available"] for c in resident["channels"]] == [False, True]  # a phone, no email


def test_api_sets_only_the_callers_own_preferences(people, offered):
    worker = ApiClient("worker")
    response = worker.put(
        "/inbox/preferences",
        {"kinds": {"order": ["email", "inbox"], "warning": []}, "quiet_start": "22:00", "quiet_end": "07:00"},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert _kinds(body)["order"] == ["email"] and _kinds(body)["warning"] == []
    assert (body["quiet_start"], body["quiet_end"]) == ("22:00", "07:00")
    assert Preference.objects.get(user=people.worker).channels == {"order": ["email"], "warning": []}
    # another account reads and writes its own row, never the worker's
    other = ApiClient("resi")
    assert _kinds(other.get("/inbox/preferences").json())["order"] == []
    assert other.put("/inbox/preferences", {"kinds": {"order": ["sms"]}}).status_code == 200
    assert Preference.objects.get(user=people.worker).channels == {"order": ["email"], "warning": []}
    assert Preference.objects.get(user=people.resident).channels == {"order": ["sms"]}
    assert AuditEntry.objects.filter(verb="notify.preferences").count() == 2


def test_api_refusals_name_the_field(people, offered):
    api = ApiClient("bare")  # neither phone nor email
    response = api.put("/inbox/preferences", {"kinds": {"order": ["sms"]}})
    assert response.status_code == 400
    assert response.json()["code"] == "channel_unavailable" and response.json()["field"] == "kinds.order"
    response = api.put("/inbox/preferences", {"kinds": {"nonsense": []}})
    assert (response.status_code, response.json()["field"]) == (400, "kinds.nonsense")
    response = api.put("/inbox/preferences", {"quiet_start": "22:00"})
    assert (response.status_code, response.json()["field"]) == (400, "quiet_end")
    response = api.put("/inbox/preferences", {"quiet_start": "late", "quiet_end": "07:00"})
    assert (response.status_code, response.json()["field"]) == (400, "quiet_start")
    assert not Preference.objects.exists()


def test_api_needs_sign_in():
    assert ApiClient().get("/inbox/preferences").status_code == 401
    assert ApiClient().put("/inbox/preferences", {"kinds": {}}).status_code == 401


def test_the_page_offers_only_configured_channels_with_an_address(client, people, offered, settings):
    client.force_login(people.worker)
    inbox = client.get("/inbox/").content.decode()
    assert 'href="/inbox/settings/"' in inbox
    page = client.get("/inbox/settings/").content.decode()
    assert 'name="ch_order" value="email"' in page and 'name="ch_order" value="sms"' in page
    assert 'name="ch_warning" value="sms" aria-label="即将超时 · 短信" checked' in page
    assert 'value="wechat"' not in page  # not configured here
    settings.EMAIL_HOST = ""
    page = client.get("/inbox/settings/").content.decode()
    assert 'value="email"' not in page
    client.force_login(people.bare)
    page = client.get("/inbox/settings/").content.decode()
    assert 'type="checkbox"' not in page  # no phone, no email: nothing beyond the inbox to choose


def test_the_page_saves_and_shows_refusals(client, people, offered):
    client.force_login(people.worker)
    response = client.post(
        "/inbox/settings/",
        {
            "ch_order": ["email", "sms"],
            **{f"ch_{kind}": ["sms"] for kind in URGENT},
            "quiet_start": "21:30",
            "quiet_end": "06:45",
        },
    )
    assert (response.status_code, response.url) == (302, "/inbox/settings/")
    pref = Preference.objects.get(user=people.worker)
    assert pref.channels == {"order": ["email", "sms"]}  # the urgent kinds as their defaults
    assert f"{pref.quiet_start:%H:%M}-{pref.quiet_end:%H:%M}" == "21:30-06:45"
    page = client.get("/inbox/settings/").content.decode()
    assert (
        'value="21:30"' in page and 'name="ch_order" value="email" aria-label="服务单 · 邮件" checked' in page
    )
    # a kind left unticked on the page is switched off
    client.post("/inbox/settings/", {"ch_order": ["email"], "quiet_start": "21:30", "quiet_end": "06:45"})
    pref.refresh_from_db()
    assert pref.channels == {"order": ["email"], **dict.fromkeys(URGENT, [])}
    response = client.post("/inbox/settings/", {"ch_order": ["email"], "quiet_start": "21:30"})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'class="field-error"' in body and 'value="21:30"' in body


def test_the_page_needs_sign_in(client):
    response = client.get("/inbox/settings/")
    assert response.status_code == 302 and response.url.startswith("/login/")
