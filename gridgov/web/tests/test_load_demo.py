"""``gridgov load_demo``: every app's demo loader, run twice without doubling anything."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from gridgov.accounts.demo import DEMO_PASSWORD
from gridgov.accounts.models import User
from gridgov.areas.models import Area
from gridgov.assist.models import CategoryAlias, SuggesterModel
from gridgov.cases.models import Case

pytestmark = pytest.mark.django_db


def test_load_demo_is_idempotent_and_creates_demo_accounts(capsys):
    call_command("load_demo")
    first = capsys.readouterr().out
    assert "gridworker" in first and DEMO_PASSWORD in first
    # the demo's past, at the suite's size (conftest: 300 per category, 12 categories), and its first model
    assert "已导入 3600 条历史工单" in first and "智能建议模型 v1" in first
    assert CategoryAlias.objects.filter(name="违停", category__code="illegal_parking").exists()
    active = SuggesterModel.objects.get(state=SuggesterModel.State.ACTIVE)
    assert active.trigger == SuggesterModel.Trigger.DEMO
    counts = (Area.objects.count(), User.objects.count(), Case.objects.filter(historical=True).count())
    assert counts[2] == 3600
    call_command("load_demo")
    assert (
        Area.objects.count(),
        User.objects.count(),
        Case.objects.filter(historical=True).count(),
    ) == counts
    assert SuggesterModel.objects.filter(state=SuggesterModel.State.ACTIVE).get() == active
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
