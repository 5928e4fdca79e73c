"""Issue 13: the case messages reach the people who must act on them, and are settled once someone did."""

from __future__ import annotations

import pytest

from gridgov.cases import actions
from gridgov.notify.models import Kind, Notification
from gridgov.testing.api import ApiClient
from gridgov.testing.factories import make_user

from .conftest import report
from .test_workflow import walk_to

pytestmark = pytest.mark.django_db


def told(kind, case) -> set[str]:
    return set(Notification.objects.filter(kind=kind, case=case).values_list("user__username", flat=True))


def test_a_new_report_reaches_its_dispatchers_and_their_backups(world):
    backup = make_user(world.tree.admin, "backup", "community", area=world.tree["610302001002"])
    world.community.backup, world.community.is_away = backup, True
    world.community.save(update_fields=["backup", "is_away"])
    case = report(world, by=world.resident).case
    # the grid's worker and the grid's community (with the A/B backup of the one away) accept it; the
    # street and the reporter are not asked
    assert told(Kind.REPORTED, case) == {"worker", "community", "backup"}
    note = Notification.objects.get(kind=Kind.REPORTED, case=case, user=world.worker)
    assert note.url == f"/cases/{case.ref}/" and note.done_at is None and note.read_at is None


def test_a_report_entered_by_the_grid_worker_is_not_told_back_to_them(world):
    case = report(world, by=world.worker, reporter_phone="13800001111").case
    assert told(Kind.REPORTED, case) == {"community"}


def test_resolved_please_verify_reaches_the_dispatchers_not_the_reporter_or_handler(world):
    case = report(world, by=world.worker, reporter_phone="13800001111").case
    walk_to(world, "resolved", case.ref)
    # before: the grid's staff only — here the grid worker who reported it — and never the community
    assert told(Kind.RESOLVED, case) == {"community"}


def test_action_messages_are_settled_when_the_case_moves_on(world):
    case = report(world, by=world.resident).case
    actions.case_accept(ref=case.ref, by=world.worker)
    reported = Notification.objects.filter(kind=Kind.REPORTED, case=case)
    assert reported.count() == 2
    assert all(n.done_at is not None and n.read_at is not None for n in reported)
    walk_to(world, "resolved", case.ref)
    dispatch = Notification.objects.filter(kind=Kind.DISPATCH, case=case)
    assert dispatch and all(n.done_at is not None for n in dispatch)  # claimed
    verify = Notification.objects.filter(kind=Kind.RESOLVED, case=case)
    assert verify and all(n.done_at is None and n.read_at is None for n in verify)
    actions.case_verify(ref=case.ref, by=world.worker)
    assert all(n.done_at is not None and n.read_at is not None for n in verify.all())
    # messages telling, not asking, stay as they are
    actions.case_close(ref=case.ref, by=world.community)
    assert Notification.objects.get(kind=Kind.CLOSED, case=case, user=world.resident).done_at is None


def test_rework_settles_please_verify_and_asks_the_unit_until_it_resolves_again(world):
    case = walk_to(world, "resolved")
    actions.case_rework(ref=case.ref, by=world.community, reason="还有垃圾")
    assert all(n.done_at for n in Notification.objects.filter(kind=Kind.RESOLVED, case=case))
    rework = Notification.objects.filter(kind=Kind.REWORK, case=case)
    assert rework and not any(n.done_at for n in rework)
    actions.case_resolve(ref=case.ref, by=world.handler_a, result="已彻底清运")
    assert all(n.done_at for n in rework.all())
    # the new request to verify is open again
    assert Notification.objects.filter(kind=Kind.RESOLVED, case=case, done_at__isnull=True).exists()


def test_api_merge_requires_a_reason_kept_on_both_timelines(world):
    first = report(world, by=world.resident).case
    second = report(world, by=None, description="同一处垃圾堆放多日").case
    api = ApiClient("worker")
    missing = api.post(f"/cases/{second.ref}/merge", {"into": first.ref})
    assert missing.status_code == 400 and missing.json()["field"] == "reason"
    second.refresh_from_db()
    assert second.state == "reported"
    done = api.post(f"/cases/{second.ref}/merge", {"into": first.ref, "reason": "同一堆垃圾"})
    assert done.status_code == 200 and done.json()["state"] == "merged"
    assert second.events.get(action="merge").note == "同一堆垃圾"
    assert first.events.get(action="merge").note == "同一堆垃圾"
    # the merged case's open request to accept it is settled
    assert not Notification.objects.filter(kind=Kind.REPORTED, case=second, done_at__isnull=True).exists()
