"""Discovery, the service list and service definitions, in JSON and XML, against the spec's field lists."""

from __future__ import annotations

import pytest

from gridgov.cases.models import Category, CategoryAttribute

from .conftest import (
    ATTRIBUTE_FIELDS,
    BASE,
    DEFINITION_FIELDS,
    DISCOVERY_FIELDS,
    ENDPOINT_FIELDS,
    SERVICE_FIELDS,
    VALUE_FIELDS,
    parse,
    tags,
    xml_value,
)

pytestmark = pytest.mark.django_db


def test_discovery_names_the_endpoint_and_its_formats_in_json(client, world):  # noqa: ARG001
    response = client.get(f"{BASE}/discovery.json")
    assert response.status_code == 200
    body = parse(response, "json")
    assert list(body) == DISCOVERY_FIELDS
    [endpoint] = body["endpoints"]
    assert list(endpoint) == ENDPOINT_FIELDS
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2/"
    assert endpoint["type"] == "production"
    assert endpoint["formats"] == ["application/json", "text/xml"]
    assert body["changeset"] == "2026-12-04T00:00:00+08:00"


def test_discovery_in_xml(client, world):  # noqa: ARG001
    root = parse(client.get(f"{BASE}/discovery.xml"), "xml")
    assert root.tag == "discovery"
    assert tags(root) == DISCOVERY_FIELDS
    endpoint = root.find("endpoints/endpoint")
    assert tags(endpoint) == ENDPOINT_FIELDS
    assert [f.text for f in endpoint.find("formats")] == ["application/json", "text/xml"]
    assert [f.tag for f in endpoint.find("formats")] == ["format", "format"]


def test_services_are_the_categories_a_report_can_name(client, world):  # noqa: ARG001
    body = parse(client.get(f"{BASE}/services.json"), "json")
    # "city" has a sub-category: reports go to the sub-category, as on the report page
    assert [s["service_code"] for s in body] == ["parking", "litter"]
    for service in body:
        assert list(service) == SERVICE_FIELDS
    parking, litter = body
    assert parking == {
        "service_code": "parking",
        "service_name": "违章停车",
        "description": parking["description"],
        "metadata": True,
        "type": "realtime",
        "keywords": "城市管理, 违章停车",
        "group": "城市管理",
    }
    assert "24" in parking["description"]
    assert litter["metadata"] is False
    assert litter["group"] == "垃圾堆放"


def test_services_in_xml(client, world):  # noqa: ARG001
    root = parse(client.get(f"{BASE}/services.xml"), "xml")
    assert root.tag == "services"
    assert [s.tag for s in root] == ["service", "service"]
    for service in root:
        assert tags(service) == SERVICE_FIELDS
    assert root[0].findtext("metadata") == "true"
    assert root[1].findtext("metadata") == "false"
    assert root[0].findtext("service_name") == "违章停车"


def test_service_definition_inherits_the_parent_categorys_attributes(client, world):  # noqa: ARG001
    body = parse(client.get(f"{BASE}/services/parking.json"), "json")
    assert list(body) == DEFINITION_FIELDS
    assert body["service_code"] == "parking"
    attributes = body["attributes"]
    assert [a["code"] for a in attributes] == ["plate", "vehicle", "blocked", "since", "cars", "landmark"]
    for attribute in attributes:
        assert list(attribute) == ATTRIBUTE_FIELDS
        assert attribute["variable"] is True
    plate, vehicle, blocked, since, cars, landmark = attributes
    assert plate["datatype"] == "string"
    assert plate["required"] is True
    assert plate["description"] == "车牌号"
    assert plate["datatype_description"] == "如 陕C12345"
    assert plate["order"] == 1
    assert plate["values"] == []
    assert vehicle["datatype"] == "singlevaluelist"
    assert vehicle["values"] == [{"key": "car", "name": "小汽车"}, {"key": "truck", "name": "货车"}]
    for value in vehicle["values"]:
        assert list(value) == VALUE_FIELDS
    assert blocked["datatype"] == "multivaluelist"
    assert (since["datatype"], cars["datatype"]) == ("datetime", "number")
    assert landmark["required"] is False  # from the parent category "city"


def test_service_definition_in_xml(client, world):  # noqa: ARG001
    root = parse(client.get(f"{BASE}/services/parking.xml"), "xml")
    assert root.tag == "service_definition"
    assert tags(root) == DEFINITION_FIELDS
    attributes = root.find("attributes")
    assert [a.tag for a in attributes] == ["attribute"] * 6
    for attribute in attributes:
        assert tags(attribute) == ATTRIBUTE_FIELDS
    vehicle = xml_value(attributes[1])
    assert vehicle["required"] == "false"
    assert vehicle["variable"] == "true"
    assert vehicle["values"] == [{"key": "car", "name": "小汽车"}, {"key": "truck", "name": "货车"}]
    assert attributes[0].findtext("required") == "true"


def test_a_category_with_sub_categories_or_inactive_is_no_service(client, world):
    assert client.get(f"{BASE}/services/city.json").status_code == 404
    Category.objects.filter(pk=world.litter.pk).update(is_active=False)
    from gridgov.cases import category_cache

    category_cache.bump_version()
    response = client.get(f"{BASE}/services/litter.xml")
    assert response.status_code == 404
    root = parse(response, "xml")
    assert root.tag == "errors"
    assert root.findtext("error/code") == "404"


def test_a_new_attribute_shows_at_once(client, world):
    CategoryAttribute.objects.create(category=world.litter, code="bags", label="袋数", datatype="number")
    body = parse(client.get(f"{BASE}/services/litter.json"), "json")
    assert [a["code"] for a in body["attributes"]] == ["bags"]
    services = parse(client.get(f"{BASE}/services.json"), "json")
    assert [s["metadata"] for s in services] == [True, True]
