"""The duty card's code (码上便知): a signed token ``<grid code>.<nonce>:<signature>`` in the card's URL.

The signature (Django's signer, keyed by ``SECRET_KEY`` and a salt of its own) makes a code impossible to
forge or to edit into another grid's; the nonce is the card's current one, so revoking (a new nonce)
retires every code printed before. The card points to the grid, never to a person: when the grid's
worker changes, the printed code stays right.
"""

from __future__ import annotations

import io

import segno
from django.core import signing
from django.urls import reverse

from gridgov.party.models import DutyCard

SALT = "gridgov.party.duty-card"


def token_for(card: DutyCard) -> str:
    return signing.Signer(salt=SALT).sign(f"{card.area_code}.{card.nonce}")


def card_for_token(token: str) -> DutyCard | None:
    """The card a code names, or ``None`` for a code that is tampered with, malformed or revoked."""
    try:
        value = signing.Signer(salt=SALT).unsign(token or "")
    except signing.BadSignature:
        return None
    code, _dot, nonce = value.partition(".")
    card = DutyCard.objects.select_related("grid", "grid__parent").filter(area_code=code).first()
    if card is None or not nonce or nonce != card.nonce or not card.grid.is_active:
        return None
    return card


def card_path(card: DutyCard) -> str:
    return reverse("party:card", args=[token_for(card)])


def qr_svg(url: str) -> bytes:
    """The QR code of ``url`` as an SVG document (black on white, a quiet zone of four modules)."""
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=6, dark="#000", light="#fff", border=4, svgns=True)
    return out.getvalue()
