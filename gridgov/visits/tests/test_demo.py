"""The demo loader: standard rules and plan for the demo district, months of visits, nothing doubled."""

from __future__ import annotations

from gridgov.ledger.actions import tag_assign
from gridgov.visits.demo import load_demo_visits
from gridgov.visits.models import Visit, VisitPlan, VisitRule
from gridgov.visits.tests.conftest import TODAY, days_ago


def test_demo_visits_are_loaded_once(world):
    tag_assign(by=world.admin, tag="living_alone", resident=world.h1.head, reason="独居", since=days_ago(200))
    created = load_demo_visits(world.admin)
    assert created > 5
    rules = {(r.tag.code if r.tag_id else None): r.interval_days for r in VisitRule.objects.all()}
    assert rules == {
        "living_alone": 7,
        "needy": 30,
        "old_party_member": 90,
        "representative": 90,
        "petitioner": 90,
        None: 365,
    }
    assert VisitPlan.objects.get(area__code="610302").households == 10
    weekly = Visit.objects.filter(household=world.h1)
    assert weekly.count() >= 10 and all(v.visited_at.date() <= TODAY for v in weekly)
    assert all(v.visitors.filter(pk=v.recorded_by_id).exists() for v in weekly)
    assert weekly.first().recorded_by == world.worker  # the grid's own worker
    assert load_demo_visits(world.admin) == 0
    assert Visit.objects.count() == created and VisitRule.objects.count() == 6
