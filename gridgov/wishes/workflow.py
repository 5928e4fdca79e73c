"""The micro-wish state machine as data (清单制 + 认领制 + 时限制), read by the shared
:class:`gridgov.core.workflow.Machine`: the actions check requests against it, pages and the API list the
allowed actions from it, docs/wishes.md shows the same table.

``claim`` moves the wish to 已认领 only when its last place is taken (it stays on the wall while places
remain); ``fulfil`` moves it to fulfilled only when no claim is still active; ``withdraw`` frees a place, and
so does the sweep's ``release`` of a claim past its fulfil deadline: the wish goes back on the wall —
or to fulfilled when the claims left holding places are all fulfilled.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from gridgov.accounts.models import Role
from gridgov.core.deadlines import Phase
from gridgov.core.scope import command_staff_in_scope, staff_in_scope_of
from gridgov.core.workflow import SYSTEM, Condition, Machine, Transition
from gridgov.wishes.models import HOLDING, ClaimState, Source, State, Wish

S = State


def _all_places_taken(wish: Wish) -> bool:
    return wish.claimants_count >= wish.max_claimants


def _no_claim_active(wish: Wish) -> bool:
    return not wish.claims.filter(state=ClaimState.ACTIVE).exists()


def _all_held_fulfilled(wish: Wish) -> bool:
    """Claims hold places and every one of them is fulfilled."""
    states = set(wish.claims.filter(state__in=HOLDING).values_list("state", flat=True))
    return states == {ClaimState.FULFILLED}


# The claim clock runs while the wish is on the wall; the fulfil clock is the summary of its earliest active claim (each claim
# keeps its own). Both are armed with explicit moments (``arm(wish, CLAIM, due=…)``).
CLAIM = Phase(
    (State.PUBLISHED,), "claim_due", "claim_warn_at", "claim_warned_at", "claim_overdue_at", _("认领")
)
FULFIL = Phase(
    (State.PUBLISHED, State.CLAIMED),
    "fulfil_due",
    "fulfil_warn_at",
    "fulfil_warned_at",
    "fulfil_overdue_at",
    _("完成"),
)
PHASES = (CLAIM, FULFIL)


TRANSITIONS: tuple[Transition, ...] = (
    Transition("publish", _("发布"), (S.SUBMITTED,), S.PUBLISHED, "vetter"),
    Transition("reject", _("不予发布"), (S.SUBMITTED,), S.REJECTED, "vetter", needs_reason=True),
    Transition(
        "claim",
        _("认领"),
        (S.PUBLISHED,),
        S.CLAIMED,
        "claimer",
        when=_all_places_taken,
        when_label=_("最后一个名额被认领时"),
    ),
    Transition(
        "withdraw",
        _("放弃认领"),
        (S.PUBLISHED, S.CLAIMED),
        S.FULFILLED,
        "claimant",
        needs_reason=True,
        when=_all_held_fulfilled,
        when_label=_("余下的认领都已完成时"),
        otherwise=S.PUBLISHED,
    ),
    Transition(
        "release",
        _("超时释放"),
        (S.PUBLISHED, S.CLAIMED),
        S.FULFILLED,
        SYSTEM,
        when=_all_held_fulfilled,
        when_label=_("余下的认领都已完成时"),
        otherwise=S.PUBLISHED,
    ),
    Transition(
        "fulfil",
        _("完成心愿"),
        (S.PUBLISHED, S.CLAIMED),
        S.FULFILLED,
        "claimant",
        when=_no_claim_active,
        when_label=_("再无进行中的认领时"),
    ),
    Transition("confirm", _("确认"), (S.FULFILLED,), S.CLOSED, "confirmer"),
    Transition(
        "to_need", _("转入需求清单"), (S.SUBMITTED, S.PUBLISHED), S.TRANSFERRED, "vetter", needs_reason=True
    ),
)


def is_vetter(user, wish: Wish) -> bool:
    """Community (or street, district) staff in scope vet, publish and transfer wishes."""
    return command_staff_in_scope(user, wish.area_code)


def may_claim_wishes(user) -> bool:
    """认领 is for party members and volunteers, and for unit handlers on behalf of their unit."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.role == Role.VOLUNTEER or (user.role == Role.UNIT and bool(user.unit_id))


def claims_held_by(user, wish: Wish):
    """The wish's claims that occupy a place and belong to ``user`` (or to ``user``'s unit)."""
    from django.db.models import Q

    q = Q(claimant_id=user.pk)
    if user.role == Role.UNIT and user.unit_id:
        q |= Q(unit_id=user.unit_id)
    return wish.claims.filter(q, state__in=[ClaimState.ACTIVE, ClaimState.FULFILLED])


def is_claimer(user, wish: Wish) -> bool:
    return may_claim_wishes(user) and not claims_held_by(user, wish).exists()


def is_claimant(user, wish: Wish) -> bool:
    """Holds an active claim on the wish (the person, or a handler of the claiming unit)."""
    if not may_claim_wishes(user):
        return False
    return claims_held_by(user, wish).filter(state=ClaimState.ACTIVE).exists()


def is_confirmer(user, wish: Wish) -> bool:
    """The wisher; for a wish from the wish box (no account), staff in scope confirm on their behalf."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if wish.wisher_id is not None:
        return wish.wisher_id == user.pk
    return wish.source == Source.BOX and staff_in_scope_of(user, wish)


ACTORS = {
    "vetter": is_vetter,
    "claimer": is_claimer,
    "claimant": is_claimant,
    "confirmer": is_confirmer,
}

CONDITIONS = {
    "claim": Condition(lambda wish: wish.claimants_count < wish.max_claimants, _("该心愿已被认领")),
    "to_need": Condition(_no_claim_active, _("已有人认领的心愿不能转入需求清单")),
}


def _visible(user, wish: Wish) -> bool:
    from gridgov.wishes.selectors import wish_is_visible

    return wish_is_visible(user, wish)


MACHINE = Machine(
    _("心愿"),
    TRANSITIONS,
    ACTORS,
    CONDITIONS,
    model=Wish,
    visible=_visible,
    phases=PHASES,
    steps={"submit": _("提交心愿")},
)


def allowed_actions(user, wish: Wish) -> list[str]:
    return MACHINE.allowed_actions(user, wish)
