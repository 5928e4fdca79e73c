"""A resident binds their account to their household in the ledger: the ID number is typed once, matched by
its keyed hash and never kept or shown; the community whose scope holds the household confirms or refuses
(with a reason) and the resident is told; other communities see nothing (404)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client

from gridgov.accounts.models import HouseholdBinding
from gridgov.core.models import TimelineEvent
from gridgov.core.validators import synthetic_id_number
from gridgov.notify.models import Notification
from gridgov.testing.api import ApiClient
from gridgov.testing.factories import PASSWORD, make_ledger, make_tree, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    tree = make_tree()
    _b, household, head, spouse = make_ledger(tree.admin)  # in community 610302001001
    return {
        "tree": tree,
        "household": household,
        "head": head,
        "spouse": spouse,
        "resident": make_user(tree.admin, "li", "resident", phone="13700001111"),
        "community": make_user(tree.admin, "comm", "community", area=tree["610302001001"]),
        "other": make_user(tree.admin, "comm2", "community", area=tree["610302001002"]),
        "street": make_user(tree.admin, "street", "street", area=tree["610302001"]),
        "worker": make_user(tree.admin, "gw", "grid_worker", area=tree["610302001001001"]),
    }


def ask(username: str, id_number: str):
    return ApiClient(username).post("/residents/me/household", {"id_number": id_number})


def test_a_matched_request_waits_for_the_community_and_keeps_no_id_number(world):
    answer = ask("li", world["head"].id_number)
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["state"] == "pending" and body["name"] == "王**"
    assert body["household"] == world["household"].label
    assert world["head"].id_number not in answer.content.decode()
    binding = HouseholdBinding.objects.get()
    assert binding.resident_id == world["head"].pk and binding.area_code == world["head"].area_code
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_householdbinding")
        row = " ".join(str(v) for v in cursor.fetchone())
    assert world["head"].id_number not in row and world["head"].id_number_hash not in row
    assert TimelineEvent.objects.filter(subject="accounts.householdbinding", action="request").exists()
    mine = ApiClient("li").get("/residents/me/household")
    assert mine.json()["state"] == "pending"


def test_no_match_is_refused_on_the_field_and_writes_nothing(world):
    unknown = synthetic_id_number("610302", world["head"].birth_date, 999)
    answer = ask("li", unknown)
    assert answer.status_code == 400
    assert answer.json()["code"] == "no_match" and answer.json()["field"] == "id_number"
    assert unknown not in answer.json()["message"]
    bad = ask("li", "61030219")
    assert bad.json()["code"] == "invalid_id_number" and "61030219" not in bad.json()["message"]
    assert not HouseholdBinding.objects.exists()


def test_a_pending_request_and_a_confirmed_binding_refuse_another(world):
    ask("li", world["head"].id_number)
    again = ask("li", world["spouse"].id_number)
    assert again.status_code == 409 and again.json()["code"] == "pending_exists"
    assert again.json()["field"] == "id_number"
    binding = HouseholdBinding.objects.get()
    confirmed = ApiClient("comm").post(f"/residents/bindings/{binding.pk}/confirm")
    assert confirmed.status_code == 200 and confirmed.json()["state"] == "confirmed"
    bound = ask("li", world["spouse"].id_number)
    assert bound.status_code == 409 and bound.json()["code"] == "already_bound"


def test_the_community_confirms_and_the_resident_is_told(world):
    ask("li", world["head"].id_number)
    binding = HouseholdBinding.objects.get()
    queue = ApiClient("comm").get("/residents/bindings").json()
    assert [r["id"] for r in queue] == [binding.pk] and queue[0]["name"] == "王**"
    assert ApiClient("street").get("/residents/bindings").json()[0]["id"] == binding.pk  # and above
    assert ApiClient("comm").post(f"/residents/bindings/{binding.pk}/confirm").status_code == 200
    binding.refresh_from_db()
    assert binding.state == "confirmed" and binding.decided_by.username == "comm"
    note = Notification.objects.get(user=world["resident"])
    assert "确认" in note.title and note.url == "/resident/household/"
    assert ApiClient("comm").get("/residents/bindings").json() == []
    # another account cannot take the same person
    other = make_user(world["tree"].admin, "zhao", "resident")
    taken = ask("zhao", world["head"].id_number)
    assert taken.status_code == 409 and taken.json()["code"] == "resident_taken"
    assert other.household_bindings.count() == 0


def test_the_community_refuses_with_a_reason_and_the_resident_may_ask_again(world):
    ask("li", world["head"].id_number)
    binding = HouseholdBinding.objects.get()
    api = ApiClient("comm")
    missing = api.post(f"/residents/bindings/{binding.pk}/refuse", {"reason": " "})
    assert missing.status_code == 400 and missing.json()["field"] == "reason"
    too_long = api.post(f"/residents/bindings/{binding.pk}/refuse", {"reason": "原" * 201})
    assert too_long.status_code == 400 and too_long.json()["code"] == "too_long"
    refused = api.post(f"/residents/bindings/{binding.pk}/refuse", {"reason": "户主信息与本人不符"})
    assert refused.status_code == 200 and refused.json()["state"] == "refused"
    note = Notification.objects.get(user=world["resident"])
    assert "户主信息与本人不符" in note.body
    twice = api.post(f"/residents/bindings/{binding.pk}/confirm")
    assert twice.status_code == 409 and twice.json()["code"] == "wrong_state"
    assert ask("li", world["spouse"].id_number).status_code == 201


def test_only_the_communitys_staff_see_and_act(world):
    ask("li", world["head"].id_number)
    binding = HouseholdBinding.objects.get()
    other = ApiClient("comm2")
    assert other.get("/residents/bindings").json() == []
    assert other.post(f"/residents/bindings/{binding.pk}/confirm").status_code == 404
    assert other.post(f"/residents/bindings/{binding.pk}/refuse", {"reason": "x"}).status_code == 404
    assert ApiClient("gw").get("/residents/bindings").status_code == 403  # grid workers are not command staff
    assert ApiClient("li").post(f"/residents/bindings/{binding.pk}/confirm").status_code == 403
    assert ApiClient("comm").post("/residents/me/household", {"id_number": "x"}).status_code == 403
    client = Client()
    client.login(username="comm2", password=PASSWORD)
    assert client.post(f"/resident/bindings/{binding.pk}/confirm/").status_code == 404
    assert "王**" not in client.get("/resident/bindings/").content.decode()
    binding.refresh_from_db()
    assert binding.state == "pending"


def test_the_pages_ask_confirm_and_show_the_state(world):
    resident = Client()
    resident.login(username="li", password=PASSWORD)
    page = resident.get("/resident/household/")
    assert page.status_code == 200 and 'name="id_number"' in page.content.decode()
    assert 'maxlength="18"' in page.content.decode()
    wrong = resident.post("/resident/household/", {"id_number": "610302195003010000"})
    assert wrong.status_code == 400 and 'id="err-id_number"' in wrong.content.decode()
    done = resident.post("/resident/household/", {"id_number": world["head"].id_number}, follow=True)
    html = done.content.decode()
    assert "待确认" in html and "王**" in html and world["head"].id_number not in html
    assert 'name="id_number"' not in html

    staff = Client()
    staff.login(username="comm", password=PASSWORD)
    queue = staff.get("/resident/bindings/").content.decode()
    assert "王**" in queue and world["household"].label in queue and 'maxlength="200"' in queue
    binding = HouseholdBinding.objects.get()
    staff.post(f"/resident/bindings/{binding.pk}/confirm/")
    assert "已确认" in resident.get("/resident/household/").content.decode()
    assert Client().get("/resident/household/").status_code == 302  # sign in first
    assert staff.get("/resident/household/").status_code == 404  # staff have no household to bind
