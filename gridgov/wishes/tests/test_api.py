"""The API: posting (online and wish box), the scoped list, the public anonymised wall, the detail with
allowed actions and timeline, and each action's POST with its refusals as JSON."""

from __future__ import annotations

import pytest

from gridgov.testing.api import ApiClient
from gridgov.testing.factories import PASSWORD
from gridgov.wishes import actions
from gridgov.wishes.models import Wish

from .conftest import GRID, OTHER_COMMUNITY, PNG, claimed, published, submit


@pytest.fixture
def api(world):  # noqa: ARG001
    return {
        name: ApiClient(name)
        for name in (
            "resident",
            "resident2",
            "community",
            "worker",
            "volunteer",
            "volunteer2",
            "community2",
            "handler",
        )
    }


def test_resident_posts_a_wish(api):
    r = api["resident"].post("/wishes", {"title": "孩子想要一套课外书", "area": GRID, "category": "culture"})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["state"] == "submitted" and body["wisher"] == "李居民" and body["allowed_actions"] == []
    assert [e["action"] for e in body["timeline"]] == ["submit"]


def test_posting_is_idempotent_with_a_key(api):
    body = {"title": "孩子想要一套课外书", "area": GRID}
    first = api["resident"].post("/wishes", body, headers={"Idempotency-Key": "abc"})
    again = api["resident"].post("/wishes", body, headers={"Idempotency-Key": "abc"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["ref"] == again.json()["ref"] and Wish.objects.count() == 1


def test_staff_post_a_box_wish(api):
    r = api["worker"].post(
        "/wishes",
        {
            "title": "帮忙修理轮椅",
            "area": GRID,
            "source": "box",
            "wisher_name": "王秀兰",
            "wisher_phone": "13800001234",
        },
    )
    assert r.status_code == 201, r.content
    assert r.json()["wisher"] == "王秀兰" and r.json()["wisher_phone"] == "138****1234"


def test_post_errors_name_the_field(api):
    r = api["resident"].post("/wishes", {"title": "", "area": GRID})
    assert r.status_code == 400 and r.json()["field"] == "title"
    r = api["worker"].post("/wishes", {"title": "x", "area": GRID, "source": "box"})
    assert r.status_code == 400 and r.json()["field"] == "wisher_name"
    assert api["handler"].post("/wishes", {"title": "x", "area": GRID}).status_code == 403
    assert ApiClient().post("/wishes", {"title": "x", "area": GRID}).status_code == 401


def test_list_is_scoped(world, api):
    mine = submit(world)
    submit(world, by=world.resident2, title="陪老人去医院复查")
    other = submit(world, by=world.other_community, area=OTHER_COMMUNITY, wisher_name="赵")
    refs = lambda client, q="": {w["ref"] for w in client.get(f"/wishes{q}").json()["items"]}  # noqa: E731
    assert refs(api["resident"]) == {mine.ref}
    assert len(refs(api["community"])) == 2 and other.ref not in refs(api["community"])
    assert refs(api["community2"]) == {other.ref}
    assert refs(api["volunteer"]) == set()
    assert api["community"].get("/wishes?state=submitted").json()["count"] == 2
    assert api["community"].get("/wishes?flagged=true").json()["count"] == 0


def test_detail_out_of_scope_is_404(world, api):
    wish = submit(world)
    assert api["community2"].get(f"/wishes/{wish.ref}").status_code == 404
    assert api["resident2"].get(f"/wishes/{wish.ref}").status_code == 404
    assert api["volunteer"].get(f"/wishes/{wish.ref}").status_code == 404
    r = api["community"].get(f"/wishes/{wish.ref}")
    assert r.status_code == 200 and r.json()["allowed_actions"] == ["publish", "reject", "to_need"]


def test_the_whole_journey_through_the_api(world, api):
    ref = api["resident"].post("/wishes", {"title": "给独居的奶奶送一台收音机", "area": GRID}).json()["ref"]
    assert api["community"].post(f"/wishes/{ref}/publish", {}).json()["state"] == "published"
    r = api["volunteer"].post(f"/wishes/{ref}/claim")
    assert r.status_code == 200 and r.json()["state"] == "claimed"
    assert r.json()["allowed_actions"] == ["withdraw", "fulfil"]
    r = api["volunteer"].client.post(
        f"/api/v1/wishes/{ref}/fulfil",
        {"note": "收音机已送到", "photos": [_file()]},
        headers=api["volunteer"].headers,
    )
    assert r.status_code == 200, r.content
    assert r.json()["state"] == "fulfilled" and len(r.json()["claims"][0]["evidence"]) == 1
    r = api["resident"].post(f"/wishes/{ref}/confirm", {"rating": "satisfied", "comment": "谢谢"})
    assert r.status_code == 200 and r.json()["state"] == "closed"
    assert [e["action"] for e in r.json()["timeline"]] == ["submit", "publish", "claim", "fulfil", "confirm"]
    api["resident"].client.login(username="resident", password=PASSWORD)
    photo = api["resident"].client.get(r.json()["claims"][0]["evidence"][0])
    assert photo.status_code == 200 and photo["Content-Type"] == "image/png"


def _file():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("p.png", PNG, content_type="image/png")


def test_action_refusals_as_json(world, api):
    wish = submit(world)
    r = api["community"].post(f"/wishes/{wish.ref}/reject", {"reason": ""})
    assert r.status_code == 400 and r.json() == {**r.json(), "code": "required", "field": "reason"}
    assert api["worker"].post(f"/wishes/{wish.ref}/publish", {}).status_code == 403
    assert api["community2"].post(f"/wishes/{wish.ref}/publish", {}).status_code == 404
    r = api["resident"].post(f"/wishes/{wish.ref}/confirm", {"rating": "satisfied"})
    assert r.status_code == 409
    assert r.json()["code"] == "wrong_state" and r.json()["allowed_actions"] == [
        "publish",
        "reject",
        "to_need",
    ]


def test_second_claimant_gets_409_already_claimed(world, api):
    wish = claimed(world)
    r = api["volunteer2"].post(f"/wishes/{wish.ref}/claim")
    assert r.status_code == 409 and r.json()["code"] == "already_claimed"


def test_withdraw_and_to_need_through_the_api(world, api):
    wish = claimed(world)
    r = api["volunteer"].post(f"/wishes/{wish.ref}/withdraw", {"reason": ""})
    assert r.status_code == 400 and r.json()["field"] == "reason"
    r = api["volunteer"].post(f"/wishes/{wish.ref}/withdraw", {"reason": "家中有事"})
    assert r.status_code == 200 and r.json()["state"] == "published"
    r = api["community"].post(f"/wishes/{wish.ref}/to_need", {"reason": "需要立项"})
    assert r.status_code == 200 and r.json()["state"] == "transferred" and r.json()["need"]


# ---------------------------------------------------------------- the public wall


def test_wall_needs_no_login_and_shows_only_published_wishes(world):
    shown = published(world)
    submit(world, title="还没审核的心愿")
    r = ApiClient().get("/wishes/wall")
    assert r.status_code == 200
    assert [w["ref"] for w in r.json()["items"]] == [shown.ref]


def test_wall_is_anonymised(world):
    published(world)  # 李居民, online
    published(world, by=world.worker, source="box", wisher_name="王秀兰", wisher_phone="13800001234")
    wish = submit(world, by=world.resident2)  # no display name
    actions.wish_publish(ref=wish.ref, by=world.community)
    r = ApiClient().get("/wishes/wall")
    text = r.content.decode()
    for secret in ("李居民", "王秀兰", "13800001234", "138****1234", "13912340000", "resident"):
        assert secret not in text
    names = sorted(w["wisher"] for w in r.json()["items"])
    assert names == sorted(["某居民", "李**", "王**"])
    item = r.json()["items"][0]
    assert set(item) == {
        "ref",
        "title",
        "description",
        "category",
        "category_name",
        "wisher",
        "grid",
        "community",
        "max_claimants",
        "places_left",
        "claim_due",
        "published_at",
        "flagged",
    }
    assert item["grid"] == "网格1-1-1" and item["community"] == "社区1-1"


def test_a_volunteer_sees_a_wall_wish_anonymised(world, api):
    wish = published(world)
    r = api["volunteer"].get(f"/wishes/{wish.ref}")
    assert r.status_code == 200
    body = r.json()
    assert body["wisher"] == "李**" and body["wisher_phone"] == "" and body["household"] is None
    assert body["allowed_actions"] == ["claim"]
    assert {e["actor"] for e in body["timeline"] if e["action"] == "submit"} == {"心愿人"}


def test_an_action_on_a_wish_the_caller_cannot_see_is_404_before_any_state_check(world, api):
    """Not visible answers as not there — the same 404 as a made-up reference, never the wish's state."""
    unseen = submit(world)  # not yet on the wall: only the community sees it
    missing = api["volunteer"].post("/wishes/XY-20261123-999999/claim")
    for name, action in (("volunteer", "claim"), ("resident2", "claim"), ("community2", "reject")):
        r = api[name].post(f"/wishes/{unseen.ref}/{action}", {"reason": "不合适"})
        assert (r.status_code, r.json()["code"]) == (404, missing.json()["code"]), (name, action)
        assert "state" not in r.json() and "allowed_actions" not in r.json()
    taken = claimed(world, title="修理轮椅")
    r = api["resident2"].post(f"/wishes/{taken.ref}/claim")  # not someone who may claim: never saw it
    assert r.status_code == 404
