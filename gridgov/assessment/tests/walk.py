"""How the workflow contract walks the assessment round (``gridgov.testing.contract``)."""

from __future__ import annotations

from dataclasses import dataclass

from gridgov.accounts.models import User
from gridgov.assessment import actions, catalogue
from gridgov.assessment.models import Round, RoundState, Scheme
from gridgov.assessment.workflow import ROUND
from gridgov.testing.contract import Walker
from gridgov.testing.factories import make_tree, make_user


@dataclass
class RoundWorld:
    district: User
    scheme: Scheme
    opened: int = 0


def _world() -> RoundWorld:
    catalogue.install()
    tree = make_tree()
    district = make_user(tree.admin, "dist", "district", area=tree["610302"])
    scheme = actions.scheme_create(by=district, name="社区考核", area="610302", pool="communities")
    group = actions.group_add(by=district, scheme=scheme.pk, name="部门考核", weight=100)
    actions.item_add(
        by=district,
        scheme=scheme.pk,
        kind="quantitative",
        group=group.pk,
        indicator="closure_rate",
        weight=1,
        target=90,
    )
    return RoundWorld(district, scheme)


def _new(world: RoundWorld) -> Round:
    world.opened += 1
    return actions.round_open(by=world.district, scheme=world.scheme.pk, period=f"2025-{world.opened:02d}")


def _perform(world: RoundWorld, rnd: Round, action: str, branch: bool) -> None:  # noqa: ARG001
    if action == "freeze":
        actions.round_freeze(by=world.district, round=rnd.pk)
    elif action == "reopen":
        actions.round_reopen(by=world.district, round=rnd.pk, reason="漏评")
    elif action == "publish":
        actions.round_publish(by=world.district, round=rnd.pk)
    else:
        raise AssertionError(f"no way to perform {action}")


WALKER = Walker(
    machine=ROUND,
    world=_world,
    new=_new,
    paths={RoundState.OPEN: (), RoundState.FROZEN: ("freeze",)},
    perform=_perform,
)
