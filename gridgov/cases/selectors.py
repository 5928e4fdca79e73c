"""Reads of cases, always scoped: staff see their area subtree, units what was dispatched or whistled to
them, residents what they reported."""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import timedelta

from django.db.models import Case as DbCase
from django.db.models import Exists, F, OuterRef, QuerySet, When
from django.utils.translation import gettext as _

from gridgov.accounts.models import AREA_ROLES, Role, Unit
from gridgov.cases.models import (
    OPEN_STATES,
    Case,
    CaseReporter,
    Category,
    Dispatch,
    RoutingRule,
    State,
    WhistleCall,
)
from gridgov.core.errors import NotFound
from gridgov.core.scope import is_staff, scope_q


def cases_visible_to(user) -> QuerySet[Case]:
    qs = Case.objects.all()
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return qs.none()
    if user.is_admin or user.role in AREA_ROLES:
        return qs.filter(scope_q(user, "area_code"))
    if user.role == Role.UNIT and user.unit_id:
        return qs.filter(
            Exists(Dispatch.objects.filter(case=OuterRef("pk"), unit_id=user.unit_id))
            | Exists(WhistleCall.objects.filter(whistle__case=OuterRef("pk"), unit_id=user.unit_id))
        )
    return qs.filter(Exists(CaseReporter.objects.filter(case=OuterRef("pk"), user=user)))


def case_is_visible(user, case: Case) -> bool:
    return cases_visible_to(user).filter(pk=case.pk).exists()


def case_files_visible(user, case_id: int) -> bool:
    """Who may open a case's photos and evidence (registered with core.uploads): whoever sees the case."""
    return cases_visible_to(user).filter(pk=case_id).exists()


def case_get_visible(user, ref: str) -> Case:
    case = (
        cases_visible_to(user)
        .select_related("category", "area", "handling_area", "lead_unit", "merged_into")
        .prefetch_related("dispatches__unit", "whistles__calls__unit", "reporters")
        .filter(ref=ref)
        .first()
    )
    if case is None:
        raise NotFound((_("事件 %(ref)s 不存在或不在您的管辖范围内") % {"ref": ref}), field="ref")
    return case


def case_list(
    user,
    *,
    state: str | None = None,
    category: str | None = None,
    area: str | None = None,
    unit: int | None = None,
    overdue: bool | None = None,
    start=None,
    end=None,
) -> QuerySet[Case]:
    qs = cases_visible_to(user).select_related("category", "area", "lead_unit")
    if state:
        qs = qs.filter(state__in=state.split(","))
    if category:
        qs = qs.filter(category__code=category)
    if area:
        qs = qs.filter(area_code__startswith=area)
    if unit:
        qs = qs.filter(Exists(Dispatch.objects.filter(case=OuterRef("pk"), unit_id=unit)))
    if overdue is not None:
        qs = qs.filter(sla="overdue") if overdue else qs.exclude(sla="overdue")
    if start:
        qs = qs.filter(reported_at__date__gte=start)
    if end:
        qs = qs.filter(reported_at__date__lte=end)
    return qs


def worklist(
    user, *, state: str | None = None, category: str | None = None, overdue: bool = False
) -> QuerySet[Case]:
    """Open cases in scope, the nearest running deadline first (the response limit until claimed, then the
    resolution limit; cases without one last, oldest report first). For a unit: its pending claims first."""
    qs = cases_visible_to(user).filter(state__in=OPEN_STATES).select_related("category", "area", "lead_unit")
    if state in OPEN_STATES:
        qs = qs.filter(state=state)
    if category:
        qs = qs.filter(category__code=category)
    if overdue:
        qs = qs.filter(sla="overdue")
    due = DbCase(
        When(state=State.DISPATCHED, then=F("response_due")),
        When(state__in=[State.CLAIMED, State.IN_PROGRESS], then=F("resolution_due")),
        default=None,
    )
    order = [F("due").asc(nulls_last=True), "reported_at"]
    if user.role == Role.UNIT and user.unit_id:
        pending = Dispatch.objects.filter(
            case=OuterRef("pk"), unit_id=user.unit_id, state=Dispatch.DState.PENDING
        )
        qs = qs.annotate(pending_claim=Exists(pending.exclude(role=Dispatch.Role.ASSIST)))
        order.insert(0, "-pending_claim")
    return qs.annotate(due=due).order_by(*order)


def timeline(case: Case):
    return case.events.select_related("actor").order_by("at", "id")


def public_case(ref: str) -> Case:
    """For the public tracking page: any case by its reference (what is shown carries no personal data)."""
    case = (
        Case.objects.select_related("category", "area", "area__parent", "merged_into").filter(ref=ref).first()
    )
    if case is None:
        raise NotFound((_("没有编号为 %(ref)s 的事件") % {"ref": ref}), field="ref")
    return case


# the steps whose note the public tracking page (and Open311) shows: reasons given to the reporter
PUBLIC_NOTE_ACTIONS = {"reject", "resolve", "return", "rework", "reopen", "extend", "escalate"}

PUBLIC_ACTIONS = {
    "report",
    "accept",
    "reject",
    "merge",
    "dispatch",
    "claim",
    "return",
    "start",
    "resolve",
    "verify",
    "rework",
    "close",
    "rate",
    "reopen",
    "escalate",
    "whistle",
    "extend",
}


def public_timeline(case: Case):
    return case.events.filter(action__in=PUBLIC_ACTIONS).order_by("at", "id")


def categories() -> QuerySet[Category]:
    return Category.objects.filter(is_active=True).select_related("parent")


def category_groups() -> list[tuple[str | None, list[Category]]]:
    """The categories a resident can choose (those without active sub-categories), grouped under their
    top-level category in the configured order."""
    cats = list(categories())
    by_pk = {c.pk: c for c in cats}
    has_children = {c.parent_id for c in cats if c.parent_id}
    groups: dict[int, list[Category]] = defaultdict(list)
    for c in cats:
        if c.pk in has_children:
            continue
        root = c
        while root.parent_id in by_pk:
            root = by_pk[root.parent_id]
        groups[root.pk].append(c)
    result = []
    for c in cats:
        if c.pk in groups:
            leaves = groups[c.pk]
            result.append((None, leaves) if leaves == [c] else (c.name, leaves))
    return result


def _metres(lat1, lng1, lat2, lng2) -> float:
    r = 6371000.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


MAX_DUPLICATES = 10


def duplicate_candidates(case: Case, user, radius_m: float = 100, days: int = 7) -> list[Case]:
    """Open cases of the same category within ``radius_m`` metres and ``days`` days that ``user`` can see
    (suggested merges)."""
    if case.lat is None or case.lng is None or not getattr(user, "is_authenticated", False):
        return []
    dlat = radius_m / 111_000
    dlng = radius_m / (111_000 * max(math.cos(math.radians(case.lat)), 0.01))
    near = (
        cases_visible_to(user)
        .filter(
            category=case.category,
            state__in=OPEN_STATES,
            merged_into__isnull=True,
            reported_at__gte=case.reported_at - timedelta(days=days),
            reported_at__lte=case.reported_at + timedelta(days=days),
            lat__range=(case.lat - dlat, case.lat + dlat),
            lng__range=(case.lng - dlng, case.lng + dlng),
        )
        .exclude(pk=case.pk)
        .order_by("-reported_at")[: MAX_DUPLICATES * 4]
    )
    close = [c for c in near if _metres(case.lat, case.lng, c.lat, c.lng) <= radius_m]
    return sorted(close, key=lambda c: c.reported_at)[:MAX_DUPLICATES]


def propose_routing(case: Case) -> tuple[Unit | None, list[Unit]]:
    """The routing rule for the case's category (or its nearest ancestor) and the most specific area."""
    for cat in case.category.ancestors_and_self():
        rules = [
            r
            for r in RoutingRule.objects.filter(category=cat, is_active=True).select_related(
                "area", "lead_unit"
            )
            if case.area_code.startswith(r.area.code)
        ]
        if rules:
            rule = max(rules, key=lambda r: len(r.area.code))
            return rule.lead_unit, list(rule.assist_units.filter(is_active=True))
    return None, []


def units_for_dispatch(case: Case | None = None):
    """The units a case may be dispatched to (every active unit: departments serve the whole district)."""

    return Unit.objects.filter(is_active=True).select_related("area").order_by("kind", "name")


def dispatch_options(user, ref: str | None = None) -> dict:
    """For a dispatcher using the API: the units they may dispatch to and, for a case they can see, the
    routing rules' proposal (lead and assist units). Staff only; a case out of scope is 404."""
    from gridgov.core.errors import DomainError

    if not is_staff(user):
        raise DomainError("forbidden", _("只有工作人员可以查看派遣单位"), status=403)
    proposal = None
    if ref:
        case = case_get_visible(user, ref)
        lead, assists = propose_routing(case)
        proposal = {"case": case.ref, "lead": lead, "assists": assists}
    return {"units": list(units_for_dispatch()), "proposal": proposal}
