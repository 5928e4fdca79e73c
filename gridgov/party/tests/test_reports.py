"""In-work members reporting to their community (在职党员进社区, a member's 双报到): the member asks, the community confirms or refuses, either ends it;
what the member then does in the community counts for them and for their unit, each activity once."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from gridgov.core.errors import Conflict, DomainError, NotFound
from gridgov.core.timeline import TimelineEvent
from gridgov.notify.models import Notification
from gridgov.party import actions, selectors
from gridgov.party.models import Member
from gridgov.points.models import Signup, SignupState, TaskState, VolunteerTask
from gridgov.testing.factories import make_user
from gridgov.wishes.actions import wish_claim, wish_publish, wish_submit

from .conftest import COMMUNITY, GRID, OTHER_COMMUNITY


@pytest.fixture
def in_work(world, orgs):
    """Two in-work members of the bank, with accounts (one the world's member account)."""
    first = actions.member_create(
        by=world.community, org=orgs.group.pk, status="full", resident=world.party[0].pk,
        is_in_work=True, work_unit=world.partner.pk, user=world.member_user.pk,
    )  # fmt: skip
    colleague = make_user(world.admin, "member2", "volunteer")
    second = actions.member_create(
        by=world.community, org=orgs.group.pk, status="full", resident=world.party[1].pk,
        is_in_work=True, work_unit=world.partner.pk, user=colleague.pk,
    )  # fmt: skip
    return first, second


def _confirmed(world, member: Member):
    report = actions.report_request(by=member.user, community=COMMUNITY, note="周末可以服务")
    return actions.report_move(by=world.community, report_id=report.pk, action="confirm")


def _task(world, title: str, area: str = GRID) -> VolunteerTask:
    now = timezone.now()
    return VolunteerTask.objects.create(
        title=title, area=world.tree[area], area_code=area, place="社区广场", starts_at=now - timedelta(days=3),
        ends_at=now - timedelta(days=3, hours=-2), slots=5, points=10, state=TaskState.FINISHED, created_by=world.community,
    )  # fmt: skip


def _attended(task, user, hours="2"):
    Signup.objects.create(
        task=task, volunteer=user, state=SignupState.ATTENDED, signed_at=timezone.now(), hours=Decimal(hours)
    )


def test_request_confirm_and_end_with_their_timeline(world, in_work):
    member = in_work[0]
    report = actions.report_request(by=world.member_user, community=COMMUNITY, note="擅长金融知识宣传")
    assert report.state == "pending" and report.unit == world.partner
    assert Notification.objects.filter(user=world.community).exists()
    with pytest.raises(Conflict):  # one live report per community
        actions.report_request(by=world.member_user, community=COMMUNITY)
    with pytest.raises(DomainError) as exc:  # the member does not confirm their own
        actions.report_move(by=world.member_user, report_id=report.pk, action="confirm")
    assert exc.value.status == 403
    with pytest.raises(NotFound):
        actions.report_move(by=world.other_community, report_id=report.pk, action="confirm")
    actions.report_move(by=world.community, report_id=report.pk, action="confirm")
    assert Notification.objects.filter(user=world.member_user).count() == 1
    with pytest.raises(DomainError) as exc:
        actions.report_move(by=world.member_user, report_id=report.pk, action="end")
    assert exc.value.field == "reason"
    report = actions.report_move(by=world.member_user, report_id=report.pk, action="end", reason="搬家")
    assert report.state == "ended" and report.ended_at
    steps = list(
        TimelineEvent.objects.filter(subject_id=report.pk, subject="party.memberreport").values_list(
            "action", flat=True
        )
    )
    assert steps == ["request", "confirm", "end"]
    assert member.reports.count() == 1


def test_only_registered_members_with_an_account_report(world, in_work):
    with pytest.raises(DomainError) as exc:
        actions.report_request(by=world.resident, community=COMMUNITY)
    assert exc.value.status == 403
    with pytest.raises(DomainError) as exc:
        actions.report_request(by=world.member_user, community=GRID)
    assert exc.value.field == "community"


def test_refusal_needs_a_reason(world, in_work):
    report = actions.report_request(by=world.member_user, community=COMMUNITY)
    with pytest.raises(DomainError) as exc:
        actions.report_move(by=world.community, report_id=report.pk, action="refuse")
    assert exc.value.field == "reason"
    assert (
        actions.report_move(
            by=world.community, report_id=report.pk, action="refuse", reason="不在本社区居住"
        ).state
        == "refused"
    )


def test_credit_counts_for_member_and_unit_once_each(world, in_work):
    first, second = in_work
    _confirmed(world, first)
    _confirmed(world, second)
    shared = _task(world, "楼道清扫")
    _attended(shared, first.user, "2")
    _attended(shared, second.user, "3")  # the same task: one task for the unit, each person's hours
    _attended(_task(world, "义诊"), first.user, "1.5")
    _attended(_task(world, "别处的任务", area=OTHER_COMMUNITY + "001"), first.user, "4")  # not this community
    wish = wish_submit(by=world.resident, title="修轮椅", area=GRID, max_claimants=3)[0]
    wish_publish(ref=wish.ref, by=world.community, max_claimants=3)
    wish_claim(ref=wish.ref, by=first.user)
    handler = make_user(world.admin, "bank", "unit", unit=world.partner)
    wish_claim(ref=wish.ref, by=handler)  # the unit claims the same wish itself
    mine = selectors.member_credit(first)
    assert (mine.tasks, mine.hours, mine.wishes, mine.points) == (2, Decimal("3.5"), 1, 20)
    theirs = selectors.member_credit(second)
    assert (theirs.tasks, theirs.hours, theirs.wishes) == (1, Decimal("3"), 0)
    unit = selectors.unit_credit(world.partner.pk)
    assert (unit.tasks, unit.hours, unit.wishes, unit.points) == (2, Decimal("6.5"), 1, 30)


def test_nothing_counts_before_the_community_confirms(world, in_work):
    first = in_work[0]
    actions.report_request(by=first.user, community=COMMUNITY)
    _attended(_task(world, "楼道清扫"), first.user)
    assert selectors.member_credit(first).tasks == 0
    assert selectors.unit_credit(world.partner.pk).tasks == 0
