"""Statistics on a known set of orders: 人次 (delivered or closed), satisfaction (满意+基本满意 over rated),
on-time delivery, per category and per provider, for a period and an area subtree."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from gridgov.core.errors import DomainError
from gridgov.orders import actions
from gridgov.orders.selectors import order_stats

from .conftest import COMMUNITY, STREET, T0, WEDNESDAY, at, order_consult, order_fix

START, END = date(2026, 11, 23), date(2026, 11, 30)


def _serve(world, order, unit, handler, by=None):
    actions.order_dispatch(by=by or world.community, ref=order.ref, provider_unit_id=unit.pk)
    actions.order_accept(by=handler, ref=order.ref)


@pytest.fixture
def dataset(world, clock):
    # A month earlier, outside the period: delivered and rated.
    clock.move_to(T0 - timedelta(days=30))
    old = order_fix(world)
    _serve(world, old, world.repair_co, world.repairer)
    actions.order_deliver(by=world.repairer, ref=old.ref, notes="修好了")
    actions.order_rate(by=world.resident, ref=old.ref, rating="satisfied")
    clock.move_to(T0)

    o1 = order_consult(world)
    o2 = order_consult(world, by=world.resident2)
    o3 = order_consult(world, by=world.volunteer, contact_phone="13800009999", grid="610302001002001")
    o4 = order_consult(world)
    o5 = order_consult(world, by=world.resident2)
    o6 = order_fix(world)
    o7 = order_fix(world, by=world.resident2)
    _serve(world, o1, world.lawyers, world.lawyer)
    _serve(world, o2, world.law_firm, world.firm)
    _serve(world, o3, world.lawyers, world.lawyer, by=world.street)
    actions.order_cancel(by=world.resident, ref=o4.ref)
    actions.order_unservable(by=world.community, ref=o5.ref, reason="当月名额已满")
    _serve(world, o6, world.repair_co, world.repairer)
    actions.order_dispatch(by=world.community, ref=o7.ref, provider_unit_id=world.repair_co.pk)
    actions.order_decline(by=world.repairer, ref=o7.ref, reason="人手不足")
    actions.order_deliver(by=world.repairer, ref=o6.ref, notes="更换了排水泵")
    clock.move_to(at(WEDNESDAY, 16))
    actions.order_deliver(by=world.lawyer, ref=o1.ref, notes="咨询完毕")
    actions.order_deliver(by=world.firm, ref=o2.ref, notes="咨询完毕")
    clock.move_to(at(WEDNESDAY, 18))
    actions.order_deliver(by=world.lawyer, ref=o3.ref, notes="咨询完毕")  # after the session ended
    actions.order_rate(by=world.resident, ref=o1.ref, rating="satisfied")
    actions.order_rate(by=world.resident2, ref=o2.ref, rating="basic")
    actions.order_rate(by=world.volunteer, ref=o3.ref, rating="unsatisfied", comment="迟到")
    return world


def _rows(stats):
    return {g.key: g.as_dict() for g in stats.groups}


def test_per_category_in_the_street(dataset):
    stats = order_stats(dataset.street, area=STREET, start=START, end=END, group_by="category")
    rows = _rows(stats)
    legal, repair = rows["legal"], rows["repair"]
    assert (legal["placed"], legal["orders"], legal["rated"]) == (5, 3, 3)
    assert (legal["satisfied"], legal["basic"], legal["unsatisfied"]) == (1, 1, 1)
    assert legal["satisfaction_rate"] == 0.6667 and legal["on_time"] == 2 and legal["on_time_rate"] == 0.6667
    assert (legal["cancelled"], legal["unserved"], legal["declines"]) == (1, 1, 0)
    assert (repair["placed"], repair["orders"], repair["rated"], repair["satisfaction_rate"]) == (
        2,
        1,
        0,
        None,
    )
    assert (repair["on_time_rate"], repair["declines"]) == (1.0, 1)
    totals = stats.totals.as_dict()
    assert (totals["placed"], totals["orders"], totals["rated"], totals["on_time"]) == (7, 4, 3, 3)
    assert totals["satisfaction_rate"] == 0.6667 and totals["on_time_rate"] == 0.75


def test_per_provider(dataset):
    stats = order_stats(dataset.street, area=STREET, start=START, end=END, group_by="provider")
    by_name = {g.name: g.as_dict() for g in stats.groups}
    lawyers = by_name["宝鸡市律师协会"]
    assert (lawyers["placed"], lawyers["orders"], lawyers["on_time"], lawyers["satisfaction_rate"]) == (
        2,
        2,
        1,
        0.5,
    )
    assert by_name["秦风律师事务所"]["satisfaction_rate"] == 1.0
    assert by_name["便民家电维修部"]["orders"] == 1
    assert by_name["（未派单）"]["placed"] == 3  # cancelled, unserved, declined and waiting


def test_the_area_and_the_period_narrow_the_count(dataset):
    stats = order_stats(dataset.community, area=COMMUNITY, start=START, end=END)
    assert _rows(stats)["legal"]["placed"] == 4 and _rows(stats)["legal"]["orders"] == 2
    whole = order_stats(dataset.street, area=None, start=START - timedelta(days=40), end=END)
    assert whole.totals.placed == 8 and whole.area == STREET


def test_stats_refusals(dataset):
    for user, status in ((dataset.resident, 403), (dataset.lawyer, 403)):
        with pytest.raises(DomainError) as info:
            order_stats(user, area=None, start=START, end=END)
        assert info.value.status == status
    with pytest.raises(DomainError) as info:
        order_stats(dataset.neighbour, area=COMMUNITY, start=START, end=END)
    assert info.value.status == 404
    with pytest.raises(DomainError) as info:
        order_stats(dataset.street, area=None, start=END, end=START)
    assert info.value.field == "end"
    with pytest.raises(DomainError) as info:
        order_stats(dataset.street, area=None, start=START, end=END, group_by="grid")
    assert info.value.field == "group_by"
