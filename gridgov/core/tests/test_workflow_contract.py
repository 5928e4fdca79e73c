"""The workflow contract (``gridgov.testing.contract``): every transition of every workflow, from every
state it leaves, through the real action functions, lands in the state its table declares — and every
workflow has a walker, so a new workflow cannot skip the contract."""

from __future__ import annotations

import importlib
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from gridgov.core.workflow import MACHINES

# the walkers ("module" holds ``WALKER``; "module:NAME" names another one), by the app of their workflow
WALKERS = {
    "accounts": ["gridgov.accounts.tests.walk"],
    "cases": ["gridgov.cases.tests.walk"],
    "orders": ["gridgov.orders.tests.walk"],
    "points": ["gridgov.points.tests.walk"],
    "projects": ["gridgov.projects.tests.walk", "gridgov.projects.tests.walk:NEED_WALKER"],
    "wishes": ["gridgov.wishes.tests.walk"],
    "party": ["gridgov.party.tests.walk"],
    "deliberation": [
        "gridgov.deliberation.tests.walk",
        "gridgov.deliberation.tests.walk:MEETING_WALKER",
        "gridgov.deliberation.tests.walk:DECISION_WALKER",
    ],
    "assessment": ["gridgov.assessment.tests.walk"],
    "dashboards": ["gridgov.dashboards.tests.walk"],
}
T0 = datetime(2026, 11, 23, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Monday


def _walker(name: str):
    module, _, attr = name.partition(":")
    return getattr(importlib.import_module(module), attr or "WALKER")


def _machine_app(machine) -> str:
    return machine.model._meta.app_label


def test_every_workflow_has_a_walker():
    assert MACHINES, "no workflow registered"
    assert [m.noun for m in MACHINES if m.model is None] == []
    walkers = [_walker(name) for names in WALKERS.values() for name in names]
    walked = [w.machine for w in walkers]
    missing = [str(m.noun) for m in MACHINES if not any(m is w for w in walked)]
    assert missing == []
    for app, names in WALKERS.items():
        for name in names:
            walker = _walker(name)
            assert _machine_app(walker.machine) == app, name
            states = {s for t in walker.machine.transitions for s in t.sources}
            assert states <= set(walker.paths), f"{name}: no path to {sorted(states - set(walker.paths))}"


CASES = [(name, *case) for names in WALKERS.values() for name in names for case in _walker(name).cases()]


@pytest.mark.django_db
@pytest.mark.parametrize(("walker_name", "action", "source", "branch"), CASES)
def test_transition_lands_in_its_declared_state(walker_name, action, source, branch, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    walker = _walker(walker_name)
    with time_machine.travel(T0, tick=False):
        world = walker.world()
        obj = walker.reach(world, source)
        walker.perform(world, obj, action, branch)
        obj = walker.reload(obj)
    t = walker.machine.by_action[action]
    target = t.target_from(source) if branch else t.otherwise
    expected = source if target is None else target
    assert obj.state == expected, f"{action} from {source} landed in {obj.state}, declared {expected}"
