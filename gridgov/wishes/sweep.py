"""The wishes' time limits (时限制), run by every deadline sweep (``gridgov sla_sweep``, Celery beat,
``gridgov serve``):

- 认领时限: a wish still on the wall at its claim deadline is flagged (超时未认领) and its community's staff
  told; it stays on the wall. A warning comes first.
- 完成时限: a claim not fulfilled by its deadline is released — the place goes back, the wish is flagged and
  returns to the wall with a fresh claim deadline; the claimant and the staff are told. A warning first.

Both clocks are :class:`~gridgov.core.deadlines.Phase` rows on the wish (the fulfil clock is the summary of
its earliest active claim), swept by the shared ``sweep_phases``: each mark is set once, under the wish's
row lock, in the same transaction as its timeline step and notifications.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from gridgov.core.deadlines import Phase, give_back_place, register_sweep, sweep_phases
from gridgov.core.timeline import step
from gridgov.notify.models import Kind
from gridgov.wishes.actions import (
    FLAG_RELEASED,
    FLAG_UNCLAIMED,
    FLAG_UNDERCLAIMED,
    _settle,
    _tell,
    community_staff,
)
from gridgov.wishes.models import ClaimState, State, Wish

CLAIM = Phase((State.PUBLISHED,), "claim_due", "claim_warn_at", "claim_warned_at", "claim_overdue_at", "认领")
FULFIL = Phase(
    (State.PUBLISHED, State.CLAIMED),
    "fulfil_due",
    "fulfil_warn_at",
    "fulfil_warned_at",
    "fulfil_overdue_at",
    "完成",
)
PHASES = (CLAIM, FULFIL)


def _local(moment: datetime) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}"


def _on_warning(wish: Wish, phase: Phase, now: datetime) -> None:
    if phase is CLAIM:
        step(wish, None, "warning", wish.state, f"认领时限将至（{_local(wish.claim_due)}）", at=now)
        _tell(community_staff(wish), Kind.WARNING, wish, "心愿即将超时未认领", at=now)
        return
    claims = list(
        wish.claims.filter(
            state=ClaimState.ACTIVE, fulfil_warn_at__lte=now, fulfil_warned_at__isnull=True
        ).select_related("claimant", "unit")
    )
    for claim in claims:
        claim.fulfil_warned_at = now
        claim.save(update_fields=["fulfil_warned_at"])
        step(
            wish,
            None,
            "warning",
            wish.state,
            f"{claim.claimant_label}的完成时限将至（{_local(claim.fulfil_due)}）",
            data={"claim": claim.pk},
            at=now,
        )
        _tell(
            [claim.claimant],
            Kind.WARNING,
            wish,
            "认领的心愿即将超时",
            f"完成时限：{_local(claim.fulfil_due)}",
            at=now,
        )


def _on_overdue(wish: Wish, phase: Phase, now: datetime) -> None:
    if phase is CLAIM:
        wish.flagged = True
        wish.flag_reason = FLAG_UNDERCLAIMED if wish.claimants_count else FLAG_UNCLAIMED
        wish.save(update_fields=["flagged", "flag_reason"])
        step(
            wish,
            None,
            "overdue",
            wish.state,
            wish.flag_reason,
            data={"due": wish.claim_due.isoformat()},
            at=now,
        )
        _tell(community_staff(wish), Kind.OVERDUE, wish, wish.flag_reason, at=now)
        return
    claims = list(
        wish.claims.filter(state=ClaimState.ACTIVE, fulfil_due__lte=now).select_related("claimant", "unit")
    )
    before = wish.state
    for claim in claims:
        claim.state = ClaimState.RELEASED
        claim.released_at = now
        claim.release_reason = FLAG_RELEASED
        claim.fulfil_overdue_at = now
        claim.fulfil_warned_at = claim.fulfil_warned_at or now
        claim.save(
            update_fields=["state", "released_at", "release_reason", "fulfil_overdue_at", "fulfil_warned_at"]
        )
        give_back_place(Wish, wish.pk, taken="claimants_count")
    wish.flagged = True
    wish.flag_reason = FLAG_RELEASED
    wish.save(update_fields=["flagged", "flag_reason"])
    _settle(wish, now, place_freed=bool(claims))
    for claim in claims:
        step(
            wish,
            None,
            "release",
            before,
            f"{claim.claimant_label}超时未完成，认领已释放，心愿重新上墙",
            data={"claim": claim.pk, "claim_due": wish.claim_due.isoformat() if wish.claim_due else None},
            at=now,
        )
        _tell(
            [claim.claimant] + community_staff(wish),
            Kind.RELEASED,
            wish,
            "认领超时未完成，已释放",
            f"「{wish.title}」已重新发布到心愿墙",
            at=now,
        )


@register_sweep("wishes")
def wishes_sweep(now: datetime | None = None) -> dict:
    now = now or timezone.now()
    counts = sweep_phases(Wish, PHASES, now, on_overdue=_on_overdue, on_warning=_on_warning)
    return {"warned": counts.warned, "overdue": counts.overdue}
