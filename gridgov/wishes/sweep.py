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
from django.utils.translation import gettext_lazy, gettext_noop

from gridgov.core.deadlines import Phase, give_back_place, register_sweep, sweep_phases
from gridgov.core.i18n import message
from gridgov.core.timeline import step
from gridgov.notify.actions import tell
from gridgov.notify.models import Kind
from gridgov.wishes.actions import community_staff, settle
from gridgov.wishes.models import ClaimState, Wish
from gridgov.wishes.workflow import CLAIM, MACHINE, PHASES

# what a flagged wish is flagged for (kept on the wish as written here, translated where it is read)
FLAG_UNCLAIMED = gettext_noop("超时未认领")
FLAG_UNDERCLAIMED = gettext_noop("超时未认满")
FLAG_RELEASED = gettext_noop("超时未完成，认领已释放")


def _local(moment: datetime) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}"


def _on_warning(wish: Wish, phase: Phase, now: datetime) -> None:
    if phase is CLAIM:
        note = message(gettext_noop("认领时限将至（%(due)s）"), due=_local(wish.claim_due))
        step(wish, None, "warning", wish.state, note, at=now)
        tell(
            community_staff(wish), Kind.WARNING, wish, gettext_lazy("心愿即将超时未认领"), wish.title, at=now
        )
        return
    claims = list(
        wish.claims.filter(
            state=ClaimState.ACTIVE, fulfil_warn_at__lte=now, fulfil_warned_at__isnull=True
        ).select_related("claimant", "unit")
    )
    for claim in claims:
        claim.fulfil_warned_at = now
        claim.save(update_fields=["fulfil_warned_at"])
        note = message(
            gettext_noop("%(who)s的完成时限将至（%(due)s）"),
            who=claim.claimant_label,
            due=_local(claim.fulfil_due),
        )
        step(wish, None, "warning", wish.state, note, data={"claim": claim.pk}, at=now)
        tell(
            [claim.claimant],
            Kind.WARNING,
            wish,
            gettext_lazy("认领的心愿即将超时"),
            gettext_lazy("完成时限：%(due)s"),
            params={"due": _local(claim.fulfil_due)},
            at=now,
        )


def _on_overdue(wish: Wish, phase: Phase, now: datetime) -> None:
    if phase is CLAIM:
        flag = FLAG_UNDERCLAIMED if wish.claimants_count else FLAG_UNCLAIMED
        wish.flagged = True
        wish.flag_reason = flag
        wish.save(update_fields=["flagged", "flag_reason"])
        step(
            wish, None, "overdue", wish.state, message(flag), data={"due": wish.claim_due.isoformat()}, at=now
        )
        tell(community_staff(wish), Kind.OVERDUE, wish, gettext_lazy(flag), wish.title, at=now)
        return
    claims = list(
        wish.claims.filter(state=ClaimState.ACTIVE, fulfil_due__lte=now).select_related("claimant", "unit")
    )
    if not claims:
        return
    who = "、".join(c.claimant_label for c in claims)
    note = message(gettext_noop("%(who)s超时未完成，认领已释放，心愿重新上墙"), who=who)
    with MACHINE.transition(wish, "release", by=None, note=note, at=now) as s:
        for claim in claims:
            claim.state = ClaimState.RELEASED
            claim.released_at = now
            claim.release_reason = FLAG_RELEASED
            claim.fulfil_overdue_at = now
            claim.fulfil_warned_at = claim.fulfil_warned_at or now
            claim.save(
                update_fields=[
                    "state",
                    "released_at",
                    "release_reason",
                    "fulfil_overdue_at",
                    "fulfil_warned_at",
                ]
            )
            give_back_place(Wish, wish.pk, taken="claimants_count")
        wish.flagged = True
        wish.flag_reason = FLAG_RELEASED
        settle(wish, s, place_freed=True)
        s.data = {
            "claims": [c.pk for c in claims],
            "claim_due": wish.claim_due.isoformat() if wish.claim_due else None,
        }
    for claim in claims:
        tell(
            [claim.claimant] + community_staff(wish),
            Kind.RELEASED,
            wish,
            gettext_lazy("认领超时未完成，已释放"),
            gettext_lazy("「%(title)s」已重新发布到心愿墙"),
            params={"title": wish.title},
            at=now,
        )


@register_sweep("wishes")
def wishes_sweep(now: datetime | None = None) -> dict:
    now = now or timezone.now()
    counts = sweep_phases(Wish, PHASES, now, on_overdue=_on_overdue, on_warning=_on_warning)
    return {"warned": counts.warned, "overdue": counts.overdue}
