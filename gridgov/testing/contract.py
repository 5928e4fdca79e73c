"""The workflow contract: every transition of every workflow lands in the state its table declares.

Each workflow has a :class:`Walker` (``gridgov/<app>/tests/walk.py``, named ``WALKER``) that knows how to
make a fresh object of its workflow, which actions lead to each state, and how to perform an action as
the right person. ``gridgov/core/tests/test_workflow_contract.py`` walks every (transition, source
state) pair — both branches where the target is conditional (``Transition.when``) — through the real
action functions and asserts the state the object lands in is the declared one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from gridgov.core.workflow import Machine


@dataclass
class Walker:
    machine: Machine
    # builds the world (accounts, areas, …) the walk needs; called once per walk, inside the test's db
    world: Callable[[], Any]
    # makes a fresh object in its first state
    new: Callable[[Any], Any]
    # the actions that take a fresh object to each state
    paths: dict[str, tuple[str, ...]]
    # performs ``action`` on the object as the right person; ``branch`` picks the side of a conditional
    # target (True: the condition holds afterwards). Returns nothing; the walk reloads the object.
    perform: Callable[[Any, Any, str, bool], None]
    # how to reload the object from the database
    reload: Callable[[Any], Any] = field(default=lambda obj: type(obj).objects.get(pk=obj.pk))

    def reach(self, world: Any, state: str):
        obj = self.new(world)
        for action in self.paths[state]:
            self.perform(world, obj, action, True)
            obj = self.reload(obj)
        assert obj.state == state, f"the path to {state} ends in {obj.state}"
        return obj

    def cases(self) -> list[tuple[str, str, bool]]:
        """Every (action, source, branch) to walk."""
        out = []
        for t in self.machine.transitions:
            for source in t.sources:
                out.append((t.action, source, True))
                if t.when is not None and t.target_from(source) is not None:
                    out.append((t.action, source, False))
        return out
