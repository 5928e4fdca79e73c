"""Every free text of a service order has its maximum length, the same in the API, the page form and the
action; times of day are answered as HH:MM and moments with their offset."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from gridgov.core.cleaners import REASON_LIMIT
from gridgov.orders import actions
from gridgov.orders.models import Order
from gridgov.testing.api import ApiClient
from gridgov.testing.factories import PASSWORD

from .conftest import GRID, order_consult, order_fix

pytestmark = pytest.mark.django_db


def test_a_note_one_character_too_long_is_refused_by_the_api_on_its_field(world):
    resident = ApiClient("resident")
    limit = Order._meta.get_field("note").max_length
    body = {"item": world.fix.pk, "grid": GRID}
    refused = resident.post("/orders", {**body, "note": "修" * (limit + 1)})
    assert refused.status_code == 400 and refused.json()["field"] == "note"
    assert resident.post("/orders", {**body, "note": "修" * limit}).status_code == 201


def test_a_reason_too_long_is_refused_by_the_api_and_the_action(world):
    order = order_fix(world)
    actions.order_dispatch(by=world.community, ref=order.ref, provider_unit_id=world.repair_co.pk)
    repairer = ApiClient("repairer")
    response = repairer.post(f"/orders/{order.ref}/decline", {"reason": "忙" * (REASON_LIMIT + 1)})
    assert response.status_code == 400 and response.json()["field"] == "reason"
    with pytest.raises(Exception) as info:
        actions.order_decline(by=world.repairer, ref=order.ref, reason="忙" * (REASON_LIMIT + 1))
    assert info.value.field == "reason" and info.value.code == "too_long"


def test_the_order_form_carries_the_same_limits(world):
    client = Client()
    client.login(username="resident", password=PASSWORD)
    page = client.get(f"/orders/services/{world.fix.pk}/").content.decode()
    assert f'name="note" rows="3" maxlength="{Order._meta.get_field("note").max_length}"' in page
    assert f'maxlength="{Order._meta.get_field("contact_name").max_length}"' in page


def test_the_page_refuses_a_note_too_long_next_to_the_field(world):
    client = Client()
    client.login(username="resident", password=PASSWORD)
    response = client.post(f"/orders/services/{world.fix.pk}/", {"note": "修" * 1001, "grid": GRID})
    assert response.status_code == 400
    assert not Order.objects.exists()


def test_delivery_as_json_is_checked_like_every_body(world):
    order = order_fix(world)
    actions.order_dispatch(by=world.community, ref=order.ref, provider_unit_id=world.repair_co.pk)
    actions.order_accept(by=world.repairer, ref=order.ref)
    repairer = ApiClient("repairer")
    refused = repairer.post(f"/orders/{order.ref}/deliver", {"notes": "修好了\x00"})
    assert refused.status_code == 400 and refused.json() == {
        "code": "invalid_text",
        "message": refused.json()["message"],
        "field": "notes",
    }
    done = repairer.post(f"/orders/{order.ref}/deliver", {"notes": "已上门修好"})
    assert done.status_code == 200 and done.json()["state"] == "delivered"


def test_times_of_day_are_hh_mm_and_moments_carry_their_offset(world):
    order = order_consult(world)
    answer = ApiClient("resident").get(f"/orders/{order.ref}").json()
    assert answer["slot_end"] == "17:30"
    assert re.fullmatch(
        r"2026-11-25T14:00:00(\+08:00|Z|\+00:00)|2026-11-25T06:00:00(Z|\+00:00)", answer["slot_starts_at"]
    )
    slots = ApiClient("resident").get(f"/services/items/{world.consult.pk}/slots").json()
    assert slots[0]["start"] == "14:00" and slots[0]["end"] == "17:30"
    assert slots[0]["starts_at"].endswith(("Z", "+00:00", "+08:00"))
