"""The party-building data elements on a hand-counted fourth quarter of 2026: household contacts, red
property ratings, branches and their 三会一课, confirmed reports — by grid and by community; the period's
edges; the rows behind each count; one grouped query per table."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from gridgov.accounts.models import Unit
from gridgov.core import elements
from gridgov.core.elements import Basis, Grouping
from gridgov.core.periods import Period, PeriodKind
from gridgov.ledger.actions import building_create, household_create
from gridgov.ledger.models import Household
from gridgov.party import actions
from gridgov.testing.factories import make_user

from .conftest import COMMUNITY, GRID, GRID2, OTHER_COMMUNITY, T0, TZ

OTHER_GRID = OTHER_COMMUNITY + "001"
Q4 = Period.of(PeriodKind.QUARTER, date(2026, 10, 1))
NOVEMBER = Period.of(PeriodKind.MONTH, date(2026, 11, 1))
NAMES = [
    "party.households_with_contact",
    "party.property_ratings",
    "party.property_score_total",
    "party.branches",
    "party.branches_meeting_rules",
    "party.member_reports_confirmed",
]
BY_GRID = Grouping.areas(["610302"], 15)
BY_COMMUNITY = Grouping.areas(["610302"], 12)
NOW = datetime(2027, 1, 5, 9, tzinfo=TZ)


def meetings(world, org, kind: str, *days: date) -> None:
    for day in days:
        actions.activity_record(by=world.community, org=org.pk, kind=kind, held_on=day, topic=kind)


@pytest.fixture
def data(world, orgs, clock):
    """Grid 111: two of its four households have a contact (a member, the grid worker), a third had one but
    is closed; its branch held all of 三会一课 in Q4 (a lecture on 1 Oct, the congress on 31 Dec, the group
    meetings by its groups). Grid 112: a branch short of one group meeting in Q4 (the third was on 30 Sep),
    and a dissolved branch. Community 1-2 itself: a branch that held nothing. Red property: 秦川物业 manages
    grids 111 and 112 (so it belongs to community 1-1): 2 ratings in November (4, 5), 1 in October (2), 1
    in January (3); 红旗物业 manages grid 111 alone: 1 rating in November (3). Reports: the member account's
    to community 1-1 confirmed, a second member's pending there and confirmed in community 1-2."""
    w = world
    member = actions.member_create(
        by=w.community, org=orgs.group.pk, status="full", resident=w.party[0].pk,
        is_in_work=True, work_unit=w.partner.pk, user=w.member_user.pk,
    )  # fmt: skip
    colleague = make_user(w.admin, "member2", "volunteer")
    actions.member_create(
        by=w.community, org=orgs.group.pk, status="full", resident=w.party[1].pk,
        is_in_work=True, work_unit=w.partner.pk, user=colleague.pk,
    )  # fmt: skip
    actions.contacts_assign(by=w.community, households=[w.households[0].pk], member=member.pk)
    actions.contacts_assign(
        by=w.community, households=[w.households[1].pk, w.households[2].pk], worker=w.worker.pk
    )
    Household.objects.filter(pk=w.households[2].pk).update(is_active=False)
    other = building_create(by=w.admin, code="B-112", name="B号楼", grid=GRID2)
    household_create(by=w.admin, building=other.code, unit="1", room="101")  # no contact

    branch2 = actions.org_create(
        by=w.community, kind="branch", name="第2网格党支部", area=GRID2, parent=orgs.committee.pk
    )
    group3 = actions.org_create(
        by=w.community, kind="group", name="B号楼党小组", area=GRID2, parent=branch2.pk
    )
    gone = actions.org_create(
        by=w.community, kind="branch", name="已撤销支部", area=GRID2, parent=orgs.committee.pk
    )
    actions.org_dissolve(by=w.community, org_id=gone.pk, reason="合并")
    committee2 = actions.org_create(
        by=w.other_community, kind="committee", name="社区1-2党委", area=OTHER_COMMUNITY
    )
    actions.org_create(
        by=w.other_community, kind="branch", name="社区1-2党支部", area=OTHER_COMMUNITY, parent=committee2.pk
    )

    clock.move_to(datetime(2026, 10, 15, 10, tzinfo=TZ))
    red = actions.red_property_set(by=w.community, unit=w.company.pk, areas=[GRID, GRID2])
    flag = Unit.objects.create(name="红旗物业", kind="property", area=w.tree[GRID])
    red2 = actions.red_property_set(by=w.community, unit=flag.pk, areas=[GRID])
    actions.property_rate(by=w.resident, property_id=red.pk, score=2)
    clock.move_to(T0)
    actions.property_rate(by=w.resident, property_id=red.pk, score=4)
    actions.property_rate(by=w.member_user, property_id=red.pk, score=5)
    actions.property_rate(by=w.resident, property_id=red2.pk, score=3)
    report = actions.report_request(by=w.member_user, community=COMMUNITY)
    actions.report_move(by=w.community, report_id=report.pk, action="confirm")
    actions.report_request(by=colleague, community=COMMUNITY)
    report = actions.report_request(by=colleague, community=OTHER_COMMUNITY)
    actions.report_move(by=w.other_community, report_id=report.pk, action="confirm")

    meetings(w, orgs.branch, "lecture", date(2026, 10, 1))
    meetings(w, orgs.branch, "committee_meeting", date(2026, 10, 8), date(2026, 11, 8), date(2026, 11, 20))
    meetings(w, orgs.group, "group_meeting", date(2026, 10, 9), date(2026, 11, 9))
    meetings(w, orgs.group2, "group_meeting", date(2026, 11, 19))
    meetings(w, branch2, "congress", date(2026, 10, 2))
    meetings(w, branch2, "lecture", date(2026, 10, 2))
    meetings(w, branch2, "committee_meeting", date(2026, 10, 3), date(2026, 10, 4), date(2026, 10, 5))
    meetings(w, group3, "group_meeting", date(2026, 9, 30), date(2026, 10, 6), date(2026, 10, 7))
    meetings(w, branch2, "monthly_talk", date(2026, 10, 8))  # not one of 三会一课
    clock.move_to(NOW)
    meetings(w, orgs.branch, "congress", date(2026, 12, 31))
    meetings(w, branch2, "group_meeting", date(2027, 1, 1))  # the next quarter's
    actions.property_rate(by=w.resident, property_id=red.pk, score=3)
    w.branch2, w.red, w.red2 = branch2, red, red2
    return w


def counted(grouping: Grouping, keys: list, period: Period = Q4) -> dict:
    counts = elements.count(NAMES, grouping, period, Basis(now=NOW))
    return {name.split(".")[1]: {k: counts.get(name, {}).get(k, 0) for k in keys} for name in NAMES}


def test_every_party_element_by_grid(data):
    assert counted(BY_GRID, [GRID, GRID2, OTHER_GRID]) == {
        "households_with_contact": {GRID: 2, GRID2: 0, OTHER_GRID: 0},
        "property_ratings": {GRID: 1, GRID2: 0, OTHER_GRID: 0},  # 红旗物业's; 秦川物业 is the community's
        "property_score_total": {GRID: 3, GRID2: 0, OTHER_GRID: 0},
        "branches": {GRID: 1, GRID2: 1, OTHER_GRID: 0},
        "branches_meeting_rules": {GRID: 1, GRID2: 0, OTHER_GRID: 0},
        "member_reports_confirmed": {GRID: 0, GRID2: 0, OTHER_GRID: 0},  # reports are to communities
    }


def test_every_party_element_by_community(data):
    assert counted(BY_COMMUNITY, [COMMUNITY, OTHER_COMMUNITY]) == {
        "households_with_contact": {COMMUNITY: 2, OTHER_COMMUNITY: 0},
        "property_ratings": {COMMUNITY: 4, OTHER_COMMUNITY: 0},
        "property_score_total": {COMMUNITY: 14, OTHER_COMMUNITY: 0},
        "branches": {COMMUNITY: 2, OTHER_COMMUNITY: 1},
        "branches_meeting_rules": {COMMUNITY: 1, OTHER_COMMUNITY: 0},
        "member_reports_confirmed": {COMMUNITY: 1, OTHER_COMMUNITY: 1},
    }


def test_the_period_edges(data):
    """Ratings are monthly: a period counts the months it touches. 三会一课 count by the day held: the
    quarter holds 1 Oct and 31 Dec, not 30 Sep nor 1 Jan."""
    october = Period.of(PeriodKind.MONTH, date(2026, 10, 1))
    counts = elements.count(NAMES, BY_COMMUNITY, october, Basis(now=NOW))
    assert counts["party.property_ratings"] == {COMMUNITY: 1}
    assert counts["party.property_score_total"] == {COMMUNITY: 2}
    last_day = Period.of(PeriodKind.DAY, date(2026, 11, 30))
    assert elements.count(["party.property_ratings"], BY_COMMUNITY, last_day, Basis(now=NOW)) == {
        "party.property_ratings": {COMMUNITY: 3}
    }
    january = Period.of(PeriodKind.DAY, date(2027, 1, 1))
    assert elements.count(["party.property_score_total"], BY_COMMUNITY, january, Basis(now=NOW)) == {
        "party.property_score_total": {COMMUNITY: 3}
    }
    # Without the congress of 31 December grid 111's branch falls short; grid 112's lacks a group meeting.
    before_end = Period.custom(date(2026, 10, 1), date(2026, 12, 30))
    assert elements.count(["party.branches_meeting_rules"], BY_GRID, before_end, Basis(now=NOW)) == {
        "party.branches_meeting_rules": {}
    }
    shifted = Period.custom(date(2026, 10, 2), date(2027, 1, 1))
    assert elements.count(["party.branches_meeting_rules"], BY_GRID, shifted, Basis(now=NOW)) == {
        "party.branches_meeting_rules": {GRID2: 1}  # no lecture on 1 Oct for grid 111's branch
    }


def test_the_rows_are_the_rows_counted(data, orgs):
    w = data
    basis = Basis(now=NOW)

    def rows(name, grouping, key, period=Q4):
        return list(elements.rows(name, grouping, key, period, basis))

    assert {h.pk for h in rows("party.households_with_contact", BY_GRID, GRID)} == {
        w.households[0].pk,
        w.households[1].pk,
    }
    ratings = rows("party.property_ratings", BY_COMMUNITY, COMMUNITY)
    assert [(r.property_id, r.score) for r in ratings] == [
        (w.red.pk, 2),
        (w.red.pk, 4),
        (w.red.pk, 5),
        (w.red2.pk, 3),
    ]
    assert sum(r.score for r in ratings) == 14
    assert [o.name for o in rows("party.branches", BY_COMMUNITY, COMMUNITY)] == [
        "第1网格党支部",
        "第2网格党支部",
    ]
    assert [o.pk for o in rows("party.branches_meeting_rules", BY_COMMUNITY, COMMUNITY)] == [orgs.branch.pk]
    assert rows("party.branches_meeting_rules", BY_GRID, GRID2) == []
    reports = rows("party.member_reports_confirmed", BY_COMMUNITY, COMMUNITY)
    assert len(reports) == 1 and reports[0].member.user == w.member_user
    assert rows("party.branches", BY_GRID, COMMUNITY) == []  # not a grid
    described = [elements.describe(n, row) for n, row in (
        ("party.households_with_contact", rows("party.households_with_contact", BY_GRID, GRID)[0]),
        ("party.property_ratings", ratings[1]),
        ("party.branches", orgs.branch),
        ("party.member_reports_confirmed", reports[0]),
    )]  # fmt: skip
    assert [d["title"] for d in described] == [
        "1号楼1单元101室",
        "秦川物业服务有限公司",
        "第1网格党支部",
        "中国银行渭滨支行",
    ]
    assert described[1]["state"] == "4 分" and described[1]["at"] == date(2026, 11, 1)
    for d in described:
        assert not any(name in str(d) for name in ("户主", "家属", "李", "王")), d


def test_counting_every_party_element_is_one_query_per_table(data, django_assert_num_queries):
    """Households, ratings, organisations, reports."""
    for grouping in (BY_GRID, BY_COMMUNITY, Grouping.areas(["610302001"], 15)):
        with django_assert_num_queries(4):
            elements.count(NAMES, grouping, Q4, Basis(now=NOW))


def test_the_party_elements_are_registered():
    assert [e.name for e in elements.elements() if e.name.startswith("party.")] == NAMES
    assert [n for n in NAMES if elements.element(n).stock] == [
        "party.households_with_contact",
        "party.branches",
        "party.member_reports_confirmed",
    ]
