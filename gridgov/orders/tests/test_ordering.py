"""Ordering: sessions must be real, future sessions of the item; places run out (409 ``slot_full``); the
grid must lie in the item's area; only residents order; a retried order is the same order."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from gridgov.core.errors import DomainError
from gridgov.orders import actions, selectors
from gridgov.orders.models import Order, ServiceSlot

from .conftest import GRID, WEDNESDAY, at, order_consult, order_fix


def refused(fn, **kw) -> DomainError:
    with pytest.raises(DomainError) as info:
        fn(**kw)
    return info.value


def place(world, **kw):
    kw.setdefault("by", world.resident)
    kw.setdefault("item", world.consult)
    return actions.order_create(**kw)


@pytest.mark.parametrize(
    ("day", "start", "why"),
    [
        (date(2026, 11, 26), "14:00", "不是该服务的预约时段"),  # a Thursday
        (WEDNESDAY, "15:00", "不是该服务的预约时段"),  # not a session start
        (date(2026, 11, 18), "14:00", "已经过去"),  # last Wednesday
        (date(2027, 3, 3), "14:00", "天内"),  # too far ahead
        ("2026-13-01", "14:00", "格式不正确"),
        (WEDNESDAY, "2 pm", "格式不正确"),
        (None, None, "请选择预约时段"),
    ],
)
def test_a_session_must_be_one_of_the_items_future_sessions(world, day, start, why):
    err = refused(
        actions.order_create, by=world.resident, item=world.consult, slot_date=day, slot_start=start
    )
    assert (err.status, err.field) == (400, "slot") and why in err.message
    assert not Order.objects.exists()


def test_a_session_that_has_begun_cannot_be_booked(world, clock):
    clock.move_to(at(WEDNESDAY, 14, 5))
    err = refused(
        actions.order_create, by=world.resident, item=world.consult, slot_date=WEDNESDAY, slot_start="14:00"
    )
    assert err.field == "slot" and "已经开始" in err.message


def test_an_item_without_schedule_takes_no_session(world):
    err = refused(
        actions.order_create, by=world.resident, item=world.fix, slot_date=WEDNESDAY, slot_start="14:00"
    )
    assert (err.status, err.field) == (400, "slot")
    order = order_fix(world)
    assert order.slot is None and order.area_code == "610302001001"


def test_the_grid_must_be_in_the_items_area(world):
    err = refused(
        actions.order_create,
        by=world.resident,
        item=world.consult,
        slot_date=WEDNESDAY,
        slot_start="14:00",
        grid="610302002001001",
    )
    assert (err.status, err.field) == (400, "grid")
    err = refused(
        actions.order_create,
        by=world.resident,
        item=world.consult,
        slot_date=WEDNESDAY,
        slot_start="14:00",
        grid="999",
    )
    assert err.field == "grid"
    assert not ServiceSlot.objects.filter(taken__gt=0).exists()


def test_only_residents_and_volunteers_order(world):
    for user in (world.community, world.lawyer, world.admin):
        err = refused(actions.order_create, by=user, item=world.fix)
        assert err.status == 403
    assert order_fix(world, by=world.volunteer, contact_phone="13800009999").resident == world.volunteer


def test_a_phone_is_needed(world):
    err = refused(actions.order_create, by=world.volunteer, item=world.fix, contact_phone="")
    # The volunteer's account has no phone, and none was given.
    assert (err.status, err.field) == (400, "contact_phone")
    err = refused(actions.order_create, by=world.resident, item=world.fix, contact_phone="12345")
    assert (err.code, err.field) == ("invalid_phone", "contact_phone")


def test_the_contact_phone_is_stored_encrypted_and_shown_masked(world):
    from django.db import connection

    order = order_fix(world, contact_phone="13700001234", contact_name="李阿姨")
    with connection.cursor() as cursor:
        cursor.execute("SELECT contact_phone FROM orders_order WHERE id = %s", [order.pk])
        (raw,) = cursor.fetchone()
    assert "13700001234" not in raw
    assert order.masked_phone == "137****1234" and order.contact_name == "李阿姨"


def test_when_the_places_run_out_the_next_order_is_409(world):
    ServiceSlot.objects.create(
        item=world.consult,
        date=WEDNESDAY,
        start=at(WEDNESDAY, 14).time(),
        end=at(WEDNESDAY, 17, 30).time(),
        capacity=2,
    )
    order_consult(world)
    order_consult(world, by=world.resident2)
    err = refused(
        actions.order_create,
        by=world.volunteer,
        item=world.consult,
        slot_date=WEDNESDAY,
        slot_start="14:00",
        contact_phone="13800009999",
    )
    assert (err.status, err.code, err.field) == (409, "slot_full", "slot")
    assert Order.objects.count() == 2 and ServiceSlot.objects.get().taken == 2
    # The refused order used no number: the next one follows on.
    order = order_consult(
        world, day=WEDNESDAY + timedelta(days=7), by=world.volunteer, contact_phone="13800009999"
    )
    assert order.ref.endswith("-000003")


def test_listing_sessions_writes_nothing_and_shows_free_places(world):
    order_consult(world)
    options = selectors.slot_options(world.consult, WEDNESDAY, WEDNESDAY + timedelta(days=13))
    assert [(o.date, o.free, o.taken) for o in options] == [
        (WEDNESDAY, 5, 1),
        (WEDNESDAY + timedelta(days=7), 6, 0),
    ]
    assert ServiceSlot.objects.count() == 1


def test_a_retried_order_with_the_same_key_is_the_same_order(world):
    first = actions.order_create(
        by=world.resident,
        item=world.consult,
        slot_date=WEDNESDAY,
        slot_start="14:00",
        grid=GRID,
        idempotency_key="abc-1",
    )
    again = actions.order_create(
        by=world.resident,
        item=world.consult,
        slot_date=WEDNESDAY,
        slot_start="14:00",
        grid=GRID,
        idempotency_key="abc-1",
    )
    assert first.created and not again.created and again.order.pk == first.order.pk
    assert Order.objects.count() == 1 and ServiceSlot.objects.get().taken == 1
    # Another resident's identical key is another order.
    other = actions.order_create(
        by=world.resident2,
        item=world.consult,
        slot_date=WEDNESDAY,
        slot_start="14:00",
        idempotency_key="abc-1",
    )
    assert other.created and Order.objects.count() == 2
