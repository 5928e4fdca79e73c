"""GET requests, requests/{id} and tokens/{token}: the district's cases as the public sees them."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from gridgov.cases import actions as case_actions
from gridgov.cases.models import Case

from .conftest import (
    BASE,
    IN_GRID_111,
    IN_GRID_112,
    IN_GRID_221,
    REQUEST_FIELDS,
    TOKEN_FIELDS,
    parse,
    report,
    tags,
    xml_value,
)

pytestmark = pytest.mark.django_db

PHONE, NAME = "13955556666", "赵有才"


def portal_case(world, point=IN_GRID_111, description="楼下垃圾堆放多日无人清运", **kwargs) -> Case:
    """A case reported on the portal by a resident who left a name and phone (which no answer may show)."""
    kwargs.setdefault("category_code", world.litter.code)
    return case_actions.case_report(
        by=None,
        description=description,
        lng=point[0],
        lat=point[1],
        address="渭滨路1号",
        reporter_name=NAME,
        reporter_phone=PHONE,
        **kwargs,
    ).case


def walk(world, case: Case, to: str) -> Case:
    staff, unit = world.community, world.handler
    steps = {
        "accepted": [lambda: case_actions.case_accept(ref=case.ref, by=staff)],
        "dispatched": [
            lambda: case_actions.case_dispatch(ref=case.ref, by=staff, lead_unit_id=world.unit.pk)
        ],
        "closed": [
            lambda: case_actions.case_claim(ref=case.ref, by=unit),
            lambda: case_actions.case_start(ref=case.ref, by=unit),
            lambda: case_actions.case_resolve(ref=case.ref, by=unit, result="已拖走车辆，现场恢复通行"),
            lambda: case_actions.case_verify(ref=case.ref, by=staff, note="网格员张三核实"),
            lambda: case_actions.case_close(ref=case.ref, by=staff, note="电话回访赵有才 13955556666"),
        ],
    }
    order = ["accepted", "dispatched", "closed"]
    for name in order[: order.index(to) + 1]:
        for step in steps[name]:
            step()
    return Case.objects.get(pk=case.pk)


def rows(client, query: str = "", fmt: str = "json", **headers):
    response = client.get(f"{BASE}/requests.{fmt}{query}", headers=headers)
    assert response.status_code == 200, response.content
    return parse(response, fmt)


def test_every_request_has_the_specs_fields_in_json(client, world):
    portal_case(world)
    [row] = rows(client)
    assert list(row) == REQUEST_FIELDS
    assert row["status"] == "open"
    assert row["service_code"] == "litter"
    assert row["service_name"] == "垃圾堆放"
    assert row["requested_datetime"] == "2026-11-23T09:30:00+08:00"
    assert row["updated_datetime"] == "2026-11-23T09:30:00+08:00"
    assert row["address"] == "社区1-1 网格1-1-1"  # the public reads the community and grid, not the door
    assert (row["lat"], row["long"]) == (IN_GRID_111[1], IN_GRID_111[0])
    assert row["description"] is None  # the tracking page shows no description either
    assert row["media_url"] is None  # photos are seen only by signed-in accounts that see the case
    assert row["zipcode"] is None
    assert row["status_notes"] == "已上报"


def test_every_request_has_the_specs_fields_in_xml(client, world):
    portal_case(world)
    root = rows(client, fmt="xml")
    assert root.tag == "service_requests"
    [request] = root
    assert request.tag == "request"
    assert tags(request) == REQUEST_FIELDS
    value = xml_value(request)
    assert value["status"] == "open"
    assert value["media_url"] == ""
    assert value["lat"] == str(IN_GRID_111[1])


def test_a_dispatched_case_names_the_agency_and_the_expected_time(client, world):
    case = walk(world, portal_case(world), "dispatched")
    [row] = rows(client)
    assert row["agency_responsible"] == "城管执法局"
    assert row["expected_datetime"] == "2026-11-24T09:30:00+08:00"  # 24 urgent hours
    assert row["status_notes"] == "已派遣"
    assert row["service_request_id"] == case.ref


def test_a_closed_case_shows_its_result_and_no_names(client, world):
    walk(world, portal_case(world), "closed")
    [row] = rows(client, "?extensions=true")
    assert row["status"] == "closed"
    assert row["status_notes"] == "已结案：已拖走车辆，现场恢复通行"
    assert row["expected_datetime"] is None
    text = str(row)
    for private in (PHONE, NAME, "张三", "·community", "楼下垃圾堆放"):
        assert private not in text
    timeline = row["extensions"]["timeline"]
    assert [e["action"] for e in timeline] == [
        "report",
        "accept",
        "dispatch",
        "claim",
        "start",
        "resolve",
        "verify",
        "close",
    ]
    assert timeline[0]["label"] == "上报"
    assert timeline[5]["note"] == "已拖走车辆，现场恢复通行"
    assert timeline[6]["note"] is None  # the verifier's note is not public, as on the tracking page
    assert timeline[-1]["state"] == "closed"
    assert row["extensions"]["grid"] == "网格1-1-1"
    assert row["extensions"]["community"] == "社区1-1"


def test_a_rejected_case_gives_the_reason(client, world):
    case = portal_case(world)
    case_actions.case_reject(ref=case.ref, by=world.community, reason="不属于本平台受理范围")
    [row] = rows(client)
    assert (row["status"], row["status_notes"]) == ("closed", "不属于本平台受理范围")


def test_a_merged_case_is_closed_and_names_the_case_it_joined(client, world):
    first = portal_case(world)
    second = portal_case(world, description="同一个地方的垃圾还没人清理")
    case_actions.case_merge(ref=second.ref, by=world.community, into=first.ref, reason="同一问题")
    data = {r["service_request_id"]: r for r in rows(client, "?extensions=true")}
    assert data[second.ref]["status"] == "closed"
    assert first.ref in data[second.ref]["status_notes"]
    assert data[second.ref]["extensions"]["merged_into"] == first.ref
    assert data[first.ref]["status"] == "open"


def test_status_notes_in_the_readers_language(client, world):
    walk(world, portal_case(world), "dispatched")
    [row] = rows(client, "?extensions=true", **{"Accept-Language": "en"})
    assert row["status_notes"] == "Dispatched"
    assert row["extensions"]["state_label"] == "Dispatched"


def test_no_personal_data_in_any_answer_in_either_format(client, world):
    case = walk(world, portal_case(world), "closed")
    made = report(
        client, world, phone="13700009999", first_name="秀英", last_name="李", description="王五家的车堵门"
    )
    ref = parse(made, "json")[0]["service_request_id"]
    for fmt in ("json", "xml"):
        for path in (
            f"/requests.{fmt}?extensions=true",
            f"/requests/{case.ref}.{fmt}?extensions=true",
            f"/requests/{ref}.{fmt}?extensions=true",
        ):
            body = client.get(BASE + path).content.decode()
            for private in (PHONE, NAME, "13700009999", "李秀英", "秀英", "王五", "陕C12345", "张三"):
                assert private not in body, (path, private)


def test_service_request_id_lists_several_cases_and_overrides_other_filters(client, world):
    a, b, _c = portal_case(world), portal_case(world), portal_case(world)
    found = rows(client, f"?service_request_id={a.ref},{b.ref}&status=closed&service_code=parking")
    assert {r["service_request_id"] for r in found} == {a.ref, b.ref}


def test_filter_by_service_code_and_status(client, world):
    litter = portal_case(world)
    report(client, world)
    closed = walk(world, portal_case(world), "closed")
    assert [r["service_code"] for r in rows(client, "?service_code=parking")] == ["parking"]
    assert {r["service_request_id"] for r in rows(client, "?status=closed")} == {closed.ref}
    assert len(rows(client, "?status=open")) == 2
    assert len(rows(client, "?status=open,closed")) == 3
    assert litter.ref in {r["service_request_id"] for r in rows(client, "?service_code=litter,parking")}


def test_dates_default_to_the_last_90_days(client, world, clock):
    old = portal_case(world)
    clock.shift(timedelta(days=100))
    new = portal_case(world)
    assert [r["service_request_id"] for r in rows(client)] == [new.ref]
    found = rows(client, "?start_date=2026-11-01T00:00:00%2B08:00&end_date=2026-12-01T00:00:00Z")
    assert [r["service_request_id"] for r in found] == [old.ref]
    # an unencoded "+" arrives as a space, and is read as the "+" it was
    found = rows(client, "?start_date=2026-11-01T00:00:00+08:00")
    assert [r["service_request_id"] for r in found] == [old.ref]


def test_updated_after_and_before(client, world, clock):
    quiet = portal_case(world)
    busy = portal_case(world)
    clock.shift(timedelta(hours=3))
    case_actions.case_accept(ref=busy.ref, by=world.community)
    after = rows(client, "?updated_after=2026-11-23T11:00:00%2B08:00")
    assert [r["service_request_id"] for r in after] == [busy.ref]
    assert after[0]["updated_datetime"] == "2026-11-23T12:30:00+08:00"
    before = rows(client, "?updated_before=2026-11-23T11:00:00%2B08:00")
    assert [r["service_request_id"] for r in before] == [quiet.ref]


def test_bbox_and_radius(client, world):
    near = portal_case(world, point=IN_GRID_111)
    other = portal_case(world, point=IN_GRID_112)
    far = portal_case(world, point=IN_GRID_221)
    found = rows(client, "?bbox=107.0,34.0,107.05,34.05")
    assert [r["service_request_id"] for r in found] == [near.ref]
    # IN_GRID_112 is about 5.6 km east of IN_GRID_111
    found = rows(client, f"?lat={IN_GRID_111[1]}&long={IN_GRID_111[0]}&radius=1000")
    assert [r["service_request_id"] for r in found] == [near.ref]
    found = rows(client, f"?lat={IN_GRID_111[1]}&long={IN_GRID_111[0]}&radius=6000")
    assert {r["service_request_id"] for r in found} == {near.ref, other.ref}
    assert far.ref not in {r["service_request_id"] for r in found}


def test_the_public_reads_a_point_no_finer_than_about_100_m(client, world):
    exact = (107.012345, 34.016789)  # a door, say
    case = portal_case(world, point=exact)
    [row] = rows(client)
    assert (row["long"], row["lat"]) == (107.012, 34.017)
    assert "渭滨路1号" not in json.dumps(row, ensure_ascii=False)
    # the filters compare the rounded point: no box or circle tells where inside its cell the case is
    assert [r["service_request_id"] for r in rows(client, "?bbox=107.0121,34.0166,107.0124,34.0169")] == []
    found = rows(client, "?bbox=107.0119,34.0169,107.0121,34.0171")
    assert [r["service_request_id"] for r in found] == [case.ref]
    assert rows(client, f"?lat={exact[1]}&long={exact[0]}&radius=20") == []
    found = rows(client, "?lat=34.017&long=107.012&radius=1")
    assert [r["service_request_id"] for r in found] == [case.ref]


def test_pages_and_the_link_to_the_next(client, world):
    made = [portal_case(world) for _ in range(5)]
    response = client.get(f"{BASE}/requests.json?page_size=2")
    first = parse(response, "json")
    assert [r["service_request_id"] for r in first] == [made[4].ref, made[3].ref]
    assert response["Link"] == '<http://testserver/open311/v2/requests.json?page_size=2&page=2>; rel="next"'
    last = client.get(f"{BASE}/requests.json?page_size=2&page=3")
    assert [r["service_request_id"] for r in parse(last, "json")] == [made[0].ref]
    assert "Link" not in last
    assert client.get(f"{BASE}/requests.json?page_size=501").status_code == 400


def test_only_the_cases_of_the_district(client, world):
    from gridgov.areas.actions import area_create
    from gridgov.testing.factories import rect

    mine = portal_case(world)
    admin = world.tree.admin
    area_create(by=admin, code="610303", name="金台区", parent_code=None, boundary=rect(108, 34, 108.2, 34.1))
    area_create(
        by=admin, code="610303001", name="街", parent_code="610303", boundary=rect(108, 34, 108.2, 34.1)
    )
    area_create(
        by=admin, code="610303001001", name="社", parent_code="610303001", boundary=rect(108, 34, 108.2, 34.1)
    )
    area_create(
        by=admin,
        code="610303001001001",
        name="格",
        parent_code="610303001001",
        boundary=rect(108, 34, 108.2, 34.1),
    )
    theirs = portal_case(world, point=(108.1, 34.05))
    assert [r["service_request_id"] for r in rows(client, "?jurisdiction_id=610302")] == [mine.ref]
    assert [r["service_request_id"] for r in rows(client, "?jurisdiction_id=610303")] == [theirs.ref]
    assert client.get(f"{BASE}/requests.json").status_code == 400  # two districts: say which
    assert client.get(f"{BASE}/requests/{theirs.ref}.json?jurisdiction_id=610302").status_code == 404


def test_one_request_by_id(client, world):
    case = portal_case(world)
    for fmt in ("json", "xml"):
        response = client.get(f"{BASE}/requests/{case.ref}.{fmt}")
        assert response.status_code == 200
    [row] = parse(client.get(f"{BASE}/requests/{case.ref}.json"), "json")
    assert list(row) == REQUEST_FIELDS
    root = parse(client.get(f"{BASE}/requests/{case.ref}.xml?extensions=true"), "xml")
    assert tags(root[0]) == [*REQUEST_FIELDS, "extensions"]
    assert [e.tag for e in root[0].find("extensions/timeline")] == ["event"]


def test_a_reported_building_is_the_address_id(client, world):
    made = report(client, world, lat=None, long=None, address_id=str(world.building.pk))
    ref = parse(made, "json")[0]["service_request_id"]
    [row] = parse(client.get(f"{BASE}/requests/{ref}.json"), "json")
    assert row["address_id"] == world.building.pk
    assert row["address"] == "社区1-1 网格1-1-2"


def test_the_token_gives_the_request_id_at_once(client, world):
    [posted] = parse(report(client, world), "json")
    for fmt in ("json", "xml"):
        response = client.get(f"{BASE}/tokens/{posted['token']}.{fmt}")
        assert response.status_code == 200
    [row] = parse(client.get(f"{BASE}/tokens/{posted['token']}.json"), "json")
    assert list(row) == TOKEN_FIELDS
    assert row == {"service_request_id": posted["service_request_id"], "token": posted["token"]}
    root = parse(client.get(f"{BASE}/tokens/{posted['token']}.xml"), "xml")
    assert tags(root.find("request")) == TOKEN_FIELDS
    assert client.get(f"{BASE}/tokens/nothing.json").status_code == 404
