"""Suggestions on cases: offered at intake, applied only under a threshold the figures support, answered by
the dispatcher (page and API), settled by the dispatch, kept as the next training's labels, and seen only by
the case's dispatchers."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings

from gridgov.assist import history, suggest, training
from gridgov.assist.engine import Suggester
from gridgov.assist.models import SuggesterModel, Suggestion, Threshold
from gridgov.cases import actions
from gridgov.cases.models import Case, CaseEvent, Category
from gridgov.cases.tests.conftest import build_world, report
from gridgov.core.models import AuditEntry
from gridgov.core.text import MARKS
from gridgov.testing.api import ApiClient

pytestmark = [pytest.mark.django_db(transaction=False)]

TZ = ZoneInfo("Asia/Shanghai")
# How residents word three kinds of problem (a few pieces, combined at random).
PIECES = {
    "litter": (["垃圾", "垃圾桶", "生活垃圾", "建筑垃圾"], ["堆放", "满溢", "没人清运", "臭气熏天", "乱倒"]),
    "lane": (
        ["摊贩", "水果摊", "早市摊点", "门店"],
        ["占道经营", "占用人行道", "堵住通道", "跨门营业", "乱摆摊"],
    ),
    "road": (["路面", "人行道地砖", "井盖", "马路"], ["破损", "塌陷", "松动", "坑洼积水", "裂缝很大"]),
}
PLACES = ["小区门口", "楼下", "菜市场旁", "东门", "路口", "单元门前"]
GRID = "610302001001001"


def texts(code: str, n: int, rng: random.Random) -> list[str]:
    things, problems = PIECES[code]
    return [
        f"{rng.choice(PLACES)}{rng.choice(things)}{rng.choice(problems)}，{rng.choice(['希望尽快处理', '请管一管', '好几天了'])}"
        for _ in range(n)
    ]


@pytest.fixture
def world():
    w = build_world()
    Category.objects.create(code="lane", name="占道经营")
    Category.objects.create(code="road", name="道路破损")
    return w


def train(world, per_category: int = 100) -> SuggesterModel:
    """A model trained on history written as residents write: litter handled by 城管执法局 (unit_a), lane
    by 城管 too, road by 住建局 (unit_b)."""
    rng = random.Random(5)
    units = {"litter": "城管执法局", "lane": "城管执法局", "road": "住建局"}
    start = datetime(2025, 1, 1, 9, tzinfo=TZ)
    rows = [(code, text) for code in PIECES for text in texts(code, per_category, rng)]
    rng.shuffle(rows)  # the kinds of problem come mixed over time, so the most recent ones hold all three
    rows = [
        {
            "reported_at": start + timedelta(hours=7 * i),
            "text": text,
            "category": code,
            "unit": units[code],
            "grid": GRID,
        }
        for i, (code, text) in enumerate(rows)
    ]
    job = history.import_rows(rows, by=world.tree.admin, on_unmapped="refuse")
    assert job.rows_created == len(rows), job.errors
    with override_settings(ASSIST_MIN_EXAMPLES=50):
        model = training.run_training(training.request_training(trigger="command", seed=3, start=False).pk)
    assert model.state == SuggesterModel.State.ACTIVE, model.message
    suggest.forget()
    return model


@pytest.fixture
def model(world):
    return train(world)


def lane_report(world, **kwargs):
    kwargs.setdefault("description", "菜市场旁水果摊占道经营，堵住通道，联系人王阿姨 13812345678")
    return report(world, by=world.resident, **kwargs).case


def curve(precision: float, n: int) -> list[dict]:
    return [{"threshold": t, "n": n, "precision": precision, "coverage": 0.5} for t in (0.5, 0.55, 0.6, 0.99)]


def test_a_report_gets_the_top_three_categories_with_confidence_and_its_own_words(world, model):
    case = lane_report(world)
    s = Suggestion.objects.get(case=case, kind="category")
    assert s.outcome == "pending" and s.model_version == model.version
    assert [o["code"] for o in s.options][0] == "lane"
    assert len(s.options) == 3
    assert sum(o["confidence"] for o in s.options) <= 1.0001
    assert s.options[0]["confidence"] > s.options[1]["confidence"]
    words = [w for o in s.options for w in o["words"]]
    assert words, "the suggestion says what drove it"
    for w in words:
        assert w in case.description or w.lower() in case.description.lower()
        assert not any(m in w for m in MARKS)
        assert "王" not in w and "1381" not in w and "5678" not in w
    Case.objects.get(pk=case.pk, category__code="litter")  # only advice: the report keeps its category


def test_no_model_no_suggestion(world):
    case = lane_report(world)
    assert not Suggestion.objects.filter(case=case).exists()


def test_a_threshold_applies_a_suggestion_only_where_the_measured_precision_reaches_the_required_one(
    world, model
):
    lane = Category.objects.get(code="lane")
    SuggesterModel.objects.filter(pk=model.pk).update(curves={"lane": curve(0.80, 50)})
    Threshold.objects.create(category=lane, confidence="0.50", min_precision="0.90")
    below = lane_report(world)
    assert Case.objects.get(pk=below.pk).category.code == "litter"
    assert Suggestion.objects.get(case=below).outcome == "pending"

    Threshold.objects.filter(category=lane).update(min_precision="0.80")
    applied = lane_report(world)
    case = Case.objects.get(pk=applied.pk)
    assert case.category.code == "lane"
    s = Suggestion.objects.get(case=applied, kind="category")
    assert s.outcome == "automatic" and s.category == lane
    step = CaseEvent.objects.get(case=applied, action="recategorise")
    assert step.actor is None and step.data["from"] == "litter" and step.data["to"] == "lane"

    # too few held-out cases behind the precision, or a threshold switched off: advice only again
    SuggesterModel.objects.filter(pk=model.pk).update(curves={"lane": curve(0.95, 5)})
    assert Case.objects.get(pk=lane_report(world).pk).category.code == "litter"
    SuggesterModel.objects.filter(pk=model.pk).update(curves={"lane": curve(0.95, 50)})
    Threshold.objects.filter(category=lane).update(is_active=False)
    assert Case.objects.get(pk=lane_report(world).pk).category.code == "litter"


def test_a_threshold_above_the_confidence_does_not_apply(world, model):
    lane = Category.objects.get(code="lane")
    SuggesterModel.objects.filter(pk=model.pk).update(curves={"lane": curve(1.0, 50)})
    Threshold.objects.create(category=lane, confidence="0.99", min_precision="0.50")
    case = lane_report(world, description="路口有点乱")  # a vague text: far from 0.99 sure
    assert Suggestion.objects.get(case=case).options[0]["confidence"] < 0.99
    assert Case.objects.get(pk=case.pk).category.code == "litter"


def test_the_dispatcher_accepts_changes_or_rejects_on_the_page(client, world, model):
    client.force_login(world.street)
    accepted = lane_report(world)
    page = client.get(f"/cases/{accepted.ref}/").content.decode()
    assert 'id="suggestions"' in page and "占道经营" in page
    assert "13812345678" not in page.split('id="suggestions"')[1].split("</section>")[0]
    response = client.post(
        f"/assist/cases/{accepted.ref}/category/", {"decision": "accept", "category": "lane"}
    )
    assert response.status_code == 302
    s = Suggestion.objects.get(case=accepted)
    assert (s.outcome, s.category.code, s.decided_by) == ("accepted", "lane", world.street)
    assert Case.objects.get(pk=accepted.pk).category.code == "lane"
    again = client.post(f"/assist/cases/{accepted.ref}/category/", {"decision": "reject"}, follow=True)
    assert "已处理" in again.content.decode()

    kept = lane_report(world)
    client.post(f"/assist/cases/{kept.ref}/category/", {"decision": "reject"})
    s = Suggestion.objects.get(case=kept)
    assert (s.outcome, s.category.code) == ("rejected", "litter")
    assert Case.objects.get(pk=kept.pk).category.code == "litter"


def test_the_api_answers_and_refuses_with_the_field_at_fault(world, model):
    api = ApiClient("street")
    case = lane_report(world)
    got = api.get(f"/assist/cases/{case.ref}/suggestions")
    assert got.status_code == 200
    assert got.json()["category"]["options"][0]["code"] == "lane"
    assert got.json()["unit"] is None
    bad = api.post(f"/assist/cases/{case.ref}/suggestions/category", {"decision": "maybe"})
    assert bad.status_code == 400 and bad.json()["field"] == "decision"
    outside = api.post(
        f"/assist/cases/{case.ref}/suggestions/category", {"decision": "accept", "category": "nope"}
    )
    assert outside.status_code == 400 and outside.json()["field"] == "category"
    changed = api.post(
        f"/assist/cases/{case.ref}/suggestions/category", {"decision": "change", "category": "road"}
    )
    assert changed.status_code == 200
    assert changed.json()["outcome"] == "changed" and changed.json()["category"] == "road"
    assert Case.objects.get(pk=case.pk).category.code == "road"


def test_the_dispatch_settles_what_the_dispatcher_did_not_answer(client, world, model):
    case = lane_report(world)
    actions.case_accept(ref=case.ref, by=world.street)
    client.force_login(world.street)
    client.get(f"/cases/{case.ref}/")  # the dispatcher looks: the unit suggestion is offered
    unit = Suggestion.objects.get(case=case, kind="unit")
    assert unit.options[0]["id"] == world.unit_a.pk  # lane and litter: 城管执法局
    actions.case_dispatch(ref=case.ref, by=world.street, lead_unit_id=world.unit_a.pk)
    rows = {s.kind: s for s in Suggestion.objects.filter(case=case)}
    assert (rows["category"].outcome, rows["category"].category.code) == ("rejected", "litter")
    assert (rows["unit"].outcome, rows["unit"].unit) == ("accepted", world.unit_a)

    other = lane_report(world)
    actions.case_accept(ref=other.ref, by=world.street)
    client.get(f"/cases/{other.ref}/")
    actions.case_dispatch(ref=other.ref, by=world.street, lead_unit_id=world.unit_b.pk)
    assert Suggestion.objects.get(case=other, kind="unit").outcome == "changed"


def test_a_change_of_category_drops_a_unit_suggestion_made_for_the_old_one(client, world, model):
    case = lane_report(world)
    actions.case_accept(ref=case.ref, by=world.street)
    client.force_login(world.street)
    client.get(f"/cases/{case.ref}/")
    assert Suggestion.objects.filter(case=case, kind="unit").exists()
    actions.case_recategorise(ref=case.ref, by=world.street, category_code="road")
    assert not Suggestion.objects.filter(case=case, kind="unit").exists()
    client.get(f"/cases/{case.ref}/")
    assert Suggestion.objects.get(case=case, kind="unit").options[0]["id"] == world.unit_b.pk  # road: 住建局


def test_what_the_dispatcher_chose_is_the_next_training_label(world, model):
    case = lane_report(world, description="东门马路塌陷了一个大坑")
    suggest.suggestion_decide(ref=case.ref, by=world.street, decision="change", category_code="road")
    actions.case_accept(ref=case.ref, by=world.street)
    labels = {e.text: e.category for e in training.load_examples()}
    assert labels["东门马路塌陷了一个大坑"] == "road"


def test_a_model_that_fails_never_costs_a_report(world, model, monkeypatch):
    def broken(self, *args, **kwargs):
        raise RuntimeError("weights unreadable")

    monkeypatch.setattr(Suggester, "categories", broken)
    case = lane_report(world)
    assert Case.objects.filter(pk=case.pk).exists()
    assert not Suggestion.objects.filter(case=case).exists()


def test_only_the_case_dispatchers_see_and_answer_suggestions(client, world, model):
    case = lane_report(world)
    assert ApiClient("street2").get(f"/assist/cases/{case.ref}/suggestions").status_code == 404
    assert ApiClient("resident").get(f"/assist/cases/{case.ref}/suggestions").status_code == 404
    assert ApiClient("ha").get(f"/assist/cases/{case.ref}/suggestions").status_code == 404
    client.force_login(world.other_street)
    assert client.post(f"/assist/cases/{case.ref}/category/", {"decision": "accept"}).status_code == 404
    assert Suggestion.objects.get(case=case).outcome == "pending"


def test_staff_entering_a_report_get_categories_for_the_text_and_nothing_is_stored(world, model):
    got = ApiClient("worker").post("/assist/suggest", {"text": "楼下垃圾桶满溢没人清运"})
    assert got.status_code == 200
    assert got.json()["categories"][0]["code"] == "litter"
    assert got.json()["model_version"] == model.version
    assert ApiClient("resident").post("/assist/suggest", {"text": "楼下垃圾桶满溢"}).status_code == 403
    too_long = ApiClient("worker").post("/assist/suggest", {"text": "垃" * 2001})
    assert too_long.status_code in (400, 422)
    assert not Suggestion.objects.exists()


def test_thresholds_are_set_by_admins_on_the_curve_and_audited(world, model):
    admin = ApiClient("root")
    off_curve = admin.put("/assist/thresholds/lane", {"confidence": "0.83", "min_precision": "0.9"})
    assert off_curve.status_code == 400 and off_curve.json()["field"] == "confidence"
    too_low = admin.put("/assist/thresholds/lane", {"confidence": "0.85", "min_precision": "0.3"})
    assert too_low.status_code == 400 and too_low.json()["field"] == "min_precision"
    assert (
        admin.put("/assist/thresholds/nope", {"confidence": "0.85", "min_precision": "0.9"}).status_code
        == 404
    )
    assert (
        ApiClient("district")
        .put("/assist/thresholds/lane", {"confidence": "0.85", "min_precision": "0.9"})
        .status_code
        == 403
    )
    assert not Threshold.objects.exists()
    ok = admin.put("/assist/thresholds/lane", {"confidence": "0.85", "min_precision": "0.9"})
    assert ok.status_code == 200
    body = ok.json()
    assert body["confidence"] == "0.85" and body["support"] >= 0 and len(body["curve"]) == 11
    entry = AuditEntry.objects.get(verb="assist.threshold")
    assert entry.actor.username == "root" and entry.before is None
    assert entry.after == {"confidence": "0.85", "min_precision": "0.90", "is_active": True}
    listed = ApiClient("district").get("/assist/thresholds")
    assert listed.status_code == 200 and {r["category"] for r in listed.json()} >= {"litter", "lane", "road"}
    assert ApiClient("worker").get("/assist/thresholds").status_code == 403


def test_the_pages_show_the_figures_against_the_baselines(client, world, model):
    client.force_login(world.tree.admin)
    overview = client.get("/assist/").content.decode()
    assert f"v{model.version}" in overview and "基线" in overview and "仅按派单规则" in overview
    assert client.get(f"/assist/models/{model.version}/").status_code == 200
    assert client.get("/assist/models/999/").status_code == 404
    page = client.get("/assist/thresholds/")
    assert page.status_code == 200 and "占道经营" in page.content.decode()
    saved = client.post(
        "/assist/thresholds/",
        {"category": "lane", "confidence": "0.90", "min_precision": "0.95", "is_active": "1"},
    )
    assert saved.status_code == 302
    assert Threshold.objects.get(category__code="lane").confidence == Decimal("0.90")
    refused = client.post(
        "/assist/thresholds/", {"category": "lane", "confidence": "0.91", "min_precision": "0.95"}
    )
    assert refused.status_code == 400
    client.force_login(world.worker)
    assert client.get("/assist/").status_code == 404
    assert client.get("/assist/thresholds/").status_code == 404


def test_an_admin_asks_for_a_new_model_in_the_background(client, world, model):
    client.force_login(world.tree.admin)
    with override_settings(ASSIST_TRAINING_INLINE=True, ASSIST_MIN_EXAMPLES=50):
        response = client.post("/assist/models/train/")
    assert response.status_code == 302
    newest = SuggesterModel.objects.order_by("-version").first()
    assert newest.version == model.version + 1
    assert newest.state in ("active", "rejected")  # the same data: not worse, or kept out by the rule
    assert newest.trigger == "admin" and newest.requested_by == world.tree.admin
    client.force_login(world.district)
    assert client.post("/assist/models/train/").status_code == 404


def test_the_dispatchers_decisions_are_learnt_weekly_without_anyone_asking(world, model, settings):
    from datetime import timedelta

    from django.utils import timezone

    settings.ASSIST_TRAINING_INLINE = True
    settings.ASSIST_MIN_EXAMPLES = 50
    week_later = timezone.now() + timedelta(days=8)
    assert training.retrain_if_due() is None  # the model is new
    assert training.retrain_if_due(now=week_later) is None  # old, but nothing labelled since
    case = lane_report(world)
    actions.case_accept(ref=case.ref, by=world.street)
    retrained = training.retrain_if_due(now=week_later)
    assert retrained is not None and retrained.trigger == "schedule"
    assert retrained.version == model.version + 1
    assert retrained.state in ("active", "rejected")
    settings.ASSIST_RETRAIN_DAYS = 0
    assert training.retrain_if_due(now=week_later + timedelta(days=30)) is None


def test_no_schedule_before_a_first_model(world):
    assert training.retrain_if_due() is None
    assert not SuggesterModel.objects.exists()
