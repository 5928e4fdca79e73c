"""The volunteer-service data elements on a hand-counted November: hours and volunteers by grid and by
community, the same figures as the points summary, the period's edges, the rows behind each count, one
grouped query."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from gridgov.core import elements
from gridgov.core.elements import Basis, Grouping
from gridgov.core.periods import Period, PeriodKind
from gridgov.points import actions, selectors
from gridgov.points.models import EntryKind, PointsEntry

from .conftest import COMMUNITY, GRID, OTHER_COMMUNITY, TZ, attended, make_task

OTHER_GRID = OTHER_COMMUNITY + "001"
NOVEMBER = Period.of(PeriodKind.MONTH, date(2026, 11, 1))
NAMES = ["points.volunteer_hours", "points.volunteers_served"]
BY_GRID = Grouping.areas(["610302"], 15)
BY_COMMUNITY = Grouping.areas(["610302"], 12)
NOW = datetime(2026, 12, 10, 9, tzinfo=TZ)


@pytest.fixture
def data(world, clock):
    """Grid 111: t1 (5 Nov, 3 h: vol and vol2 attended; vol's points later corrected), t2 (12 Nov, 2 h: vol
    attended for 1.5 h as entered, the resident absent, vol2 withdrew), t4 (00:00 on 1 Dec: December's).
    Community 1-1 itself: t3 (23:59:59 on 30 Nov, 2 h: vol2). Grid 211: t5 (20 Nov, 4 h: the resident)."""
    tasks = {}
    world.vol.display_name = "张志愿"
    world.vol.save(update_fields=["display_name"])

    def task(name, start: datetime, hours: int, **kw):
        clock.move_to(start - timedelta(days=1))
        tasks[name] = make_task(world, starts_in=timedelta(days=1), hours=hours, title=name, **kw)
        return tasks[name]

    t1 = task("t1", datetime(2026, 11, 5, 9, tzinfo=TZ), 3, area=GRID)
    attended(world, t1, world.vol, world.vol2, clock=clock)
    t2 = task("t2", datetime(2026, 11, 12, 9, tzinfo=TZ), 2, area=GRID)
    a = actions.signup_create(task_id=t2.pk, by=world.vol)
    b = actions.signup_create(task_id=t2.pk, by=world.resident)
    actions.signup_create(task_id=t2.pk, by=world.vol2)
    actions.signup_withdraw(task_id=t2.pk, by=world.vol2)
    clock.move_to(t2.starts_at + timedelta(hours=3))
    marks = [actions.Mark(a.pk, True, Decimal("1.5")), actions.Mark(b.pk, False)]
    actions.attendance_confirm(task_id=t2.pk, by=world.community, marks=marks)
    t5 = task("t5", datetime(2026, 11, 20, 9, tzinfo=TZ), 4, area=OTHER_GRID, by=world.other_street)
    signup = actions.signup_create(task_id=t5.pk, by=world.resident)
    clock.move_to(t5.starts_at + timedelta(minutes=5))
    actions.attendance_confirm(task_id=t5.pk, by=world.other_street, marks=[actions.Mark(signup.pk, True)])
    t3 = task("t3", datetime(2026, 11, 30, 23, 59, 59, tzinfo=TZ), 2, area=COMMUNITY)
    attended(world, t3, world.vol2, clock=clock)
    t4 = task("t4", datetime(2026, 12, 1, 0, 0, tzinfo=TZ), 2, area=GRID)
    attended(world, t4, world.vol, clock=clock)
    clock.move_to(NOW)
    credit = PointsEntry.objects.get(kind=EntryKind.TASK, signup__task=t1, signup__volunteer=world.vol)
    actions.points_correct(entry_id=credit.pk, by=world.community, reason="重复登记")
    world.tasks = tasks
    return world


def counted(grouping: Grouping, keys: list, period: Period = NOVEMBER) -> dict:
    counts = elements.count(NAMES, grouping, period, Basis(now=NOW))
    return {name.split(".")[1]: {k: counts.get(name, {}).get(k, 0) for k in keys} for name in NAMES}


def test_hours_and_volunteers_by_grid(data):
    assert counted(BY_GRID, [GRID, OTHER_GRID]) == {
        "volunteer_hours": {GRID: Decimal("7.50"), OTHER_GRID: Decimal("4.00")},
        "volunteers_served": {GRID: 2, OTHER_GRID: 1},
    }


def test_hours_and_volunteers_by_community(data):
    assert counted(BY_COMMUNITY, [COMMUNITY, OTHER_COMMUNITY]) == {
        "volunteer_hours": {COMMUNITY: Decimal("9.50"), OTHER_COMMUNITY: Decimal("4.00")},
        "volunteers_served": {COMMUNITY: 2, OTHER_COMMUNITY: 1},
    }
    hours = elements.count(NAMES, BY_COMMUNITY, NOVEMBER, Basis(now=NOW))["points.volunteer_hours"]
    assert all(isinstance(v, Decimal) for v in hours.values())


def test_the_elements_answer_as_the_points_summary(data):
    for area, grouping in ((COMMUNITY, BY_COMMUNITY), (GRID, BY_GRID), (OTHER_COMMUNITY, BY_COMMUNITY)):
        summary = selectors.summary(data.district, area=area, start=NOVEMBER.start, end=NOVEMBER.end)
        counts = elements.count(NAMES, grouping, NOVEMBER, Basis(now=NOW))
        assert counts["points.volunteer_hours"][area] == summary["hours"], area
        assert counts["points.volunteers_served"][area] == summary["volunteers"], area


def test_the_period_edges(data):
    last_day = Period.of(PeriodKind.DAY, date(2026, 11, 30))
    next_day = Period.of(PeriodKind.DAY, date(2026, 12, 1))
    assert elements.count(NAMES, BY_COMMUNITY, last_day, Basis(now=NOW)) == {
        "points.volunteer_hours": {COMMUNITY: Decimal("2.00")},  # t3 at 23:59:59
        "points.volunteers_served": {COMMUNITY: 1},
    }
    assert elements.count(NAMES, BY_GRID, next_day, Basis(now=NOW)) == {
        "points.volunteer_hours": {GRID: Decimal("2.00")},  # t4 at 00:00
        "points.volunteers_served": {GRID: 1},
    }


def test_the_rows_are_the_rows_counted(data):
    w = data
    basis = Basis(now=NOW)
    signups = list(elements.rows("points.volunteer_hours", BY_GRID, GRID, NOVEMBER, basis))
    assert [(s.task.title, s.volunteer_id, s.hours) for s in signups] == [
        ("t1", w.vol.pk, Decimal("3.00")),
        ("t1", w.vol2.pk, Decimal("3.00")),
        ("t2", w.vol.pk, Decimal("1.50")),
    ]
    assert sum(s.hours for s in signups) == Decimal("7.50")
    people = list(elements.rows("points.volunteers_served", BY_GRID, GRID, NOVEMBER, basis))
    assert [(u.pk, u.served_tasks, u.served_hours) for u in people] == [
        (w.vol.pk, 2, Decimal("4.50")),
        (w.vol2.pk, 1, Decimal("3.00")),
    ]
    assert not elements.rows("points.volunteer_hours", BY_GRID, COMMUNITY, NOVEMBER, basis).exists()
    described = elements.describe("points.volunteers_served", people[0])
    assert described == {
        "ref": str(w.vol.pk),
        "url": "",
        "title": f"志愿者 {w.vol.pk}",
        "state": "参加 2 次，4.50 小时",
        "at": None,
    }
    assert elements.describe("points.volunteer_hours", signups[2]) == {
        "ref": str(w.tasks["t2"].pk),
        "url": f"/volunteer/tasks/{w.tasks['t2'].pk}/",
        "title": "t2",
        "state": "1.50 小时",
        "at": w.tasks["t2"].starts_at,
    }
    for row in signups + people:
        assert "张志愿" not in str(elements.describe("points.volunteer_hours", row))


def test_counting_every_points_element_is_one_query(data, django_assert_num_queries):
    for grouping in (BY_GRID, BY_COMMUNITY, Grouping.areas([COMMUNITY], 15)):
        with django_assert_num_queries(1):
            elements.count(NAMES, grouping, NOVEMBER, Basis(now=NOW))
