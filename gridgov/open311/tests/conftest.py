"""A small world for the Open311 tests: the two-street test district, a category tree with attributes, a
unit, staff to move cases along, a building with an address, and a client application with its key."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from gridgov.accounts.models import Unit, User
from gridgov.cases.models import Category, CategoryAttribute, RoutingRule
from gridgov.ledger.actions import building_create
from gridgov.ledger.models import Building
from gridgov.open311 import actions, cache
from gridgov.open311.models import ClientApp
from gridgov.testing.factories import Tree, make_tree, make_user

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 23, 9, 30, tzinfo=TZ)  # a Monday morning
IN_GRID_111 = (107.01, 34.01)  # 610302001001001 (longitude, latitude)
IN_GRID_112 = (107.07, 34.02)  # 610302001001002
IN_GRID_221 = (107.17, 34.07)  # 610302002002002
BASE = "/open311/v2"

# The fields of each answer, as the GeoReport v2 specification lists them.
DISCOVERY_FIELDS = ["changeset", "contact", "key_service", "endpoints"]
ENDPOINT_FIELDS = ["specification", "url", "changeset", "type", "formats"]
SERVICE_FIELDS = ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]
DEFINITION_FIELDS = ["service_code", "attributes"]
ATTRIBUTE_FIELDS = [
    "variable",
    "code",
    "datatype",
    "required",
    "datatype_description",
    "order",
    "description",
    "values",
]
VALUE_FIELDS = ["key", "name"]
REQUEST_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]
POST_FIELDS = ["service_request_id", "token", "service_notice", "account_id"]
TOKEN_FIELDS = ["service_request_id", "token"]
ERROR_FIELDS = ["code", "description"]


@dataclass
class World:
    tree: Tree
    city: Category
    parking: Category
    litter: Category
    unit: Unit
    community: User
    handler: User
    building: Building
    app: ClientApp
    key: str


@pytest.fixture(autouse=True)
def _fresh_open311_cache():
    cache.drop()
    yield
    cache.drop()


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def build_world() -> World:
    tree = make_tree()
    admin = tree.admin
    hours = {
        "response_limit": Decimal("2"),
        "response_unit": "urgent_hours",
        "resolution_limit": Decimal("24"),
        "resolution_unit": "urgent_hours",
    }
    city = Category.objects.create(code="city", name="城市管理", sort=1, **hours)
    parking = Category.objects.create(
        code="parking", name="违章停车", parent=city, sort=2, anonymous_allowed=True, **hours
    )
    litter = Category.objects.create(code="litter", name="垃圾堆放", sort=3, **hours)
    CategoryAttribute.objects.create(
        category=city, code="landmark", label="附近标志物", datatype="string", order=9
    )
    CategoryAttribute.objects.create(
        category=parking,
        code="plate",
        label="车牌号",
        datatype="string",
        required=True,
        order=1,
        description="如 陕C12345",
    )
    CategoryAttribute.objects.create(
        category=parking,
        code="vehicle",
        label="车辆类型",
        datatype="singlevaluelist",
        order=2,
        values=[{"key": "car", "name": "小汽车"}, {"key": "truck", "name": "货车"}],
    )
    CategoryAttribute.objects.create(
        category=parking,
        code="blocked",
        label="堵住了什么",
        datatype="multivaluelist",
        order=3,
        values=[{"key": "exit", "name": "消防通道"}, {"key": "ramp", "name": "无障碍坡道"}],
    )
    CategoryAttribute.objects.create(
        category=parking, code="since", label="停了多久", datatype="datetime", order=4
    )
    CategoryAttribute.objects.create(
        category=parking, code="cars", label="车辆数", datatype="number", order=5
    )
    unit = Unit.objects.create(name="城管执法局", kind="department", area=tree["610302"])
    for category in (parking, litter):
        RoutingRule.objects.create(category=category, area=tree["610302"], lead_unit=unit)
    building = building_create(
        by=admin,
        code="B-1",
        name="3号楼",
        grid="610302001001002",
        address="姜谭路12号3号楼",
        lng=107.06,
        lat=34.03,
    )
    app, key = actions.client_app_create(by=admin, name="12345 热线平台", rate_limit=0)
    return World(
        tree=tree,
        city=city,
        parking=parking,
        litter=litter,
        unit=unit,
        community=make_user(admin, "community", "community", area=tree["610302001001"]),
        handler=make_user(admin, "handler", "unit", unit=unit),
        building=building,
        app=app,
        key=key,
    )


@pytest.fixture
def world(db, clock) -> World:  # noqa: ARG001
    return build_world()


def report(client, world: World, fmt: str = "json", *, data: dict | None = None, headers=None, **fields):
    """POST a report as the spec's form (the test client encodes a dict as multipart; ``form=True`` sends
    x-www-form-urlencoded)."""
    from urllib.parse import urlencode

    body = {
        "api_key": world.key,
        "service_code": "parking",
        "lat": str(IN_GRID_111[1]),
        "long": str(IN_GRID_111[0]),
        "description": "小区门口有车长期占用消防通道",
        "attribute[plate]": "陕C12345",
        "phone": "13800001111",
        "first_name": "建国",
        "last_name": "王",
        **fields,
    }
    body = {k: v for k, v in body.items() if v is not None}
    return client.post(
        f"{BASE}/requests.{fmt}",
        data=data if data is not None else urlencode(body, doseq=True),
        content_type="application/x-www-form-urlencoded",
        headers=headers or {},
    )


def parse(response, fmt: str):
    """An answer as plain Python: JSON as it is; XML as nested dicts, a list for an element whose children
    repeat one name (or that the spec makes a list)."""
    if fmt == "json":
        assert response["Content-Type"] == "application/json; charset=utf-8"
        return json.loads(response.content)
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(response.content)


LISTS = {"services", "service_requests", "attributes", "values", "endpoints", "formats", "errors", "timeline"}


def xml_value(element: ET.Element):
    """An XML element as Python: text for a leaf, a list for the spec's lists, else a dict (in order)."""
    if element.tag in LISTS:
        return [xml_value(child) for child in element]
    if len(element) == 0:
        return element.text or ""
    return {child.tag: xml_value(child) for child in element}


def tags(element: ET.Element) -> list[str]:
    return [child.tag for child in element]
