"""``/api/v1/deliberation`` and the deliberation pages: the pipeline through the API, public answers
without personal data, refusals in the API's shape, and scope."""

from __future__ import annotations

import re

import pytest

from gridgov.deliberation.models import Decision, Meeting
from gridgov.testing.api import ApiClient
from gridgov.testing.factories import PASSWORD

from .conftest import COMMUNITY, GRID, on_agenda

PHONE = re.compile(r"1[3-9]\d{9}")


@pytest.fixture
def staff(dw):
    return ApiClient("community")


def test_the_pipeline_through_the_api(dw, staff):
    resident = ApiClient("r00")
    created = resident.post(
        "/deliberation/topics", {"title": "加装电梯", "description": "老人上下楼难", "area": GRID}
    )
    assert created.status_code == 201 and created.json()["proposer"] == "居民提议"
    ref = created.json()["ref"]
    for name in ("r01", "r02", "r03"):
        assert ApiClient(name).post(f"/deliberation/topics/{ref}/support").status_code == 200
    assert ApiClient().get(f"/deliberation/topics/{ref}").json()["state"] == "agenda"
    meeting = staff.post("/deliberation/meetings", {
        "kind": "residents", "title": "居民议事会", "area": GRID, "starts_at": "2026-11-23T19:00:00+08:00",
        "place": "议事亭", "topics": [ref],
    })  # fmt: skip
    assert meeting.status_code == 201, meeting.content
    mref = meeting.json()["ref"]
    for user in dw.residents[:4]:
        assert (
            staff.post(
                f"/deliberation/meetings/{mref}/participants", {"role": "resident_rep", "user": user.pk}
            ).status_code
            == 201
        )
    assert staff.post(f"/deliberation/meetings/{mref}/open").json()["state"] == "open"
    for name in ("r00", "r01", "r02"):
        voter = ApiClient(name)
        assert voter.post(f"/deliberation/meetings/{mref}/sign-in", {}).status_code == 200
    item = staff.get(f"/deliberation/meetings/{mref}").json()["agenda"][0]["id"]
    for name, choice in (("r00", "yes"), ("r01", "yes"), ("r02", "no")):
        assert (
            ApiClient(name)
            .post(f"/deliberation/meetings/{mref}/vote", {"item": item, "choice": choice})
            .status_code
            == 200
        )
    decided = staff.post(f"/deliberation/meetings/{mref}/decide", {"item": item, "text": "加装电梯"}).json()
    assert decided["quorum"] == {"entitled": 4, "present": 3, "needed": 3, "quorate": True}
    assert decided["agenda"][0]["result"] == "passed" and decided["agenda"][0]["yes"] == 2
    public = ApiClient().get(f"/deliberation/topics/{ref}").json()
    assert public["state"] == "decided" and public["decision"]["state"] == "notice"
    objection = ApiClient("r05").post(f"/deliberation/topics/{ref}/objections", {"reason": "费用分摊不合理"})
    assert objection.status_code == 201
    refused = staff.post(f"/deliberation/topics/{ref}/carry-out", {})
    assert refused.status_code == 409 and refused.json()["code"] == "not_allowed_now"


def test_public_answers_carry_no_personal_data(dw, staff):
    topic = on_agenda(dw)
    text = (
        ApiClient().get("/deliberation/topics").content.decode()
        + ApiClient().get(f"/deliberation/topics/{topic.ref}").content.decode()
    )
    assert PHONE.findall(text) == []
    for user in dw.residents:
        assert f'"{user.username}"' not in text and str(user) not in text.replace(topic.title, "")
    page = ApiClient().client.get(f"/deliberation/topics/{topic.ref}/").content.decode()
    assert dw.residents[0].username not in page and PHONE.findall(page) == []


def test_refusals_have_the_apis_shape(dw, staff):
    assert (
        ApiClient().post("/deliberation/topics", {"title": "x", "description": "y", "area": GRID}).status_code
        == 401
    )
    long = ApiClient("r00").post(
        "/deliberation/topics", {"title": "长" * 101, "description": "y", "area": GRID}
    )
    assert long.status_code == 400
    unknown = staff.post("/deliberation/meetings", {
        "kind": "residents", "title": "会", "area": GRID, "starts_at": "2026-11-23T19:00:00+08:00", "place": "亭",
        "topics": ["YT-19990101-000001"],
    })  # fmt: skip
    assert unknown.status_code == 404 and unknown.json()["field"] == "topics"


def test_meetings_keep_to_their_scope(dw, staff):
    topic = on_agenda(dw)
    mref = staff.post("/deliberation/meetings", {
        "kind": "residents", "title": "会", "area": GRID, "starts_at": "2026-11-23T19:00:00+08:00", "place": "亭",
        "topics": [topic.ref],
    }).json()["ref"]  # fmt: skip
    other = ApiClient("community2")
    assert other.get(f"/deliberation/meetings/{mref}").status_code == 404
    assert other.get("/deliberation/meetings").json()["count"] == 0
    assert other.post(f"/deliberation/meetings/{mref}/open").status_code == 404
    assert ApiClient("r09").get(f"/deliberation/meetings/{mref}").status_code == 404  # not on its roster
    assert Meeting.objects.get(ref=mref).state == "planned"


def test_pages_for_residents_and_the_convener(client, dw):
    topic = on_agenda(dw)
    assert client.get("/deliberation/").status_code == 200
    assert client.get(f"/deliberation/topics/{topic.ref}/").status_code == 200
    assert client.get("/deliberation/showcase/").status_code == 200
    assert client.get("/deliberation/meetings/").status_code == 302
    client.login(username="r05", password=PASSWORD)
    assert client.get("/deliberation/meetings/").status_code == 404
    response = client.post(
        "/deliberation/", {"title": "小区绿化补种", "description": "草坪破损", "area": GRID}, follow=True
    )
    assert "议题已提出" in response.content.decode()
    client.login(username="community", password=PASSWORD)
    response = client.post("/deliberation/meetings/", {
        "kind": "residents", "title": "居民议事会", "area": GRID, "starts_at": "2026-11-23T19:00", "place": "议事亭",
        "topics": [topic.ref],
    }, follow=True)  # fmt: skip
    assert "议事会已召集" in response.content.decode()
    meeting = Meeting.objects.get()
    assert client.get(f"/deliberation/meetings/{meeting.ref}/").status_code == 200
    response = client.post(f"/deliberation/meetings/{meeting.ref}/", {"do": "open"}, follow=True)
    assert "请先确定参会名单" in response.content.decode()  # the action's refusal, shown
    assert not Decision.objects.exists()
    client.login(username="community2", password=PASSWORD)
    assert client.get(f"/deliberation/meetings/{meeting.ref}/").status_code == 404
    assert COMMUNITY
