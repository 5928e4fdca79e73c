"""A real GeoReport v2 client against a live server: discovery → services → service definition → report
→ token → the request by its id, in JSON and in XML.

The reads go through ``georeport`` from PyPI (0.3.1, the one GeoReport v2 client there that runs on
Python 3: ``three`` and ``open311`` are Python 2 only). It has no discovery, report or token call, so
those are made as the spec describes them, with ``urllib``."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from urllib.parse import urlencode

import pytest
from georeport import GeoReport

from gridgov.cases.models import Case

from .conftest import IN_GRID_111, build_world

pytestmark = pytest.mark.django_db(transaction=True)


def fetch(url: str, data: dict | None = None) -> tuple[int, bytes]:
    body = urlencode(data, doseq=True).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, method="POST" if body else "GET")
    if body:
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with urllib.request.urlopen(request, timeout=20) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_round_trip_with_a_georeport_client(live_server, fmt):
    world = build_world()
    status, raw = fetch(f"{live_server.url}/open311/v2/discovery.json")
    assert status == 200
    [endpoint] = json.loads(raw)["endpoints"]
    root = endpoint["url"]
    assert root == f"{live_server.url}/open311/v2/"

    client = GeoReport(root, api_key=world.key, output_format=fmt)
    services = client.get_service_list()
    parking = next(s for s in services if s["service_code"] == "parking")
    assert str(parking["metadata"]).lower() == "true"

    definition = client.get_service_definition("parking")
    attributes = definition["attributes"]
    if fmt == "xml":
        attributes = attributes["attribute"]
    required = [a["code"] for a in attributes if str(a["required"]).lower() == "true"]
    assert required == ["plate"]

    form = {
        "api_key": client.api_key,
        "service_code": parking["service_code"],
        "lat": IN_GRID_111[1],
        "long": IN_GRID_111[0],
        "address_string": "渭滨路1号门口",
        "description": "白色轿车停在消防通道上两天了",
        "phone": "13800001111",
        "attribute[plate]": "陕C12345",
        "attribute[blocked][]": ["exit", "ramp"],
    }
    status, raw = fetch(f"{root}requests.{fmt}", form)
    assert status == 201, raw
    if fmt == "json":
        [posted] = json.loads(raw)
    else:
        posted = {child.tag: child.text for child in ET.fromstring(raw).find("request")}
    ref, token = posted["service_request_id"], posted["token"]

    status, raw = fetch(f"{root}tokens/{token}.json")
    assert status == 200
    assert json.loads(raw) == [{"service_request_id": ref, "token": token}]

    request = client.get_service_request(ref)
    assert request["service_request_id"] == ref
    assert request["status"] == "open"
    assert request["service_code"] == "parking"
    assert request["address"] == "社区1-1 网格1-1-1"
    listed = client.get_service_requests(service_request_id=ref)
    if fmt == "xml":
        listed = [listed]  # xmltodict gives the one request itself
    assert [r["service_request_id"] for r in listed] == [ref]

    case = Case.objects.get(ref=ref)
    assert case.channel == "open311"
    assert case.attributes == {"plate": "陕C12345", "blocked": ["exit", "ramp"]}
