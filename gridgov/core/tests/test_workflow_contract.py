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

# the walkers, by the app that holds the workflow
WALKERS = {
    "orders": "gridgov.orders.tests.walk",
}
T0 = datetime(2026, 11, 23, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Monday


def _walker(app: str):
    return importlib.import_module(WALKERS[app]).WALKER


def _machine_app(machine) -> str:
    return machine.model._meta.app_label


def test_every_workflow_has_a_walker():
    apps = sorted({_machine_app(m) for m in MACHINES if m.model is not None})
    assert apps, "no workflow registered"
    assert [m.noun for m in MACHINES if m.model is None] == []
    missing = [app for app in apps if app not in WALKERS]
    assert missing == []
    for app in WALKERS:
        walker = _walker(app)
        assert walker.machine in MACHINES
        states = {s for t in walker.machine.transitions for s in t.sources}
        assert states <= set(walker.paths), f"{app}: no path to {sorted(states - set(walker.paths))}"


CASES = [(app, *case) for app in WALKERS for case in _walker(app).cases()]


@pytest.mark.django_db
@pytest.mark.parametrize(("app", "action", "source", "branch"), CASES)
def test_transition_lands_in_its_declared_state(app, action, source, branch, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    walker = _walker(app)
    with time_machine.travel(T0, tick=False):
        world = walker.world()
        obj = walker.reach(world, source)
        walker.perform(world, obj, action, branch)
        obj = walker.reload(obj)
    t = walker.machine.by_action[action]
    target = t.target_from(source)
    expected = source if target is None or not branch else target
    assert obj.state == expected, f"{action} from {source} landed in {obj.state}, declared {expected}"
