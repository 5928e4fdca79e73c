# ruff: noqa: F811  (the world fixture is imported from test_history_import)
"""Historical cases are left out of current figures (KPIs, assessment elements, unit performance, the
command centre's categories and map points, Open311) and kept by the hot spots: a historical case does
not move a figure, a current one does."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from gridgov.assist import history
from gridgov.assist.tests.test_history_import import IN_GRID_111, row, world  # noqa: F401
from gridgov.cases import elements
from gridgov.cases.kpis import case_kpis
from gridgov.cases.models import Case
from gridgov.cases.tests.conftest import report
from gridgov.core.elements import Basis, Grouping
from gridgov.core.periods import Period

pytestmark = pytest.mark.django_db


def recent(n: int, days_ago: int = 2, **kw) -> dict:
    when = timezone.localtime() - timedelta(days=days_ago, hours=n)
    return row(n, reported_at=when.strftime("%Y-%m-%d %H:%M"), unit="城管执法局", **kw)


def kpis(world) -> dict:
    today = timezone.localdate()
    return case_kpis(world.district, area="610302", start=today - timedelta(days=30), end=today)["totals"]


def test_case_kpis_leave_historical_cases_out(world):
    before = kpis(world)
    job = history.import_rows([recent(1), recent(2)], by=world.district)
    assert job.rows_created == 2
    assert kpis(world) == before
    report(world)  # a current case moves the figure
    assert kpis(world)["reported"] == before["reported"] + 1


def test_assessment_elements_leave_historical_cases_out(world):
    history.import_rows([recent(1), recent(2)], by=world.district)
    period = Period.of("month", timezone.localdate() - timedelta(days=2))
    counted = elements.count(
        ["cases.reported", "cases.closed"], Grouping.areas(["610302"], 6), period, Basis(timezone.now())
    )
    assert counted.get("cases.reported", {}).get("610302", 0) == 0
    assert counted.get("cases.closed", {}).get("610302", 0) == 0


def test_command_centre_figures_leave_historical_cases_out(world):
    from gridgov.dashboards import reports, selectors

    history.import_rows([recent(1), recent(2, lng=IN_GRID_111[0], lat=IN_GRID_111[1])], by=world.district)
    today = timezone.localdate()
    grid = "610302001001001"
    assert selectors.category_counts(grid, today - timedelta(days=7), today) == {}
    points = selectors.case_points(world.district, "610302")
    assert points["points"] == []
    period = Period.of("month", today - timedelta(days=2))
    assert reports.unit_performance("610302", period, timezone.now()) == []


def test_open311_lists_no_historical_case(world):
    from gridgov.open311.selectors import _base

    history.import_rows([recent(1)], by=world.district)
    current = report(world).case
    assert list(_base("610302")) == [current]


def test_hot_spots_count_historical_cases(world):
    from gridgov.dashboards import actions
    from gridgov.dashboards.models import Hotspot

    rows = [recent(i, days_ago=3, lng=IN_GRID_111[0], lat=IN_GRID_111[1] + i * 0.0001) for i in range(4)]
    job = history.import_rows(rows, by=world.district)
    assert job.rows_created == 4
    assert actions.hotspots_detect(now=timezone.now())["found"] == 1
    spot = Hotspot.objects.get()
    assert spot.count == 4
    assert set(spot.case_ids) == set(Case.objects.filter(historical=True).values_list("pk", flat=True))


def test_old_history_falls_outside_current_periods_anyway(world):
    history.import_rows([row(1, reported_at=date(2021, 1, 5).isoformat())], by=world.district)
    assert Case.objects.get(historical=True).reported_at.year == 2021
