"""The deliberation data elements on a hand-counted November: topics raised, items decided and passed,
decisions carried out and their ratings — by grid and by community; the period's edges; the rows behind each
count; one grouped query per table."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from gridgov.core import elements
from gridgov.core.elements import Basis, Grouping
from gridgov.core.periods import Period, PeriodKind
from gridgov.deliberation import actions
from gridgov.party.tests.conftest import OTHER_COMMUNITY, TZ

from .conftest import COMMUNITY, GRID, meeting_with, on_agenda

NOVEMBER = Period.of(PeriodKind.MONTH, date(2026, 11, 1))
NAMES = [
    "deliberation.topics_raised",
    "deliberation.items_decided",
    "deliberation.items_passed",
    "deliberation.decisions_carried_out",
    "deliberation.decision_ratings",
]
BY_GRID = Grouping.areas(["610302"], 15)
BY_COMMUNITY = Grouping.areas(["610302"], 12)
NOW = datetime(2026, 12, 10, 9, tzinfo=TZ)


def at(month: int, day: int, hour: int = 10, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, second, tzinfo=TZ)


@pytest.fixture
def data(dw, clock):
    """Grid 111: t7 raised 1 Oct, passed 10 Oct, carried out, rated once and done; t0 raised 20 Oct; t1
    (a resident's, supported onto the agenda) raised 2 Nov, passed 10 Nov, carried out 18 Nov and rated
    twice; t2 raised 3 Nov, not passed 10 Nov; t6 raised 4 Nov, passed at 00:00 on 1 Dec; t3 raised at
    23:59:59 on 30 Nov; t4 at 00:00 on 1 Dec. Community 1-2 itself: t5 raised 5 Nov, passed at 23:59:58 on
    30 Nov, still in its notice period."""
    refs = {}

    def staff_topic(name, when, by=None, area=GRID):
        clock.move_to(when)
        topic = actions.topic_propose(by=by or dw.community, title=name, description="说明", area=area)
        actions.topic_place(by=by or dw.community, ref=topic.ref)
        refs[name] = topic.ref
        return topic

    def meeting(topics, when, decisions):
        clock.move_to(when)
        held, places = meeting_with(dw, topics, roster=4)
        actions.meeting_open(by=dw.community, ref=held.ref)
        for p in places:
            actions.sign_in(by=dw.community, ref=held.ref, participant=p.pk)
        for item in held.agenda.order_by("order"):
            yes = decisions[item.topic.title]
            actions.decide(by=dw.community, ref=held.ref, item=item.pk, yes=yes, no=4 - yes, text="照此办理")

    def carried(name, when, raters):
        clock.move_to(when)
        actions.decision_carry_out(by=dw.community, ref=refs[name], year=2026)
        for r, score in raters:
            actions.decision_rate(by=dw.residents[r], ref=refs[name], score=score)

    t7 = staff_topic("t7", at(10, 1))
    meeting([t7], at(10, 10), {"t7": 4})
    carried("t7", at(10, 20), [(5, 4)])
    actions.decision_finish(by=dw.community, ref=refs["t7"])
    staff_topic("t0", at(10, 20))
    clock.move_to(at(11, 2))
    t1 = on_agenda(dw, "t1")
    refs["t1"] = t1.ref
    t2 = staff_topic("t2", at(11, 3))
    t6 = staff_topic("t6", at(11, 4))
    t5 = staff_topic("t5", at(11, 5), by=dw.other_community, area=OTHER_COMMUNITY)
    meeting([t1, t2], at(11, 10), {"t1": 4, "t2": 1})
    carried("t1", at(11, 18), [(6, 5), (7, 3)])
    clock.move_to(at(11, 20))
    other = actions.meeting_create(
        by=dw.other_community, kind="residents", title="社区议事会", area=OTHER_COMMUNITY,
        starts_at="2026-11-30T19:00", place="社区会议室", topics=[t5.ref],
    )  # fmt: skip
    places = [
        actions.participant_add(by=dw.other_community, ref=other.ref, role="resident_rep", user=r.pk)
        for r in dw.residents[8:11]
    ]
    actions.meeting_open(by=dw.other_community, ref=other.ref)
    for p in places:
        actions.sign_in(by=dw.other_community, ref=other.ref, participant=p.pk)
    clock.move_to(at(11, 30, 23, 59, 58))
    actions.decide(by=dw.other_community, ref=other.ref, item=other.agenda.get().pk, yes=3, text="同意")
    staff_topic("t3", at(11, 30, 23, 59, 59))
    staff_topic("t4", datetime(2026, 12, 1, 0, 0, tzinfo=TZ))
    meeting([t6], datetime(2026, 12, 1, 0, 0, tzinfo=TZ), {"t6": 3})
    clock.move_to(NOW)
    dw.refs = refs
    return dw


def counted(grouping: Grouping, keys: list, period: Period = NOVEMBER) -> dict:
    counts = elements.count(NAMES, grouping, period, Basis(now=NOW))
    return {name.split(".")[1]: {k: counts.get(name, {}).get(k, 0) for k in keys} for name in NAMES}


def test_every_deliberation_element_by_grid(data):
    assert counted(BY_GRID, [GRID, OTHER_COMMUNITY + "001"]) == {
        "topics_raised": {GRID: 4, OTHER_COMMUNITY + "001": 0},  # t1 t2 t6 t3
        "items_decided": {GRID: 2, OTHER_COMMUNITY + "001": 0},  # t1 t2
        "items_passed": {GRID: 1, OTHER_COMMUNITY + "001": 0},
        "decisions_carried_out": {GRID: 2, OTHER_COMMUNITY + "001": 0},  # t7 t1, as they stand
        "decision_ratings": {GRID: 3, OTHER_COMMUNITY + "001": 0},
    }


def test_every_deliberation_element_by_community(data):
    assert counted(BY_COMMUNITY, [COMMUNITY, OTHER_COMMUNITY]) == {
        "topics_raised": {COMMUNITY: 4, OTHER_COMMUNITY: 1},
        "items_decided": {COMMUNITY: 2, OTHER_COMMUNITY: 1},
        "items_passed": {COMMUNITY: 1, OTHER_COMMUNITY: 1},
        "decisions_carried_out": {COMMUNITY: 2, OTHER_COMMUNITY: 0},  # t5 is in its notice period
        "decision_ratings": {COMMUNITY: 3, OTHER_COMMUNITY: 0},
    }


def test_the_period_edges(data):
    last_day = Period.of(PeriodKind.DAY, date(2026, 11, 30))
    next_day = Period.of(PeriodKind.DAY, date(2026, 12, 1))
    counts = elements.count(NAMES[:3], BY_COMMUNITY, last_day, Basis(now=NOW))
    assert counts == {
        "deliberation.topics_raised": {COMMUNITY: 1},  # t3 at 23:59:59
        "deliberation.items_decided": {OTHER_COMMUNITY: 1},  # t5 at 23:59:58
        "deliberation.items_passed": {OTHER_COMMUNITY: 1},
    }
    counts = elements.count(NAMES[:3], BY_COMMUNITY, next_day, Basis(now=NOW))
    assert counts == {
        "deliberation.topics_raised": {COMMUNITY: 1},  # t4 at 00:00
        "deliberation.items_decided": {COMMUNITY: 1},  # t6 at 00:00
        "deliberation.items_passed": {COMMUNITY: 1},
    }


def test_the_rows_are_the_rows_counted(data):
    refs = data.refs
    by_ref = {v: k for k, v in refs.items()}
    basis = Basis(now=NOW)

    def named(name, grouping=BY_GRID, key=GRID):
        rows = elements.rows(name, grouping, key, NOVEMBER, basis)
        return [by_ref[elements.describe(name, row)["ref"]] for row in rows]

    assert named("deliberation.topics_raised") == ["t1", "t2", "t6", "t3"]
    assert named("deliberation.items_decided") == ["t1", "t2"]
    assert named("deliberation.items_passed") == ["t1"]
    assert named("deliberation.decisions_carried_out") == ["t7", "t1"]
    assert named("deliberation.decision_ratings") == ["t7", "t1", "t1"]
    assert named("deliberation.items_passed", BY_COMMUNITY, OTHER_COMMUNITY) == ["t5"]
    assert named("deliberation.topics_raised", BY_GRID, COMMUNITY) == []  # not a grid
    ratings = list(elements.rows("deliberation.decision_ratings", BY_GRID, GRID, NOVEMBER, basis))
    described = elements.describe("deliberation.decision_ratings", ratings[1])
    assert described == {
        "ref": refs["t1"],
        "url": f"/deliberation/topics/{refs['t1']}/",
        "title": "t1",
        "state": "5 分",
        "at": at(11, 18),
    }
    assert data.residents[6].username not in str(described)  # the rater is never shown


def test_counting_every_deliberation_element_is_one_query_per_table(data, django_assert_num_queries):
    """Topics, agenda items, decisions with their ratings."""
    for grouping in (BY_GRID, BY_COMMUNITY, Grouping.areas(["610302001"], 15)):
        with django_assert_num_queries(3):
            elements.count(NAMES, grouping, NOVEMBER, Basis(now=NOW))
