"""Text that cannot be stored, bodies that are not JSON or too large, and paths that do not exist are
answered with a clear 400/404/405/413 — JSON under /api/, a page elsewhere — and nothing is written."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from gridgov.cases.models import Case
from gridgov.testing.api import ApiClient

from .conftest import IN_GRID_111

pytestmark = pytest.mark.django_db


def intake(**changes) -> dict:
    data = {
        "category": "litter",
        "description": "路边垃圾桶满溢",
        "lng": IN_GRID_111[0],
        "lat": IN_GRID_111[1],
        "reporter_phone": "13800001111",
    }
    data.update(changes)
    return data


def post_raw(path: str, raw: str):
    return Client().post(f"/api/v1{path}", data=raw, content_type="application/json")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"description": "路边垃圾桶满溢\ud800"}, "description"),
        ({"description": "路边垃圾桶满溢\x00"}, "description"),
        ({"address": "幸福路\x07号"}, "address"),
        ({"reporter_name": "\udfff"}, "reporter_name"),
    ],
)
def test_text_that_cannot_be_stored_is_a_400_naming_the_field(world, changes, field):
    # json.dumps writes the lone surrogate as \ud800, as a client would
    response = post_raw("/cases", json.dumps(intake(**changes)))
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid_text" and response.json()["field"] == field
    assert not Case.objects.exists()


def test_the_field_of_a_nested_value_is_named_by_its_path(world):
    staff = ApiClient("community")
    response = staff.post("/areas", {"parent": "610302001001", "name": "网格", "extra": [{"note": "\x01"}]})
    assert response.status_code == 400
    assert response.json()["field"] == "extra[0].note"


def test_tab_newline_and_carriage_return_are_text(world):
    response = post_raw("/cases", json.dumps(intake(description="第一行\r\n第二行\t（完）")))
    assert response.status_code == 201, response.content


def test_a_query_string_with_a_control_character_is_refused(world):
    staff = ApiClient("community")
    response = staff.get("/cases?q=%00abc")
    assert response.status_code == 400
    assert response.json() == {"code": "invalid_text", "message": response.json()["message"], "field": "q"}


def test_a_form_field_with_a_control_character_gets_a_400_page(world, client):
    response = client.post("/report/", {"category": "litter", "description": "垃圾\x00桶满", "lat": "34.01"})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert "description" in response.content.decode()
    assert not Case.objects.exists()


def test_a_body_that_is_not_json_is_a_400_saying_where(world):
    response = post_raw("/cases", '{"category": "litter", "description": ')
    assert response.status_code == 400
    answer = response.json()
    assert answer["code"] == "invalid_json" and "1" in answer["message"] and answer["field"] is None


def test_a_body_over_the_limit_is_a_413_in_json(world, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = post_raw("/cases", json.dumps(intake(description="满" * 2000)))
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert not Case.objects.exists()


def test_an_unknown_path_under_the_api_is_a_json_404(world):
    response = Client().get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "not_found"


def test_a_method_the_endpoint_does_not_take_is_a_json_405_with_allow(world):
    response = Client().delete("/api/v1/categories")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
    assert "GET" in response["Allow"]


def test_pages_keep_their_html_404(world, client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")
