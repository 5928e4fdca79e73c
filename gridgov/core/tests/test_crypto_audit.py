from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.db import connection

from gridgov.accounts.models import User
from gridgov.core import crypto
from gridgov.core.errors import DomainError
from gridgov.core.models import AppendOnlyError, AuditEntry
from gridgov.core.validators import normalise_phone
from gridgov.testing.factories import make_admin, make_tree, make_user

pytestmark = pytest.mark.django_db


def test_phone_encrypted_at_rest_and_found_by_keyed_hash():
    tree = make_tree()
    user = make_user(tree.admin, "s", "street", area=tree["610302001"], phone="138 1234 5678")
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM accounts_user WHERE id = %s", [user.pk])
        raw = cursor.fetchone()[0]
    assert "13812345678" not in raw and raw.startswith("gAAAA")
    assert User.objects.get(pk=user.pk).phone == "13812345678"
    assert User.objects.get(phone_hash=crypto.blind_index("13812345678")) == user
    assert user.masked_phone == "138****5678"


def test_old_key_still_decrypts_and_matches_during_rotation(settings):
    old = settings.FIELD_KEY
    token = crypto.encrypt("13812345678")
    digest = crypto.blind_index("13812345678")
    settings.FIELD_KEY = f"{Fernet.generate_key().decode()},{old}"
    assert crypto.decrypt(token) == "13812345678"
    rotated = crypto.reencrypt(token)
    assert rotated != token and crypto.decrypt(rotated) == "13812345678"
    # new writes hash under the new key; matching still finds rows hashed under the old one
    assert crypto.blind_index("13812345678") != digest
    assert digest in crypto.blind_indexes("13812345678")


def test_masks():
    assert crypto.mask_phone("13812345678") == "138****5678"
    assert crypto.mask_id_number("610302199001011234") == "6103**********1234"
    assert crypto.mask_phone("") == ""


@pytest.mark.parametrize("bad", ["1381234567", "23812345678", "abc", "010-12"])
def test_bad_phones_refused(bad):
    with pytest.raises(DomainError) as info:
        normalise_phone(bad)
    assert info.value.field == "phone" and info.value.code == "invalid_phone"


def test_good_phones():
    assert normalise_phone("+86 139-1234-5678") == "13912345678"
    assert normalise_phone("0917-3210123") == "0917-3210123"


def test_audit_entries_are_append_only():
    make_admin()
    entry = AuditEntry.objects.get(verb="user.create")
    entry.reason = "edited"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.update(reason="x")
    assert AuditEntry.objects.get(pk=entry.pk).reason == ""


def test_role_binding_rules():
    tree = make_tree()
    with pytest.raises(DomainError) as info:
        make_user(tree.admin, "g", "grid_worker", area=tree["610302001"])
    assert info.value.field == "area" and info.value.code == "area_level_mismatch"
    with pytest.raises(DomainError) as info:
        make_user(tree.admin, "u", "unit")
    assert info.value.field == "unit"
    with pytest.raises(DomainError) as info:
        make_user(tree.admin, "s", "street")
    assert info.value.field == "area" and info.value.code == "required"
    assert not User.objects.filter(username__in=["g", "u", "s"]).exists()


def test_rotate_field_key_reencrypts_and_rehashes(settings):
    from django.core.management import call_command

    tree = make_tree()
    user = make_user(tree.admin, "s", "street", area=tree["610302001"], phone="13812345678")

    def raw_phone():
        with connection.cursor() as cursor:
            cursor.execute("SELECT phone, phone_hash FROM accounts_user WHERE id = %s", [user.pk])
            return cursor.fetchone()

    before, old_hash = raw_phone()
    old_key = settings.FIELD_KEY
    new_key = Fernet.generate_key().decode()
    settings.FIELD_KEY = f"{new_key},{old_key}"
    call_command("rotate_field_key")
    after, new_hash = raw_phone()
    assert after != before and new_hash != old_hash
    # the old key can now be dropped: everything reads and matches under the new key alone
    settings.FIELD_KEY = new_key
    assert User.objects.get(phone_hash=crypto.blind_index("13812345678")).phone == "13812345678"
