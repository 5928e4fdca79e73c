"""The roll-up against the hand-counted KPI world (docs/kpi.md; docs/dashboards.md "Figures")."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine

from gridgov.cases.models import CaseEvent
from gridgov.dashboards import figures, selectors
from gridgov.dashboards.models import DayFigure, FiguresMark, StockFigure

from .conftest import C11, C12, DISTRICT, G111, G121, NOW, STREET1, STREET2, at

pytestmark = pytest.mark.django_db


def flows(code: str, day: date, category=None) -> dict:
    row = DayFigure.objects.filter(area_code=code, day=day, category_id=category).values().first()
    return {k: v for k, v in (row or {}).items() if k in figures.FLOWS and v}


def test_days_of_march_by_area(refreshed):
    # 2 March: c1 reported, accepted, dispatched, closed on time, rated satisfied — all in grid 111.
    assert flows(G111, date(2026, 3, 2)) == {
        "reported": 1,
        "accepted": 1,
        "dispatched": 1,
        "closed": 1,
        "closed_on_time": 1,
        "rated": 1,
        "satisfied": 1,
    }
    assert flows(C11, date(2026, 3, 2)) == flows(G111, date(2026, 3, 2))
    assert flows(STREET1, date(2026, 3, 2)) == flows(DISTRICT, date(2026, 3, 2))
    # 1 March: c13 (grid 121) reported at midnight, handled, closed, rated unsatisfied, reopened.
    assert flows(G121, date(2026, 3, 1)) == {
        "reported": 1,
        "accepted": 1,
        "dispatched": 1,
        "closed": 1,
        "rated": 1,
        "reopened": 1,
    }
    # 28 February 23:30 (x1, local time) belongs to February.
    assert flows(G111, date(2026, 2, 28)) == {"reported": 1, "accepted": 1}
    # c11 has no place: it counts for the district only.
    assert flows(DISTRICT, date(2026, 3, 13))["reported"] == 1
    assert flows(STREET1, date(2026, 3, 13)) == {}
    assert flows(STREET2, date(2026, 3, 13)) == {}


def test_every_event_counted_once_per_level(refreshed):
    march = [date(2026, 3, d) for d in range(1, 32)]
    total = {name: 0 for name in figures.FLOWS}
    for row in DayFigure.objects.filter(area_code=DISTRICT, category__isnull=True, day__in=march).values():
        for name in figures.FLOWS:
            total[name] += row[name]
    events = CaseEvent.objects.filter(at__gte=at(3, 1, 0, 0), at__lt=at(4, 1, 0, 0))
    assert total["reported"] == 13
    by_action = {a: events.filter(action=a).count() for a in figures.ACTION_FLOW}
    for action, flow in figures.ACTION_FLOW.items():
        assert total[flow] == by_action[action], action
    # the streets and grids add up to the district except the case without a place (c11)
    streets = DayFigure.objects.filter(area_code__in=[STREET1, STREET2], category__isnull=True, day__in=march)
    assert sum(r.reported for r in streets) == 12


def test_stocks_now(refreshed):
    # Open at 1 April 08:00: c5 (in progress, overdue), c7 (dispatched, overdue), c10 (accepted),
    # c12 (in progress), c13 (reopened: accepted), x1 (accepted in February), x2 (reported at midnight).
    # c6's U3 never reported in, but c6 is closed.
    row = StockFigure.objects.get(area_code=DISTRICT, day=date(2026, 4, 1), category=None, unit=None)
    assert (row.open, row.overdue, row.whistle_waiting) == (7, 2, 0)
    assert StockFigure.objects.get(area_code=G111, day=date(2026, 4, 1), unit=None).overdue == 1
    assert FiguresMark.objects.get(key="cases").final_through == date(2026, 3, 31)


def test_refresh_is_idempotent_and_only_redoes_unfinished_days(refreshed):
    before = list(DayFigure.objects.order_by("day", "area_code", "category_id").values())
    with time_machine.travel(NOW, tick=False):
        done = figures.refresh(NOW)
    assert done["days"] == 1  # today only: earlier days are final
    after = list(DayFigure.objects.order_by("day", "area_code", "category_id").values())
    strip = [{k: v for k, v in r.items() if k != "id"} for r in before]
    assert strip == [{k: v for k, v in r.items() if k != "id"} for r in after]


def test_dashboard_tiles(refreshed, staff):
    data = selectors.dashboard(staff["district"], DISTRICT, now=NOW)
    tiles = {t["key"]: t for t in data["tiles"]}
    assert tiles["overdue"]["today"] == 2
    assert data["area"]["code"] == DISTRICT
    assert [c["code"] for c in data["children"]] == [STREET1, STREET2]
    assert sum(day["reported"] for day in data["trend"]) >= 12
    assert C12


def test_command_recounts_from_a_day(refreshed):
    import io

    from django.core.management import call_command
    from django.core.management.base import CommandError

    DayFigure.objects.filter(day=date(2026, 3, 2)).delete()
    out = io.StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("refresh_figures", "--since", "2026-03-01", stdout=out)
    assert '"since": "2026-03-01"' in out.getvalue()
    assert flows(G111, date(2026, 3, 2))["reported"] == 1
    with pytest.raises(CommandError):
        call_command("refresh_figures", "--since", "March")


def test_months_of_case_elements_per_grid(refreshed, staff):
    from gridgov.dashboards.models import GridMonth

    kept = set(GridMonth.objects.filter(area_code="").values_list("month", flat=True))
    assert kept == {date(2026, 3, 1), date(2026, 4, 1)}  # the refresh's month and the one before
    march = GridMonth.objects.get(month=date(2026, 3, 1), area_code=G111).values
    assert march["cases.reported"] == 4  # c1, c5, c9, c12 (x1 on 28 February, x2 on 1 April)
    # A month never counted is counted when the map first asks for it, and gives the live answer.
    with time_machine.travel(NOW, tick=False):
        february = selectors.grid_values(staff["district"], DISTRICT, "closure_rate", "2026-02", now=NOW)
        live = selectors.colour(
            [DISTRICT], selectors.map_indicator("closure_rate"), selectors.Period.parse("2026-02"), NOW
        )
    assert GridMonth.objects.filter(month=date(2026, 2, 1), area_code="").exists()
    assert february["grids"] == live
    assert {g["code"]: g["value"] for g in february["grids"]}[G111] == 0.0  # x1 accepted, not closed
