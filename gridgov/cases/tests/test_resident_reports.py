"""Issue 13: a resident's "my reports" keeps finished reports (to rate them), filters by what residents know
of a state, and the tracking page shows the promised deadline."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from gridgov.cases import actions
from gridgov.cases.models import Case

from .conftest import report
from .test_workflow import walk_to

pytestmark = pytest.mark.django_db


def rows(body: str) -> list[str]:
    return re.findall(r'data-ref="([^"]+)"', body)


def test_my_reports_keep_closed_ones_with_a_way_to_rate(client, world):
    waiting = report(world, by=world.resident).case
    closed = walk_to(world, "closed")
    rated = walk_to(world, "closed")
    actions.case_rate(ref=rated.ref, by=world.resident, rating="satisfied")
    rejected = report(world, by=world.resident).case
    actions.case_reject(ref=rejected.ref, by=world.worker, reason="不属于受理范围")
    someone_elses = report(world, by=None).case
    client.force_login(world.resident)
    body = client.get("/cases/").content.decode()
    listed = rows(body)
    assert set(listed) == {waiting.ref, closed.ref, rated.ref, rejected.ref}
    assert someone_elses.ref not in listed
    assert listed[0] == waiting.ref  # open reports first
    # only the closed report not yet rated offers the rating
    assert body.count('class="button button-primary to-rate"') == 1
    assert f'href="/track/{closed.ref}#rate"' in body and "去评价" in body
    # the filter offers what residents know, not the internal states
    options = re.findall(r'<option value="([^"]*)"', body.split('name="state"')[1].split("</select>")[0])
    assert options == ["", "waiting", "handling", "done", "declined"]
    assert "已派遣" not in body and "只看超时" not in body
    done = rows(client.get("/cases/?state=done").content.decode())
    assert set(done) == {closed.ref, rated.ref}
    assert rows(client.get("/cases/?state=declined").content.decode()) == [rejected.ref]
    assert rows(client.get("/cases/?state=waiting").content.decode()) == [waiting.ref]
    dispatched = walk_to(world, "dispatched")
    body = client.get("/cases/?state=handling").content.decode()
    assert rows(body) == [dispatched.ref]
    assert "承诺办结时限" in body and "签收时限" not in body


def test_staff_worklist_is_unchanged_open_cases_only(client, world):
    open_case = report(world, by=world.resident).case
    closed = walk_to(world, "closed")
    client.force_login(world.worker)
    listed = rows(client.get("/cases/").content.decode())
    assert open_case.ref in listed and closed.ref not in listed


def test_tracking_page_shows_the_promised_deadline(client, world, clock):
    case = report(world, by=world.resident).case
    body = client.get(f"/track/{case.ref}").content.decode()
    assert "承诺办结时限" not in body  # not yet with a unit
    case = walk_to(world, "in_progress", case.ref)
    due = timezone.localtime(case.resolution_due)
    body = client.get(f"/track/{case.ref}").content.decode()
    assert "承诺办结时限" in body and f"{due:%Y-%m-%d %H:%M}" in body
    assert "已超过承诺时限" not in body
    clock.move_to(case.resolution_due + timedelta(hours=1))
    body = client.get(f"/track/{case.ref}").content.decode()
    assert "已超过承诺时限" in body
    walk_to(world, "closed", case.ref)
    assert "承诺办结时限" not in client.get(f"/track/{case.ref}").content.decode()
    assert Case.objects.get(pk=case.pk).state == "closed"
