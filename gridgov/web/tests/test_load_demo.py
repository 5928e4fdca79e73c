"""``gridgov load_demo``: every app's demo loader, run twice without doubling anything."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from gridgov.accounts.demo import DEMO_PASSWORD
from gridgov.accounts.models import User
from gridgov.areas.models import Area

pytestmark = pytest.mark.django_db


def test_load_demo_is_idempotent_and_creates_demo_accounts(capsys):
    call_command("load_demo")
    first = capsys.readouterr().out
    assert "gridworker" in first and DEMO_PASSWORD in first
    counts = (Area.objects.count(), User.objects.count())
    call_command("load_demo")
    assert (Area.objects.count(), User.objects.count()) == counts
    assert Area.objects.filter(level="grid", kind="basic").count() == 365
    assert Area.objects.filter(level="community").count() == 68
    usernames = set(User.objects.values_list("username", flat=True))
    assert {
        "admin",
        "district",
        "street",
        "community",
        "gridworker",
        "unit",
        "resident",
        "volunteer",
        "lawyer",
        "canteen",  # service providers' handlers (orders demo)
        "repairman",
    } <= usernames
    # the points demo's volunteers
    assert {u for u in usernames if u.startswith("zyz")} == {f"zyz{i:02d}" for i in range(1, 13)}
    worker = User.objects.get(username="gridworker")
    assert worker.check_password(DEMO_PASSWORD) and worker.area.level == "grid"
    assert User.objects.get(username="unit").unit is not None
