"""The deadline sweep: warning, overdue and escalation once and only once; missed report-ins flagged."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.management import call_command

from gridgov.cases import actions
from gridgov.cases.models import CaseEvent
from gridgov.cases.sla import sla_sweep
from gridgov.notify.models import Notification

from .conftest import T0, report

pytestmark = pytest.mark.django_db


def dispatched(world):
    case = report(world, by=world.resident).case
    actions.case_accept(ref=case.ref, by=world.worker)
    return actions.case_dispatch(ref=case.ref, by=world.worker, lead_unit_id=world.unit_a.pk)


def counts(case, kind):
    return Notification.objects.filter(case=case, kind=kind).count()


def test_warning_then_overdue_then_one_escalation(world):
    case = dispatched(world)
    # response limit 2 h, warning at 80 %: 09:30 + 1 h 36 min = 11:06
    assert case.response_warn_at == T0 + timedelta(minutes=96)
    assert sla_sweep(T0 + timedelta(minutes=95)).as_dict() == {
        "warned": 0,
        "overdue": 0,
        "escalated": 0,
        "missed_reports": 0,
    }
    assert sla_sweep(T0 + timedelta(minutes=97)).warned == 1
    case.refresh_from_db()
    assert case.sla == "warning"
    assert sla_sweep(T0 + timedelta(minutes=98)).warned == 0  # once only
    # each handler of unit A once
    assert Notification.objects.filter(case=case, kind="warning", user=world.handler_a).count() == 1
    assert counts(case, "warning") == 2
    result = sla_sweep(T0 + timedelta(hours=2, minutes=1))
    assert (result.overdue, result.escalated) == (1, 1)
    case.refresh_from_db()
    assert case.sla == "overdue" and case.level == "community" and case.auto_escalated_at is not None
    assert sla_sweep(T0 + timedelta(hours=2, minutes=2)).as_dict() == {
        "warned": 0,
        "overdue": 0,
        "escalated": 0,
        "missed_reports": 0,
    }
    # handler and the grid's command centre (the worker) told once; the community told of the escalation
    assert Notification.objects.filter(case=case, kind="overdue", user=world.handler_a).count() == 1
    assert Notification.objects.filter(case=case, kind="overdue", user=world.worker).count() == 1
    assert Notification.objects.filter(case=case, kind="escalation", user=world.community).count() == 1

    # the resolution phase after a late claim: warned and overdue once more, but never escalated again
    actions.case_claim(ref=case.ref, by=world.handler_a)
    result = sla_sweep(T0 + timedelta(hours=20))
    assert (result.warned, result.overdue) == (1, 0)
    result = sla_sweep(T0 + timedelta(hours=25))
    assert (result.overdue, result.escalated) == (1, 0)
    case.refresh_from_db()
    assert case.level == "community" and case.escalation_count == 1
    actions_seen = list(CaseEvent.objects.filter(case=case).values_list("action", flat=True))
    assert actions_seen.count("warning") == 2 and actions_seen.count("overdue") == 2
    assert actions_seen.count("escalate") == 1


def test_overdue_straight_away_counts_as_warned_too(world):
    case = dispatched(world)
    result = sla_sweep(T0 + timedelta(hours=3))
    assert (result.warned, result.overdue) == (0, 1)
    case.refresh_from_db()
    assert case.response_warned_at is not None
    assert sla_sweep(T0 + timedelta(hours=3)).warned == 0


def test_claim_on_time_stops_the_response_clock(world):
    case = dispatched(world)
    actions.case_claim(ref=case.ref, by=world.handler_a)
    assert sla_sweep(T0 + timedelta(hours=3)).as_dict() == {
        "warned": 0,
        "overdue": 0,
        "escalated": 0,
        "missed_reports": 0,
    }


def test_district_level_case_is_not_escalated_further(world):
    case = dispatched(world)
    for by in (world.worker, world.community, world.street):
        actions.case_escalate(ref=case.ref, by=by, reason="上报")
    result = sla_sweep(T0 + timedelta(hours=3))
    assert (result.overdue, result.escalated) == (1, 0)


def test_missed_report_in_flagged_once(world):
    case = report(world, by=world.resident).case
    actions.case_accept(ref=case.ref, by=world.worker)
    actions.case_whistle(
        ref=case.ref,
        by=world.street,
        unit_ids=[world.unit_b.pk, world.unit_c.pk],
        lead_unit_id=world.unit_a.pk,
        report_hours=1,
    )
    actions.case_report_in(ref=case.ref, by=world.handler_b)
    assert sla_sweep(T0 + timedelta(minutes=59)).missed_reports == 0
    assert sla_sweep(T0 + timedelta(minutes=61)).missed_reports == 2  # units A and C
    assert sla_sweep(T0 + timedelta(minutes=62)).missed_reports == 0
    calls = {c.unit.name: c for c in case.whistles.get().calls.select_related("unit")}
    assert calls["住建局"].missed_at is None and calls["某物业"].missed_at is not None
    assert CaseEvent.objects.filter(case=case, action="report_missed").count() == 2


def test_sweep_command_at_given_time(world, capsys):
    dispatched(world)
    call_command("sla_sweep", "--at", (T0 + timedelta(hours=3)).isoformat())
    assert json.loads(capsys.readouterr().out)["cases"] == {
        "warned": 0,
        "overdue": 1,
        "escalated": 1,
        "missed_reports": 0,
    }
    call_command("sla_sweep", "--at", "2026-11-23T12:30:00")  # naive: Asia/Shanghai
    assert json.loads(capsys.readouterr().out)["cases"]["overdue"] == 0
