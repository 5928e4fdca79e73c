"""Revealing a full ID number or phone needs the permission and a typed reason, and is audited; key rotation
re-encrypts and re-hashes the ledger so matching keeps working after the old key is dropped."""

from __future__ import annotations

import base64
import os

import pytest
from django.db import connection
from django.test import override_settings

from gridgov.core.crypto import decrypt
from gridgov.core.management.commands.rotate_field_key import rotate
from gridgov.core.models import AuditEntry
from gridgov.ledger.actions import find_resident_by_id_number
from gridgov.ledger.models import Resident
from gridgov.testing.api import ApiClient


def _reveal(username, resident, field="id_number", reason="核对低保申请材料"):
    return ApiClient(username).post(
        "/ledger/reveal", {"kind": "resident", "id": resident.pk, "field": field, "reason": reason}
    )


def test_secretary_reveals_with_a_reason_and_it_is_audited(lw):
    response = _reveal("secretary", lw.head)
    assert response.status_code == 200, response.content
    assert response.json()["value"] == lw.head.id_number
    entry = AuditEntry.objects.get(verb="ledger.reveal")
    assert entry.actor.username == "secretary"
    assert entry.object_id == str(lw.head.pk)
    assert entry.reason == "核对低保申请材料"
    assert entry.after == {"field": "id_number"}
    phone = _reveal("secretary", lw.head, field="phone", reason="电话回访")
    assert phone.json()["value"] == "13912345678"
    assert AuditEntry.objects.filter(verb="ledger.reveal").count() == 2


def test_reveal_without_permission_is_refused_and_not_logged_as_a_reveal(lw):
    response = _reveal("colleague", lw.head)
    assert response.status_code == 403
    assert lw.head.id_number not in response.content.decode()
    assert not AuditEntry.objects.filter(verb="ledger.reveal").exists()


@pytest.mark.parametrize("reason", ["", " ", "x"])
def test_reveal_needs_a_typed_reason(lw, reason):
    response = _reveal("secretary", lw.head, reason=reason)
    assert response.status_code == 400
    assert response.json()["field"] == "reason"
    assert not AuditEntry.objects.filter(verb="ledger.reveal").exists()


def test_reveal_outside_scope_is_not_found_even_with_permission(lw):
    response = _reveal("secretary", lw.other_head)
    assert response.status_code == 404
    assert not AuditEntry.objects.filter(verb="ledger.reveal").exists()


def test_only_personal_fields_can_be_revealed(lw):
    response = _reveal("secretary", lw.head, field="name")
    assert response.status_code == 400 and response.json()["field"] == "field"


def _new_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def test_key_rotation_reencrypts_rehashes_and_keeps_matching(lw, settings):
    old_key = settings.FIELD_KEY.split(",")[0]
    new_key = _new_key()
    head_id_number = lw.head.id_number
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number FROM ledger_resident WHERE id = %s", [lw.head.pk])
        (before,) = cursor.fetchone()
    with override_settings(FIELD_KEY=f"{new_key},{old_key}"):
        # During the rotation, matching still finds the row hashed under the old key.
        assert find_resident_by_id_number(head_id_number) == lw.head
        counts = rotate(batch_size=1)
        assert counts["ledger.Resident"] == 4
    with override_settings(FIELD_KEY=new_key):
        with connection.cursor() as cursor:
            cursor.execute("SELECT id_number FROM ledger_resident WHERE id = %s", [lw.head.pk])
            (after,) = cursor.fetchone()
        assert after != before
        assert decrypt(after) == head_id_number
        # Only the new key is left: values decrypt and the re-computed hashes match.
        assert Resident.objects.get(pk=lw.head.pk).id_number == head_id_number
        assert find_resident_by_id_number(head_id_number) == lw.head
        response = ApiClient("secretary").post("/residents/search", {"q": head_id_number})
        assert [r["id"] for r in response.json()["items"]] == [lw.head.pk]
