"""Co-building agreements, red property and its residents' ratings, party activities and 三会一课, and the
data elements the assessment module reads."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from gridgov.core import elements
from gridgov.core.elements import Basis, Grouping
from gridgov.core.errors import DomainError, NotFound
from gridgov.core.periods import Period, PeriodKind
from gridgov.party import actions, selectors
from gridgov.party.models import Commitment, PropertyRating
from gridgov.projects.models import Project

from .conftest import COMMUNITY, GRID, GRID2


def test_an_agreement_with_its_commitments(world):
    agreement = actions.agreement_create(
        by=world.community, unit=world.partner.pk, area=COMMUNITY, title="共建协议", starts_on="2026-01-01",
        ends_on="2026-12-31", commitments=["金融知识进社区", "", "认领一个项目"],
    )  # fmt: skip
    assert [c.text for c in agreement.commitments.all()] == ["金融知识进社区", "认领一个项目"]
    project = Project.objects.create(
        title="加装扶手",
        area=world.tree[GRID],
        area_code=GRID,
        owner_unit=world.partner,
        created_by=world.community,
        year=2026,
        created_at=timezone.now(),
    )
    item = agreement.commitments.last()
    actions.commitment_done(by=world.community, commitment_id=item.pk, project=project.pk)
    item.refresh_from_db()
    assert item.project == project and item.done_on == timezone.localdate()
    assert selectors.agreements_visible(world.other_community).count() == 0
    with pytest.raises(NotFound):
        actions.commitment_done(by=world.other_community, commitment_id=item.pk)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"ends_on": "2025-12-31"}, "ends_on"),
        ({"commitments": ["", " "]}, "commitments"),
        ({"title": ""}, "title"),
        ({"area": GRID}, "area"),
        ({"starts_on": "明年"}, "starts_on"),
    ],
)
def test_a_bad_agreement_is_refused_on_its_field(world, change, field):
    args = {
        "unit": world.partner.pk, "area": COMMUNITY, "title": "协议", "starts_on": "2026-01-01",
        "ends_on": "2026-12-31", "commitments": ["一项"], **change,
    }  # fmt: skip
    with pytest.raises(DomainError) as exc:
        actions.agreement_create(by=world.community, **args)
    assert exc.value.field == field
    assert not Commitment.objects.exists()


def test_red_property_is_rated_by_residents_once_a_month(world, clock):
    with pytest.raises(DomainError) as exc:
        actions.red_property_set(by=world.community, unit=world.partner.pk, areas=[GRID])
    assert exc.value.field == "unit"  # only a property company
    red = actions.red_property_set(by=world.community, unit=world.company.pk, areas=[GRID, GRID2])
    assert red.area_code == COMMUNITY
    with pytest.raises(DomainError) as exc:
        actions.property_rate(by=world.community, property_id=red.pk, score=5)
    assert exc.value.status == 403
    for bad in (0, 6, "很好"):
        with pytest.raises(DomainError) as exc:
            actions.property_rate(by=world.resident, property_id=red.pk, score=bad)
        assert exc.value.field == "score"
    actions.property_rate(by=world.resident, property_id=red.pk, score=2)
    actions.property_rate(by=world.resident, property_id=red.pk, score=4, comment="电梯修得及时")  # replaces
    actions.property_rate(by=world.member_user, property_id=red.pk, score=5)
    month = timezone.localdate().replace(day=1)
    assert selectors.property_scores([red.pk], start=month, end=month) == {red.pk: (2, 4.5)}
    clock.shift(timedelta(days=40))
    actions.property_rate(by=world.resident, property_id=red.pk, score=3)  # a new month, a new rating
    assert PropertyRating.objects.filter(rater=world.resident).count() == 2
    counts = elements.count(
        ["party.property_ratings", "party.property_score_total"],
        Grouping.areas([COMMUNITY], 12),
        Period.custom(month, month + timedelta(days=70)),
        Basis(now=timezone.now()),
    )
    assert counts == {"party.property_ratings": {COMMUNITY: 3}, "party.property_score_total": {COMMUNITY: 12}}


def test_activities_with_attendance_and_three_meetings_one_lecture(world, orgs):
    member = actions.member_create(
        by=world.community, org=orgs.group.pk, status="full", resident=world.party[0].pk
    )
    today = timezone.localdate()
    start, end = selectors.quarter_bounds(today.year, (today.month - 1) // 3 + 1)
    day = start + timedelta(days=3)
    with pytest.raises(DomainError) as exc:
        actions.activity_record(
            by=world.community,
            org=orgs.branch.pk,
            kind="lecture",
            held_on=today + timedelta(days=1),
            topic="党课",
        )
    assert exc.value.field == "held_on"
    for kind, times in (("congress", 1), ("lecture", 1), ("committee_meeting", 3)):
        for _n in range(times):
            actions.activity_record(
                by=world.community,
                org=orgs.branch.pk,
                kind=kind,
                held_on=day,
                topic=kind,
                attendees=[member.pk],
            )
    row = selectors.compliance(world.community, area=COMMUNITY, start=start, end=end)[0]
    assert not row.met and row.missing == ["党小组会"]
    for _n in range(3):  # the groups' meetings count for their branch
        actions.activity_record(
            by=world.community, org=orgs.group.pk, kind="group_meeting", held_on=day, topic="小组会"
        )
    row = selectors.compliance(world.community, area=COMMUNITY, start=start, end=end)[0]
    assert row.met and row.missing == []
    by_community, now = Grouping.areas([COMMUNITY], 12), Basis(now=timezone.now())
    quarter = Period.custom(start, end)
    counts = elements.count(["party.branches", "party.branches_meeting_rules"], by_community, quarter, now)
    assert counts == {"party.branches": {COMMUNITY: 1}, "party.branches_meeting_rules": {COMMUNITY: 1}}
    earlier = Period.custom(start - timedelta(days=100), start - timedelta(days=1))
    assert elements.count(["party.branches_meeting_rules"], by_community, earlier, now) == {
        "party.branches_meeting_rules": {}
    }
    activity = selectors.activities_visible(world.community).first()
    assert activity.present in (0, 1)
    outsider = actions.member_create(by=world.other_community, org=actions.org_create(
        by=world.other_community, kind="committee", name="别的党委", area="610302001002").pk, status="full", name="外人", unit=world.partner.pk)  # fmt: skip
    with pytest.raises(DomainError) as exc:
        actions.activity_record(
            by=world.community,
            org=orgs.branch.pk,
            kind="lecture",
            held_on=day,
            topic="党课",
            attendees=[outsider.pk],
        )
    assert exc.value.field == "attendees"


def test_data_elements_count_contact_coverage(world, orgs):
    member = actions.member_create(
        by=world.community, org=orgs.group.pk, status="full", resident=world.party[0].pk
    )
    actions.contacts_assign(by=world.community, households=[world.households[0].pk], member=member.pk)
    names = ["visits.households", "party.households_with_contact"]
    counts = elements.count(
        names,
        Grouping.areas([COMMUNITY], 15),
        Period.of(PeriodKind.MONTH, date(2026, 11, 1)),
        Basis(now=timezone.now()),
    )
    assert counts == {"visits.households": {GRID: 4}, "party.households_with_contact": {GRID: 1}}
