"""Tokens of Open311 reports (``tokens/{token}``).

gridgov numbers a case when it takes it in, so a token never waits for its service request id and needs
no row of its own: it is the case's number with a keyed check of it (``SECRET_KEY``), which keeps tokens
from being made up."""

from __future__ import annotations

import hmac

from django.utils.crypto import salted_hmac

SALT = "gridgov.open311.token"


def token_for(ref: str) -> str:
    """The token of the report that made case ``ref``."""
    return f"{ref}.{salted_hmac(SALT, ref, algorithm='sha256').hexdigest()[:20]}"


def ref_of_token(token: str) -> str | None:
    """The case number a token stands for, or ``None`` for a token this platform did not issue."""
    ref, _dot, _check = token.rpartition(".")
    return ref if ref and hmac.compare_digest(token_for(ref), token) else None
