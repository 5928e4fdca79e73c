"""``/api/v1/party`` and the party pages: the whole journey through the API, refusals in the API's shape,
and the scope of every endpoint and page (another community's staff, a resident, a stranger)."""

from __future__ import annotations

import pytest

from gridgov.party import actions, cards
from gridgov.party.models import Member
from gridgov.testing.api import ApiClient
from gridgov.testing.factories import PASSWORD

from .conftest import COMMUNITY, GRID


@pytest.fixture
def api(world):
    return ApiClient("community")


def test_the_secretarys_journey_through_the_api(world, api):
    committee = api.post("/party/orgs", {"kind": "committee", "name": "社区党委", "area": COMMUNITY})
    assert committee.status_code == 201, committee.content
    branch = api.post(
        "/party/orgs",
        {"kind": "branch", "name": "第1网格党支部", "area": GRID, "parent": committee.json()["id"]},
    )
    assert branch.status_code == 201
    tree = api.get(f"/party/orgs?area={COMMUNITY}").json()
    assert [(o["name"], o["depth"]) for o in tree] == [("社区党委", 0), ("第1网格党支部", 1)]
    waiting = api.get("/party/unregistered").json()
    assert {r["resident"] for r in waiting["items"]} == {r.pk for r in world.party}
    member = api.post(
        "/party/members", {"org": branch.json()["id"], "status": "full", "resident": world.party[0].pk}
    )
    assert member.status_code == 201 and member.json()["name"] == world.party[0].name
    assigned = api.post(
        "/party/contacts", {"households": [h.pk for h in world.households], "member": member.json()["id"]}
    )
    assert assigned.json() == {"count": 4}
    coverage = {c["grid"]: c for c in api.get("/party/coverage").json()}
    assert coverage[GRID]["by_member"] == 4 and coverage[GRID]["percent"] == 100
    card = api.post("/party/cards", {"grid": GRID, "duties": "巡查\n走访"}).json()
    assert card["issued"] and "/card/" in card["url"]
    listed = api.get(f"/party/cards?community={COMMUNITY}").json()
    assert [c["issued"] for c in listed] == [True, False]
    history = api.get(f"/party/orgs/{branch.json()['id']}").json()["history"]
    assert [h["kind"] for h in history] == ["set_up"]


def test_refusals_have_the_apis_shape(world, api):
    bad = api.post("/party/orgs", {"kind": "division", "name": "x", "area": COMMUNITY})
    assert bad.status_code == 400 and bad.json()["field"] == "kind"
    missing = api.post("/party/members", {"org": 999999, "status": "full"})
    assert missing.status_code == 404 and missing.json()["field"] == "org"
    long_name = api.post("/party/orgs", {"kind": "committee", "name": "长" * 101, "area": COMMUNITY})
    assert long_name.status_code == 400
    wrong = api.post("/party/reports/1/fly", {"reason": ""})
    assert wrong.status_code in (400, 404)


def test_every_endpoint_keeps_to_its_scope(world, orgs):
    member = actions.member_create(
        by=world.community, org=orgs.group.pk, status="full", resident=world.party[0].pk
    )
    other = ApiClient("community2")
    assert other.get(f"/party/orgs/{orgs.branch.pk}").status_code == 404
    assert other.get(f"/party/members/{member.pk}").status_code == 404
    assert other.get("/party/members").json()["count"] == 0
    assert other.get("/party/orgs").json() == []
    assert other.post(f"/party/members/{member.pk}/leave", {"reason": "other"}).status_code == 404
    resident = ApiClient("resident")
    assert resident.get("/party/orgs").json() == []
    assert (
        resident.post("/party/orgs", {"kind": "committee", "name": "x", "area": COMMUNITY}).status_code == 403
    )
    assert resident.get("/party/me").status_code == 404
    assert ApiClient().get("/party/orgs").status_code == 401
    Member.objects.filter(pk=member.pk).update(user=world.member_user)
    me = ApiClient("member").get("/party/me")
    assert me.status_code == 200 and me.json()["member"]["id"] == member.pk


STAFF_PAGES = [
    "/party/",
    "/party/members/",
    "/party/coverage/",
    f"/party/coverage/{GRID}/",
    "/party/cards/",
    f"/party/cards/print/?community={COMMUNITY}",
    "/party/reports/",
    "/party/activities/",
]


def test_pages_open_for_staff_and_not_for_others(client, world, orgs):
    member = actions.member_create(
        by=world.community, org=orgs.group.pk, status="full", resident=world.party[0].pk
    )
    pages = [*STAFF_PAGES, f"/party/orgs/{orgs.branch.pk}/", f"/party/members/{member.pk}/"]
    client.login(username="community", password=PASSWORD)
    for page in pages:
        assert client.get(page).status_code == 200, page
    client.login(username="community2", password=PASSWORD)
    for page in (
        f"/party/coverage/{GRID}/",
        f"/party/orgs/{orgs.branch.pk}/",
        f"/party/members/{member.pk}/",
    ):
        assert client.get(page).status_code == 404, page
    assert f"/party/orgs/{orgs.branch.pk}/" not in client.get("/party/").content.decode()
    client.login(username="resident", password=PASSWORD)
    for page in pages:
        assert client.get(page).status_code == 404, page
    client.logout()
    assert client.get("/party/").status_code == 302


def test_forms_say_what_is_wrong_and_keep_data_whole(client, world, orgs):
    client.login(username="community", password=PASSWORD)
    response = client.post(
        "/party/members/", {"org": orgs.group.pk, "status": "full", "name": ""}, follow=True
    )
    assert "请选择台账中的居民" in response.content.decode()
    assert not Member.objects.exists()
    response = client.post(
        "/party/members/",
        {"org": orgs.group.pk, "status": "full", "resident": world.party[0].pk},
        follow=True,
    )
    assert "党员已登记" in response.content.decode()
    member = Member.objects.get()
    response = client.post(
        f"/party/coverage/{GRID}/",
        {"households": [world.households[0].pk], "who": f"m:{member.pk}"},
        follow=True,
    )
    assert "已指定联系人" in response.content.decode() and member.contacts.count() == 1


def test_the_member_sees_their_households_and_reports_from_their_page(client, world, orgs):
    member = actions.member_create(
        by=world.community,
        org=orgs.group.pk,
        status="full",
        resident=world.party[0].pk,
        user=world.member_user.pk,
    )
    actions.contacts_assign(by=world.community, households=[world.households[1].pk], member=member.pk)
    client.login(username="member", password=PASSWORD)
    page = client.get("/party/me/").content.decode()
    assert world.households[1].label in page
    response = client.post("/party/me/", {"community": COMMUNITY, "note": "周末有空"}, follow=True)
    assert "报到申请已提交" in response.content.decode()
    assert member.reports.get().state == "pending"
    client.login(username="resident", password=PASSWORD)
    assert client.get("/party/me/").status_code == 404


def test_the_card_page_is_public_and_rate_limited_like_other_public_pages(client, world, orgs):
    card = actions.card_issue(by=world.community, grid=GRID)
    assert client.get(cards.card_path(card)).status_code == 200


def test_no_get_endpoint_shows_another_communitys_party_data(world, orgs):
    """Every GET of ``/api/v1/party`` (read from the API's own document), with the ids of this community's
    rows, as another community's staff and as a resident: refused, or without any of those rows."""
    from gridgov.api import api

    member = actions.member_create(
        by=world.community, org=orgs.group.pk, status="full", resident=world.party[0].pk
    )
    actions.contacts_assign(by=world.community, households=[world.households[0].pk], member=member.pk)
    agreement = actions.agreement_create(
        by=world.community, unit=world.partner.pk, area=COMMUNITY, title="秘密共建协议",
        starts_on="2026-01-01", ends_on="2026-12-31", commitments=["一项"],
    )  # fmt: skip
    actions.activity_record(
        by=world.community, org=orgs.branch.pk, kind="lecture", held_on="2026-11-02", topic="秘密党课"
    )
    ids = {"org_id": orgs.branch.pk, "member_id": member.pk, "grid": GRID, "agreement_id": agreement.pk,
           "unit_id": world.partner.pk}  # fmt: skip
    secrets = [orgs.branch.name, world.party[0].name, "秘密共建协议", "秘密党课", world.households[0].label]
    paths = [
        path
        for path, item in api.get_openapi_schema()["paths"].items()
        if path.startswith("/api/v1/party") and "get" in item
    ]
    assert len(paths) >= 14
    for username in ("community2", "resident"):
        client = ApiClient(username)
        for path in paths:
            url = path.removeprefix("/api/v1").format(**ids)
            if "compliance" in url:
                url += "?year=2026&quarter=4"
            if url.endswith("/cards"):
                url += f"?community={COMMUNITY}"
            response = client.get(url)
            assert response.status_code in (200, 403, 404), (username, url, response.status_code)
            if response.status_code == 200:
                text = response.content.decode()
                assert not any(s in text for s in secrets), (username, url)


def test_an_id_beyond_what_the_database_stores_is_no_server_error(world, api):  # noqa: ARG001
    # SQLite refuses the number before the query (404 through core.api); PostgreSQL finds no unit (no credit)
    r = api.get("/party/units/-2161415034603423399936/credit")
    assert r.status_code in (200, 404), r.content
    assert r.json().get("code") == "not_found" if r.status_code == 404 else r.json()["tasks"] == 0
