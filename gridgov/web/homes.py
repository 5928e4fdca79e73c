"""Reads for the home pages (issue 13): one function per home, each built from the apps' own scoped
selectors. Every count is one aggregate query; every list is sliced to a handful of rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from gridgov.core.roles import Role
from gridgov.core.scope import is_staff

HOME_ROWS = 5
DUE_SOON = timedelta(hours=24)

# Which home each role gets; street, district and admin go to their command centre instead.
COMMAND_ROLES = frozenset({Role.ADMIN, Role.DISTRICT, Role.STREET})
RESIDENT_ROLES = frozenset({Role.RESIDENT, Role.VOLUNTEER})
GRID_ROLES = frozenset({Role.GRID_WORKER, Role.GRID_CHIEF})


def home_kind(user) -> str:
    """``command`` (redirect to the command centre), ``resident``, ``grid``, ``community``, ``unit`` or
    ``other`` (an evaluator, or staff not yet bound to an area)."""
    role = Role.ADMIN if user.is_superuser else user.role
    if role in RESIDENT_ROLES:
        return "resident"
    if not is_staff(user) and role != Role.UNIT:
        return "other"
    if role in COMMAND_ROLES:
        return "command"
    if role in GRID_ROLES:
        return "grid"
    if role == Role.COMMUNITY:
        return "community"
    if role == Role.UNIT and user.unit_id:
        return "unit"
    return "other"


# ---------------------------------------------------------------- resident


def resident_home(user) -> dict:
    """A resident's home: their latest reports in their own words, their latest orders, their points and
    the state of their household binding. Five queries."""
    from gridgov.accounts.selectors import binding_of
    from gridgov.cases.selectors import RESIDENT_GROUPS, resident_reports
    from gridgov.cases.views import RESIDENT_GROUP_LABELS
    from gridgov.orders.selectors import orders_visible_to
    from gridgov.points.actions import balance
    from gridgov.points.selectors import account_of

    reports = list(resident_reports(user)[:HOME_ROWS])
    for case in reports:
        case.resident_state = next(
            (str(RESIDENT_GROUP_LABELS[g]) for g, states in RESIDENT_GROUPS.items() if case.state in states),
            case.get_state_display(),
        )
        case.deadline = case.resolution_due if case.state not in RESIDENT_GROUPS["done"] else None
    orders = list(orders_visible_to(user).select_related("item").order_by("-created_at", "-pk")[:3])
    account = account_of(user)
    return {
        "reports": reports,
        "orders": orders,
        "balance": balance(account) if account else 0,
        "binding": binding_of(user),
    }


# ---------------------------------------------------------------- grid worker, grid chief


def grid_home(user) -> dict:
    """A grid worker's (or chief's) home: today's due visits and their grid's open cases by deadline."""
    from gridgov.cases.selectors import worklist as case_worklist
    from gridgov.visits.selectors import worklist as visit_worklist

    visits = visit_worklist(user, days=0)
    cases = case_worklist(user)
    counts = cases.order_by().aggregate(open=Count("pk"), overdue=Count("pk", filter=Q(sla="overdue")))
    return {
        "visits": visits[:HOME_ROWS],
        "visits_due": len(visits),
        "cases": list(cases[:HOME_ROWS]),
        "counts": counts,
    }


# ---------------------------------------------------------------- community


def community_counts(user) -> dict:
    """What waits for a community's action, in one aggregate query: new reports to accept, cases a unit
    sent back (accepted again, waiting for a new dispatch) and overdue open cases."""
    from gridgov.cases.models import OPEN_STATES, State
    from gridgov.cases.selectors import cases_visible_to

    return (
        cases_visible_to(user)
        .filter(state__in=OPEN_STATES)
        .aggregate(
            new=Count("pk", filter=Q(state=State.REPORTED)),
            returned=Count("pk", filter=Q(state=State.ACCEPTED, return_count__gt=0)),
            overdue=Count("pk", filter=Q(sla="overdue")),
        )
    )


def community_home(user) -> dict:
    from gridgov.cases.selectors import worklist as case_worklist

    return {"counts": community_counts(user), "cases": list(case_worklist(user)[:HOME_ROWS])}


# ---------------------------------------------------------------- unit handler


def unit_home(user, *, now=None) -> dict:
    """A unit handler's home: what was dispatched to the unit, claims pending first, and how much is
    waiting, due within a day or overdue (one aggregate query)."""
    from gridgov.cases.models import Dispatch
    from gridgov.cases.selectors import worklist as case_worklist
    from gridgov.orders.selectors import order_list

    now = now or timezone.now()
    cases = case_worklist(user)
    pending = Exists(
        Dispatch.objects.filter(case=OuterRef("pk"), unit_id=user.unit_id, state=Dispatch.DState.PENDING)
    )
    counts = (
        cases.order_by()
        .alias(is_pending=pending)
        .aggregate(
            pending=Count("pk", filter=Q(is_pending=True)),
            soon=Count("pk", filter=Q(due__isnull=False, due__lte=now + DUE_SOON, due__gte=now)),
            overdue=Count("pk", filter=Q(sla="overdue")),
        )
    )
    return {
        "cases": list(cases[:HOME_ROWS]),
        "counts": counts,
        "orders": list(order_list(user, open_only=True)[:3]),
        "now": now,
    }


# ---------------------------------------------------------------- public: my grid and its worker


@dataclass
class GridFound:
    building: str
    grid: str
    community: str
    workers: list[str]
    card_url: str


def grid_lookup(community: str, building: str, limit: int = 5) -> list[GridFound]:
    """The public "which grid am I in" lookup: buildings of that name in communities of that name, with
    their grid, the grid workers' names and the grid's public duty card. No phone, no address, nobody
    else — the duty card is already public."""
    from gridgov.accounts.models import User
    from gridgov.ledger.models import Building
    from gridgov.party.cards import card_path
    from gridgov.party.models import DutyCard

    community, building = community.strip(), building.strip()
    if not community or not building:
        return []
    rows = list(
        Building.objects.filter(
            name__icontains=building, area__is_active=True, area__parent__name__icontains=community
        )
        .select_related("area", "area__parent")
        .order_by("area__code", "name")[:limit]
    )
    grids = {b.area_id for b in rows}
    workers: dict[int, list[str]] = {g: [] for g in grids}
    for u in User.objects.filter(role=Role.GRID_WORKER, area_id__in=grids, is_active=True).order_by(
        "display_name", "pk"
    ):
        workers[u.area_id].append(str(u))
    cards = {c.grid_id: c for c in DutyCard.objects.filter(grid_id__in=grids).select_related("grid")}
    return [
        GridFound(
            b.name,
            b.area.name,
            b.area.parent.name if b.area.parent else "",
            workers[b.area_id],
            card_path(cards[b.area_id]) if b.area_id in cards else "",
        )
        for b in rows
    ]
