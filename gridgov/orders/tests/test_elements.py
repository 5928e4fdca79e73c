"""The service-order data elements on a hand-counted November: every count by grid, by community and by the
delivering unit, the same figures as the statistics page, the period's edges, the rows behind each count,
one grouped query."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from gridgov.core import elements
from gridgov.core.elements import Basis, Grouping
from gridgov.core.periods import Period, PeriodKind
from gridgov.orders import actions
from gridgov.orders.selectors import order_stats

from .conftest import (
    COMMUNITY,
    GRID,
    OTHER_COMMUNITY,
    STREET,
    T0,
    TZ,
    WEDNESDAY,
    at,
    order_consult,
    order_fix,
)

OTHER_GRID = OTHER_COMMUNITY + "001"
NOVEMBER = Period.of(PeriodKind.MONTH, date(2026, 11, 1))
NAMES = [f"orders.{n}" for n in ("placed", "delivered", "delivered_on_time", "rated", "satisfied")]
BY_GRID = Grouping.areas(["610302"], 15)
BY_COMMUNITY = Grouping.areas(["610302"], 12)
NOW = datetime(2026, 12, 10, 9, tzinfo=TZ)


def _serve(world, order, unit, handler):
    actions.order_dispatch(by=world.community, ref=order.ref, provider_unit_id=unit.pk)
    actions.order_accept(by=handler, ref=order.ref)


@pytest.fixture
def data(world, clock):
    """Placed in November — grid 111: o1 (律师协会, on time, 满意), o2 (律所, on time, 基本满意), o4 cancelled,
    o5 无法服务. Grid 1-2-1: o3 (律师协会, delivered after the session, 不满意). Community 1-1 itself: o6
    (维修部, on time, not rated), o7 declined (no provider), o8 placed at 23:59:59 on 30 Nov, o10 (维修部,
    on time, closed by the centre unrated). Out of November: an October order and o9, placed at 00:00 on
    1 Dec."""
    refs = {}
    clock.move_to(T0 - timedelta(days=30))
    old = order_fix(world)
    _serve(world, old, world.repair_co, world.repairer)
    actions.order_deliver(by=world.repairer, ref=old.ref, notes="修好了")
    actions.order_rate(by=world.resident, ref=old.ref, rating="satisfied")
    clock.move_to(T0)
    refs["o1"] = order_consult(world).ref
    refs["o2"] = order_consult(world, by=world.resident2).ref
    refs["o3"] = order_consult(world, by=world.volunteer, contact_phone="13800009999", grid=OTHER_GRID).ref
    refs["o4"] = order_consult(world).ref
    refs["o5"] = order_consult(world, by=world.resident2).ref
    refs["o6"] = order_fix(world).ref
    refs["o7"] = order_fix(world, by=world.resident2).ref
    refs["o10"] = order_fix(world, by=world.resident2).ref
    actions.order_dispatch(by=world.community, ref=refs["o1"], provider_unit_id=world.lawyers.pk)
    actions.order_accept(by=world.lawyer, ref=refs["o1"])
    actions.order_dispatch(by=world.community, ref=refs["o2"], provider_unit_id=world.law_firm.pk)
    actions.order_accept(by=world.firm, ref=refs["o2"])
    actions.order_dispatch(by=world.street, ref=refs["o3"], provider_unit_id=world.lawyers.pk)
    actions.order_accept(by=world.lawyer, ref=refs["o3"])
    actions.order_cancel(by=world.resident, ref=refs["o4"])
    actions.order_unservable(by=world.community, ref=refs["o5"], reason="当月名额已满")
    for ref in (refs["o6"], refs["o10"]):
        actions.order_dispatch(by=world.community, ref=ref, provider_unit_id=world.repair_co.pk)
        actions.order_accept(by=world.repairer, ref=ref)
        actions.order_deliver(by=world.repairer, ref=ref, notes="修好了")
    actions.order_dispatch(by=world.community, ref=refs["o7"], provider_unit_id=world.repair_co.pk)
    actions.order_decline(by=world.repairer, ref=refs["o7"], reason="人手不足")
    clock.move_to(at(WEDNESDAY, 16))
    actions.order_deliver(by=world.lawyer, ref=refs["o1"], notes="咨询完毕")
    actions.order_deliver(by=world.firm, ref=refs["o2"], notes="咨询完毕")
    clock.move_to(at(WEDNESDAY, 18))
    actions.order_deliver(by=world.lawyer, ref=refs["o3"], notes="咨询完毕")  # after the session ended
    actions.order_rate(by=world.resident, ref=refs["o1"], rating="satisfied")
    actions.order_rate(by=world.resident2, ref=refs["o2"], rating="basic")
    actions.order_rate(by=world.volunteer, ref=refs["o3"], rating="unsatisfied", comment="迟到")
    clock.move_to(datetime(2026, 11, 30, 23, 59, 59, tzinfo=TZ))
    refs["o8"] = order_fix(world).ref
    clock.move_to(datetime(2026, 12, 1, 0, 0, tzinfo=TZ))
    refs["o9"] = order_fix(world).ref
    clock.move_to(NOW)
    actions.order_close(by=world.community, ref=refs["o10"])
    world.refs = refs
    return world


def counted(grouping: Grouping, keys: list, period: Period = NOVEMBER) -> dict:
    counts = elements.count(NAMES, grouping, period, Basis(now=NOW))
    return {name.split(".")[1]: {k: counts.get(name, {}).get(k, 0) for k in keys} for name in NAMES}


def test_every_order_element_by_grid(data):
    assert counted(BY_GRID, [GRID, OTHER_GRID]) == {
        "placed": {GRID: 4, OTHER_GRID: 1},
        "delivered": {GRID: 2, OTHER_GRID: 1},
        "delivered_on_time": {GRID: 2, OTHER_GRID: 0},
        "rated": {GRID: 2, OTHER_GRID: 1},
        "satisfied": {GRID: 2, OTHER_GRID: 0},
    }


def test_every_order_element_by_community(data):
    assert counted(BY_COMMUNITY, [COMMUNITY, OTHER_COMMUNITY]) == {
        "placed": {COMMUNITY: 8, OTHER_COMMUNITY: 1},
        "delivered": {COMMUNITY: 4, OTHER_COMMUNITY: 1},
        "delivered_on_time": {COMMUNITY: 4, OTHER_COMMUNITY: 0},
        "rated": {COMMUNITY: 2, OTHER_COMMUNITY: 1},
        "satisfied": {COMMUNITY: 2, OTHER_COMMUNITY: 0},
    }


def test_every_delivered_count_by_the_unit_that_delivered(data):
    units = [data.lawyers.pk, data.law_firm.pk, data.repair_co.pk, data.stranger.unit_id]
    lawyers, firm, repair, other = units
    assert counted(Grouping.of_units(units), units) == {
        "placed": {lawyers: 0, firm: 0, repair: 0, other: 0},  # not a count of units
        "delivered": {lawyers: 2, firm: 1, repair: 2, other: 0},
        "delivered_on_time": {lawyers: 1, firm: 1, repair: 2, other: 0},
        "rated": {lawyers: 2, firm: 1, repair: 0, other: 0},
        "satisfied": {lawyers: 1, firm: 1, repair: 0, other: 0},
    }
    assert elements.element("orders.placed").kinds == frozenset({"area"})
    assert elements.element("orders.delivered").kinds == frozenset({"area", "unit"})


def test_the_elements_answer_as_the_statistics_page(data):
    fields = ("placed", "orders", "on_time", "rated")
    for area, grouping in ((COMMUNITY, BY_COMMUNITY), (OTHER_COMMUNITY, BY_COMMUNITY), (STREET, None)):
        stats = order_stats(data.street, area=area, start=NOVEMBER.start, end=NOVEMBER.end).totals
        grouping = grouping or Grouping.areas(["610302"], 9)
        counts = elements.count(NAMES, grouping, NOVEMBER, Basis(now=NOW))
        mine = [counts.get(name, {}).get(area, 0) for name in NAMES]
        assert mine == [*(getattr(stats, f) for f in fields), stats.satisfied + stats.basic], area
    by_provider = order_stats(
        data.street, area=STREET, start=NOVEMBER.start, end=NOVEMBER.end, group_by="provider"
    )
    units = [int(g.key) for g in by_provider.groups if g.key]
    counts = elements.count(NAMES[1:], Grouping.of_units(units), NOVEMBER, Basis(now=NOW))
    for g in by_provider.groups:
        if g.key:
            mine = [counts.get(name, {}).get(int(g.key), 0) for name in NAMES[1:]]
            assert mine == [g.orders, g.on_time, g.rated, g.satisfied + g.basic], g.name


def test_the_period_edges(data):
    last_day = Period.of(PeriodKind.DAY, date(2026, 11, 30))
    next_day = Period.of(PeriodKind.DAY, date(2026, 12, 1))
    assert elements.count(["orders.placed"], BY_COMMUNITY, last_day, Basis(now=NOW)) == {
        "orders.placed": {COMMUNITY: 1}
    }
    assert elements.count(["orders.placed"], BY_COMMUNITY, next_day, Basis(now=NOW)) == {
        "orders.placed": {COMMUNITY: 1}
    }
    rows = elements.rows("orders.placed", BY_COMMUNITY, COMMUNITY, next_day, Basis(now=NOW))
    assert [o.ref for o in rows] == [data.refs["o9"]]


def test_the_rows_are_the_orders_counted(data):
    refs = data.refs
    by_ref = {v: k for k, v in refs.items()}

    def named(name, grouping, key):
        return [by_ref[o.ref] for o in elements.rows(name, grouping, key, NOVEMBER, Basis(now=NOW))]

    assert named("orders.placed", BY_COMMUNITY, COMMUNITY) == [
        "o1",
        "o2",
        "o4",
        "o5",
        "o6",
        "o7",
        "o10",
        "o8",
    ]
    assert named("orders.delivered", BY_COMMUNITY, COMMUNITY) == ["o1", "o2", "o6", "o10"]
    assert named("orders.delivered_on_time", BY_GRID, OTHER_GRID) == []
    assert named("orders.satisfied", BY_GRID, GRID) == ["o1", "o2"]
    lawyers = Grouping.of_units([data.lawyers.pk])
    assert named("orders.delivered", lawyers, data.lawyers.pk) == ["o1", "o3"]
    assert named("orders.delivered_on_time", lawyers, data.lawyers.pk) == ["o1"]
    assert named("orders.delivered", lawyers, data.law_firm.pk) == []  # not a unit of the pool
    row = elements.rows("orders.rated", BY_GRID, OTHER_GRID, NOVEMBER, Basis(now=NOW)).get()
    described = elements.describe("orders.rated", row)
    assert described == {
        "ref": refs["o3"],
        "url": f"/orders/{refs['o3']}/",
        "title": "律师坐班法律咨询",
        "state": "已结单",
        "at": T0,
    }
    assert "1380000" not in str(described) and "volunteer" not in str(described)


def test_counting_every_order_element_is_one_query(data, django_assert_num_queries):
    units = Grouping.of_units([data.lawyers.pk, data.law_firm.pk, data.repair_co.pk])
    for grouping in (BY_GRID, BY_COMMUNITY, units):
        with django_assert_num_queries(1):
            elements.count(NAMES, grouping, NOVEMBER, Basis(now=NOW))
