"""docs/webhooks.md tells the truth: its event catalogue is the computed one, and its verification code —
taken from the document as it stands — accepts real deliveries and refuses tampered ones."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

from gridgov.core import outbox
from gridgov.hooks.actions import subscription_rotate_secret
from gridgov.hooks.subjects import catalogue

from .conftest import report, subscribe

DOC = Path(settings.REPO_DIR) / "docs" / "webhooks.md"


def _section(title: str) -> str:
    return DOC.read_text(encoding="utf-8").split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_the_documented_catalogue_is_the_computed_one():
    rows = re.findall(
        r"^\| `([a-z_]+\.[a-z_]+)` \| `([a-z_]+)` \|", _section("Event catalogue"), re.MULTILINE
    )
    assert rows == [(e.type, e.action) for e in catalogue()]


def _documented_verifier():
    code = _section("Verifying a delivery (Python, standard library only)").split("```python\n", 1)[1]
    namespace: dict = {}
    exec(compile(code.split("```", 1)[0], str(DOC), "exec"), namespace)  # noqa: S102
    imported = set(re.findall(r"^import (\w+)", code.split("```", 1)[0], re.MULTILINE))
    assert imported <= {"base64", "hashlib", "hmac", "time"}  # the standard library only
    return namespace["verify_webhook"]


@pytest.mark.django_db
def test_the_documented_verifier_accepts_deliveries_and_refuses_tampering(world, rx):
    verify_webhook = _documented_verifier()
    sub, old = subscribe(world, rx, kinds=["case.created"])
    report(world)
    outbox.deliver_all()  # signed with the one secret
    _, new = subscription_rotate_secret(by=world.admin, subscription=sub.pk)
    report(world)
    outbox.deliver_all()  # signed with both while the rotation's overlap runs
    first, second = ({k.lower(): v for k, v in r.headers.items()} for r in rx.requests)
    body1, body2 = (r.body for r in rx.requests)
    assert verify_webhook(old, first, body1) and not verify_webhook(new, first, body1)
    assert verify_webhook(old, second, body2) and verify_webhook(new, second, body2)
    stranger = "whsec_" + "A" * 32
    for headers, body in ((first, body1), (second, body2)):
        assert not verify_webhook(stranger, headers, body)
        assert not verify_webhook(old, headers, body + b" ")
        assert not verify_webhook(old, {**headers, "webhook-timestamp": "1000000000"}, body)
        assert not verify_webhook(old, {k: v for k, v in headers.items() if k != "webhook-id"}, body)
