"""A service order's acceptance deadline computed into a year the calendar does not know yet is
provisional (Monday–Friday assumed) and is computed again when that year's schedule is configured."""

from __future__ import annotations

import re
from datetime import date

import pytest
import time_machine
from django.utils import translation

from gridgov.core.calendar import calendar_configure_year, calendar_set_day
from gridgov.core.i18n import shown
from gridgov.core.models import TimelineEvent
from gridgov.orders import actions
from gridgov.orders.models import Order

from .conftest import at, order_fix

pytestmark = pytest.mark.django_db


def test_an_order_due_in_an_unknown_year_is_recomputed_when_the_year_is_configured(
    world, django_capture_on_commit_callbacks
):
    with time_machine.travel(at(date(2026, 12, 31), 16), tick=False):
        order = order_fix(world)
        actions.order_dispatch(by=world.community, ref=order.ref, provider_unit_id=world.repair_co.pk)
    order = Order.objects.get(pk=order.pk)
    assert order.deadline_provisional is True
    assert order.accept_due.astimezone(at(date(2027, 1, 1), 0).tzinfo).date() == date(2027, 1, 1)

    with django_capture_on_commit_callbacks(execute=True):
        calendar_set_day(by=world.admin, day=date(2027, 1, 1), is_workday=False, name="元旦")
        calendar_configure_year(by=world.admin, year=2027)

    order = Order.objects.get(pk=order.pk)
    assert order.deadline_provisional is False
    assert order.accept_due.astimezone(at(date(2027, 1, 1), 0).tzinfo).date() == date(2027, 1, 4)  # Monday
    step = TimelineEvent.objects.filter(action="recompute", subject_id=order.pk).latest("pk")
    assert step.note == "2027 年节假日安排已配置，时限重新计算"
    with translation.override("en"):
        assert "2027" in shown(step.note, step.data) and not re.search(
            "[\u4e00-\u9fff]", shown(step.note, step.data)
        )
