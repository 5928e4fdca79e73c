"""Refusals in the spec's format — a list of {code, description}, <errors><error>… — with their status."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from gridgov.cases.models import Case
from gridgov.open311 import actions

from .conftest import BASE, ERROR_FIELDS, parse, report

pytestmark = pytest.mark.django_db


def error_of(response, fmt: str) -> tuple[int, str]:
    if fmt == "json":
        [error] = parse(response, "json")
        assert list(error) == ERROR_FIELDS
        return error["code"], error["description"]
    root = parse(response, "xml")
    assert root.tag == "errors"
    [error] = root
    assert error.tag == "error"
    assert [c.tag for c in error] == ERROR_FIELDS
    return int(error.findtext("code")), error.findtext("description")


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_service_code_is_404(client, world, fmt):  # noqa: ARG001
    response = client.get(f"{BASE}/services/nothing.{fmt}")
    assert response.status_code == 404
    code, description = error_of(response, fmt)
    assert code == 404
    assert description.startswith("service_code: ")


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_request_id_is_404(client, world, fmt):  # noqa: ARG001
    response = client.get(f"{BASE}/requests/610302-20261123-999999.{fmt}")
    assert response.status_code == 404
    assert error_of(response, fmt)[0] == 404


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("start_date=yesterday", "start_date"),
        ("end_date=2026-13-01", "end_date"),
        ("start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z", "end_date"),
        ("start_date=2026-06-01T00:00:00Z&end_date=2026-05-01T00:00:00Z", "end_date"),
        ("updated_after=soon", "updated_after"),
        ("status=pending", "status"),
        ("service_code=nothing", "service_code"),
        ("bbox=1,2,3", "bbox"),
        ("bbox=107.1,34,107,34.1", "bbox"),
        ("lat=34&long=107", "radius"),
        ("lat=34&long=107&radius=100000", "radius"),
        ("page=0", "page"),
        ("extensions=maybe", "extensions"),
        ("jurisdiction_id=000000", "jurisdiction_id"),
    ],
)
def test_bad_parameters_are_400_naming_them(client, world, query, field):  # noqa: ARG001
    for fmt in ("json", "xml"):
        response = client.get(f"{BASE}/requests.{fmt}?{query}")
        assert response.status_code == 400, (query, response.content)
        code, description = error_of(response, fmt)
        assert code == 400
        assert description.startswith(f"{field}: ")


def test_a_bad_jurisdiction_is_400_everywhere(client, world):  # noqa: ARG001
    for path in (
        "services.json",
        "services/litter.json",
        "requests.json",
        "tokens/x.json",
        "requests/x.json",
    ):
        response = client.get(f"{BASE}/{path}?jurisdiction_id=999999")
        assert response.status_code == 400, path
        assert error_of(response, "json")[1].startswith("jurisdiction_id: ")
    assert report(client, world, jurisdiction_id="999999").status_code == 400


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_missing_key_is_403(client, world, fmt):
    response = report(client, world, fmt, api_key=None)
    assert response.status_code == 403
    code, description = error_of(response, fmt)
    assert code == 403
    assert description.startswith("api_key: ")
    assert not Case.objects.exists()


def test_a_wrong_key_is_403(client, world):
    prefix = world.key.split(".")[0]
    for wrong in ("nonsense", f"{prefix}.wrong-secret", world.key + "x", "x" * 500):
        response = report(client, world, api_key=wrong)
        assert response.status_code == 403, wrong
        assert error_of(response, "json")[1].startswith("api_key: ")
    assert not Case.objects.exists()


def test_a_revoked_key_is_403_and_a_new_key_works(client, world):
    assert report(client, world).status_code == 201
    actions.client_app_revoke(by=world.tree.admin, app=world.app, reason="合作结束")
    response = report(client, world)
    assert response.status_code == 403
    assert "吊销" in error_of(response, "json")[1]
    key = actions.client_app_rotate_key(by=world.tree.admin, app=world.app)
    assert report(client, world).status_code == 403  # the old key stays dead
    assert report(client, world, api_key=key).status_code == 201


def test_wrong_keys_are_throttled_per_address(client, world, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "signin": 3}
    statuses = [report(client, world, api_key="bad.key").status_code for _ in range(4)]
    assert statuses == [403, 403, 403, 429]


def test_an_applications_reports_are_limited_per_minute(client, world):
    world.app.rate_limit = 2
    world.app.save(update_fields=["rate_limit"])
    statuses = [report(client, world, "xml").status_code for _ in range(3)]
    assert statuses == [201, 201, 429]
    response = report(client, world, "xml")
    assert int(response["Retry-After"]) >= 1
    code, description = error_of(response, "xml")
    assert code == 429
    assert Case.objects.count() == 2


def test_anonymous_reads_are_limited_as_public(client, world, settings):  # noqa: ARG001
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "public": 2}
    statuses = [client.get(f"{BASE}/services.json").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    response = client.get(f"{BASE}/requests.json")
    assert response.status_code == 429
    assert response["Retry-After"]
    assert error_of(response, "json")[0] == 429


def test_a_body_that_is_not_json_is_400(client, world):
    response = client.post(f"{BASE}/requests.json", data="{nope", content_type="application/json")
    assert response.status_code == 400
    assert error_of(response, "json")[0] == 400
    response = client.post(f"{BASE}/requests.xml", data="[1, 2]", content_type="application/json")
    assert response.status_code == 400
    assert error_of(response, "xml")[0] == 400
    response = client.post(
        f"{BASE}/requests.json",
        data=json.dumps({"api_key": world.key, "lat": [1]}),
        content_type="application/json",
    )
    assert error_of(response, "json")[1].startswith("lat: ")


def test_a_method_the_resource_does_not_take_is_405_with_allow(client, world):  # noqa: ARG001
    response = client.post(f"{BASE}/services.json")
    assert response.status_code == 405
    assert response["Allow"] == "GET"
    assert error_of(response, "json")[0] == 405
    response = client.delete(f"{BASE}/requests.xml")
    assert response["Allow"] == "GET, POST"
    assert error_of(response, "xml")[0] == 405


@pytest.mark.parametrize(("path", "fmt"), [("nothing.json", "json"), ("services.csv", "xml"), ("", "xml")])
def test_an_unknown_resource_is_404_in_the_specs_format(client, world, path, fmt):  # noqa: ARG001
    response = client.get(f"{BASE}/{path}")
    assert response.status_code == 404
    assert error_of(response, fmt)[0] == 404


def test_xml_escapes_what_it_carries(client, world):  # noqa: ARG001
    response = client.get(f"{BASE}/requests/<a>&amp;.xml")
    assert response.status_code == 404
    # the text came back as text: the document parses and holds it literally
    assert "<a>&amp;" in error_of(response, "xml")[1]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_text_that_cannot_be_stored_is_refused_in_the_specs_format(client, fmt):
    response = client.get(f"/open311/v2/requests.{fmt}?service_code=a%00b")
    assert response.status_code == 400
    if fmt == "json":
        [error] = response.json()
        assert error["code"] == 400 and error["description"]
    else:
        root = ET.fromstring(response.content)
        assert root.tag == "errors" and root.find("error/code").text == "400"
