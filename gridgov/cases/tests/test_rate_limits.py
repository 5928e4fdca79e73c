"""Rate limits on the residents' public endpoints (intake, tracking, rating with a code, the public reads)
and the per-case lock of rating codes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from gridgov.cases import actions
from gridgov.cases.models import Case
from gridgov.core import ratelimit
from gridgov.core.errors import NotFound
from gridgov.core.models import RateCounter
from gridgov.testing.api import ApiClient

from .conftest import IN_GRID_111, report
from .test_workflow import walk_to

pytestmark = pytest.mark.django_db

A, B = "198.51.100.7", "203.0.113.9"


def allow(settings, name: str, count: int) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, name: count}


def intake_body(**kw) -> dict:
    return {
        "category": "litter",
        "description": "路边垃圾桶满溢",
        "lng": IN_GRID_111[0],
        "lat": IN_GRID_111[1],
        "reporter_phone": "13800001111",
        **kw,
    }


def assert_rate_limited(response) -> None:
    assert response.status_code == 429
    assert int(response["Retry-After"]) == 60  # the clock stands at the start of a minute
    assert response.json() == {
        "code": "rate_limited",
        "message": "请求过于频繁，请 60 秒后再试",
        "field": None,
        "retry_after": 60,
    }


def closed_case(world) -> tuple[Case, str]:
    intake = report(world)
    return walk_to(world, "closed", intake.case.ref), intake.rate_token


# ---------------------------------------------------------------- intake


def test_anonymous_intake_over_the_api_is_limited_per_address(world, settings):
    allow(settings, "intake", 2)
    api = ApiClient()
    for _ in range(2):
        assert api.post("/cases", intake_body(), REMOTE_ADDR=A).status_code == 201
    refused = api.post("/cases", intake_body(), REMOTE_ADDR=A)
    assert_rate_limited(refused)
    assert Case.objects.count() == 2
    assert api.post("/cases", intake_body(), REMOTE_ADDR=B).status_code == 201


def test_signed_in_intake_is_not_counted(world, settings):
    allow(settings, "intake", 1)
    worker = ApiClient("worker")
    for _ in range(3):
        assert worker.post("/cases", intake_body(), REMOTE_ADDR=A).status_code == 201


def test_anonymous_report_page_is_limited_and_keeps_what_was_typed(world, settings):
    allow(settings, "intake", 1)
    client = Client()
    form = {
        "category": "litter",
        "description": "楼道堆放杂物",
        "lng": str(IN_GRID_111[0]),
        "lat": str(IN_GRID_111[1]),
        "reporter_phone": "13800001111",
    }
    assert client.post("/report/", {**form, "idempotency_key": "k1"}, REMOTE_ADDR=A).status_code == 200
    refused = client.post("/report/", {**form, "idempotency_key": "k2"}, REMOTE_ADDR=A)
    assert refused.status_code == 429 and refused["Retry-After"] == "60"
    body = refused.content.decode()
    assert "请求过于频繁，请 60 秒后再试" in body
    assert "楼道堆放杂物" in body  # the report is still in the form, to send again
    assert Case.objects.count() == 1


def test_the_limits_hold_in_redis_across_processes(world, settings, rate_limit_redis):
    allow(settings, "intake", 2)
    api = ApiClient()
    for _ in range(2):
        assert api.post("/cases", intake_body(), REMOTE_ADDR=A).status_code == 201
    assert_rate_limited(api.post("/cases", intake_body(), REMOTE_ADDR=A))
    # another web process, with its own connection, sees the same count
    other = ratelimit.RedisCounter(settings.RATE_LIMIT_REDIS_URL, rate_limit_redis)
    assert ratelimit.hit("intake", A, limit=2, seconds=60, store=other).count == 4
    assert Case.objects.count() == 2


# ---------------------------------------------------------------- tracking


def test_tracking_over_the_api_and_the_page_share_one_limit(world, settings):
    allow(settings, "tracking", 2)
    ref = report(world).case.ref
    client = Client()
    assert client.get(f"/api/v1/public/cases/{ref}", REMOTE_ADDR=A).status_code == 200
    assert client.get(f"/track/{ref}", REMOTE_ADDR=A).status_code == 200
    assert_rate_limited(client.get(f"/api/v1/public/cases/{ref}", REMOTE_ADDR=A))
    page = client.get(f"/track/{ref}", REMOTE_ADDR=A)
    assert page.status_code == 429 and page["Retry-After"] == "60"
    assert "请求过于频繁，请 60 秒后再试" in page.content.decode()
    # guessing reference numbers counts too
    assert client.get("/api/v1/public/cases/610302-20261123-999999", REMOTE_ADDR=A).status_code == 429
    assert client.get(f"/track/{ref}", REMOTE_ADDR=B).status_code == 200


# ---------------------------------------------------------------- rating and reopening with a code


def test_rating_with_a_code_is_limited_per_address(world, settings):
    allow(settings, "rating", 2)
    case, _ = closed_case(world)
    api = ApiClient()
    for _ in range(2):
        wrong = api.post(f"/cases/{case.ref}/rate", {"rating": "satisfied", "token": "guess"}, REMOTE_ADDR=A)
        assert wrong.status_code == 404
    assert_rate_limited(
        api.post(f"/cases/{case.ref}/reopen", {"reason": "没修好", "token": "guess"}, REMOTE_ADDR=A)
    )
    page = Client().post(f"/track/{case.ref}/rate/", {"rating": "basic", "token": "guess"}, REMOTE_ADDR=A)
    assert page.status_code == 429 and page["Retry-After"] == "60"
    assert "请求过于频繁，请 60 秒后再试" in page.content.decode()


def test_the_signed_in_reporter_rates_without_a_code_and_is_not_counted(world, settings):
    allow(settings, "rating", 1)
    intake = report(world, by=world.resident)
    walk_to(world, "closed", intake.case.ref)
    resident = ApiClient("resident")
    rated = resident.post(f"/cases/{intake.case.ref}/rate", {"rating": "unsatisfied"}, REMOTE_ADDR=A)
    assert rated.status_code == 200
    reopened = resident.post(f"/cases/{intake.case.ref}/reopen", {"reason": "没修好"}, REMOTE_ADDR=A)
    assert reopened.status_code == 200


def test_wrong_codes_lock_the_code_of_that_case_from_every_address(world, settings, clock):
    case, code = closed_case(world)
    other, other_code = closed_case(world)
    api = ApiClient()
    for n in range(settings.RATING_CODE_ATTEMPTS):
        guess = api.post(
            f"/cases/{case.ref}/rate",
            {"rating": "satisfied", "token": f"guess-{n}"},
            REMOTE_ADDR=f"192.0.2.{n}",
        )
        assert guess.status_code == 404 and guess.json()["field"] == "token"
    locked = api.post(f"/cases/{case.ref}/rate", {"rating": "satisfied", "token": code}, REMOTE_ADDR=B)
    assert locked.status_code == 429
    assert locked.json()["code"] == "code_locked" and locked.json()["field"] == "token"
    assert "联系所在社区" in locked.json()["message"]
    assert int(locked["Retry-After"]) == settings.RATING_CODE_WINDOW_SECONDS
    case.refresh_from_db()
    assert case.rated_at is None
    # the page says the same, next to the code
    page = Client().post(f"/track/{case.ref}/rate/", {"rating": "basic", "token": code}, REMOTE_ADDR=B)
    assert page.status_code == 429 and 'id="err-rate-token">评价码输错次数过多' in page.content.decode()
    # other cases are not affected
    assert api.post(f"/cases/{other.ref}/rate", {"rating": "basic", "token": other_code}).status_code == 200
    clock.shift(timedelta(seconds=settings.RATING_CODE_WINDOW_SECONDS))
    assert api.post(f"/cases/{case.ref}/rate", {"rating": "basic", "token": code}).status_code == 200


def test_only_wrong_codes_count_towards_the_lock(world, settings):
    settings.RATING_CODE_ATTEMPTS = 2
    case, code = closed_case(world)
    for n in range(2):
        with pytest.raises(NotFound):
            actions.case_rate(ref=case.ref, token=f"guess-{n}", rating="satisfied")
    settings.RATING_CODE_ATTEMPTS = 3
    actions.case_rate(ref=case.ref, token=code, rating="unsatisfied")
    actions.case_reopen(ref=case.ref, token=code, reason="还是没解决")
    case.refresh_from_db()
    assert case.state == "accepted" and case.reopen_count == 1


def test_an_unknown_case_is_not_found_and_not_counted(world):
    with pytest.raises(NotFound):
        actions.case_rate(ref="610302-20261123-999999", token="guess", rating="satisfied")
    assert not RateCounter.objects.filter(scope="rating_code").exists()


# ---------------------------------------------------------------- the other public reads


def test_categories_and_the_report_map_are_limited(world, settings):
    allow(settings, "public", 2)
    client = Client()
    assert client.get("/api/v1/categories", REMOTE_ADDR=A).status_code == 200
    assert client.get("/report/map.json", REMOTE_ADDR=A).status_code == 200
    assert_rate_limited(client.get("/api/v1/categories", REMOTE_ADDR=A))
    for path in ("/report/map.json", "/report/"):
        page = client.get(path, REMOTE_ADDR=A)
        assert page.status_code == 429 and page["Retry-After"] == "60"
    assert client.get("/report/map.json", REMOTE_ADDR=B).status_code == 200
    assert client.get("/report/", REMOTE_ADDR=B).status_code == 200
