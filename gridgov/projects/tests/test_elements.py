"""The project data elements on a hand-counted November: projects completed (on schedule) by grid, by
community and by owner unit; the 双报到 units registered and compliant by community, by street and by unit,
as the compliance report counts them; the period's edges; the rows behind each count; a fixed number of
queries."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from gridgov.accounts.models import Unit
from gridgov.core import elements
from gridgov.core.elements import Basis, Grouping
from gridgov.core.periods import Period, PeriodKind
from gridgov.projects import actions
from gridgov.projects.selectors import compliance_report
from gridgov.testing.factories import make_user

from .conftest import COMMUNITY_11, COMMUNITY_12, GRID_111, STREET_1, TZ, project

COMMUNITY_21 = "610302002001"
STREET_2 = "610302002"
NOVEMBER = Period.of(PeriodKind.MONTH, date(2026, 11, 1))
DECEMBER = Period.of(PeriodKind.MONTH, date(2026, 12, 1))
YEAR = Period.of(PeriodKind.YEAR, date(2026, 1, 1))
PROJECTS = ["projects.completed", "projects.completed_on_schedule"]
UNITS = ["projects.units_registered", "projects.units_compliant"]
NAMES = PROJECTS + UNITS
BY_GRID = Grouping.areas(["610302"], 15)
BY_COMMUNITY = Grouping.areas(["610302"], 12)
BY_STREET = Grouping.areas(["610302"], 9)
NOW = datetime(2026, 12, 10, 9, tzinfo=TZ)


def nov(day: int, hour: int = 10, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, second, tzinfo=TZ)


@pytest.fixture
def data(world, clock):
    """Completed in November — grid 111: p1 (人民医院, due 31 Dec), p3 (执法局, due 30 Nov, completed at
    23:59:59 that day), p6 (the secretary's, no end date); community 1-1: p2 (人民医院, due 5 Nov, completed
    the 6th: late), p7 (人民医院, a 2025 project); community 2-1: p8 (律师协会). Not completed in November:
    p4 (执法局, grid 111, completed at 00:00 on 1 Dec), p5 (中国银行, community 1-2, in progress)."""
    dept = make_user(world.admin, "dept", "unit", unit=world.dept)
    refs = {}

    def claimed(name, handler, area=COMMUNITY_11, by=None, **kw):
        p = project(world, by=by or world.street, area=area, title=name, **kw)
        p = actions.project_publish(by=by or world.street, project=p)
        refs[name] = actions.project_claim(by=handler, project=p)
        return refs[name]

    def assigned(name, area=GRID_111, **kw):
        p = project(world, by=world.street, area=area, title=name, **{"end_date": kw.pop("end_date", None)})
        refs[name] = actions.project_assign(by=world.street, project=p, **kw)
        return refs[name]

    def complete(name, when, by):
        clock.move_to(when)
        refs[name] = actions.project_complete(by=by, project=refs[name], summary="完成")

    clock.move_to(nov(1))
    claimed("p1", world.handler, area=GRID_111)
    claimed("p2", world.handler, end_date=date(2026, 11, 5))
    assigned("p3", owner_unit=world.dept.pk, end_date=date(2026, 11, 30))
    assigned("p4", owner_unit=world.dept.pk, end_date=date(2026, 11, 30))
    claimed("p5", world.handler_b, area=COMMUNITY_12)
    assigned("p6", owner_user=world.secretary.pk)
    claimed("p7", world.handler, year=2025)
    claimed("p8", world.handler_far, area=COMMUNITY_21, by=world.other_street)
    complete("p2", nov(6), world.handler)
    complete("p1", nov(10), world.handler)
    complete("p7", nov(12), world.handler)
    complete("p6", nov(15), world.secretary)
    complete("p8", nov(20), world.handler_far)
    complete("p3", nov(30, 23, 59, 59), dept)
    complete("p4", datetime(2026, 12, 1, 0, 0, tzinfo=TZ), dept)
    clock.move_to(NOW)
    world.refs = refs
    return world


def counted(names, grouping: Grouping, keys: list, period: Period = NOVEMBER) -> dict:
    counts = elements.count(names, grouping, period, Basis(now=NOW))
    return {name.split(".")[1]: {k: counts.get(name, {}).get(k, 0) for k in keys} for name in names}


def test_projects_completed_by_grid_and_by_community(data):
    assert counted(PROJECTS, BY_GRID, [GRID_111, COMMUNITY_21 + "001"]) == {
        "completed": {GRID_111: 3, COMMUNITY_21 + "001": 0},
        "completed_on_schedule": {GRID_111: 3, COMMUNITY_21 + "001": 0},
    }
    assert counted(PROJECTS, BY_COMMUNITY, [COMMUNITY_11, COMMUNITY_12, COMMUNITY_21]) == {
        "completed": {COMMUNITY_11: 5, COMMUNITY_12: 0, COMMUNITY_21: 1},
        "completed_on_schedule": {COMMUNITY_11: 4, COMMUNITY_12: 0, COMMUNITY_21: 1},
    }


def test_projects_completed_by_owner_unit(data):
    w = data
    units = [w.unit.pk, w.unit_b.pk, w.unit_far.pk, w.dept.pk]
    assert counted(PROJECTS, Grouping.of_units(units), units) == {
        "completed": {w.unit.pk: 3, w.unit_b.pk: 0, w.unit_far.pk: 1, w.dept.pk: 1},
        "completed_on_schedule": {w.unit.pk: 2, w.unit_b.pk: 0, w.unit_far.pk: 1, w.dept.pk: 1},
    }


def test_the_period_edges(data):
    last_day = Period.of(PeriodKind.DAY, date(2026, 11, 30))
    assert elements.count(PROJECTS, BY_GRID, last_day, Basis(now=NOW)) == {
        "projects.completed": {GRID_111: 1},  # p3 at 23:59:59
        "projects.completed_on_schedule": {GRID_111: 1},
    }
    assert elements.count(PROJECTS, BY_GRID, DECEMBER, Basis(now=NOW)) == {
        "projects.completed": {GRID_111: 1},  # p4 at 00:00, on its end date's next day: late
        "projects.completed_on_schedule": {},
    }


def test_cobuilding_units_by_community_and_street(data):
    """Community 1-1: 人民医院 (serves it; p1 p2 done) and 执法局 (took p3 p4 there; p3 done in November),
    both compliant; community 1-2: 中国银行 (took p5, not done); community 2-1: 律师协会 (serves street 2,
    took and did p8). Street 1: 人民医院, 中国银行 (serves the street) and 执法局."""
    keys = [COMMUNITY_11, COMMUNITY_12, COMMUNITY_21, "610302002002"]
    assert counted(UNITS, BY_COMMUNITY, keys) == {
        "units_registered": {COMMUNITY_11: 2, COMMUNITY_12: 1, COMMUNITY_21: 1, "610302002002": 0},
        "units_compliant": {COMMUNITY_11: 2, COMMUNITY_12: 0, COMMUNITY_21: 1, "610302002002": 0},
    }
    assert counted(UNITS, BY_STREET, [STREET_1, STREET_2]) == {
        "units_registered": {STREET_1: 3, STREET_2: 1},
        "units_compliant": {STREET_1: 2, STREET_2: 1},
    }
    # N = 2 in community 1-1: 执法局 did one project there in November, 人民医院 two.
    actions.cobuilding_rule_set(by=data.community, area=COMMUNITY_11, required_projects=2)
    assert counted(UNITS, BY_COMMUNITY, keys)["units_compliant"][COMMUNITY_11] == 1
    assert counted(UNITS, BY_STREET, [STREET_1])["units_compliant"][STREET_1] == 2  # the street's N is 1
    # In the whole year p4 is done too.
    assert counted(UNITS, BY_COMMUNITY, keys, YEAR)["units_compliant"][COMMUNITY_11] == 2


def test_cobuilding_units_by_unit(data):
    w = data
    idle = Unit.objects.create(name="某物业", kind="property", area=w.tree[COMMUNITY_11])
    units = [w.unit.pk, w.unit_b.pk, w.unit_far.pk, w.dept.pk, idle.pk]
    assert counted(UNITS, Grouping.of_units(units), units) == {
        "units_registered": {w.unit.pk: 1, w.unit_b.pk: 1, w.unit_far.pk: 1, w.dept.pk: 1, idle.pk: 0},
        "units_compliant": {w.unit.pk: 1, w.unit_b.pk: 0, w.unit_far.pk: 1, w.dept.pk: 1, idle.pk: 0},
    }
    actions.cobuilding_rule_set(by=w.community, area=COMMUNITY_11, required_projects=3)
    assert counted(UNITS, Grouping.of_units(units), units)["units_compliant"][w.unit.pk] == 0


@pytest.mark.parametrize("rule", [None, 2])
def test_the_cobuilding_counts_answer_as_the_compliance_report(data, rule):
    if rule:
        actions.cobuilding_rule_set(by=data.street, area=STREET_1, required_projects=rule)
    for area, grouping in ((COMMUNITY_11, BY_COMMUNITY), (COMMUNITY_12, BY_COMMUNITY), (STREET_1, BY_STREET)):
        report = compliance_report(data.admin, area=area, year=2026)
        counts = elements.count(UNITS, grouping, YEAR, Basis(now=NOW))
        registered = counts["projects.units_registered"].get(area, 0)
        compliant = counts["projects.units_compliant"].get(area, 0)
        assert (registered, compliant) == (len(report.rows), len(report.rows) - len(report.below)), area
        rows = elements.rows("projects.units_compliant", grouping, area, YEAR, Basis(now=NOW))
        assert {u.pk for u in rows} == {r.unit.pk for r in report.rows if r.compliant}, area


def test_the_rows_are_the_rows_counted(data):
    w, refs = data, data.refs
    basis = Basis(now=NOW)

    def titles(name, grouping, key, period=NOVEMBER):
        return [p.title for p in elements.rows(name, grouping, key, period, basis)]

    assert titles("projects.completed", BY_COMMUNITY, COMMUNITY_11) == ["p2", "p1", "p7", "p6", "p3"]
    assert titles("projects.completed_on_schedule", BY_COMMUNITY, COMMUNITY_11) == ["p1", "p7", "p6", "p3"]
    assert titles("projects.completed", Grouping.of_units([w.unit.pk]), w.unit.pk) == ["p2", "p1", "p7"]
    assert titles("projects.completed", BY_GRID, COMMUNITY_11) == []  # not a grid
    registered = elements.rows("projects.units_registered", BY_COMMUNITY, COMMUNITY_11, NOVEMBER, basis)
    assert {u.pk for u in registered} == {w.unit.pk, w.dept.pk}
    compliant = elements.rows("projects.units_compliant", BY_COMMUNITY, COMMUNITY_12, NOVEMBER, basis)
    assert list(compliant) == []
    by_unit = Grouping.of_units([w.unit_b.pk])
    assert [
        u.pk for u in elements.rows("projects.units_registered", by_unit, w.unit_b.pk, NOVEMBER, basis)
    ] == [w.unit_b.pk]
    assert not elements.rows("projects.units_compliant", by_unit, w.unit_b.pk, NOVEMBER, basis).exists()
    assert not elements.rows(
        "projects.units_registered", BY_COMMUNITY, "610302009009", NOVEMBER, basis
    ).exists()
    p1 = elements.rows("projects.completed", BY_GRID, GRID_111, NOVEMBER, basis).first()
    assert elements.describe("projects.completed", p1) == {
        "ref": str(refs["p1"].pk),
        "url": f"/lists/projects/{refs['p1'].pk}/",
        "title": "p1",
        "state": "已完成",
        "at": nov(10),
    }
    unit = registered.get(pk=w.unit.pk)
    assert elements.describe("projects.units_registered", unit)["title"] == "渭滨区人民医院"


def test_counting_every_project_element_is_two_queries(data, django_assert_num_queries):
    """The projects completed, and the units of every group (one statement over the pool's areas or units)."""
    units = Grouping.of_units([data.unit.pk, data.unit_b.pk, data.dept.pk])
    for grouping in (BY_GRID, BY_COMMUNITY, BY_STREET, units):
        with django_assert_num_queries(2):
            elements.count(NAMES, grouping, NOVEMBER, Basis(now=NOW))
