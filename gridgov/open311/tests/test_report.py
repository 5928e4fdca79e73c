"""POST requests: a report from a client application goes through the normal intake."""

from __future__ import annotations

import json

import pytest

from gridgov.cases.models import Case, CaseEvent
from gridgov.core.models import Upload
from gridgov.open311.tokens import ref_of_token
from gridgov.testing.images import upload

from .conftest import BASE, IN_GRID_111, IN_GRID_221, POST_FIELDS, parse, report, tags, xml_value

pytestmark = pytest.mark.django_db


def test_a_form_report_makes_a_case_through_the_intake(client, world):
    response = report(
        client,
        world,
        **{"attribute[vehicle]": "car", "attribute[blocked][]": ["exit", "ramp"], "attribute[cars]": "2"},
    )
    assert response.status_code == 201, response.content
    [row] = parse(response, "json")
    assert list(row) == POST_FIELDS
    case = Case.objects.get(ref=row["service_request_id"])
    assert case.channel == "open311"
    assert case.category == world.parking
    assert case.area_code == "610302001001001"  # placed in its grid by the point
    assert case.reporter_name == "王建国"
    assert case.reporter_phone == "13800001111"
    assert case.attributes == {
        "plate": "陕C12345",
        "vehicle": "car",
        "blocked": ["exit", "ramp"],
        "cars": "2",
    }
    assert row["account_id"] is None
    assert row["service_notice"]
    assert ref_of_token(row["token"]) == case.ref
    event = CaseEvent.objects.get(case=case, action="report")
    assert event.data == {"channel": "open311", "client_app": world.app.pk}


def test_a_report_answers_in_xml(client, world):
    response = report(client, world, "xml")
    assert response.status_code == 201
    root = parse(response, "xml")
    assert root.tag == "service_requests"
    [request] = root
    assert request.tag == "request"
    assert tags(request) == POST_FIELDS
    assert Case.objects.filter(ref=request.findtext("service_request_id")).exists()
    assert xml_value(request)["account_id"] == ""


def test_a_json_body_with_an_attribute_object(client, world):
    body = {
        "api_key": world.key,
        "service_code": "parking",
        "lat": IN_GRID_111[1],
        "long": IN_GRID_111[0],
        "description": "白色小车堵住消防通道两天了",
        "phone": "13800001111",
        "attribute": {"plate": "陕C54321", "blocked": ["exit"]},
    }
    response = client.post(f"{BASE}/requests.json", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 201, response.content
    case = Case.objects.get(ref=parse(response, "json")[0]["service_request_id"])
    assert case.attributes == {"plate": "陕C54321", "blocked": ["exit"]}


def test_flat_attribute_keys_in_json(client, world):
    body = {
        "api_key": world.key,
        "service_code": "parking",
        "lat": str(IN_GRID_111[1]),
        "long": str(IN_GRID_111[0]),
        "description": "白色小车堵住消防通道两天了",
        "phone": "13800001111",
        "attribute[plate]": "陕C54321",
    }
    response = client.post(f"{BASE}/requests.json", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 201
    assert Case.objects.get().attributes == {"plate": "陕C54321"}


def test_a_missing_required_attribute_is_refused_naming_it(client, world):
    response = report(client, world, **{"attribute[plate]": None})
    assert response.status_code == 400
    [error] = parse(response, "json")
    assert error["code"] == 400
    assert error["description"].startswith("attribute[plate]: ")
    assert "车牌号" in error["description"]
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("attribute[vehicle]", "bicycle"),
        ("attribute[cars]", "many"),
        ("attribute[since]", "yesterday"),
        ("attribute[plate]", "陕" * 201),
        ("attribute[colour]", "red"),
    ],
)
def test_a_bad_attribute_value_is_refused_naming_it(client, world, field, value):
    response = report(client, world, "xml", **{field: value})
    assert response.status_code == 400
    root = parse(response, "xml")
    assert root.findtext("error/code") == "400"
    assert root.findtext("error/description").startswith(f"{field}: ")
    assert not Case.objects.exists()


def test_attribute_values_are_kept_in_their_plain_form(client, world):
    response = report(
        client,
        world,
        **{
            "attribute[since]": "2026-11-22T20:15:00Z",
            "attribute[vehicle]": "货车",
            "attribute[cars]": "3.50",
        },
    )
    assert response.status_code == 201
    case = Case.objects.get()
    assert case.attributes["since"] == "2026-11-23T04:15:00+08:00"
    assert case.attributes["vehicle"] == "truck"  # the choice's name is taken for its key
    assert case.attributes["cars"] == "3.50"


def test_unknown_service_code_is_a_bad_request(client, world):
    response = report(client, world, service_code="nothing")
    assert response.status_code == 400
    assert parse(response, "json")[0]["description"].startswith("service_code: ")
    response = report(client, world, service_code=None)
    assert response.status_code == 400
    assert parse(response, "json")[0]["description"].startswith("service_code: ")


def test_intake_refusals_name_the_open311_fields(client, world):
    response = report(client, world, service_code="litter", phone=None, **{"attribute[plate]": None})
    assert response.status_code == 400
    assert parse(response, "json")[0]["description"].startswith("phone: ")  # litter is never anonymous
    response = report(client, world, phone="12")
    assert parse(response, "json")[0]["description"].startswith("phone: ")
    response = report(client, world, description="短")
    assert parse(response, "json")[0]["description"].startswith("description: ")
    response = report(client, world, long=None)
    assert parse(response, "json")[0]["description"].startswith("long: ")
    response = report(client, world, lat="north")
    assert parse(response, "json")[0]["description"].startswith("lat: ")
    response = report(client, world, first_name="名" * 51)
    assert parse(response, "json")[0]["description"].startswith("first_name: ")
    assert not Case.objects.exists()


def test_without_a_phone_an_anonymous_category_takes_an_anonymous_report(client, world):
    response = report(client, world, phone=None)
    assert response.status_code == 201
    case = Case.objects.get()
    assert case.anonymous
    assert (case.reporter_name, case.reporter_phone) == ("", "")


def test_a_point_outside_every_grid_or_in_another_district_is_refused(client, world):
    response = report(client, world, lat="35.5", long="108.5")
    assert response.status_code == 400
    assert parse(response, "json")[0]["description"].startswith("lat: ")
    from gridgov.areas.actions import area_create
    from gridgov.testing.factories import rect

    area_create(
        by=world.tree.admin,
        code="610303",
        name="金台区",
        parent_code=None,
        boundary=rect(108, 34, 108.2, 34.1),
    )
    response = report(client, world, jurisdiction_id="610303")
    assert response.status_code == 400
    assert "lat: " in parse(response, "json")[0]["description"]
    assert not Case.objects.exists()


def test_address_string_alone_is_placed_at_the_building_it_names(client, world):
    response = report(client, world, lat=None, long=None, address_string="渭滨区姜谭路12号3号楼2单元")
    assert response.status_code == 201, response.content
    case = Case.objects.get()
    assert (case.lng, case.lat) == (107.06, 34.03)
    assert case.area_code == "610302001001002"
    assert case.address == "渭滨区姜谭路12号3号楼2单元"
    report_step = CaseEvent.objects.get(case=case, action="report")
    assert report_step.data == {
        "channel": "open311",
        "client_app": world.app.pk,
        "building": world.building.pk,
    }


def test_address_id_is_a_building_of_the_district(client, world):
    response = report(client, world, lat=None, long=None, address_id=str(world.building.pk))
    assert response.status_code == 201
    case = Case.objects.get()
    assert case.area_code == "610302001001002"
    assert case.address == "姜谭路12号3号楼"
    response = report(client, world, lat=None, long=None, address_id="999999")
    assert response.status_code == 400
    assert parse(response, "json")[0]["description"].startswith("address_id: ")


def test_an_address_no_building_has_is_a_district_case_when_there_is_one_district(client, world):
    response = report(client, world, lat=None, long=None, address_string="某个找不到的地方")
    assert response.status_code == 201
    case = Case.objects.get()
    assert (case.area_code, case.level, case.lat) == ("610302", "district", None)


def test_no_place_at_all_is_refused(client, world):
    response = report(client, world, lat=None, long=None)
    assert response.status_code == 400
    assert parse(response, "json")[0]["description"].startswith("lat: ")


def test_the_idempotency_key_returns_the_first_case_and_token(client, world):
    first = report(client, world, headers={"Idempotency-Key": "abc-1"})
    again = report(client, world, headers={"Idempotency-Key": "abc-1"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert parse(first, "json") == parse(again, "json")
    assert Case.objects.count() == 1
    # the key the intake keeps is neither the client's text nor shared with other applications
    assert "abc-1" not in Case.objects.get().idempotency_key


def test_the_same_idempotency_key_of_two_applications_makes_two_cases(client, world):
    from gridgov.open311 import actions

    _other, other_key = actions.client_app_create(by=None, name="另一个应用", rate_limit=0)
    assert report(client, world, headers={"Idempotency-Key": "k"}).status_code == 201
    assert report(client, world, api_key=other_key, headers={"Idempotency-Key": "k"}).status_code == 201
    assert Case.objects.count() == 2


def test_tokens_cannot_be_made_up(client, world):
    [row] = parse(report(client, world), "json")
    ref, token = row["service_request_id"], row["token"]
    assert ref_of_token(token) == ref
    assert ref_of_token(f"{ref}.0000") is None
    assert ref_of_token(ref) is None
    assert ref_of_token("") is None


def test_media_files_become_the_cases_photos(client, world):
    data = {
        "api_key": world.key,
        "service_code": "parking",
        "lat": str(IN_GRID_111[1]),
        "long": str(IN_GRID_111[0]),
        "description": "小区门口有车长期占用消防通道",
        "attribute[plate]": "陕C12345",
        "phone": "13800001111",
        "media": upload(),
    }
    response = client.post(f"{BASE}/requests.json", data=data)
    assert response.status_code == 201, response.content
    case = Case.objects.get()
    assert Upload.objects.filter(owner="cases.case", owner_id=case.pk, role="photo").count() == 1


def test_a_report_in_another_district_needs_its_jurisdiction(client, world):
    from gridgov.areas.actions import area_create
    from gridgov.testing.factories import rect

    area_create(
        by=world.tree.admin,
        code="610303",
        name="金台区",
        parent_code=None,
        boundary=rect(108, 34, 108.2, 34.1),
    )
    response = report(client, world)
    assert response.status_code == 400
    assert parse(response, "json")[0]["description"].startswith("jurisdiction_id: ")
    response = report(client, world, jurisdiction_id="610302")
    assert response.status_code == 201
    response = report(client, world, jurisdiction_id="999999")
    assert response.status_code == 400
    assert parse(response, "json")[0]["description"].startswith("jurisdiction_id: ")
    response = report(client, world, lat=None, long=None, address_string="找不到", jurisdiction_id="610302")
    assert parse(response, "json")[0]["description"].startswith("address_string: ")


def test_point_in_second_grid_of_other_street(client, world):
    response = report(client, world, lat=str(IN_GRID_221[1]), long=str(IN_GRID_221[0]))
    assert response.status_code == 201
    assert Case.objects.get().area_code == "610302002002002"
