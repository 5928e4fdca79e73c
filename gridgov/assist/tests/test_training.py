"""Training the suggester from the database: examples and their labels, the job and its row, the stored
file, the not-worse rule, the active model per process, recovery and the command."""

from __future__ import annotations

import hashlib
import json
import random
from datetime import datetime, timedelta
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gridgov.assist import training
from gridgov.assist.models import SuggesterModel
from gridgov.cases import actions
from gridgov.cases.models import Case, Category, RoutingRule
from gridgov.cases.selectors import propose_routing
from gridgov.cases.tests.conftest import TZ, World, build_world, report

pytestmark = pytest.mark.django_db
State = SuggesterModel.State

T0 = datetime(2024, 3, 1, 8, 0, tzinfo=TZ)
WORDS = {
    "litter": ["垃圾堆放多日", "垃圾桶满了没人清运", "乱倒建筑垃圾"],
    "road": ["井盖松动", "路面塌陷", "人行道破损"],
    "light": ["路灯不亮", "路灯闪烁", "灯杆倾斜"],
}
GRIDS = ["610302001001001", "610302001002002", "610302002001001", "610302002002002"]


@pytest.fixture(autouse=True)
def _assist(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.ASSIST_MIN_EXAMPLES = 50
    settings.ASSIST_TRAINING_INLINE = True
    settings.ASSIST_SEED = 0
    training.forget_active()
    yield
    training.forget_active()


@pytest.fixture
def world() -> World:
    w = build_world()
    road = Category.objects.create(code="road", name="道路设施")
    light = Category.objects.create(code="light", name="路灯")
    RoutingRule.objects.create(category=road, area=w.tree["610302001"], lead_unit=w.unit_b)
    RoutingRule.objects.create(category=road, area=w.tree["610302002"], lead_unit=w.unit_c)
    RoutingRule.objects.create(category=light, area=w.tree["610302"], lead_unit=w.unit_b)
    return w


def unit_of(world: World, code: str, grid: str):
    if code == "road":
        return world.unit_b if grid.startswith("610302001") else world.unit_c
    return world.unit_b if code == "light" else world.unit_a


def history(world: World, n: int = 240, seed: int = 1, start: datetime = T0) -> list[Case]:
    """``n`` closed historical cases, one an hour from ``start``, whose unit follows the routing rules."""
    rng = random.Random(seed)
    cats = {c.code: c for c in Category.objects.filter(code__in=WORDS)}
    rows = []
    for i in range(n):
        code = rng.choice(sorted(WORDS))
        grid = world.tree[rng.choice(GRIDS)]
        rows.append(
            Case(
                ref=f"LS-{seed}-{i:05d}",
                category=cats[code],
                description=f"{rng.choice(['小区门口', '楼下', '幸福路'])}{rng.choice(WORDS[code])}，请尽快处理",
                area=grid,
                area_code=grid.code,
                level="grid",
                handling_area=grid,
                state="closed",
                channel="api",
                reported_at=start + timedelta(hours=i),
                lead_unit=unit_of(world, code, grid.code),
                reporter_name="张建国",
                historical=True,
            )
        )
    return Case.objects.bulk_create(rows)


def train(**kw) -> SuggesterModel:
    model = training.request_training(trigger=SuggesterModel.Trigger.COMMAND, **kw)
    model.refresh_from_db()
    return model


def test_first_training_is_activated_with_its_figures_file_and_digest(world, settings):
    history(world)
    model = train()
    assert model.state == State.ACTIVE, model.message
    assert (model.train_size, model.test_size) == (192, 48)
    assert model.split_at == T0 + timedelta(hours=192)
    m = model.metrics
    assert m["category"]["macro_f1"] > 0.9 and m["unit"]["accuracy"] > 0.9
    assert m["category"]["baselines"]["most_frequent"]["accuracy"] < 0.6
    assert m["unit"]["baselines"]["rules"]["accuracy"] == 1.0
    assert m["decision"]["replaced"] is True and m["decision"]["against"] is None
    assert set(model.curves) == set(WORDS)
    assert model.path == "assist/suggester-v1.npz"
    data = (Path(settings.MEDIA_ROOT) / model.path).read_bytes()
    assert hashlib.sha256(data).hexdigest() == model.sha256 and len(data) == model.size_bytes
    assert model.params["seed"] == 0 and model.params["n_features"] == 2**18
    assert model.started_at and model.finished_at


def test_same_data_and_seed_give_the_same_digest_and_figures_and_the_new_one_replaces_the_old(world):
    history(world)
    first = train(seed=5)
    second = train(seed=5)
    assert second.sha256 == first.sha256
    assert {k: v for k, v in second.metrics.items() if k != "decision"} == {
        k: v for k, v in first.metrics.items() if k != "decision"
    }
    first.refresh_from_db()
    assert (first.state, second.state) == (State.RETIRED, State.ACTIVE)
    assert second.metrics["decision"]["against"] == 1
    assert second.metrics["decision"]["old"] == second.metrics["decision"]["new"]


def test_a_model_trained_on_corrupted_labels_is_rejected_and_the_old_stays_active(world):
    cases = history(world)
    good = train()
    # The past (the new training set) gets shuffled categories; the recent test cases stay true.
    rng = random.Random(9)
    cats = list(Category.objects.filter(code__in=WORDS))
    for case in cases[:192]:
        case.category = rng.choice(cats)
    Case.objects.bulk_update(cases[:192], ["category"])
    bad = train()
    good.refresh_from_db()
    assert bad.state == State.REJECTED and good.state == State.ACTIVE
    d = bad.metrics["decision"]
    assert d["replaced"] is False and d["against"] == good.version
    assert d["new"]["category_macro_f1"] < d["old"]["category_macro_f1"]
    assert "v1" in bad.message
    assert training.active().version == good.version


def test_the_dispatchers_decision_is_the_label(world):
    history(world, n=60)
    changed = report(world, by=world.resident, description="路口的井盖松动了").case
    actions.case_recategorise(ref=changed.ref, by=world.street, category_code="road")
    actions.case_accept(ref=changed.ref, by=world.street)
    actions.case_dispatch(ref=changed.ref, by=world.street, lead_unit_id=world.unit_c.pk)
    waiting = report(world, by=world.resident, description="路灯不亮，等待受理").case
    refused = report(world, by=world.resident, description="垃圾桶被拿走了，不予受理").case
    actions.case_reject(ref=refused.ref, by=world.street, reason="不属实")
    examples = training.load_examples()
    assert len(examples) == 61
    mine = [e for e in examples if "井盖松动了" in e.text]
    assert len(mine) == 1 and mine[0].category == "road" and mine[0].unit == str(world.unit_c.pk)
    assert not any("等待受理" in e.text or "不予受理" in e.text for e in examples)
    assert [e.at for e in examples] == sorted(e.at for e in examples)
    assert waiting.state == "reported"


def test_examples_are_cleaned_with_the_reporters_name(world):
    history(world, n=3)
    Case.objects.update(description="我家门口垃圾没人管，张建国，电话13812345678")
    for e in training.load_examples():
        assert "张建国" not in e.text and "138" not in e.text and e.cleaned


def test_the_active_model_is_loaded_once_per_version_with_one_query(world, settings):
    history(world)
    first = train()
    s = training.active()
    assert s is not None and s.version == first.version
    with CaptureQueriesContext(connection) as q:
        again = training.active()
    assert again is s and len(q) == 1
    assert s.categories("井盖松动")[0].label == "road"
    second = train()
    assert second.state == State.ACTIVE
    assert training.active().version == second.version
    # A file that no longer matches its digest is refused (logged), not served.
    path = Path(settings.MEDIA_ROOT) / second.path
    path.write_bytes(path.read_bytes() + b"x")
    training.forget_active()
    assert training.active() is None
    SuggesterModel.objects.filter(state=State.ACTIVE).update(state=State.RETIRED)
    assert training.active() is None


def test_too_little_data_fails_with_a_clear_message(world):
    history(world, n=20)
    model = train()
    assert model.state == State.FAILED
    assert "20" in model.message and "50" in model.message
    assert training.active() is None


def test_a_training_left_by_a_dead_process_is_restarted_once_then_failed(world):
    history(world)
    model = training.request_training(trigger=SuggesterModel.Trigger.SCHEDULE, start=False)
    long_ago = timezone.now() - timedelta(hours=2)
    SuggesterModel.objects.filter(pk=model.pk).update(started_at=long_ago, heartbeat_at=long_ago)
    assert training.training_recover() == [model.pk]
    model.refresh_from_db()
    assert model.state == State.ACTIVE and model.params["attempts"] == 1
    stuck = training.request_training(trigger=SuggesterModel.Trigger.SCHEDULE, start=False)
    SuggesterModel.objects.filter(pk=stuck.pk).update(
        started_at=long_ago, heartbeat_at=long_ago, params={"attempts": 2}
    )
    assert training.training_recover() == []
    stuck.refresh_from_db()
    assert stuck.state == State.FAILED and stuck.message
    fresh = training.request_training(trigger=SuggesterModel.Trigger.SCHEDULE, start=False)
    assert training.training_recover() == []  # not stale yet
    assert SuggesterModel.objects.get(pk=fresh.pk).state == State.TRAINING


def test_the_rule_baseline_proposes_what_propose_routing_proposes(world):
    child = Category.objects.create(code="road_hole", name="坑洼", parent=Category.objects.get(code="road"))
    rule_unit = training.rule_unit_function()
    for code in ("litter", "road", "light", "road_hole"):
        for grid in GRIDS:
            lead, _ = propose_routing(Case(category=Category.objects.get(code=code), area_code=grid))
            assert rule_unit(code, grid) == (str(lead.pk) if lead else None), (code, grid)
    assert rule_unit(child.code, "999") is None


def test_the_command_prints_the_figures_and_json(world):
    history(world)
    out = StringIO()
    call_command("train_suggester", "--seed", "3", stdout=out)
    text = out.getvalue()
    assert "v1" in text and "litter" in text and "F1" in text
    out = StringIO()
    call_command("train_suggester", "--seed", "3", "--test-fraction", "0.25", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["version"] == 2 and data["state"] == "active" and data["test_size"] == 60
    assert data["metrics"]["decision"]["against"] == 1
    assert data["metrics"]["unit"]["baselines"]["rules"]["accuracy"] == 1.0
    assert Decimal(str(data["curves"]["road"][0]["threshold"])) == Decimal("0.5")
