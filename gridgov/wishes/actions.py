"""Every write to a wish. Each action locks the wish row, checks visibility (404), then asks the workflow
machine (409 wrong state with the allowed actions, 403 wrong person, 400 missing reason), changes the wish
and its claims in one transaction, appends the timeline step + audit entry, and tells whom it concerns.

Places: a claim takes one place with one conditional UPDATE (``take_place``), and a unique constraint
allows one holding claim per person and per unit, so concurrent claims can never overbook a wish.
"""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.accounts.models import Role, User
from gridgov.accounts.selectors import area_staff
from gridgov.areas.models import Area, Level
from gridgov.core import cleaners, uploads
from gridgov.core.calendar import LimitUnit
from gridgov.core.cleaners import REASON_LIMIT, limit
from gridgov.core.crypto import blind_index, mask_phone
from gridgov.core.deadlines import arm, due_with_warning, give_back_place, take_place
from gridgov.core.errors import DomainError, NotFound
from gridgov.core.models import Upload
from gridgov.core.scope import in_scope, is_staff, staff_in_scope_of
from gridgov.core.sequences import next_ref
from gridgov.core.timeline import step
from gridgov.core.validators import normalise_phone
from gridgov.core.workflow import Rating
from gridgov.notify.actions import tell
from gridgov.notify.models import Kind
from gridgov.services.models import ServiceCategory
from gridgov.services.selectors import active_category
from gridgov.wishes.models import ClaimState, Source, State, Wish, WishClaim, WishRefCounter
from gridgov.wishes.selectors import wish_is_visible
from gridgov.wishes.workflow import CLAIM, MACHINE, claims_held_by, may_claim_wishes

MAX_PLACES = 20
MAX_LIMIT_DAYS = 60


# ---------------------------------------------------------------- helpers


def community_staff(wish: Wish) -> list[User]:
    """The staff of the wish's community (who vet it and hear when it is late)."""
    return area_staff(wish.area_code[:12])


def _wisher(wish: Wish) -> list[User]:
    return [wish.wisher] if wish.wisher_id else []


def _visible_to_claimer(by, wish: Wish) -> bool:
    """A wish taken off the wall by the claim just before this one was visible a moment ago: a late
    claimer hears "already claimed" (409), not "not found"."""
    return (wish.state == State.CLAIMED and may_claim_wishes(by)) or wish_is_visible(by, wish)


def _places(value) -> int:
    return cleaners.integer(
        value, "max_claimants", label=_("可认领人数"), low=1, high=MAX_PLACES, required=True
    )


def _days(value, field: str, label) -> int:
    return cleaners.integer(value, field, label=label, low=1, high=MAX_LIMIT_DAYS, required=True)


def _category(code: str | None) -> ServiceCategory | None:
    """A wish's category is optional; a code given must name an active one."""
    return active_category(code) if (code or "").strip() else None


def _place(code: str | None, by, staff: bool) -> Area:
    code = (code or "").strip()
    if not code:
        raise DomainError("required", _("请选择心愿所在的社区或网格"), "area")
    area = Area.objects.filter(code=code, is_active=True).first()
    if area is not None and area.level == Level.MICROGRID:
        area = area.parent
    if area is None or (staff and not in_scope(by, area.code)):
        raise DomainError(
            "invalid_area", _("区域 %(code)s 不存在或不在您的管辖范围内") % {"code": code}, "area"
        )
    if area.level not in (Level.COMMUNITY, Level.GRID):
        raise DomainError("invalid_area", _("心愿须登记到社区或网格"), "area")
    return area


def arm_claim_clock(wish: Wish, now: datetime) -> None:
    """The claim clock runs from ``now`` for the wish's claim limit in working days."""
    arm(wish, CLAIM, due=due_with_warning(now, wish.claim_limit_days, LimitUnit.WORKING_DAYS))


def settle(wish: Wish, step, *, place_freed: bool = False) -> None:
    """Bring the wish's summary in line with its claims inside a transition that changed them (the caller
    holds the wish lock): the places taken, the moment it was fulfilled, the fulfil clock (the earliest
    active claim's), and a fresh claim clock when it goes back on the wall. The state itself is the
    machine's to set."""
    wish.claimants_count = Wish.objects.values_list("claimants_count", flat=True).get(pk=wish.pk)
    to, now = MACHINE.landing(wish, step.action, step.from_state), step.at
    if to == State.FULFILLED:
        wish.fulfilled_at = now
    if to == State.PUBLISHED and (place_freed or wish.state != State.PUBLISHED):
        arm_claim_clock(wish, now)
    first = wish.claims.filter(state=ClaimState.ACTIVE).order_by("fulfil_due", "id").first()
    wish.fulfil_due = first.fulfil_due if first else None
    wish.fulfil_warn_at = first.fulfil_warn_at if first else None
    wish.fulfil_warned_at = first.fulfil_warned_at if first else None
    wish.fulfil_overdue_at = first.fulfil_overdue_at if first else None


# ---------------------------------------------------------------- submit


def wish_submit(
    *,
    by: User,
    title: str,
    description: str = "",
    category: str | None = None,
    area: str | None = None,
    household: int | None = None,
    source: str | None = None,
    wisher_name: str = "",
    wisher_phone: str = "",
    max_claimants: int = 1,
    claim_limit_days: int = 7,
    fulfil_limit_days: int = 14,
    idempotency_key: str | None = None,
) -> tuple[Wish, bool]:
    """提交心愿: a resident (or party member) online, or staff entering a wish from the wish box with the
    wisher's name and phone. Returns (wish, created); a retry with the same key returns the first wish."""
    if by is None or not getattr(by, "is_authenticated", False):
        raise DomainError("unauthenticated", _("请先登录再提交心愿"), status=401)
    staff = is_staff(by)
    if not staff and by.role not in (Role.RESIDENT, Role.VOLUNTEER):
        raise DomainError("forbidden", _("只有居民可以提交心愿，工作人员可录入心愿箱中的心愿"), status=403)
    source = source or (Source.BOX if staff else Source.ONLINE)
    if source not in Source.values:
        raise DomainError("invalid", _("来源「%(source)s」无效") % {"source": source}, "source")
    if staff and source != Source.BOX:
        raise DomainError("invalid", _("工作人员录入的心愿来源应为心愿箱"), "source")
    if not staff and source != Source.ONLINE:
        raise DomainError("forbidden", _("心愿箱中的心愿由社区工作人员录入"), "source", status=403)
    key = (idempotency_key or "").strip()[:64] or None
    if key:
        existing = Wish.objects.filter(idempotency_key=key).first()
        if existing is not None:
            if existing.created_by_id != by.pk:
                raise DomainError("conflict", _("该幂等键已被使用"), "idempotency_key", status=409)
            return existing, False
    title = cleaners.text(title, "title", limit=limit(Wish, "title"), required=_("请填写心愿"))
    description = cleaners.text(description, "description", limit=limit(Wish, "description"))
    cat = _category(category)
    linked = None
    if household:
        if not staff:
            raise DomainError("forbidden", _("只有工作人员可以关联台账中的户"), "household", status=403)
        from gridgov.ledger.selectors import households_visible_to

        linked = households_visible_to(by).filter(pk=household).first()
        if linked is None:
            raise NotFound(_("户 %(id)s 不存在或不在您的管辖范围内") % {"id": household}, field="household")
        if not area:
            area = linked.area_code
    place = _place(area, by, staff)
    name, phone = "", ""
    if source == Source.BOX:
        name = cleaners.text(
            wisher_name, "wisher_name", limit=limit(Wish, "wisher_name"), required=_("请填写心愿人姓名")
        )
        phone = normalise_phone(wisher_phone, "wisher_phone")
    places = _places(max_claimants) if staff else 1
    claim_days = _days(claim_limit_days, "claim_limit_days", _("认领时限"))
    fulfil_days = _days(fulfil_limit_days, "fulfil_limit_days", _("完成时限"))
    now = timezone.now()
    ref = next_ref(WishRefCounter, "XY", timezone.localdate(now))  # autocommit, before the write
    try:
        with transaction.atomic():
            wish = Wish.objects.create(
                ref=ref,
                title=title,
                description=description,
                category=cat,
                source=source,
                wisher=None if source == Source.BOX else by,
                wisher_name=name,
                wisher_phone=phone,
                wisher_phone_hash=blind_index(phone) if phone else "",
                wisher_phone_masked=mask_phone(phone),
                household=linked,
                area=place,
                area_code=place.code,
                max_claimants=places,
                claim_limit_days=claim_days,
                fulfil_limit_days=fulfil_days,
                created_by=by,
                created_at=now,
                idempotency_key=key,
            )
            step(wish, by, "submit", "", data={"source": source}, at=now)
            tell(community_staff(wish), Kind.WISH, wish, gettext_lazy("新心愿待审核"), wish.title, at=now)
    except IntegrityError:
        existing = Wish.objects.filter(idempotency_key=key).first() if key else None
        if existing is None or existing.created_by_id != by.pk:
            raise
        return existing, False
    return wish, True


# ---------------------------------------------------------------- vetting


def wish_publish(
    *,
    ref: str,
    by: User,
    note: str = "",
    max_claimants: int | None = None,
    claim_limit_days: int | None = None,
    fulfil_limit_days: int | None = None,
    category: str | None = None,
) -> Wish:
    """发布到心愿墙: the vetter may adjust places, limits and category; the claim clock starts now."""
    note = cleaners.text(note, "note", limit=REASON_LIMIT)
    with transaction.atomic():
        wish = MACHINE.lock(by, ref=ref)
        with MACHINE.transition(wish, "publish", by=by, note=note) as s:
            if max_claimants is not None:
                wish.max_claimants = _places(max_claimants)
            if claim_limit_days is not None:
                wish.claim_limit_days = _days(claim_limit_days, "claim_limit_days", _("认领时限"))
            if fulfil_limit_days is not None:
                wish.fulfil_limit_days = _days(fulfil_limit_days, "fulfil_limit_days", _("完成时限"))
            if category:
                wish.category = _category(category)
            wish.published_at = s.at
            arm_claim_clock(wish, s.at)
            s.data = {"claim_due": wish.claim_due.isoformat()}
        tell(_wisher(wish), Kind.WISH, wish, gettext_lazy("您的心愿已发布到心愿墙"), wish.title)
    return wish


def wish_reject(*, ref: str, by: User, reason: str) -> Wish:
    """不予发布 (reason required; the wisher sees it)."""
    reason = cleaners.text(reason, "reason", limit=REASON_LIMIT)
    with transaction.atomic():
        wish = MACHINE.lock(by, ref=ref)
        with MACHINE.transition(wish, "reject", by=by, reason=reason, fields=[]):
            pass
        tell(_wisher(wish), Kind.WISH, wish, gettext_lazy("您的心愿未通过审核"), reason)
    return wish


def wish_to_need(
    *,
    ref: str,
    by: User,
    reason: str,
    category: str | None = None,
    beneficiaries: int = 1,
    urgency: str = "normal",
) -> Wish:
    """转入需求清单: a wish too big for a micro-wish becomes a need (once per wish)."""
    from gridgov.projects.actions import need_record

    reason = cleaners.text(reason, "reason", limit=REASON_LIMIT)
    with transaction.atomic():
        wish = MACHINE.lock(by, ref=ref)
        with MACHINE.transition(wish, "to_need", by=by, reason=reason, fields=["need"]) as s:
            code = (category or "").strip() or (wish.category.code if wish.category_id else "")
            if not code:
                raise DomainError("required", _("请选择需求的服务类别"), "category")
            why = _("转入原因：%(reason)s") % {"reason": reason}
            wish.need = need_record(
                by=by,
                title=wish.title,
                category=code,
                area=wish.area_code,
                description="\n".join(p for p in (wish.description, why) if p),
                beneficiaries=beneficiaries,
                urgency=urgency,
                source="wish",
                source_id=wish.pk,
            )
            s.data = {"need": wish.need.pk}
        tell(_wisher(wish), Kind.WISH, wish, gettext_lazy("您的心愿已转入社区需求清单"), reason)
    return wish


# ---------------------------------------------------------------- claims


def _already_claimed(wish: Wish, message=None):
    return MACHINE.conflict(wish, "already_claimed", str(message or _("该心愿已被认领")))


def wish_claim(*, ref: str, by: User) -> WishClaim:
    """认领: one place per person (and per unit); the last place moves the wish off the wall."""
    held = gettext_lazy("您（或您的单位）已认领该心愿")
    with transaction.atomic():
        wish = MACHINE.lock(by, ref=ref, visible=_visible_to_claimer)
        if wish.state in (State.PUBLISHED, State.CLAIMED) and may_claim_wishes(by):
            if claims_held_by(by, wish).exists():
                raise _already_claimed(wish, held)
            if wish.state == State.CLAIMED or wish.claimants_count >= wish.max_claimants:
                raise _already_claimed(wish)
        with MACHINE.transition(wish, "claim", by=by) as s:
            if not take_place(Wish, wish.pk, taken="claimants_count", capacity="max_claimants"):
                raise _already_claimed(wish)
            d = due_with_warning(s.at, wish.fulfil_limit_days, LimitUnit.WORKING_DAYS)
            try:
                with transaction.atomic():
                    claim = WishClaim.objects.create(
                        wish=wish,
                        claimant=by,
                        unit=by.unit if by.role == Role.UNIT else None,
                        claimed_at=s.at,
                        fulfil_due=d.due,
                        fulfil_warn_at=d.warn_at,
                    )
            except IntegrityError:
                raise _already_claimed(wish, held) from None
            settle(wish, s)
            s.data = {"claim": claim.pk, "by": claim.claimant_label, "fulfil_due": d.due.isoformat()}
        tell(
            _wisher(wish) + community_staff(wish),
            Kind.WISH,
            wish,
            gettext_lazy("心愿已被认领"),
            gettext_lazy("%(who)s认领了「%(title)s」"),
            params={"who": claim.claimant_label, "title": wish.title},
            at=s.at,
        )
    return claim


def _held_active_claim(wish: Wish, by) -> WishClaim:
    claim = (
        claims_held_by(by, wish).filter(state=ClaimState.ACTIVE).select_related("unit", "claimant").first()
    )
    if claim is None:  # the machine's actor check has already passed, so this is a race lost
        raise MACHINE.conflict(wish, "not_claimed", _("您没有正在进行的认领"))
    return claim


def wish_withdraw(*, ref: str, by: User, reason: str) -> Wish:
    """放弃认领 (reason required): the place goes back to the wall."""
    reason = cleaners.text(reason, "reason", limit=REASON_LIMIT)
    with transaction.atomic():
        wish = MACHINE.lock(by, ref=ref)
        with MACHINE.transition(wish, "withdraw", by=by, reason=reason) as s:
            claim = _held_active_claim(wish, by)
            claim.state = ClaimState.WITHDRAWN
            claim.released_at = s.at
            claim.release_reason = reason[: limit(WishClaim, "release_reason")]
            claim.save(update_fields=["state", "released_at", "release_reason"])
            give_back_place(Wish, wish.pk, taken="claimants_count")
            settle(wish, s, place_freed=True)
            s.data = {"claim": claim.pk}
        tell(community_staff(wish), Kind.WISH, wish, gettext_lazy("认领人放弃了心愿"), reason, at=s.at)
    return wish


def wish_fulfil(*, ref: str, by: User, note: str, photos: list | None = None) -> Wish:
    """完成心愿: the claimant reports what was done (required) with optional photos."""
    # decoded before the wish is locked; a refusal is raised after the checks that come first
    checked = uploads.prepare(photos, "photos", refuse_later=True)
    with transaction.atomic():
        wish = MACHINE.lock(by, ref=ref)
        with MACHINE.transition(wish, "fulfil", by=by) as s:
            s.note = cleaners.text(
                note, "note", limit=limit(WishClaim, "fulfil_note"), required=_("请填写完成情况")
            )
            checked.require()
            claim = _held_active_claim(wish, by)
            claim.state = ClaimState.FULFILLED
            claim.fulfilled_at = s.at
            claim.fulfil_note = s.note
            claim.save(update_fields=["state", "fulfilled_at", "fulfil_note"])
            settle(wish, s)
            s.data = {"claim": claim.pk, "photos": len(checked)}
        uploads.save(checked, owner=claim, role=Upload.Role.EVIDENCE, step=s.event, by=by, at=s.at)
        if wish.state == State.FULFILLED:
            who = _wisher(wish) or community_staff(wish)
            tell(who, Kind.WISH, wish, gettext_lazy("心愿已完成，请确认"), s.note, at=s.at)
    return wish


def wish_confirm(*, ref: str, by: User, rating: str, comment: str = "") -> Wish:
    """确认: the wisher (or staff, for a wish-box wish) confirms with a rating."""
    with transaction.atomic():
        wish = MACHINE.lock(by, ref=ref)
        with MACHINE.transition(wish, "confirm", by=by) as s:
            if rating not in Rating.values:
                raise DomainError("required", _("请选择评价：满意、基本满意或不满意"), "rating")
            s.note = cleaners.text(comment, "comment", limit=limit(Wish, "confirm_comment"))
            wish.confirmed_at = s.at
            wish.rating = rating
            wish.confirm_comment = s.note
            s.data = {"rating": rating}
        claimants = [
            c.claimant for c in wish.claims.filter(state=ClaimState.FULFILLED).select_related("claimant")
        ]
        tell(claimants, Kind.WISH, wish, gettext_lazy("心愿人已确认"), Rating(rating).label, at=s.at)
    return wish


def may_submit_box(user) -> bool:
    return is_staff(user)


def may_see_claim_files(user, claim_id: int) -> bool:
    """Who may open a claim's fulfil photos (registered with core.uploads): the wisher, staff in scope
    and the claimants, of a wish they can see."""
    claim = WishClaim.objects.select_related("wish").filter(pk=claim_id).first()
    return claim is not None and wish_is_visible(user, claim.wish) and may_see_evidence(user, claim.wish)


def may_see_evidence(user, wish: Wish) -> bool:
    from gridgov.wishes.selectors import sees_personal

    return (
        sees_personal(user, wish)
        or staff_in_scope_of(user, wish)
        or (
            user is not None
            and getattr(user, "is_authenticated", False)
            and claims_held_by(user, wish).exists()
        )
    )
