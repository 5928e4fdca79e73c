"""A round from opening to publication through the API, on the KPI worked example: the live ranking and
its figures (docs/assessment.md, second example), qualitative marks and their refusals, freezing and
identical recomputation, a later change of scheme or data never rewriting a frozen period, exemptions,
drill-down, publication to the ranked communities' inboxes, and who sees what."""

from __future__ import annotations

import pytest

from gridgov.assessment import actions
from gridgov.assessment.models import Round, RoundState, Score
from gridgov.cases.models import Case
from gridgov.notify.models import Notification
from gridgov.testing.api import ApiClient

from .conftest import C11, C12, C21, C22, give_marks

pytestmark = pytest.mark.django_db


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.content.decode()
    return response.json()


def table(body: dict) -> dict[str, tuple]:
    return {r["key"]: (r["rank"], r["total"]) for r in body["rows"]}


# Hand-counted (docs/assessment.md): response 社区1-1 4/5, 社区1-2 2/3, 社区2-1 1/1; on-time closure 2/4,
# 1/2, 1/1; 社区2-2 has no case. Departments = mean of the two target scores; party = mean of the marks.
LIVE = {C21: (1, "98.50"), C22: (2, "88.00"), C11: (3, "74.42"), C12: (4, "62.01")}


def test_live_ranking_with_every_figure(aw):
    give_marks(aw)
    body = ok(ApiClient("dist").get(f"/assessment/rounds/{aw.round.pk}"))
    assert body["round"]["state"] == "open"
    assert body["whole"] is True and body["members"] == 4
    assert table(body) == LIVE
    row = next(r for r in body["rows"] if r["key"] == C11)
    response, on_time, branch = (str(aw.response.pk), str(aw.on_time.pk), str(aw.branch.pk))
    assert row["items"][response] == {
        "numerator": "4.0000",
        "denominator": "5.0000",
        "value": "80.0000",
        "score": "84.21",
    }
    assert row["items"][on_time] == {
        "numerator": "2.0000",
        "denominator": "4.0000",
        "value": "50.0000",
        "score": "55.56",
    }
    assert row["items"][branch]["score"] == "85.00"
    # One of the eight (item, member, evaluator) marks is missing: ev2 did not score 社区2-2.
    assert body["missing_marks"] == 1


def test_marks_are_refused_whole_with_the_field_at_fault(aw):
    item = aw.branch.pk
    ev1 = ApiClient("ev1")
    bad = ev1.put(
        f"/assessment/rounds/{aw.round.pk}/marks",
        {"marks": [{"item": item, "key": C11, "score": 90}, {"item": item, "key": C12, "score": 55}]},
    )
    assert bad.status_code == 400
    assert bad.json()["field"] == "marks[1].comment"
    assert not aw.round.marks.exists()  # nothing of the batch was written
    for mark, field in (
        ({"item": item, "key": C11, "score": 101}, "marks[0].score"),
        ({"item": item, "key": C11, "score": "80.555"}, "marks[0].score"),
        ({"item": item, "key": "610302001", "score": 80}, "marks[0].key"),
        ({"item": aw.response.pk, "key": C11, "score": 80}, "marks[0].item"),
    ):
        answer = ev1.put(f"/assessment/rounds/{aw.round.pk}/marks", {"marks": [mark]})
        assert answer.status_code in (400, 404) and answer.json()["field"] == field, answer.content
    # Only the scheme's evaluators score; a district staff member who keeps the scheme does not.
    assert ApiClient("dist").put(f"/assessment/rounds/{aw.round.pk}/marks", {"marks": []}).status_code == 403
    ok(
        ev1.put(
            f"/assessment/rounds/{aw.round.pk}/marks", {"marks": [{"item": item, "key": C11, "score": 90}]}
        )
    )
    # A blank score takes the evaluator's own score back.
    ok(
        ev1.put(
            f"/assessment/rounds/{aw.round.pk}/marks", {"marks": [{"item": item, "key": C11, "score": None}]}
        )
    )
    assert not aw.round.marks.exists()


def test_freezing_keeps_the_period_whatever_changes_later(aw):
    give_marks(aw)
    dist = ApiClient("dist")
    frozen = ok(dist.post(f"/assessment/rounds/{aw.round.pk}/freeze"))
    assert frozen["round"]["state"] == "frozen"
    assert table(frozen) == LIVE
    assert frozen["version"] == aw.scheme.version
    kept = Score.objects.filter(round=aw.round).count()
    assert kept == 4
    # Later: the scheme changes its weights, a case is exempted, a mark would be refused.
    actions.group_update(by=aw.district, scheme=aw.scheme.pk, group=aw.response.group_id, weight=10)
    st1 = aw.kpi.admin
    actions.exemption_create(by=st1, case=aw.kpi.refs["c2"], reason="群众诉求不合理，经街道研判免责")
    again = ok(dist.get(f"/assessment/rounds/{aw.round.pk}"))
    assert table(again) == LIVE
    assert again["version"] == frozen["version"] < Round.objects.get(pk=aw.round.pk).scheme.version
    assert again["definition"] == frozen["definition"]
    assert ok(dist.get(f"/assessment/rounds/{aw.round.pk}/verify")) == {
        "identical": True,
        "members": 4,
        "differences": [],
    }
    late = ApiClient("ev1").put(
        f"/assessment/rounds/{aw.round.pk}/marks",
        {"marks": [{"item": aw.branch.pk, "key": C22, "score": 10}]},
    )
    assert late.status_code == 409


def test_verify_finds_a_tampered_result(aw):
    give_marks(aw)
    actions.round_freeze(by=aw.district, round=aw.round.pk)
    Score.objects.filter(round=aw.round, key=C11).update(total="99.99")
    answer = ok(ApiClient("dist").get(f"/assessment/rounds/{aw.round.pk}/verify"))
    assert answer["identical"] is False
    assert [d["key"] for d in answer["differences"]] == [C11]
    assert answer["differences"][0]["recomputed"]["total"] == "74.42"


def test_a_running_period_cannot_be_frozen(aw):
    current = actions.round_open(by=aw.district, scheme=aw.scheme.pk, period=_this_month())
    answer = ApiClient("dist").post(f"/assessment/rounds/{current.pk}/freeze")
    assert answer.status_code == 409
    assert answer.json()["code"] == "not_allowed_now"


def _this_month() -> str:
    from django.utils import timezone

    return timezone.localdate().strftime("%Y-%m")


def test_an_exemption_changes_open_rounds_and_shows_on_the_drill_down(aw):
    c2 = aw.kpi.refs["c2"]
    # The community being assessed cannot exempt its own case; a street or the district can.
    assert ApiClient("co11").post("/assessment/exemptions", {"case": c2, "reason": "x"}).status_code == 403
    assert (
        ApiClient("st1").post("/assessment/exemptions", {"case": c2, "reason": ""}).json()["field"]
        == "reason"
    )
    exemption = ok(
        ApiClient("st1").post(
            "/assessment/exemptions", {"case": c2, "reason": "暴雨不可抗力，延误非单位原因"}
        ),
        201,
    )
    assert ApiClient("st2").post("/assessment/exemptions", {"case": c2, "reason": "x"}).status_code == 404
    dist = ApiClient("dist")
    row = next(r for r in ok(dist.get(f"/assessment/rounds/{aw.round.pk}"))["rows"] if r["key"] == C11)
    # Without c2 (claimed late, resolved late): response 4/4, on-time closure 2/3.
    assert row["items"][str(aw.response.pk)]["value"] == "100.0000"
    assert row["items"][str(aw.on_time.pk)]["value"] == "66.6667"
    drill = ok(
        dist.get(
            f"/assessment/rounds/{aw.round.pk}/members/{C11}/items/{aw.on_time.pk}/rows?part=denominator"
        )
    )
    assert c2 not in {r["ref"] for r in drill["items"]}
    card = ok(dist.get(f"/assessment/rounds/{aw.round.pk}/members/{C11}"))
    assert card["row"]["key"] == C11
    # Revoked: the case counts again.
    ok(
        ApiClient("st1").post(
            f"/assessment/exemptions/{exemption['id']}/revoke", {"reason": "复核后认定应由单位负责"}
        )
    )
    row = next(r for r in ok(dist.get(f"/assessment/rounds/{aw.round.pk}"))["rows"] if r["key"] == C11)
    assert row["items"][str(aw.response.pk)]["value"] == "80.0000"


def test_drill_down_lists_the_cases_behind_each_figure(aw):
    refs = {v: k for k, v in aw.kpi.refs.items()}
    dist = ApiClient("dist")
    base = f"/assessment/rounds/{aw.round.pk}/members/{C11}/items"

    def names(path: str) -> set[str]:
        return {refs[r["ref"]] for r in ok(dist.get(path))["items"]}

    assert names(f"{base}/{aw.on_time.pk}/rows?part=denominator") == {"c1", "c2", "c5", "c6"}
    assert names(f"{base}/{aw.on_time.pk}/rows?part=numerator") == {"c1", "c6"}
    assert names(f"{base}/{aw.on_time.pk}/rows?part=missing") == {"c2", "c5"}  # counted as late
    assert names(f"{base}/{aw.response.pk}/rows?element=cases.dispatched") == {"c1", "c2", "c5", "c6", "c12"}
    assert dist.get(f"{base}/{aw.branch.pk}/rows").status_code == 404  # qualitative: no rows
    assert dist.get(f"{base}/{aw.response.pk}/rows?element=cases.closed").json()["field"] == "element"
    assert dist.get(f"{base}/{aw.response.pk}/rows?part=everything").json()["field"] == "part"


def test_publication_tells_the_ranked_and_each_sees_only_its_own_row(aw):
    give_marks(aw)
    path = f"/assessment/rounds/{aw.round.pk}"
    # Before publication only the scheme's keepers and evaluators see the round.
    for username in ("co11", "st1", "gw111", "h1", "resident"):
        assert ApiClient(username).get(path).status_code == 404, username
    assert ok(ApiClient("ev1").get(path))["whole"] is True
    actions.round_freeze(by=aw.district, round=aw.round.pk)
    assert ApiClient("co11").get(path).status_code == 404
    ok(ApiClient("dist").post(f"{path}/publish"))
    told = set(Notification.objects.filter(kind="assessment").values_list("user__username", flat=True))
    assert told == {"co11", "co12", "co21"}
    assert table(ok(ApiClient("co11").get(path))) == {C11: LIVE[C11]}
    assert table(ok(ApiClient("gw111").get(path))) == {C11: LIVE[C11]}  # works inside 社区1-1
    assert table(ok(ApiClient("st1").get(path))) == {C11: LIVE[C11], C12: LIVE[C12]}
    for username in ("h1", "resident"):
        assert ApiClient(username).get(path).status_code == 404, username
    assert ApiClient("co11").get(f"{path}/members/{C21}").status_code == 404
    assert ok(ApiClient("co11").get(f"{path}/members/{C11}"))["row"]["rank"] == 3
    assert ApiClient("co11").get(f"{path}/verify").status_code == 403
    # Published rounds cannot be reopened.
    assert ApiClient("dist").post(f"{path}/reopen", {"reason": "补评"}).status_code == 409


def test_a_scheme_that_shows_the_whole_table(aw):
    give_marks(aw)
    actions.scheme_update(by=aw.district, scheme=aw.scheme.pk, visibility="all")
    actions.round_freeze(by=aw.district, round=aw.round.pk)
    actions.round_publish(by=aw.district, round=aw.round.pk)
    assert table(ok(ApiClient("co11").get(f"/assessment/rounds/{aw.round.pk}"))) == LIVE


def test_reopening_a_frozen_round_needs_a_reason_and_clears_the_result(aw):
    actions.round_freeze(by=aw.district, round=aw.round.pk)
    dist = ApiClient("dist")
    assert dist.post(f"/assessment/rounds/{aw.round.pk}/reopen", {"reason": ""}).json()["field"] == "reason"
    body = ok(dist.post(f"/assessment/rounds/{aw.round.pk}/reopen", {"reason": "考核员漏评，重新开放"}))
    assert body["round"]["state"] == "open"
    assert not Score.objects.filter(round=aw.round).exists()
    assert [step["action"] for step in body["timeline"]] == ["open", "freeze", "reopen"]


def test_the_trend_compares_with_the_previous_frozen_period(aw):
    give_marks(aw)
    actions.round_freeze(by=aw.district, round=aw.round.pk)
    april = actions.round_open(by=aw.district, scheme=aw.scheme.pk, period="2026-04")
    body = ok(ApiClient("dist").get(f"/assessment/rounds/{april.pk}"))
    row = next(r for r in body["rows"] if r["key"] == C21)
    assert (row["previous_rank"], row["previous_total"]) == (1, "98.50")
    assert row["total"] is None and row["change"] is None  # nothing in April yet


def test_who_keeps_schemes_and_rounds(aw):
    scheme = f"/assessment/schemes/{aw.scheme.pk}"
    assert ok(ApiClient("dist").get(scheme))["manages"] is True
    assert ok(ApiClient("ev1").get(scheme))["manages"] is False
    for username in ("st1", "co11", "h1", "resident"):
        assert ApiClient(username).get(scheme).status_code == 404, username
    assert ApiClient("ev1").post(f"/assessment/rounds/{aw.round.pk}/freeze").status_code == 403
    # A street keeps its own schemes but not the district's, and cannot rank streets.
    st1 = ApiClient("st1")
    assert (
        st1.post("/assessment/schemes", {"name": "x", "area": "610302", "pool": "communities"}).status_code
        == 404
    )
    assert (
        st1.post("/assessment/schemes", {"name": "x", "area": "610302001", "pool": "streets"}).json()["field"]
        == "pool"
    )
    ok(st1.post("/assessment/schemes", {"name": "街道网格考核", "area": "610302001", "pool": "grids"}), 201)
    refused = ApiClient("co11").post("/assessment/schemes", {"name": "x", "area": C11, "pool": "grids"})
    assert refused.json()["field"] == "area"  # a community does not rank
    # An evaluator of another street cannot be named to the district's scheme.
    assert (
        ApiClient("dist").post(f"{scheme}/evaluators", {"username": "ev_street"}).json()["field"]
        == "username"
    )


def test_round_state_machine_refusals(aw):
    dist = ApiClient("dist")
    assert dist.post(f"/assessment/rounds/{aw.round.pk}/publish").status_code == 409
    dup = dist.post(f"/assessment/schemes/{aw.scheme.pk}/rounds", {"period": "2026-03"})
    assert dup.status_code == 409 and dup.json()["field"] == "period"
    assert (
        dist.post(f"/assessment/schemes/{aw.scheme.pk}/rounds", {"period": "2026-Q1"}).json()["field"]
        == "period"
    )
    assert (
        dist.post(f"/assessment/schemes/{aw.scheme.pk}/rounds", {"period": "2099-01"}).json()["field"]
        == "period"
    )
    assert Round.objects.get(pk=aw.round.pk).state == RoundState.OPEN
    assert Case.objects.exists()


def test_the_sweep_runs_a_scheme_that_asks_for_it(aw):
    from django.utils import timezone

    from gridgov.assessment.sweep import assessment_sweep

    give_marks(aw)
    assert assessment_sweep(timezone.now()) == {"opened": 0, "frozen": 0}  # kept by hand
    actions.scheme_update(by=aw.district, scheme=aw.scheme.pk, freeze_after_days=3)
    assert assessment_sweep(timezone.now()) == {"opened": 1, "frozen": 1}
    march = Round.objects.get(pk=aw.round.pk)
    assert march.state == RoundState.FROZEN
    assert {s.key: (s.rank, str(s.total)) for s in march.scores.all()} == LIVE
    assert Round.objects.filter(scheme=aw.scheme, period=_this_month(), state=RoundState.OPEN).exists()
    assert assessment_sweep(timezone.now()) == {"opened": 0, "frozen": 0}
    assert [step.action for step in _timeline(march)] == ["open", "freeze"]


def _timeline(rnd):
    from gridgov.core.models import TimelineEvent
    from gridgov.core.timeline import subject_of

    return TimelineEvent.objects.filter(subject_id=rnd.pk, subject=subject_of(rnd)).order_by("at", "pk")


def test_every_endpoint_refuses_those_outside(aw):
    """Residents, unit handlers and community staff (before publication) get nothing from any endpoint."""
    exemption = actions.exemption_create(by=aw.kpi.admin, case=aw.kpi.refs["c2"], reason="不可抗力")
    rnd, scheme, item = aw.round.pk, aw.scheme.pk, aw.response.pk
    reads = [
        "/assessment/elements",
        "/assessment/indicators",
        f"/assessment/schemes/{scheme}",
        f"/assessment/rounds/{rnd}",
        f"/assessment/rounds/{rnd}/marks",
        f"/assessment/rounds/{rnd}/verify",
        f"/assessment/rounds/{rnd}/members/{C11}",
        f"/assessment/rounds/{rnd}/members/{C11}/items/{item}/rows",
    ]
    writes = [
        ("post", "/assessment/indicators", {"code": "x", "name": "x", "numerator": "cases.closed"}),
        ("patch", "/assessment/indicators/response_rate", {"name": "x"}),
        ("post", "/assessment/schemes", {"name": "x", "area": "610302", "pool": "communities"}),
        ("patch", f"/assessment/schemes/{scheme}", {"name": "x"}),
        ("post", f"/assessment/schemes/{scheme}/groups", {"name": "x", "weight": 1}),
        ("delete", f"/assessment/schemes/{scheme}/items/{item}", None),
        ("post", f"/assessment/schemes/{scheme}/evaluators", {"username": "ev1"}),
        ("post", f"/assessment/schemes/{scheme}/rounds", {"period": "2026-04"}),
        ("put", f"/assessment/rounds/{rnd}/marks", {"marks": []}),
        ("post", f"/assessment/rounds/{rnd}/freeze", None),
        ("post", f"/assessment/rounds/{rnd}/publish", None),
        ("post", "/assessment/exemptions", {"case": aw.kpi.refs["c1"], "reason": "x"}),
        ("post", f"/assessment/exemptions/{exemption.pk}/revoke", {"reason": "x"}),
    ]
    for username in ("resident", "h1", "co11"):
        client = ApiClient(username)
        for path in reads:
            status = client.get(path).status_code
            allowed = username == "co11" and path in ("/assessment/elements", "/assessment/indicators")
            assert status == 200 if allowed else status in (403, 404), (username, path, status)
        for method, path, body in writes:
            call = getattr(client, method)
            status = (call(path) if body is None else call(path, body)).status_code
            assert status in (403, 404), (username, method, path, status)
    assert Round.objects.get(pk=rnd).state == RoundState.OPEN
    assert ApiClient("resident").get("/assessment/exemptions").json()["items"] == []


def test_the_admin_keeps_every_scheme(aw):
    root = ApiClient("root")
    assert ok(root.get(f"/assessment/schemes/{aw.scheme.pk}"))["manages"] is True
    ok(root.post(f"/assessment/schemes/{aw.scheme.pk}/groups", {"name": "群众评价", "weight": 10}), 201)
    assert aw.scheme.pk in [s["id"] for s in ok(root.get("/assessment/schemes"))]
