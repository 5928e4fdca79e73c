"""Client applications' keys: issued once, kept only as a prefix and a keyed hash, rotated, revoked — in
the admin and on the command line."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from gridgov.core.crypto import blind_index
from gridgov.core.errors import DomainError
from gridgov.core.models import AuditEntry
from gridgov.open311 import actions
from gridgov.open311.models import ClientApp
from gridgov.testing.factories import PASSWORD, make_user

from .conftest import parse, report

pytestmark = pytest.mark.django_db
KEY = re.compile(r"\b[0-9a-f]{10}\.[A-Za-z0-9_-]{43}\b")


def everything_stored() -> str:
    out = io.StringIO()
    call_command("dumpdata", stdout=out)
    return out.getvalue()


def test_the_key_is_kept_only_as_prefix_and_keyed_hash(world):
    app = ClientApp.objects.get(pk=world.app.pk)
    prefix, _secret = world.key.split(".")
    assert app.key_prefix == prefix
    assert app.key_hash == blind_index(world.key)
    assert world.key not in everything_stored()
    assert _secret not in everything_stored()
    entry = AuditEntry.objects.get(verb="open311.app.create")
    assert entry.after["key_prefix"] == prefix


def test_using_a_key_marks_the_application_used(client, world):
    assert ClientApp.objects.get(pk=world.app.pk).last_used_at is None
    assert report(client, world).status_code == 201
    assert ClientApp.objects.get(pk=world.app.pk).last_used_at is not None


def test_a_key_hashed_under_an_older_field_key_still_works_and_is_rehashed(client, world, settings):
    from cryptography.fernet import Fernet

    old = settings.FIELD_KEY.split(",")[0]
    settings.FIELD_KEY = f"{Fernet.generate_key().decode()},{old}"
    assert report(client, world).status_code == 201
    assert ClientApp.objects.get(pk=world.app.pk).key_hash == blind_index(world.key)


def test_only_administrators_manage_keys(world):
    staff = make_user(world.tree.admin, "street", "street", area=world.tree["610302001"])
    with pytest.raises(DomainError) as info:
        actions.client_app_create(by=staff, name="某应用")
    assert info.value.status == 403
    with pytest.raises(DomainError) as info:
        actions.client_app_revoke(by=staff, app=world.app)
    assert info.value.status == 403


def test_a_name_is_taken_once(world):
    with pytest.raises(DomainError) as info:
        actions.client_app_create(by=None, name=world.app.name)
    assert (info.value.status, info.value.field) == (409, "name")


def test_admin_add_shows_the_key_once_and_does_not_keep_it(client, world):
    client.login(username=world.tree.admin.username, password=PASSWORD)
    response = client.post(
        "/admin/open311/clientapp/add/", {"name": "市12345平台", "contact": "信息科", "rate_limit": "60"}
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    [key] = KEY.findall(response.content.decode())
    app = ClientApp.objects.get(name="市12345平台")
    assert (app.key_prefix, app.key_hash, app.rate_limit) == (key.split(".")[0], blind_index(key), 60)
    assert key not in everything_stored()
    page = client.get(f"/admin/open311/clientapp/{app.pk}/change/").content.decode()
    assert app.key_prefix in page
    assert key not in page
    assert report(client, world, api_key=key).status_code == 201


def test_admin_rotates_and_revokes(client, world):
    client.login(username=world.tree.admin.username, password=PASSWORD)
    changelist = "/admin/open311/clientapp/"
    response = client.post(changelist, {"action": "rotate_keys", "_selected_action": [world.app.pk]})
    assert response.status_code == 200
    [key] = KEY.findall(response.content.decode())
    assert report(client, world).status_code == 403
    assert report(client, world, api_key=key).status_code == 201
    response = client.post(changelist, {"action": "revoke_keys", "_selected_action": [world.app.pk]})
    assert response.status_code == 302
    assert report(client, world, api_key=key).status_code == 403
    assert not ClientApp.objects.get(pk=world.app.pk).is_active
    assert client.post(f"/admin/open311/clientapp/{world.app.pk}/delete/").status_code == 403


def test_admin_edits_are_audited(client, world):
    client.login(username=world.tree.admin.username, password=PASSWORD)
    response = client.post(
        f"/admin/open311/clientapp/{world.app.pk}/change/",
        {"name": world.app.name, "contact": "张工", "rate_limit": "30"},
    )
    assert response.status_code == 302
    assert ClientApp.objects.get(pk=world.app.pk).rate_limit == 30
    assert AuditEntry.objects.filter(verb="admin.change", object_type="open311.clientapp").exists()


def test_the_command_creates_rotates_revokes_and_lists(client, world):
    out, err = io.StringIO(), io.StringIO()
    call_command("open311_key", "create", "区政务服务平台", "--rate-limit", "0", stdout=out, stderr=err)
    key = out.getvalue().strip()
    assert KEY.fullmatch(key)
    assert key not in everything_stored()
    assert report(client, world, api_key=key).status_code == 201
    out = io.StringIO()
    call_command("open311_key", "rotate", "区政务服务平台", stdout=out, stderr=io.StringIO())
    new_key = out.getvalue().strip()
    assert report(client, world, api_key=key).status_code == 403
    assert report(client, world, api_key=new_key).status_code == 201
    call_command("open311_key", "revoke", "区政务服务平台", stdout=io.StringIO())
    assert report(client, world, api_key=new_key).status_code == 403
    out = io.StringIO()
    call_command("open311_key", "list", stdout=out)
    assert "区政务服务平台" in out.getvalue()
    assert new_key not in out.getvalue()
    with pytest.raises(CommandError):
        call_command("open311_key", "rotate", "没有这个应用", stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command("open311_key", "create", "区政务服务平台", stdout=io.StringIO(), stderr=io.StringIO())


def test_the_answer_to_a_report_carries_no_key(client, world):
    response = report(client, world)
    assert world.key not in response.content.decode()
    assert parse(response, "json")[0]["token"] != world.key


def test_staff_who_are_not_administrators_cannot_open_the_applications(client, world):
    from django.contrib.auth.models import Permission

    staff = make_user(world.tree.admin, "district", "district", area=world.tree["610302"])
    staff.is_staff = True
    staff.save(update_fields=["is_staff"])
    staff.user_permissions.set(Permission.objects.filter(content_type__app_label="open311"))
    client.login(username="district", password=PASSWORD)
    assert client.get("/admin/open311/clientapp/").status_code == 403
    assert client.get("/admin/open311/clientapp/add/").status_code == 403
