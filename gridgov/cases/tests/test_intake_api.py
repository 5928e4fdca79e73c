"""Intake over the API: idempotent retries, placement in the grid, upload checks, public tracking, and the
error answers of the action endpoints."""

from __future__ import annotations

import io
import struct
import zlib
from datetime import date, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError
from django.test import Client
from PIL import Image

from gridgov.cases import actions
from gridgov.cases.models import Case, RefCounter
from gridgov.core import uploads
from gridgov.core.errors import DomainError
from gridgov.core.models import Upload
from gridgov.core.sequences import next_ref
from gridgov.core.uploads import absolute
from gridgov.testing import images
from gridgov.testing.api import ApiClient
from gridgov.testing.factories import PASSWORD

from .conftest import IN_GRID_111, IN_GRID_221, TZ, report

pytestmark = pytest.mark.django_db


def png_bytes() -> bytes:
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"\x00\xff\x00\x00"
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def body(**kw):
    data = {
        "category": "litter",
        "description": "路边垃圾桶满溢",
        "lng": IN_GRID_111[0],
        "lat": IN_GRID_111[1],
        "reporter_phone": "13800001111",
    }
    data.update(kw)
    return data


def test_retried_intake_with_idempotency_key_returns_same_case(world):
    api = ApiClient()
    first = api.post("/cases", body(), headers={"Idempotency-Key": "abc-123"})
    assert first.status_code == 201, first.content
    again = api.post("/cases", body(), headers={"Idempotency-Key": "abc-123"})
    assert again.status_code == 200
    assert again.json()["ref"] == first.json()["ref"] and again.json()["created"] is False
    assert again.json()["rate_token"] is None  # the rating code is given once
    by_field = api.post("/cases", body(client_id="xyz"))
    assert api.post("/cases", body(client_id="xyz")).json()["ref"] == by_field.json()["ref"]
    assert Case.objects.count() == 2


def test_intake_places_point_in_grid_and_answers_public_fields(world):
    response = ApiClient().post("/cases", body(lng=IN_GRID_221[0], lat=IN_GRID_221[1]))
    data = response.json()
    assert data["grid"] == "610302002002002" and data["state"] == "reported" and data["level"] == "grid"
    assert data["ref"].startswith("610302-20261123-")


def test_reference_numbers_count_up_per_district_and_local_day(world, clock):
    refs = [report(world).case.ref for _ in range(3)]
    assert refs == [f"610302-20261123-{n:06d}" for n in (1, 2, 3)]
    clock.move_to(datetime(2026, 11, 23, 23, 59, tzinfo=TZ))
    assert report(world).case.ref == "610302-20261123-000004"
    clock.move_to(datetime(2026, 11, 24, 0, 1, tzinfo=TZ))  # a new day in Shanghai (still the 23rd in UTC)
    assert report(world).case.ref == "610302-20261124-000001"
    assert report(world).case.ref == "610302-20261124-000002"
    other = next_ref(RefCounter, "610303", date(2026, 11, 24), district="610303")  # another district
    assert other == "610303-20261124-000001"
    assert report(world).case.ref == "610302-20261124-000003"


def test_refused_intake_takes_no_number_and_a_failed_one_is_not_reissued(world):
    assert report(world).case.ref.endswith("-000001")
    with pytest.raises(DomainError):
        report(world, description="短")  # refused before a number is taken
    second = report(world).case
    assert second.ref.endswith("-000002")
    Case.objects.filter(pk=second.pk).update(ref=second.ref.replace("-000002", "-000003"))
    with pytest.raises(IntegrityError):
        report(world)  # takes 000003, which is already in use: the insert fails after the number was taken
    assert report(world).case.ref.endswith("-000004")  # a gap, never a number issued twice
    assert Case.objects.count() == 3


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"lng": 108.5, "lat": 35.0}, "lat", "outside_district"),
        ({"category": "nope"}, "category", "invalid_category"),
        ({"description": "短"}, "description", "required"),
        ({"reporter_phone": ""}, "reporter_phone", "required"),
        ({"reporter_phone": "12345"}, "reporter_phone", "invalid_phone"),
        ({"anonymous": True}, "anonymous", "anonymous_not_allowed"),
        ({"lat": None}, "lat", "required"),
        ({"channel": "hotline"}, "channel", "forbidden"),
    ],
)
def test_bad_intake_is_rejected_with_field_and_nothing_written(world, changes, field, code):
    response = ApiClient().post("/cases", body(**changes))
    assert response.status_code in (400, 403), response.content
    assert response.json()["field"] == field and response.json()["code"] == code
    assert not Case.objects.exists()


def test_anonymous_allowed_per_category(world):
    world.category.anonymous_allowed = True
    world.category.save()
    response = ApiClient().post("/cases", body(anonymous=True, reporter_phone="", reporter_name="x"))
    assert response.status_code == 201
    case = Case.objects.get()
    assert case.anonymous and case.reporter_phone == "" and case.reporter_name == ""


def test_hotline_entry_keeps_original_reported_time(world):
    api = ApiClient("worker")
    response = api.post(
        "/cases", body(channel="hotline", reported_at="2026-11-22T20:15:00+08:00", reporter_name="钱先生")
    )
    assert response.status_code == 201, response.content
    case = Case.objects.get()
    assert case.channel == "hotline" and case.entered_by.username == "worker" and case.reporter is None
    assert case.reported_at.isoformat() == "2026-11-22T12:15:00+00:00"
    future = api.post("/cases", body(channel="hotline", reported_at="2026-11-24T20:15:00+08:00"))
    assert future.status_code == 400 and future.json()["field"] == "reported_at"
    portal = ApiClient("resident").post("/cases", body(reported_at="2026-11-22T20:15:00+08:00"))
    assert portal.status_code == 400 and portal.json()["field"] == "reported_at"


def test_photos_checked_by_content_and_stored_outside_static(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    good = SimpleUploadedFile("scene.jpg", png_bytes(), content_type="image/jpeg")  # a PNG named .jpg is fine
    intake = report(world, by=world.resident, photos=[good])
    att = uploads.of(intake.case).get()
    assert att.content_type == "image/png" and att.path.endswith(".png")
    assert images.pixels(absolute(att.path).read_bytes()) == images.pixels(png_bytes())
    assert str(tmp_path) in str(absolute(att.path)) and "static" not in att.path
    fake = SimpleUploadedFile("photo.jpg", b"MZ\x90\x00 this is not an image", content_type="image/jpeg")
    with pytest.raises(DomainError) as info:
        report(world, by=world.resident, photos=[png_file(), fake])
    assert info.value.code == "not_an_image" and info.value.field == "photos[1]"
    settings.UPLOAD_MAX_BYTES = 50
    with pytest.raises(DomainError) as info:
        report(world, by=world.resident, photos=[png_file()])
    assert info.value.code == "file_too_large"
    assert Case.objects.count() == 1 and Upload.objects.count() == 1
    assert len(list(tmp_path.rglob("*.*"))) == 2  # the photo and its thumbnail; none of the refused intakes


def png_file():
    return SimpleUploadedFile("p.png", png_bytes(), content_type="image/png")


def test_multipart_photos_endpoint(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    case = report(world, by=world.resident).case
    api = ApiClient("resident")
    response = api.client.post(
        f"/api/v1/cases/{case.ref}/photos", {"photos": [png_file()]}, headers=api.headers
    )
    assert response.status_code == 201 and response.json() == {"added": 1}
    bad = api.client.post(
        f"/api/v1/cases/{case.ref}/photos",
        {"photos": [SimpleUploadedFile("a.png", b"GIF89a....", content_type="image/png")]},
        headers=api.headers,
    )
    assert bad.status_code == 400 and bad.json()["code"] == "not_an_image"


def test_a_decompression_bomb_is_refused_with_400_and_nothing_is_stored(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    case = report(world, by=world.resident).case
    out = io.BytesIO()
    Image.new("1", (20000, 20000)).save(out, "PNG")  # 400 million pixels in about 50 KB
    api = ApiClient("resident")
    response = api.client.post(
        f"/api/v1/cases/{case.ref}/photos",
        {"photos": [png_file(), SimpleUploadedFile("bomb.png", out.getvalue(), content_type="image/png")]},
        headers=api.headers,
    )
    assert response.status_code == 400
    assert response.json()["code"] == "too_many_pixels" and response.json()["field"] == "photos[1]"
    assert not Upload.objects.exists() and list(tmp_path.rglob("*.*")) == []
    assert not case.events.filter(action="add_photos").exists()


def test_evidence_is_refused_after_the_state_and_before_anything_is_written(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    ref = report(world, by=world.resident).case.ref
    truncated = SimpleUploadedFile("done.jpg", images.JPEG[:-40], content_type="image/jpeg")
    with pytest.raises(DomainError) as info:  # not yet in progress: the state is what is wrong
        actions.case_resolve(ref=ref, by=world.worker, result="已清理", evidence=[truncated])
    assert info.value.code == "wrong_state"
    actions.case_accept(ref=ref, by=world.worker)
    actions.case_dispatch(ref=ref, by=world.worker)
    actions.case_claim(ref=ref, by=world.handler_a)
    actions.case_start(ref=ref, by=world.handler_a)
    with pytest.raises(DomainError) as info:
        actions.case_resolve(ref=ref, by=world.handler_a, result="已清理", evidence=[png_file(), truncated])
    assert (info.value.code, info.value.field) == ("broken_image", "evidence[1]")
    assert Case.objects.get(ref=ref).state == "in_progress"
    assert not Upload.objects.exists() and list(tmp_path.rglob("*.*")) == []
    case = actions.case_resolve(ref=ref, by=world.handler_a, result="已清理", evidence=[png_file()])
    evidence = uploads.of(case).get()
    assert evidence.role == "evidence" and evidence.step_id == case.events.get(action="resolve").pk


def test_action_endpoints_map_refusals(world):
    case = report(world, by=world.resident).case
    worker = ApiClient("worker")
    wrong_state = worker.post(f"/cases/{case.ref}/close", {})
    assert wrong_state.status_code == 409
    assert wrong_state.json()["code"] == "wrong_state"
    assert set(wrong_state.json()["allowed_actions"]) == {
        "accept",
        "reject",
        "merge",
        "recategorise",
        "escalate",
    }
    missing = worker.post(f"/cases/{case.ref}/reject", {})
    assert missing.status_code == 400 and missing.json()["field"] == "reason"
    out_of_scope = ApiClient("street2").post(f"/cases/{case.ref}/accept", {})
    assert out_of_scope.status_code == 404
    assert ApiClient("street2").get(f"/cases/{case.ref}").status_code == 404
    ok = worker.post(f"/cases/{case.ref}/accept", {})
    assert ok.status_code == 200 and ok.json()["state"] == "accepted"
    assert "dispatch" in ok.json()["allowed_actions"]
    dispatched = worker.post(f"/cases/{case.ref}/dispatch", {"assist_unit_ids": [999999]})
    assert dispatched.status_code == 400 and dispatched.json()["field"] == "assist_unit_ids"
    dispatched = worker.post(f"/cases/{case.ref}/dispatch", {})
    assert dispatched.status_code == 200 and dispatched.json()["lead_unit"]["name"] == "城管执法局"
    unit = ApiClient("ha")
    assert [c["ref"] for c in unit.get("/cases").json()["items"]] == [case.ref]
    assert unit.post(f"/cases/{case.ref}/claim").status_code == 200
    resolved = unit.client.post(f"/api/v1/cases/{case.ref}/resolve", {"result": ""}, headers=unit.headers)
    assert resolved.status_code == 409  # claimed, not yet started
    unit.post(f"/cases/{case.ref}/start")
    resolved = unit.client.post(f"/api/v1/cases/{case.ref}/resolve", {"result": ""}, headers=unit.headers)
    assert resolved.status_code == 400 and resolved.json()["field"] == "result"
    timeline = worker.get(f"/cases/{case.ref}/timeline").json()
    assert [e["action"] for e in timeline] == ["report", "accept", "dispatch", "claim", "start"]
    resolved = unit.post(f"/cases/{case.ref}/resolve", {"result": "已清理"})  # JSON, like every action
    assert resolved.status_code == 200 and resolved.json()["state"] == "resolved"
    assert resolved.json()["result"] == "已清理"


def test_list_filters_and_scope(world):
    report(world, by=world.resident)
    report(world, by=world.resident, point=IN_GRID_221)
    district = ApiClient("district").get("/cases").json()
    assert district["count"] == 2
    street = ApiClient("street").get("/cases").json()
    assert street["count"] == 1 and street["items"][0]["grid"].startswith("610302001")
    assert ApiClient("district").get("/cases?area=610302002").json()["count"] == 1
    assert ApiClient("district").get("/cases?state=accepted").json()["count"] == 0
    assert ApiClient("district").get("/cases?overdue=true").json()["count"] == 0
    bad = ApiClient("district").get("/cases?start=yesterday")
    assert bad.status_code == 400 and bad.json()["field"] == "start"
    assert ApiClient("resident").get("/cases").json()["count"] == 2  # their own reports


def test_public_tracking_shows_no_personal_data(world):
    intake = report(world, by=None, reporter_name="孙大爷", reporter_phone="13611112222")
    actions.case_accept(ref=intake.case.ref, by=world.worker)
    response = Client().get(f"/api/v1/public/cases/{intake.case.ref}")
    assert response.status_code == 200
    text = response.content.decode()
    for secret in ("孙大爷", "13611112222", "1361", "worker", "网格1-1-1·"):
        assert secret not in text
    data = response.json()
    assert data["grid"] == "网格1-1-1" and data["community"] == "社区1-1"
    assert [e["action"] for e in data["timeline"]] == ["report", "accept"]
    assert Client().get("/api/v1/public/cases/610302-20990101-000001").status_code == 404


def test_rating_over_api_with_token(world):
    response = ApiClient().post("/cases", body())
    ref, token = response.json()["ref"], response.json()["rate_token"]
    case = Case.objects.get(ref=ref)
    from .test_workflow import walk_to

    walk_to(world, "closed", case.ref)
    anon = ApiClient()
    assert anon.post(f"/cases/{ref}/rate", {"rating": "satisfied"}).status_code == 401
    bad = anon.post(f"/cases/{ref}/rate", {"rating": "satisfied", "token": "nope"})
    assert bad.status_code == 404
    ok = anon.post(f"/cases/{ref}/rate", {"rating": "unsatisfied", "comment": "仍有异味", "token": token})
    assert ok.status_code == 200 and ok.json()["rated"] is True
    reopened = anon.post(f"/cases/{ref}/reopen", {"reason": "仍有异味", "token": token})
    assert reopened.status_code == 200 and reopened.json()["state"] == "accepted"


def test_bad_bearer_token_is_not_anonymous(world):
    response = ApiClient().post("/cases", body(), headers={"Authorization": "Bearer wrong"})
    assert response.status_code == 401
    assert not Case.objects.exists()


def test_openapi_has_one_endpoint_per_action(world):
    paths = Client().get("/api/v1/openapi.json").json()["paths"]
    for action in (
        "accept",
        "reject",
        "merge",
        "dispatch",
        "claim",
        "return",
        "start",
        "resolve",
        "verify",
        "rework",
        "close",
        "rate",
        "reopen",
        "escalate",
        "whistle",
        "report",
        "extend",
    ):
        assert f"/api/v1/cases/{{ref}}/{action}" in paths, action
    for path in (
        "/api/v1/cases",
        "/api/v1/cases/{ref}",
        "/api/v1/cases/{ref}/timeline",
        "/api/v1/public/cases/{ref}",
        "/api/v1/inbox",
    ):
        assert path in paths


def test_session_login_then_inbox(world):
    client = Client(enforce_csrf_checks=True)
    client.get("/login/")
    login = client.post(
        "/login/",
        {"username": "ha", "password": PASSWORD, "csrfmiddlewaretoken": client.cookies["csrftoken"].value},
    )
    assert login.status_code == 302
    case = report(world, by=world.resident).case
    actions.case_accept(ref=case.ref, by=world.worker)
    actions.case_dispatch(ref=case.ref, by=world.worker)
    inbox = client.get("/api/v1/inbox").json()
    assert inbox["count"] == 1 and inbox["items"][0]["kind"] == "dispatch"
    note_id = inbox["items"][0]["id"]
    # unsafe methods with the session need the CSRF token
    assert client.post(f"/api/v1/inbox/{note_id}/read").status_code in (401, 403)
    api = ApiClient("ha")
    assert api.post(f"/inbox/{note_id}/read").json() == {"marked": 1, "unread": 0}
    assert ApiClient("hb").post(f"/inbox/{note_id}/read").status_code == 404
