"""Every read of the ledger, scoped through :mod:`gridgov.core.scope`. Staff see their subtree; units,
volunteers and residents see no ledger at all."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from gridgov.core.crypto import blind_index, blind_indexes
from gridgov.core.errors import NotFound
from gridgov.core.scope import filter_in_scope, is_staff
from gridgov.ledger.models import (
    Building,
    FocusTag,
    Household,
    ImportJob,
    Organisation,
    Resident,
    TagAssignment,
)


def _scoped(qs: QuerySet, user) -> QuerySet:
    if not is_staff(user):
        return qs.none()
    return filter_in_scope(qs, user, "area_code")


def buildings_visible_to(user) -> QuerySet[Building]:
    return _scoped(Building.objects.select_related("area"), user)


def households_visible_to(user) -> QuerySet[Household]:
    return _scoped(Household.objects.select_related("building", "head"), user)


def residents_visible_to(user) -> QuerySet[Resident]:
    return _scoped(Resident.objects.select_related("household__building"), user)


def organisations_visible_to(user) -> QuerySet[Organisation]:
    return _scoped(Organisation.objects.select_related("area", "building"), user)


def imports_visible_to(user) -> QuerySet[ImportJob]:
    if not is_staff(user):
        return ImportJob.objects.none()
    return filter_in_scope(ImportJob.objects.select_related("area", "created_by"), user, "area__code")


def get_visible(qs: QuerySet, pk) -> object:
    try:
        return qs.get(pk=int(pk))
    except (ValueError, TypeError, qs.model.DoesNotExist):
        raise NotFound() from None


def _in_area(qs: QuerySet, area: str | None) -> QuerySet:
    return qs.filter(area_code__startswith=area) if area else qs


def building_list(user, *, area: str | None = None, q: str = "", kind: str = "", active: bool = True):
    qs = _in_area(buildings_visible_to(user), area).filter(is_active=active)
    if kind:
        qs = qs.filter(kind=kind)
    if q:
        qs = qs.filter(Q(name__contains=q) | Q(code__contains=q) | Q(address__contains=q))
    return qs.annotate(household_count=Count("households", filter=Q(households__is_active=True)))


def household_list(
    user, *, area: str | None = None, building: str = "", q: str = "", tag: str = "", active: bool = True
):
    qs = _in_area(households_visible_to(user), area).filter(is_active=active)
    if building:
        qs = qs.filter(building__code=building)
    if q:
        qs = qs.filter(
            Q(building__name__contains=q)
            | Q(building__address__contains=q)
            | Q(room__contains=q)
            | Q(members__name__contains=q, members__is_active=True)
        ).distinct()
    if tag:
        qs = qs.filter(
            Q(tags__tag__code=tag) | Q(members__tags__tag__code=tag, members__is_active=True)
        ).distinct()
    return qs.annotate(member_count=Count("members", filter=Q(members__is_active=True), distinct=True))


def personal_number(q: str | None) -> str | None:
    """The full ID number or mobile number ``q`` is, compacted — or None for any other search text."""
    compact = (q or "").replace(" ", "").upper()
    if (len(compact) == 18 and compact[:17].isdigit()) or (len(compact) == 11 and compact.isdigit()):
        return compact
    return None


def search_token(number: str) -> str:
    """What an address carries instead of a full ID number or phone (``qh``): its keyed hash, which
    names the same rows and says nothing without the key (no personal data in URLs or access logs)."""
    return blind_index(number)


def resident_list(
    user,
    *,
    area: str | None = None,
    q: str = "",
    qh: str = "",
    tag: str = "",
    residence_type: str = "",
    household: int | None = None,
    active: bool = True,
):
    """Search by name, address, full ID number (matched by its keyed hash) or the masked ID's digits;
    ``qh`` is a :func:`search_token`."""
    qs = _in_area(residents_visible_to(user), area).filter(is_active=active)
    if qh:
        qs = qs.filter(Q(id_number_hash=qh) | Q(phone_hash=qh))
    if household:
        qs = qs.filter(household_id=household)
    if residence_type:
        qs = qs.filter(residence_type=residence_type)
    if tag:
        qs = qs.filter(tags__tag__code=tag)
    q = (q or "").strip()
    if q:
        compact = q.replace(" ", "").upper()
        if len(compact) == 18 and compact[:17].isdigit():
            qs = qs.filter(id_number_hash__in=blind_indexes(compact))
        elif len(compact) == 11 and compact.isdigit():
            qs = qs.filter(phone_hash__in=blind_indexes(compact))
        else:
            qs = qs.filter(
                Q(name__contains=q)
                | Q(household__building__name__contains=q)
                | Q(household__building__address__contains=q)
                | Q(id_number_masked__contains=q)
            )
    return qs.distinct()


def organisation_list(user, *, area: str | None = None, q: str = "", kind: str = "", active: bool = True):
    qs = _in_area(organisations_visible_to(user), area).filter(is_active=active)
    if kind:
        qs = qs.filter(kind=kind)
    if q:
        qs = qs.filter(Q(name__contains=q) | Q(address__contains=q) | Q(contact_name__contains=q))
    return qs


def tag_assignments_visible_to(user) -> QuerySet[TagAssignment]:
    return _scoped(TagAssignment.objects.select_related("tag", "resident", "household"), user)


def tags_of_resident(resident: Resident):
    return TagAssignment.objects.filter(resident=resident).select_related("tag")


def tags_of_household(household: Household):
    return TagAssignment.objects.filter(household=household).select_related("tag")


def focus_tags():
    return FocusTag.objects.filter(is_active=True)
