"""The time limits: warning before and flag at the claim deadline, warning before and release at the fulfil
deadline — each exactly once, whatever how often the sweep runs (the clock is passed in)."""

from __future__ import annotations

from datetime import timedelta

from gridgov.core.deadlines import SWEEPS, run_sweeps
from gridgov.core.models import TimelineEvent
from gridgov.notify.models import Notification
from gridgov.wishes import actions
from gridgov.wishes.models import ClaimState, State, WishClaim
from gridgov.wishes.sweep import wishes_sweep

from .conftest import claimed, published, submit


def _events(wish, action: str) -> int:
    return TimelineEvent.objects.filter(subject="wishes.wish", subject_id=wish.pk, action=action).count()


def test_the_sweep_is_registered():
    assert "wishes" in SWEEPS


def test_unclaimed_wish_is_warned_then_flagged_once_and_stays_on_the_wall(world):
    wish = published(world)
    assert wishes_sweep(wish.claim_warn_at - timedelta(minutes=1)) == {"warned": 0, "overdue": 0}
    assert wishes_sweep(wish.claim_warn_at) == {"warned": 1, "overdue": 0}
    assert wishes_sweep(wish.claim_warn_at + timedelta(minutes=1)) == {"warned": 0, "overdue": 0}
    wish.refresh_from_db()
    assert wish.sla == "warning" and not wish.flagged
    assert wishes_sweep(wish.claim_due) == {"warned": 0, "overdue": 1}
    assert wishes_sweep(wish.claim_due + timedelta(days=3)) == {"warned": 0, "overdue": 0}
    wish.refresh_from_db()
    assert wish.state == State.PUBLISHED and wish.flagged and wish.flag_reason == "超时未认领"
    assert wish.sla == "overdue"
    assert _events(wish, "warning") == 1 and _events(wish, "overdue") == 1
    assert Notification.objects.filter(user=world.community, kind="overdue").count() == 1
    assert Notification.objects.filter(user=world.community, kind="warning").count() == 1


def test_run_sweeps_includes_wishes(world):
    wish = published(world)
    out = run_sweeps(wish.claim_due)
    assert out["wishes"] == {"warned": 0, "overdue": 1}
    wish.refresh_from_db()
    assert wish.flagged and wish.claim_warned_at == wish.claim_overdue_at


def test_claimed_wish_has_no_claim_clock(world):
    wish = claimed(world)
    assert wishes_sweep(wish.claim_due + timedelta(minutes=1)) == {"warned": 0, "overdue": 0}


def test_late_claim_is_released_once_and_the_wish_goes_back_on_the_wall(world):
    wish = claimed(world)
    claim = WishClaim.objects.get(wish=wish)
    assert wishes_sweep(claim.fulfil_warn_at) == {"warned": 1, "overdue": 0}
    claim.refresh_from_db()
    assert claim.fulfil_warned_at is not None
    assert Notification.objects.filter(user=world.volunteer, kind="warning").count() == 1
    wish.refresh_from_db()
    assert wish.sla == "warning"
    due = claim.fulfil_due
    assert wishes_sweep(due) == {"warned": 0, "overdue": 1}
    assert wishes_sweep(due + timedelta(hours=1)) == {"warned": 0, "overdue": 0}
    claim.refresh_from_db()
    wish.refresh_from_db()
    assert claim.state == ClaimState.RELEASED and claim.released_at == due
    assert wish.state == State.PUBLISHED and wish.claimants_count == 0
    assert wish.flagged and wish.flag_reason == "超时未完成，认领已释放"
    assert wish.claim_due > due and wish.claim_overdue_at is None and wish.fulfil_due is None
    assert _events(wish, "release") == 1
    assert Notification.objects.filter(user=world.volunteer, kind="released").count() == 1
    assert Notification.objects.filter(user=world.community, kind="released").count() == 1
    # the fresh claim clock runs and is swept once more in its own time
    assert wishes_sweep(wish.claim_due) == {"warned": 0, "overdue": 1}
    # another volunteer may take the freed place
    actions.wish_claim(ref=wish.ref, by=world.volunteer2)
    wish.refresh_from_db()
    assert wish.state == State.CLAIMED


def test_straight_past_the_deadline_releases_without_a_separate_warning(world):
    wish = claimed(world)
    claim = WishClaim.objects.get(wish=wish)
    assert wishes_sweep(claim.fulfil_due + timedelta(days=1)) == {"warned": 0, "overdue": 1}
    assert _events(wish, "warning") == 0 and _events(wish, "release") == 1


def test_only_the_late_claim_of_several_is_released(world, clock):
    wish = submit(world)
    actions.wish_publish(ref=wish.ref, by=world.community, max_claimants=2)
    actions.wish_claim(ref=wish.ref, by=world.volunteer)
    clock.shift(timedelta(days=3))
    actions.wish_claim(ref=wish.ref, by=world.volunteer2)
    first = WishClaim.objects.get(wish=wish, claimant=world.volunteer)
    second = WishClaim.objects.get(wish=wish, claimant=world.volunteer2)
    assert first.fulfil_due < second.fulfil_due
    assert wishes_sweep(first.fulfil_due)["overdue"] == 1
    first.refresh_from_db()
    second.refresh_from_db()
    wish.refresh_from_db()
    assert first.state == ClaimState.RELEASED and second.state == ClaimState.ACTIVE
    assert wish.state == State.PUBLISHED and wish.claimants_count == 1
    assert wish.fulfil_due == second.fulfil_due
    assert wishes_sweep(second.fulfil_due)["overdue"] == 1
    second.refresh_from_db()
    assert second.state == ClaimState.RELEASED


def test_fulfilled_claim_is_not_released(world):
    wish = claimed(world)
    claim = WishClaim.objects.get(wish=wish)
    actions.wish_fulfil(ref=wish.ref, by=world.volunteer, note="已送到")
    assert wishes_sweep(claim.fulfil_due + timedelta(days=1)) == {"warned": 0, "overdue": 0}
    wish.refresh_from_db()
    assert wish.state == State.FULFILLED and not wish.flagged
