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

from gridgov.accounts.models import Role, User
from gridgov.accounts.selectors import area_staff
from gridgov.areas.models import Area, Level
from gridgov.core import uploads
from gridgov.core.calendar import LimitUnit
from gridgov.core.crypto import blind_index, mask_phone
from gridgov.core.deadlines import due_with_warning, give_back_place, take_place
from gridgov.core.errors import DomainError, NotFound
from gridgov.core.models import Upload
from gridgov.core.scope import in_scope, is_staff, staff_in_scope_of
from gridgov.core.sequences import next_daily_number
from gridgov.core.timeline import step
from gridgov.core.validators import normalise_phone
from gridgov.core.workflow import Rating
from gridgov.notify.actions import notify
from gridgov.notify.models import Kind
from gridgov.services.models import ServiceCategory
from gridgov.services.selectors import active_category
from gridgov.wishes.models import HOLDING, ClaimState, Source, State, Wish, WishClaim, WishRefCounter
from gridgov.wishes.selectors import wish_is_visible
from gridgov.wishes.workflow import MACHINE, claims_held_by, may_claim_wishes

MAX_PLACES = 20
MAX_LIMIT_DAYS = 60
FLAG_UNCLAIMED = "超时未认领"
FLAG_UNDERCLAIMED = "超时未认满"
FLAG_RELEASED = "超时未完成，认领已释放"


# ---------------------------------------------------------------- helpers


def _now() -> datetime:
    return timezone.now()


def wish_url(wish: Wish) -> str:
    return f"/wishes/{wish.ref}/"


def community_staff(wish: Wish) -> list[User]:
    """The staff of the wish's community (who vet it and hear when it is late)."""
    return area_staff(wish.area_code[:12])


def _tell(users, kind: str, wish: Wish, title: str, body: str = "", at: datetime | None = None) -> None:
    notify(
        users=users,
        kind=kind,
        title=f"{wish.ref} {title}",
        body=body or wish.title,
        url=wish_url(wish),
        at=at,
    )


def _wisher(wish: Wish) -> list[User]:
    return [wish.wisher] if wish.wisher_id else []


def _lock(ref: str, by, *, claiming: bool = False) -> Wish:
    wish = Wish.objects.select_for_update().filter(ref=ref).first()
    # A wish taken off the wall by the claim just before this one was visible a moment ago: a late
    # claimer hears "already claimed" (409), not "not found".
    taken = claiming and wish is not None and wish.state == State.CLAIMED and may_claim_wishes(by)
    if wish is None or not (taken or wish_is_visible(by, wish)):
        raise NotFound(f"心愿 {ref} 不存在或不在您的管辖范围内", field="ref")
    return wish


def _next_ref(day) -> str:
    """XY-<yyyymmdd>-<6-digit daily sequence>, taken by one autocommit upsert before the write."""
    return f"XY-{day:%Y%m%d}-{next_daily_number(WishRefCounter, day):06d}"


def _int(value, field: str, low: int, high: int, label: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise DomainError("invalid", f"{label}必须是整数", field) from None
    if not low <= number <= high:
        raise DomainError("invalid", f"{label}应在 {low}–{high} 之间", field)
    return number


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
        raise DomainError("invalid_area", f"区域 {code} 不存在或不在您的管辖范围内", "area")
    if area.level not in (Level.COMMUNITY, Level.GRID):
        raise DomainError("invalid_area", _("心愿须登记到社区或网格"), "area")
    return area


def _start_claim_clock(wish: Wish, now: datetime) -> None:
    d = due_with_warning(now, wish.claim_limit_days, LimitUnit.WORKING_DAYS)
    wish.claim_due, wish.claim_warn_at = d.due, d.warn_at
    wish.claim_warned_at = wish.claim_overdue_at = None


FIELDS_SETTLED = [
    "state",
    "claimants_count",
    "fulfilled_at",
    "fulfil_due",
    "fulfil_warn_at",
    "fulfil_warned_at",
    "fulfil_overdue_at",
    "claim_due",
    "claim_warn_at",
    "claim_warned_at",
    "claim_overdue_at",
]


def _settle(wish: Wish, now: datetime, *, place_freed: bool = False) -> None:
    """Set the wish's state and fulfil-clock summary from its claims (the caller holds the wish lock).

    已完成 when claims hold places and none is still active; 已认领 when every place is taken; else back on
    the wall (a freed place restarts the claim clock). The summary is the earliest active claim's clock."""
    wish.claimants_count = Wish.objects.values_list("claimants_count", flat=True).get(pk=wish.pk)
    holding = list(wish.claims.filter(state__in=HOLDING).order_by("fulfil_due", "id"))
    active = [c for c in holding if c.state == ClaimState.ACTIVE]
    before = wish.state
    if holding and not active:
        wish.state = State.FULFILLED
        wish.fulfilled_at = now
    elif wish.claimants_count >= wish.max_claimants:
        wish.state = State.CLAIMED
    else:
        wish.state = State.PUBLISHED
        if place_freed or before != State.PUBLISHED:
            _start_claim_clock(wish, now)
    first = active[0] if active else None
    wish.fulfil_due = first.fulfil_due if first else None
    wish.fulfil_warn_at = first.fulfil_warn_at if first else None
    wish.fulfil_warned_at = first.fulfil_warned_at if first else None
    wish.fulfil_overdue_at = first.fulfil_overdue_at if first else None
    wish.save(update_fields=FIELDS_SETTLED)


# ---------------------------------------------------------------- submit


def wish_submit(
    *,
    by,
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
        raise DomainError("invalid", f"来源「{source}」无效", "source")
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
    title = (title or "").strip()
    if not title:
        raise DomainError("required", _("请填写心愿"), "title")
    if len(title) > 60:
        raise DomainError("invalid", _("心愿不能超过 60 个字"), "title")
    description = (description or "").strip()
    if len(description) > 1000:
        raise DomainError("invalid", _("说明不能超过 1000 个字"), "description")
    cat = _category(category)
    linked = None
    if household:
        if not staff:
            raise DomainError("forbidden", _("只有工作人员可以关联台账中的户"), "household", status=403)
        from gridgov.ledger.selectors import households_visible_to

        linked = households_visible_to(by).filter(pk=household).first()
        if linked is None:
            raise NotFound(f"户 {household} 不存在或不在您的管辖范围内", field="household")
        if not area:
            area = linked.area_code
    place = _place(area, by, staff)
    name, phone = "", ""
    if source == Source.BOX:
        name = (wisher_name or "").strip()
        if not name:
            raise DomainError("required", _("请填写心愿人姓名"), "wisher_name")
        if len(name) > 30:
            raise DomainError("invalid", _("姓名不能超过 30 个字"), "wisher_name")
        phone = normalise_phone(wisher_phone, "wisher_phone")
    places = _int(max_claimants, "max_claimants", 1, MAX_PLACES, "可认领人数") if staff else 1
    claim_days = _int(claim_limit_days, "claim_limit_days", 1, MAX_LIMIT_DAYS, "认领时限")
    fulfil_days = _int(fulfil_limit_days, "fulfil_limit_days", 1, MAX_LIMIT_DAYS, "完成时限")
    now = _now()
    ref = _next_ref(timezone.localdate(now))
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
            _tell(community_staff(wish), Kind.WISH, wish, "新心愿待审核", at=now)
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
    by,
    note: str = "",
    max_claimants: int | None = None,
    claim_limit_days: int | None = None,
    fulfil_limit_days: int | None = None,
    category: str | None = None,
) -> Wish:
    """发布到心愿墙: the vetter may adjust places, limits and category; the claim clock starts now."""
    with transaction.atomic():
        wish = _lock(ref, by)
        before = MACHINE.require(by, wish, "publish")
        if max_claimants is not None:
            wish.max_claimants = _int(max_claimants, "max_claimants", 1, MAX_PLACES, "可认领人数")
        if claim_limit_days is not None:
            wish.claim_limit_days = _int(claim_limit_days, "claim_limit_days", 1, MAX_LIMIT_DAYS, "认领时限")
        if fulfil_limit_days is not None:
            wish.fulfil_limit_days = _int(
                fulfil_limit_days, "fulfil_limit_days", 1, MAX_LIMIT_DAYS, "完成时限"
            )
        if category:
            wish.category = _category(category)
        now = _now()
        wish.state = State.PUBLISHED
        wish.published_at = now
        _start_claim_clock(wish, now)
        wish.save()
        step(
            wish,
            by,
            "publish",
            before,
            note=(note or "").strip(),
            data={"claim_due": wish.claim_due.isoformat()},
        )
        _tell(_wisher(wish), Kind.WISH, wish, "您的心愿已发布到心愿墙")
    return wish


def wish_reject(*, ref: str, by, reason: str) -> Wish:
    """不予发布 (reason required; the wisher sees it)."""
    with transaction.atomic():
        wish = _lock(ref, by)
        before = MACHINE.require(by, wish, "reject", reason)
        wish.state = State.REJECTED
        wish.save(update_fields=["state"])
        step(wish, by, "reject", before, note=reason.strip())
        _tell(_wisher(wish), Kind.WISH, wish, "您的心愿未通过审核", reason.strip())
    return wish


def wish_to_need(
    *,
    ref: str,
    by,
    reason: str,
    category: str | None = None,
    beneficiaries: int = 1,
    urgency: str = "normal",
) -> Wish:
    """转入需求清单: a wish too big for a micro-wish becomes a need (once per wish)."""
    from gridgov.projects.actions import need_record

    with transaction.atomic():
        wish = _lock(ref, by)
        before = MACHINE.require(by, wish, "to_need", reason)
        code = (category or "").strip() or (wish.category.code if wish.category_id else "")
        if not code:
            raise DomainError("required", _("请选择需求的服务类别"), "category")
        need = need_record(
            by=by,
            title=wish.title,
            category=code,
            area=wish.area_code,
            description="\n".join(p for p in (wish.description, f"转入原因：{reason.strip()}") if p),
            beneficiaries=beneficiaries,
            urgency=urgency,
            source="wish",
            source_id=wish.pk,
        )
        wish.state = State.TRANSFERRED
        wish.need = need
        wish.save(update_fields=["state", "need"])
        step(wish, by, "to_need", before, note=reason.strip(), data={"need": need.pk})
        _tell(_wisher(wish), Kind.WISH, wish, "您的心愿已转入社区需求清单", reason.strip())
    return wish


# ---------------------------------------------------------------- claims


def _already_claimed(wish: Wish, message: str = "该心愿已被认领"):
    return MACHINE.conflict(wish, "already_claimed", message)


def wish_claim(*, ref: str, by) -> WishClaim:
    """认领: one place per person (and per unit); the last place moves the wish off the wall."""
    with transaction.atomic():
        wish = _lock(ref, by, claiming=True)
        if wish.state in (State.PUBLISHED, State.CLAIMED) and may_claim_wishes(by):
            if claims_held_by(by, wish).exists():
                raise _already_claimed(wish, "您（或您的单位）已认领该心愿")
            if wish.state == State.CLAIMED or wish.claimants_count >= wish.max_claimants:
                raise _already_claimed(wish)
        before = MACHINE.require(by, wish, "claim")
        if not take_place(Wish, wish.pk, taken="claimants_count", capacity="max_claimants"):
            raise _already_claimed(wish)
        now = _now()
        d = due_with_warning(now, wish.fulfil_limit_days, LimitUnit.WORKING_DAYS)
        try:
            with transaction.atomic():
                claim = WishClaim.objects.create(
                    wish=wish,
                    claimant=by,
                    unit=by.unit if by.role == Role.UNIT else None,
                    claimed_at=now,
                    fulfil_due=d.due,
                    fulfil_warn_at=d.warn_at,
                )
        except IntegrityError:
            raise _already_claimed(wish, "您（或您的单位）已认领该心愿") from None
        _settle(wish, now)
        step(
            wish,
            by,
            "claim",
            before,
            data={"claim": claim.pk, "by": claim.claimant_label, "fulfil_due": d.due.isoformat()},
            at=now,
        )
        _tell(
            _wisher(wish) + community_staff(wish),
            Kind.WISH,
            wish,
            "心愿已被认领",
            f"{claim.claimant_label}认领了「{wish.title}」",
            at=now,
        )
    return claim


def _held_active_claim(wish: Wish, by) -> WishClaim:
    claim = (
        claims_held_by(by, wish).filter(state=ClaimState.ACTIVE).select_related("unit", "claimant").first()
    )
    if claim is None:  # the machine's actor check has already passed, so this is a race lost
        raise MACHINE.conflict(wish, "not_claimed", "您没有正在进行的认领")
    return claim


def wish_withdraw(*, ref: str, by, reason: str) -> Wish:
    """放弃认领 (reason required): the place goes back to the wall."""
    with transaction.atomic():
        wish = _lock(ref, by)
        before = MACHINE.require(by, wish, "withdraw", reason)
        claim = _held_active_claim(wish, by)
        now = _now()
        claim.state = ClaimState.WITHDRAWN
        claim.released_at = now
        claim.release_reason = reason.strip()[:200]
        claim.save(update_fields=["state", "released_at", "release_reason"])
        give_back_place(Wish, wish.pk, taken="claimants_count")
        _settle(wish, now, place_freed=True)
        step(wish, by, "withdraw", before, note=reason.strip(), data={"claim": claim.pk}, at=now)
        _tell(community_staff(wish), Kind.WISH, wish, "认领人放弃了心愿", reason.strip(), at=now)
    return wish


def wish_fulfil(*, ref: str, by, note: str, photos: list | None = None) -> Wish:
    """完成心愿: the claimant reports what was done (required) with optional photos."""
    # decoded before the wish is locked; a refusal is raised after the checks that come first
    checked = uploads.prepare(photos, "photos", refuse_later=True)
    with transaction.atomic():
        wish = _lock(ref, by)
        before = MACHINE.require(by, wish, "fulfil")
        note = (note or "").strip()
        if not note:
            raise DomainError("required", _("请填写完成情况"), "note")
        if len(note) > 1000:
            raise DomainError("invalid", _("完成情况不能超过 1000 个字"), "note")
        checked.require()
        claim = _held_active_claim(wish, by)
        now = _now()
        claim.state = ClaimState.FULFILLED
        claim.fulfilled_at = now
        claim.fulfil_note = note
        claim.save(update_fields=["state", "fulfilled_at", "fulfil_note"])
        _settle(wish, now)
        event = step(
            wish, by, "fulfil", before, note=note, data={"claim": claim.pk, "photos": len(checked)}, at=now
        )
        uploads.save(checked, owner=claim, role=Upload.Role.EVIDENCE, step=event, by=by, at=now)
        if wish.state == State.FULFILLED:
            who = _wisher(wish) or community_staff(wish)
            _tell(who, Kind.WISH, wish, "心愿已完成，请确认", note, at=now)
    return wish


def wish_confirm(*, ref: str, by, rating: str, comment: str = "") -> Wish:
    """确认: the wisher (or staff, for a wish-box wish) confirms with a rating."""
    with transaction.atomic():
        wish = _lock(ref, by)
        before = MACHINE.require(by, wish, "confirm")
        if rating not in Rating.values:
            raise DomainError("required", _("请选择评价：满意、基本满意或不满意"), "rating")
        comment = (comment or "").strip()
        if len(comment) > 500:
            raise DomainError("invalid", _("意见不能超过 500 个字"), "comment")
        now = _now()
        wish.state = State.CLOSED
        wish.confirmed_at = now
        wish.rating = rating
        wish.confirm_comment = comment
        wish.save(update_fields=["state", "confirmed_at", "rating", "confirm_comment"])
        step(wish, by, "confirm", before, note=comment, data={"rating": rating}, at=now)
        claimants = [
            c.claimant for c in wish.claims.filter(state=ClaimState.FULFILLED).select_related("claimant")
        ]
        _tell(claimants, Kind.WISH, wish, "心愿人已确认", str(Rating(rating).label), at=now)
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
