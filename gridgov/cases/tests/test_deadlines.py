"""Deadlines computed at dispatch on the working-day calendar, across National Day and Spring Festival,
for each limit unit; provisional deadlines in a year the calendar does not know, recomputed once it is."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
import time_machine

from gridgov.cases import actions
from gridgov.core.calendar import calendar_import_year

from .conftest import TZ, report

pytestmark = pytest.mark.django_db


def at(*args) -> datetime:
    return datetime(*args, tzinfo=TZ)


def dispatch_at(world, when, response=(Decimal(2), "working_hours"), resolution=(Decimal(3), "working_days")):
    cat = world.category
    cat.response_limit, cat.response_unit = response
    cat.resolution_limit, cat.resolution_unit = resolution
    cat.save()
    with time_machine.travel(when, tick=False):
        case = report(world, by=world.resident).case
        actions.case_accept(ref=case.ref, by=world.worker)
        return actions.case_dispatch(ref=case.ref, by=world.worker, lead_unit_id=world.unit_a.pk)


@pytest.mark.parametrize(
    ("when", "response", "resolution", "response_due", "resolution_due"),
    [
        # National Day 2025 (10-01..10-08 off; Sun 09-28 and Sat 10-11 are adjusted workdays)
        (
            at(2025, 9, 30, 16),
            (8, "working_hours"),
            (24, "urgent_hours"),
            at(2025, 10, 9, 17),
            at(2025, 10, 1, 16),
        ),
        (
            at(2025, 9, 30, 10),
            (2, "working_hours"),
            (3, "working_days"),
            at(2025, 9, 30, 12),
            at(2025, 10, 11, 17, 30),
        ),
        (
            at(2025, 10, 10, 17),
            (2, "working_hours"),
            (1, "working_days"),
            at(2025, 10, 11, 10, 30),
            at(2025, 10, 11, 17, 30),
        ),
        (
            at(2025, 9, 26, 10),
            (Decimal("0.5"), "urgent_hours"),
            (1, "working_days"),
            at(2025, 9, 26, 10, 30),
            at(2025, 9, 28, 17, 30),
        ),
        # Spring Festival 2026 (02-15..02-23 off; Sat 02-14 and Sat 02-28 are adjusted workdays)
        (
            at(2026, 2, 13, 15),
            (10, "working_hours"),
            (2, "working_days"),
            at(2026, 2, 24, 9, 30),
            at(2026, 2, 24, 17, 30),
        ),
        (
            at(2026, 2, 23, 10),
            (72, "urgent_hours"),
            (5, "working_days"),
            at(2026, 2, 26, 10),
            at(2026, 2, 28, 17, 30),
        ),
    ],
)
def test_deadlines_across_holidays(world, when, response, resolution, response_due, resolution_due):
    response = (Decimal(str(response[0])), response[1])
    resolution = (Decimal(str(resolution[0])), resolution[1])
    case = dispatch_at(world, when, response, resolution)
    assert case.response_due == response_due
    assert case.resolution_due == resolution_due
    assert case.deadline_provisional is False


def test_unknown_year_gives_provisional_deadline_then_recomputed(world, django_capture_on_commit_callbacks):
    case = dispatch_at(
        world, at(2026, 12, 31, 16), (Decimal(2), "working_hours"), (Decimal(2), "working_days")
    )
    # 2027 is not in the calendar yet: Monday to Friday, marked provisional — never an error
    assert case.resolution_due == at(2027, 1, 4, 17, 30)
    assert case.deadline_provisional is True
    with django_capture_on_commit_callbacks(execute=True):
        calendar_import_year(by=None, year=2027, holidays=[date(2027, 1, 1), date(2027, 1, 4)], workdays=[])
    case.refresh_from_db()
    assert case.deadline_provisional is False
    # 01-01 and 01-04 are now holidays: day 1 is 01-05, day 2 is 01-06
    assert case.resolution_due == at(2027, 1, 6, 17, 30)
    assert case.events.filter(action="recompute").exists()
