"""Every read of wishes, scoped in one place: staff see their area's subtree, a wisher their own wishes,
a claimant the wishes they claimed (their unit's, for unit handlers), everyone the public wish wall.
Whatever else is asked for does not exist for the reader (404)."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from gridgov.accounts.models import Role
from gridgov.core import uploads
from gridgov.core.errors import NotFound
from gridgov.core.scope import filter_in_scope, is_staff, staff_in_scope_of
from gridgov.core.timeline import timeline_of
from gridgov.wishes.models import ClaimState, State, Wish, WishClaim

RELATED = ("area", "area__parent", "category", "wisher", "household")


def _own_q(user) -> Q:
    q = Q(wisher_id=user.pk) | Q(claims__claimant_id=user.pk)
    if user.role == Role.UNIT and user.unit_id:
        q |= Q(claims__unit_id=user.unit_id)
    return q


def wishes_visible_to(user) -> QuerySet[Wish]:
    """The wishes ``user`` works with (not the public wall): staff by area, others their own and claimed."""
    qs = Wish.objects.select_related(*RELATED)
    if user is None or not getattr(user, "is_authenticated", False):
        return qs.none()
    if is_staff(user):
        return filter_in_scope(qs, user, "area_code")
    ids = Wish.objects.filter(_own_q(user)).values("pk")
    return qs.filter(pk__in=ids)


def wish_list(
    user, *, state: str | None = None, flagged: bool | None = None, area: str | None = None, q: str = ""
) -> QuerySet[Wish]:
    qs = wishes_visible_to(user)
    if state:
        qs = qs.filter(state__in=[s for s in state.split(",") if s])
    if flagged is not None:
        qs = qs.filter(flagged=flagged)
    if area:
        qs = qs.filter(area_code__startswith=area)
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(ref=q))
    return qs.order_by("-created_at", "-id")


def wish_is_visible(user, wish: Wish) -> bool:
    if wish.state == State.PUBLISHED:  # on the public wall
        return True
    return wishes_visible_to(user).filter(pk=wish.pk).exists()


def wish_get_visible(user, ref: str) -> Wish:
    wish = Wish.objects.select_related(*RELATED).filter(ref=ref).first()
    if wish is None or not wish_is_visible(user, wish):
        raise NotFound((_("心愿 %(ref)s 不存在或不在您的管辖范围内") % {"ref": ref}), field="ref")
    return wish


def sees_personal(user, wish: Wish) -> bool:
    """Staff in scope and the wisher see who made the wish; everyone else sees it anonymised."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return wish.wisher_id == user.pk or staff_in_scope_of(user, wish)


def wall(*, area: str | None = None, category: str | None = None) -> QuerySet[Wish]:
    """心愿墙: published wishes only, newest first."""
    qs = Wish.objects.filter(state=State.PUBLISHED).select_related(
        "area", "area__parent", "category", "wisher"
    )
    if area:
        qs = qs.filter(area_code__startswith=area)
    if category:
        qs = qs.filter(category__code=category)
    return qs.order_by("-published_at", "-id")


def anonymous_name(wish: Wish) -> str:
    """Surname + ** (王**), or 某居民 when no name is known."""
    name = (wish.wisher_name or (wish.wisher.display_name if wish.wisher_id else "") or "").strip()
    return f"{name[0]}**" if name else _("某居民")


def wisher_label(user, wish: Wish) -> str:
    if sees_personal(user, wish):
        if wish.wisher_name:
            return wish.wisher_name
        if wish.wisher_id:
            return wish.wisher.display_name or wish.wisher.username
    return anonymous_name(wish)


def place_name(wish: Wish) -> str:
    """Grid or community name only (never an address)."""
    return wish.area.name


def community_name(wish: Wish) -> str:
    area = wish.area
    if area.level == "grid" and area.parent_id:
        return area.parent.name
    return area.name


def claims_of(wish: Wish) -> list[WishClaim]:
    """The wish's claims; ``files`` holds each claim's fulfil photos (uploads)."""
    claims = list(wish.claims.select_related("claimant", "unit").order_by("claimed_at", "id"))
    files = uploads.by_owner(claims)
    for claim in claims:
        claim.files = files[claim.pk]
    return claims


def my_claims(user, *, active_only: bool = False) -> QuerySet[WishClaim]:
    if user is None or not getattr(user, "is_authenticated", False):
        return WishClaim.objects.none()
    q = Q(claimant_id=user.pk)
    if user.role == Role.UNIT and user.unit_id:
        q |= Q(unit_id=user.unit_id)
    qs = WishClaim.objects.filter(q).select_related(
        "wish", "wish__area", "wish__category", "unit", "claimant"
    )
    if active_only:
        qs = qs.filter(state=ClaimState.ACTIVE)
    return qs.order_by("-claimed_at", "-id")


def timeline(user, wish: Wish) -> list:
    """The wish's steps; for readers who see it anonymised, the wisher's own steps say 心愿人."""
    events = timeline_of(wish)
    if not sees_personal(user, wish):
        for e in events:
            if wish.wisher_id and e.actor_id == wish.wisher_id:
                e.actor_label = _("心愿人")
    return events
