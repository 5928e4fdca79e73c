"""How the workflow contract walks a household binding (``gridgov.testing.contract``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from gridgov.accounts.models import HouseholdBinding, User
from gridgov.accounts.residents import BINDING, binding_confirm, binding_refuse, household_bind_request
from gridgov.ledger.models import Resident
from gridgov.testing.contract import Walker
from gridgov.testing.factories import make_ledger, make_tree, make_user


@dataclass
class BindingWorld:
    community: User
    people: list[Resident] = field(default_factory=list)
    made: int = 0


def _world() -> BindingWorld:
    tree = make_tree()
    community = make_user(tree.admin, "comm", "community", area=tree["610302001001"])
    world = BindingWorld(community)
    for suffix in "ABC":
        _b, _h, head, spouse = make_ledger(tree.admin, suffix=suffix)
        world.people += [head, spouse]
    return world


def _new(world: BindingWorld) -> HouseholdBinding:
    person = world.people[world.made]
    world.made += 1
    resident = make_user(world.community, f"walker{world.made}", "resident")
    return household_bind_request(by=resident, id_number=person.id_number)


def _perform(world: BindingWorld, binding: HouseholdBinding, action: str, branch: bool) -> None:  # noqa: ARG001
    if action == "confirm":
        binding_confirm(by=world.community, pk=binding.pk)
    elif action == "refuse":
        binding_refuse(by=world.community, pk=binding.pk, reason="与台账信息不符")  # data: a refusal reason
    else:
        raise AssertionError(f"no way to perform {action}")


WALKER = Walker(
    machine=BINDING,
    world=_world,
    new=_new,
    paths={HouseholdBinding.State.PENDING: ()},
    perform=_perform,
)
