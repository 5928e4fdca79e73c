"""Every transition of a wish and every refusal: wrong role (403), out of scope (404), wrong state (409 with
the allowed actions), missing reason or note (400 naming the field); and the timeline/audit rows."""

from __future__ import annotations

import pytest

from gridgov.core import uploads
from gridgov.core.errors import DomainError
from gridgov.core.models import AuditEntry, TimelineEvent
from gridgov.notify.models import Notification
from gridgov.projects.models import Need
from gridgov.wishes import actions
from gridgov.wishes.models import ClaimState, Source, State, Wish, WishClaim
from gridgov.wishes.workflow import allowed_actions

from .conftest import COMMUNITY, GRID, claimed, png, published, submit


def _steps(wish) -> list[str]:
    return list(
        TimelineEvent.objects.filter(subject="wishes.wish", subject_id=wish.pk).values_list(
            "action", flat=True
        )
    )


def _refused(call, status: int, code: str | None = None, field: str | None = None) -> DomainError:
    with pytest.raises(DomainError) as info:
        call()
    exc = info.value
    assert exc.status == status, (exc.status, exc.code, exc.message)
    if code:
        assert exc.code == code
    if field:
        assert exc.field == field
    return exc


def test_resident_posts_online_and_community_is_told(world):
    wish = submit(world)
    assert wish.state == State.SUBMITTED and wish.source == Source.ONLINE
    assert wish.wisher == world.resident and wish.area_code == GRID
    assert wish.ref.startswith("XY-20261123-") and len(wish.ref) == len("XY-20261123-000001")
    assert _steps(wish) == ["submit"]
    assert AuditEntry.objects.filter(verb="wish.submit", object_id=wish.ref).count() == 1
    assert Notification.objects.filter(user=world.community, kind="wish").count() == 1
    assert allowed_actions(world.community, wish) == ["publish", "reject", "to_need"]
    assert allowed_actions(world.resident, wish) == []


def test_refs_count_up_within_a_day(world):
    a, b = submit(world), submit(world, title="孩子想要一套课外书")
    assert int(b.ref[-6:]) == int(a.ref[-6:]) + 1


def test_staff_enter_a_box_wish_with_masked_phone(world):
    wish = submit(world, by=world.worker, source="box", wisher_name="王秀兰", wisher_phone="13800001234")
    assert wish.source == Source.BOX and wish.wisher is None
    assert wish.wisher_phone == "13800001234" and wish.wisher_phone_masked == "138****1234"
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT wisher_phone FROM {Wish._meta.db_table} WHERE id = %s", [wish.pk])
        (raw,) = cursor.fetchone()
    assert "13800001234" not in raw  # encrypted at rest


def test_box_wish_needs_the_wishers_name(world):
    _refused(lambda: submit(world, by=world.worker, source="box"), 400, "required", "wisher_name")


def test_box_wish_outside_scope_is_refused(world):
    _refused(lambda: submit(world, by=world.other_community, wisher_name="王"), 400, "invalid_area", "area")


def test_submit_refusals(world):
    _refused(lambda: submit(world, title=" "), 400, "required", "title")
    _refused(lambda: submit(world, area=""), 400, "required", "area")
    _refused(lambda: submit(world, area="610302001"), 400, "invalid_area", "area")  # a street
    _refused(lambda: submit(world, category="nope"), 400, "invalid", "category")
    _refused(lambda: submit(world, by=world.handler), 403, "forbidden")
    _refused(lambda: submit(world, source="box", wisher_name="王"), 403)


def test_idempotent_submit_returns_the_first_wish(world):
    first = submit(world, idempotency_key="k-1")
    again, created = actions.wish_submit(by=world.resident, title="另一个", area=GRID, idempotency_key="k-1")
    assert again.pk == first.pk and not created and Wish.objects.count() == 1


def test_publish_starts_the_claim_clock(world):
    wish = published(world)
    assert wish.state == State.PUBLISHED and wish.published_at is not None
    assert wish.claim_due > wish.claim_warn_at > wish.published_at
    assert _steps(wish) == ["submit", "publish"]
    assert Notification.objects.filter(user=world.resident, kind="wish").count() == 1


def test_publish_may_set_places_and_limits(world):
    wish = submit(world)
    wish = actions.wish_publish(ref=wish.ref, by=world.community, max_claimants=3, fulfil_limit_days=5)
    assert (wish.max_claimants, wish.fulfil_limit_days) == (3, 5)


def test_grid_worker_may_not_publish(world):
    wish = submit(world)
    _refused(lambda: actions.wish_publish(ref=wish.ref, by=world.worker), 403, "forbidden")


def test_other_community_cannot_see_the_wish(world):
    wish = submit(world)
    _refused(lambda: actions.wish_publish(ref=wish.ref, by=world.other_community), 404, "not_found")


def test_publish_twice_is_409_with_allowed_actions(world):
    wish = published(world)
    exc = _refused(lambda: actions.wish_publish(ref=wish.ref, by=world.community), 409, "wrong_state")
    assert exc.extra["state"] == "published"
    assert exc.extra["allowed_actions"] == ["claim", "withdraw", "fulfil", "to_need"]


def test_reject_needs_a_reason_and_tells_the_wisher(world):
    wish = submit(world)
    _refused(
        lambda: actions.wish_reject(ref=wish.ref, by=world.community, reason=" "), 400, "required", "reason"
    )
    wish = actions.wish_reject(ref=wish.ref, by=world.community, reason="不属于微心愿范围")
    assert wish.state == State.REJECTED
    event = TimelineEvent.objects.get(subject="wishes.wish", subject_id=wish.pk, action="reject")
    assert event.note == "不属于微心愿范围" and event.from_state == "submitted"
    assert AuditEntry.objects.filter(verb="wish.reject", reason="不属于微心愿范围").exists()


def test_volunteer_claims_and_the_wish_leaves_the_wall(world):
    wish = claimed(world)
    assert wish.state == State.CLAIMED and wish.claimants_count == 1
    claim = WishClaim.objects.get(wish=wish)
    assert claim.claimant == world.volunteer and claim.state == ClaimState.ACTIVE and claim.unit is None
    assert wish.fulfil_due == claim.fulfil_due and claim.fulfil_due > claim.claimed_at
    assert _steps(wish)[-1] == "claim"
    assert allowed_actions(world.volunteer, wish) == ["withdraw", "fulfil"]
    assert allowed_actions(world.volunteer2, wish) == []


def test_unit_handler_claims_for_the_unit(world):
    wish = claimed(world, by=world.handler)
    claim = WishClaim.objects.get(wish=wish)
    assert claim.unit == world.unit and claim.claimant_label == world.unit.name
    # a colleague of the same unit acts on the unit's claim
    assert "fulfil" in allowed_actions(world.handler2, wish)


def test_second_claim_is_409_already_claimed(world):
    wish = claimed(world)
    exc = _refused(lambda: actions.wish_claim(ref=wish.ref, by=world.volunteer2), 409, "already_claimed")
    assert exc.extra["allowed_actions"] == ["withdraw", "fulfil"]


def test_residents_and_staff_may_not_claim(world):
    wish = published(world)
    _refused(lambda: actions.wish_claim(ref=wish.ref, by=world.resident2), 403, "forbidden")
    _refused(lambda: actions.wish_claim(ref=wish.ref, by=world.community), 403, "forbidden")


def test_claim_before_publishing_is_404_for_volunteers(world):
    wish = submit(world)
    _refused(lambda: actions.wish_claim(ref=wish.ref, by=world.volunteer), 404)


def test_several_places_fill_one_by_one(world):
    wish = submit(world)
    actions.wish_publish(ref=wish.ref, by=world.community, max_claimants=3)
    for n, who in enumerate((world.volunteer, world.volunteer2, world.handler), start=1):
        actions.wish_claim(ref=wish.ref, by=who)
        wish.refresh_from_db()
        assert wish.claimants_count == n
        assert wish.state == (State.CLAIMED if n == 3 else State.PUBLISHED)
    _refused(lambda: actions.wish_claim(ref=wish.ref, by=world.volunteer3), 409, "already_claimed")


def test_same_person_or_unit_claims_one_place_only(world):
    wish = submit(world)
    actions.wish_publish(ref=wish.ref, by=world.community, max_claimants=3)
    actions.wish_claim(ref=wish.ref, by=world.volunteer)
    actions.wish_claim(ref=wish.ref, by=world.handler)
    _refused(lambda: actions.wish_claim(ref=wish.ref, by=world.volunteer), 409, "already_claimed")
    _refused(lambda: actions.wish_claim(ref=wish.ref, by=world.handler2), 409, "already_claimed")
    assert WishClaim.objects.filter(wish=wish).count() == 2


def test_withdraw_needs_a_reason_and_frees_the_place(world):
    wish = claimed(world)
    _refused(
        lambda: actions.wish_withdraw(ref=wish.ref, by=world.volunteer, reason=""), 400, "required", "reason"
    )
    _refused(lambda: actions.wish_withdraw(ref=wish.ref, by=world.volunteer2, reason="x"), 404)
    old_due = wish.claim_due
    wish = actions.wish_withdraw(ref=wish.ref, by=world.volunteer, reason="临时出差")
    assert wish.state == State.PUBLISHED and wish.claimants_count == 0 and wish.fulfil_due is None
    assert wish.claim_due >= old_due  # a fresh claim clock
    claim = WishClaim.objects.get(wish=wish)
    assert claim.state == ClaimState.WITHDRAWN and claim.release_reason == "临时出差"
    actions.wish_claim(ref=wish.ref, by=world.volunteer2)  # the place is free again
    wish.refresh_from_db()
    assert wish.state == State.CLAIMED


def test_fulfil_needs_a_note_and_stores_photos(world, settings):
    wish = claimed(world)
    _refused(lambda: actions.wish_fulfil(ref=wish.ref, by=world.volunteer, note=""), 400, "required", "note")
    _refused(lambda: actions.wish_fulfil(ref=wish.ref, by=world.resident2, note="x"), 404)
    wish = actions.wish_fulfil(ref=wish.ref, by=world.volunteer, note="收音机已送到", photos=[png()])
    assert wish.state == State.FULFILLED and wish.fulfilled_at is not None
    claim = WishClaim.objects.get(wish=wish)
    assert claim.state == ClaimState.FULFILLED and uploads.of(claim).count() == 1
    assert (settings.MEDIA_ROOT / uploads.of(claim).get().path).is_file()
    assert Notification.objects.filter(user=world.resident, title__contains="请确认").count() == 1


def test_fulfil_refuses_a_non_image_and_keeps_nothing(world, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    wish = claimed(world)
    bad = SimpleUploadedFile("x.png", b"not an image", content_type="image/png")
    _refused(
        lambda: actions.wish_fulfil(ref=wish.ref, by=world.volunteer, note="好了", photos=[bad]),
        400,
        "not_an_image",
    )
    wish.refresh_from_db()
    assert wish.state == State.CLAIMED
    assert not (settings.MEDIA_ROOT / "wishes").exists()


def test_multi_place_wish_is_fulfilled_when_no_claim_is_active(world):
    wish = submit(world)
    actions.wish_publish(ref=wish.ref, by=world.community, max_claimants=2)
    actions.wish_claim(ref=wish.ref, by=world.volunteer)
    actions.wish_claim(ref=wish.ref, by=world.volunteer2)
    wish = actions.wish_fulfil(ref=wish.ref, by=world.volunteer, note="送了书")
    assert wish.state == State.CLAIMED
    wish = actions.wish_fulfil(ref=wish.ref, by=world.volunteer2, note="送了书架")
    assert wish.state == State.FULFILLED


def test_wisher_confirms_with_rating(world):
    wish = claimed(world)
    actions.wish_fulfil(ref=wish.ref, by=world.volunteer, note="已送到")
    _refused(lambda: actions.wish_confirm(ref=wish.ref, by=world.volunteer, rating="satisfied"), 403)
    _refused(
        lambda: actions.wish_confirm(ref=wish.ref, by=world.resident, rating=""), 400, "required", "rating"
    )
    wish = actions.wish_confirm(ref=wish.ref, by=world.resident, rating="satisfied", comment="谢谢")
    assert wish.state == State.CLOSED and wish.rating == "satisfied" and wish.confirmed_at
    assert _steps(wish) == ["submit", "publish", "claim", "fulfil", "confirm"]
    assert Notification.objects.filter(user=world.volunteer, title__contains="已确认").count() == 1
    _refused(
        lambda: actions.wish_confirm(ref=wish.ref, by=world.resident, rating="satisfied"), 409, "wrong_state"
    )


def test_staff_confirm_a_box_wish(world):
    wish = published(world, by=world.worker, source="box", wisher_name="王秀兰")
    actions.wish_claim(ref=wish.ref, by=world.volunteer)
    actions.wish_fulfil(ref=wish.ref, by=world.volunteer, note="已送到")
    assert Notification.objects.filter(user=world.community, title__contains="请确认").exists()
    wish = actions.wish_confirm(ref=wish.ref, by=world.worker, rating="basic")
    assert wish.state == State.CLOSED


def test_fulfil_before_claim_is_409(world):
    wish = submit(world)
    exc = _refused(
        lambda: actions.wish_fulfil(ref=wish.ref, by=world.community, note="x"), 409, "wrong_state"
    )
    assert exc.extra["allowed_actions"] == ["publish", "reject", "to_need"]


def test_to_need_records_the_need_once(world):
    wish = published(world, title="小区想建一个老年食堂")
    _refused(
        lambda: actions.wish_to_need(ref=wish.ref, by=world.community, reason=""), 400, "required", "reason"
    )
    _refused(lambda: actions.wish_to_need(ref=wish.ref, by=world.worker, reason="太大"), 403)
    wish = actions.wish_to_need(ref=wish.ref, by=world.community, reason="需要立项解决", urgency="normal")
    assert wish.state == State.TRANSFERRED
    need = Need.objects.get(source="wish", source_id=wish.pk)
    assert wish.need == need and need.area_code == GRID and need.category.code == "elderly"
    assert "需要立项解决" in need.description
    _refused(
        lambda: actions.wish_to_need(ref=wish.ref, by=world.community, reason="再来"), 409, "wrong_state"
    )
    assert Need.objects.count() == 1


def test_to_need_without_category_asks_for_one(world):
    wish = submit(world, category=None)
    _refused(
        lambda: actions.wish_to_need(ref=wish.ref, by=world.community, reason="太大"),
        400,
        "required",
        "category",
    )
    wish = actions.wish_to_need(ref=wish.ref, by=world.community, reason="太大", category="culture")
    assert wish.need.category.code == "culture"


def test_to_need_refused_while_a_claim_is_active(world):
    wish = submit(world)
    actions.wish_publish(ref=wish.ref, by=world.community, max_claimants=2)
    actions.wish_claim(ref=wish.ref, by=world.volunteer)
    _refused(
        lambda: actions.wish_to_need(ref=wish.ref, by=world.community, reason="太大"), 409, "not_allowed_now"
    )


def test_household_link_sets_the_area(world):
    from gridgov.testing.factories import make_ledger

    _building, household, _h, _s = make_ledger(world.admin, GRID)
    wish = submit(world, by=world.community, area=None, household=household.pk, wisher_name="王建国")
    assert wish.household == household and wish.area_code == GRID
    _refused(lambda: submit(world, household=household.pk), 403)
    assert COMMUNITY in wish.area_code
