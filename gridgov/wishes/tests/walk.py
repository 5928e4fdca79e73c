"""How the workflow contract walks micro-wishes (``gridgov.testing.contract``).

Wishes are published with three places, so both sides of the conditional moves can be reached: a claim
moves the wish to 已认领 only when it takes the last place, and a fulfilment moves it to 已完成 only when
no other claim is still running; a withdrawal or a release moves it to 已完成 when the claims left are all
fulfilled, else back to the wall."""

from __future__ import annotations

from gridgov.testing.contract import Walker
from gridgov.wishes import actions
from gridgov.wishes.models import ClaimState, State, Wish
from gridgov.wishes.sweep import wishes_sweep
from gridgov.wishes.workflow import MACHINE

from .conftest import make_world, submit

S = State
PLACES = 3


def _active(wish: Wish, user) -> bool:
    return wish.claims.filter(claimant=user, state=ClaimState.ACTIVE).exists()


def _claim(world, wish: Wish, user) -> None:
    actions.wish_claim(ref=wish.ref, by=user)


def _fulfil(world, wish: Wish, user) -> None:
    actions.wish_fulfil(ref=wish.ref, by=user, note="已送到")


def _perform(world, wish: Wish, action: str, branch: bool) -> None:
    ref = wish.ref
    others = (world.volunteer3, world.volunteer2)
    if action == "publish":
        actions.wish_publish(ref=ref, by=world.community, max_claimants=PLACES)
    elif action == "reject":
        actions.wish_reject(ref=ref, by=world.community, reason="不属于微心愿")
    elif action == "to_need":
        actions.wish_to_need(ref=ref, by=world.community, reason="需要社区统筹")
    elif action == "claim":
        if branch:  # the others take the first places, the volunteer the last
            for other in others:
                _claim(world, wish, other)
        _claim(world, wish, world.volunteer)
    elif action in ("withdraw", "release"):
        if not _active(wish, world.volunteer):
            _claim(world, wish, world.volunteer)
        if branch:  # the others' claims are fulfilled: once this one goes, the wish is done
            if wish.state == S.PUBLISHED:
                _claim(world, wish, world.volunteer2)
                _fulfil(world, wish, world.volunteer2)
            else:
                for other in others:
                    _fulfil(world, wish, other)
        if action == "withdraw":
            actions.wish_withdraw(ref=ref, by=world.volunteer, reason="临时有事")
        else:  # the sweep releases the claim past its fulfil deadline
            claim = wish.claims.get(claimant=world.volunteer, state=ClaimState.ACTIVE)
            wishes_sweep(claim.fulfil_due)
    elif action == "fulfil":
        if wish.state == S.CLAIMED:  # all three places are held
            if branch:
                for other in others:
                    _fulfil(world, wish, other)
                _fulfil(world, wish, world.volunteer)
            else:
                _fulfil(world, wish, world.volunteer2)  # the others' claims still run
        else:
            if not branch:
                _claim(world, wish, world.volunteer2)
            _claim(world, wish, world.volunteer)
            _fulfil(world, wish, world.volunteer)
    elif action == "confirm":
        actions.wish_confirm(ref=ref, by=world.resident, rating="satisfied")
    else:
        raise AssertionError(f"no way to perform {action}")


WALKER = Walker(
    machine=MACHINE,
    world=make_world,
    new=submit,
    paths={
        S.SUBMITTED: (),
        S.PUBLISHED: ("publish",),
        S.CLAIMED: ("publish", "claim"),
        S.FULFILLED: ("publish", "claim", "fulfil"),
    },
    perform=_perform,
    reload=lambda wish: Wish.objects.get(pk=wish.pk),
)
