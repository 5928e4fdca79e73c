"""Must-visit due dates, the worklist and the worker's own plan progress."""

from __future__ import annotations

from datetime import timedelta

from gridgov.ledger.actions import resident_create, resident_move_out, tag_assign
from gridgov.ledger.models import Household
from gridgov.visits import selectors
from gridgov.visits.models import VisitPlan
from gridgov.visits.tests.conftest import TODAY, at, days_ago, record, set_created


def dues(world):
    return selectors.due_dates(Household.objects.all())


def tag(world, code, *, household=None, resident=None, since):
    return tag_assign(
        by=world.admin, tag=code, reason="走访认定", household=household, resident=resident, since=since
    )


def test_every_household_rule_counts_from_creation(world):
    set_created(world.h3, days_ago(400))
    due = dues(world)[world.h3.pk]
    assert due.rule == world.rules[None]
    assert due.due == days_ago(400) + timedelta(days=365)
    assert due.days_overdue(TODAY) == 35


def test_tag_on_household_never_visited_uses_the_tag_date(world):
    tag(world, "needy", household=world.h2, since=days_ago(40))
    due = dues(world)[world.h2.pk]
    assert due.rule == world.rules["needy"] and due.since == days_ago(40)
    assert due.due == days_ago(10) and due.last_visit is None


def test_tag_on_member_counts_for_the_household(world):
    spouse = world.h1.members.get(relation="spouse")
    tag(world, "living_alone", resident=spouse, since=days_ago(3))
    due = dues(world)[world.h1.pk]
    assert due.rule == world.rules["living_alone"] and due.due == TODAY + timedelta(days=4)


def test_strictest_rule_wins_after_a_visit(world):
    tag(world, "needy", household=world.h1, since=days_ago(60))
    tag(world, "living_alone", resident=world.h1.head, since=days_ago(60))
    record(world, world.h1, days_ago(2))
    due = dues(world)[world.h1.pk]
    assert due.rule == world.rules["living_alone"]
    assert due.due == days_ago(2) + timedelta(days=7) and due.last_visit == days_ago(2)


def test_earliest_member_tag_date_counts(world):
    tag(world, "living_alone", resident=world.h1.head, since=days_ago(5))
    spouse = world.h1.members.get(relation="spouse")
    tag(world, "living_alone", resident=spouse, since=days_ago(20))
    assert dues(world)[world.h1.pk].since == days_ago(20)


def test_visit_before_the_tag_date_does_not_push_the_due_date_back(world):
    record(world, world.h2, days_ago(50))
    tag(world, "needy", household=world.h2, since=days_ago(10))
    due = dues(world)[world.h2.pk]
    assert due.rule == world.rules["needy"] and due.due == days_ago(10) + timedelta(days=30)


def test_moved_out_members_tag_no_longer_counts(world):
    lodger = resident_create(by=world.admin, household=world.h2, name="钱老汉", relation="other")
    tag(world, "living_alone", resident=lodger, since=days_ago(30))
    assert dues(world)[world.h2.pk].rule == world.rules["living_alone"]
    resident_move_out(by=world.admin, resident=lodger, reason="搬去养老院")
    assert dues(world)[world.h2.pk].rule == world.rules[None]


def test_inactive_rule_and_inactive_tag_are_ignored(world):
    tag(world, "needy", household=world.h2, since=days_ago(40))
    world.rules["needy"].is_active = False
    world.rules["needy"].save()
    assert dues(world)[world.h2.pk].rule == world.rules[None]
    world.rules["needy"].is_active = True
    world.rules["needy"].save()
    world.rules["needy"].tag.is_active = False
    world.rules["needy"].tag.save()
    assert dues(world)[world.h2.pk].rule == world.rules[None]


def test_rules_of_another_district_do_not_apply(world):
    from gridgov.areas.actions import area_create
    from gridgov.testing.factories import rect
    from gridgov.visits.models import VisitRule

    other = area_create(
        by=world.admin, code="610303", name="金台区", parent_code=None, boundary=rect(108, 34, 108.1, 34.1)
    )
    VisitRule.objects.create(district=other, tag=None, interval_days=1)
    assert dues(world)[world.h3.pk].rule == world.rules[None]


def test_worklist_holds_the_workers_due_households_nearest_first(world):
    tag(world, "needy", household=world.h2, since=days_ago(40))  # overdue 10 days
    tag(world, "living_alone", resident=world.h1.head, since=days_ago(5))  # due in 2 days
    set_created(world.h3, days_ago(363))  # every-household rule: due in 2 days, looser
    tag(world, "living_alone", resident=world.h4.head, since=days_ago(30))  # grid 112: not the worker's
    items = selectors.worklist(world.worker, days=7)
    assert [i.household for i in items] == [world.h2, world.h1, world.h3]
    first = items[0]
    assert first.overdue and first.days_overdue == 10 and first.reason == "困难家庭" and first.must
    assert not items[1].overdue and items[1].days_left == 2 and items[1].reason == "独居老人"
    assert items[2].reason == "全部住户" and not items[2].must
    # a shorter horizon keeps the overdue ones only
    assert [i.household for i in selectors.worklist(world.worker, days=0)] == [world.h2]
    # visiting takes the household off the list
    record(world, world.h2, days_ago(0))
    assert world.h2 not in [i.household for i in selectors.worklist(world.worker, days=7)]
    # the community sees its grids, the other grid's worker only theirs
    assert world.h4 in [i.household for i in selectors.worklist(world.community, days=7)]
    assert [i.household for i in selectors.worklist(world.worker2, days=7)] == [world.h4]
    assert selectors.worklist(world.resident) == []


def test_plan_progress_counts_own_distinct_households_this_week(world, clock):
    VisitPlan.objects.create(area=world.tree["610302"], households=10, period_days=7)
    record(world, world.h1, days_ago(0))  # Monday: this week
    record(world, world.h1, days_ago(0))  # same household again
    record(world, world.h2, days_ago(1))  # Sunday: last week
    record(world, world.h3, days_ago(0), by=world.community, visitors=[world.worker.pk])  # went along
    record(world, world.h2, days_ago(0), by=world.community)  # not the worker
    progress = selectors.plan_progress(world.worker)
    assert (progress.start, progress.end) == (TODAY, TODAY + timedelta(days=6))
    assert progress.visited == 2 and progress.target == 10 and progress.percent == 20
    assert not progress.reached
    # the grid's own plan is nearer than the district's
    VisitPlan.objects.create(area=world.tree["610302001001"], households=2, period_days=7)
    progress = selectors.plan_progress(world.worker)
    assert progress.target == 2 and progress.reached
    clock.move_to(at(TODAY + timedelta(days=7), 9))
    assert selectors.plan_progress(world.worker).visited == 0
    assert selectors.plan_progress(world.resident) is None
