"""The pages (/hooks/): list, create with the secret shown once, edit, rotate, disable and enable, delete,
the delivery log with its tries and replay; and who may open them."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from gridgov.core import outbox
from gridgov.hooks.models import Subscription
from gridgov.testing.factories import PASSWORD

from .conftest import report, subscribe

pytestmark = pytest.mark.django_db


def signed_in(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


def text(response) -> str:
    return response.content.decode()


def test_staff_create_a_subscription_and_see_its_secret_once(world, rx):
    client = signed_in("district")
    page = text(client.get("/hooks/new/"))
    assert 'name="event_types" value="case.dispatched"' in page and 'maxlength="500"' in page
    assert "渭滨区" in page  # the areas of the district's scope
    assert f'<option value="{world.district.area.code}" selected>' in page  # starting from their own
    r = client.post(
        "/hooks/new/",
        {
            "name": "区级平台",
            "url": rx.url("/in"),
            "scope": "area",
            "area": "610302001",
            "event_types": ["case.created", "case.closed"],
        },
    )
    assert r.status_code == 201 and r["Cache-Control"] == "no-store"
    sub = Subscription.objects.get()
    secret = re.search(r'id="secret">(whsec_[^<]+)<', text(r)).group(1)
    assert sub.secret == secret and sub.area_code == "610302001"
    assert sub.event_types == ["case.created", "case.closed"]
    detail = text(client.get(f"/hooks/{sub.pk}/"))
    assert secret not in detail and "区级平台" in detail
    assert secret not in text(client.get("/hooks/"))


def test_a_refused_address_is_shown_on_the_url_field(world, settings):
    settings.OUTBOUND_ALLOW = []
    r = signed_in("district").post(
        "/hooks/new/",
        {"name": "内网", "url": "http://192.168.1.9/in", "area": "610302", "event_types": ["case.created"]},
    )
    assert r.status_code == 400
    page = text(r)
    assert 'id="err-url"' in page and "192.168.1.9" in page
    assert Subscription.objects.count() == 0


def test_a_unit_handler_subscribes_for_the_unit(world, rx):
    client = signed_in("ha")
    page = text(client.get("/hooks/new/"))
    assert 'name="area"' not in page and "城管执法局" in page
    r = client.post("/hooks/new/", {"name": "A", "url": rx.url("/a"), "event_types": ["case.dispatched"]})
    assert r.status_code == 201
    assert Subscription.objects.get().unit_id == world.unit_a.pk


def test_the_delivery_log_shows_each_try_and_replays(world, rx):
    rx.answers = [410, 200]
    sub, _ = subscribe(world, rx, by=world.street, area="610302001", kinds=["case.created"])
    report(world)
    outbox.deliver_all()
    client = signed_in("street")
    page = text(client.get(f"/hooks/{sub.pk}/"))
    assert "case.created" in page and 'class="attempt"' in page and "410" in page and "not today" in page
    assert 'id="disabled-reason"' in page
    assert f"/hooks/{sub.pk}/deliveries/" not in page  # no replay while disabled
    r = client.post(f"/hooks/{sub.pk}/enable/", follow=True)
    assert r.status_code == 200
    msg_pk = sub_message(sub)
    assert f"/hooks/{sub.pk}/deliveries/{msg_pk}/replay/" in text(r)
    client.post(f"/hooks/{sub.pk}/deliveries/{msg_pk}/replay/")
    outbox.deliver_all()
    page = text(client.get(f"/hooks/{sub.pk}/?state=delivered"))
    assert page.count('class="attempt"') == 2
    assert text(client.get(f"/hooks/{sub.pk}/?state=dead")).count('class="attempt"') == 0


def sub_message(sub) -> int:
    from gridgov.core.models import OutboxMessage

    return OutboxMessage.objects.get(target=str(sub.pk)).pk


def test_edit_rotate_disable_and_delete(world, rx):
    sub, secret = subscribe(world, rx, by=world.street, area="610302001")
    client = signed_in("street")
    r = client.post(
        f"/hooks/{sub.pk}/edit/", {"name": "改名", "url": rx.url("/new"), "event_types": ["case.closed"]}
    )
    assert r.status_code == 302
    sub.refresh_from_db()
    assert (sub.name, sub.url, sub.event_types) == ("改名", rx.url("/new"), ["case.closed"])
    r = client.post(f"/hooks/{sub.pk}/rotate/")
    assert r.status_code == 200 and r["Cache-Control"] == "no-store"
    new = re.search(r'id="secret">(whsec_[^<]+)<', text(r)).group(1)
    sub.refresh_from_db()
    assert new != secret and sub.secret == new and sub.previous_secret == secret
    client.post(f"/hooks/{sub.pk}/disable/")
    sub.refresh_from_db()
    assert not sub.is_active and sub.disabled_reason == "manual"
    assert client.post(f"/hooks/{sub.pk}/delete/").status_code == 302
    assert not Subscription.objects.filter(pk=sub.pk).exists()


def test_pages_are_closed_to_who_manages_no_subscription_and_out_of_scope(world, rx):
    theirs, _ = subscribe(world, rx, by=world.other_street, area="610302002")
    for username in ("resident", "worker"):
        client = signed_in(username)
        assert client.get("/hooks/").status_code == 404
        assert client.get("/hooks/new/").status_code == 404
    street = signed_in("street")
    assert street.get("/hooks/").status_code == 200
    assert f'data-id="{theirs.pk}"' not in text(street.get("/hooks/"))
    assert f'data-id="{theirs.pk}"' in text(signed_in("street2").get("/hooks/"))
    for path in ("", "edit/"):
        assert street.get(f"/hooks/{theirs.pk}/{path}").status_code == 404
    for path in ("rotate/", "disable/", "enable/", "delete/", "deliveries/1/replay/"):
        assert street.post(f"/hooks/{theirs.pk}/{path}").status_code == 404
    assert Subscription.objects.get(pk=theirs.pk).is_active
    assert Client().get("/hooks/").status_code == 302  # to the sign-in page


def test_the_navigation_links_the_page_for_who_uses_it(world):
    assert 'href="/hooks/"' in text(signed_in("street").get("/hooks/"))
    assert 'href="/hooks/"' in text(signed_in("ha").get("/inbox/"))
    assert 'href="/hooks/"' not in text(signed_in("worker").get("/inbox/"))


def test_the_admin_lists_and_shows_subscriptions_without_their_secrets(world, rx):
    from django.contrib.auth import get_user_model

    sub, secret = subscribe(world, rx)
    get_user_model().objects.filter(pk=world.admin.pk).update(is_staff=True, is_superuser=True)
    client = signed_in("root")
    listing = client.get("/admin/hooks/subscription/")
    page = client.get(f"/admin/hooks/subscription/{sub.pk}/change/")
    assert listing.status_code == 200 and page.status_code == 200
    assert sub.url in text(page)
    assert secret not in text(page) and secret not in text(listing)
    assert client.get("/admin/hooks/subscription/add/").status_code == 403
