"""Personal data at rest (个人信息保护): encrypted fields, keyed hashes for matching, masking.

Values are encrypted with Fernet (AES-128-CBC + HMAC-SHA256) under ``GRIDGOV_FIELD_KEY``. The setting
may hold several keys separated by commas: the first encrypts, every one decrypts, so a key can be
rotated by prepending the new key and re-encrypting. Lookups and duplicate checks use an HMAC-SHA256
"blind index" keyed from the newest key's material, so equal values are found without decrypting
anything. While a rotation is under way, matching uses :func:`blind_indexes` (one hash per configured
key); re-encrypting also re-hashes, after which the old key can be dropped entirely.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


def _keys(raw: str) -> list[bytes]:
    keys = [k.strip().encode() for k in raw.split(",") if k.strip()]
    if not keys:
        raise ImproperlyConfigured("GRIDGOV_FIELD_KEY is empty")
    for key in keys:
        try:
            if len(base64.urlsafe_b64decode(key)) != 32:
                raise ValueError
        except ValueError as exc:
            raise ImproperlyConfigured(
                "GRIDGOV_FIELD_KEY must be urlsafe-base64 of 32 bytes (see docs/deploy.md)"
            ) from exc
    return keys


@lru_cache(maxsize=8)
def _fernet(raw: str) -> MultiFernet:
    return MultiFernet([Fernet(k) for k in _keys(raw)])


@lru_cache(maxsize=8)
def _hash_keys(raw: str) -> list[bytes]:
    return [
        hashlib.sha256(b"gridgov-blind-index:" + base64.urlsafe_b64decode(k)).digest() for k in _keys(raw)
    ]


def encrypt(value: str) -> str:
    return _fernet(settings.FIELD_KEY).encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet(settings.FIELD_KEY).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ImproperlyConfigured("an encrypted field cannot be read with GRIDGOV_FIELD_KEY") from exc


def reencrypt(token: str) -> str:
    """Re-encrypt ``token`` under the first (newest) key."""
    return _fernet(settings.FIELD_KEY).rotate(token.encode()).decode()


def blind_index(value: str) -> str:
    """The keyed hash stored beside an encrypted value (under the newest key)."""
    return hmac.new(_hash_keys(settings.FIELD_KEY)[0], value.encode(), hashlib.sha256).hexdigest()


def blind_indexes(value: str) -> list[str]:
    """The value's hash under every configured key: match with ``field__in`` during a rotation."""
    return [hmac.new(k, value.encode(), hashlib.sha256).hexdigest() for k in _hash_keys(settings.FIELD_KEY)]


def mask_phone(value: str) -> str:
    """``13812345678`` → ``138****5678``; other lengths keep the first 3 and last 4 where they can."""
    if not value:
        return ""
    if len(value) <= 7:
        return value[0] + "*" * (len(value) - 1)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_id_number(value: str) -> str:
    """``610302199001011234`` → ``6103**********1234``."""
    if not value:
        return ""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


class EncryptedTextField(models.TextField):
    """A text column stored as Fernet ciphertext; Python sees the plain value."""

    def from_db_value(self, value, expression, connection):  # noqa: ARG002
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)
