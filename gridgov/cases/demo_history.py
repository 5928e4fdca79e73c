"""Past months of casework for the demo district, so that assessment, rankings and trends have a history to
read: for each of the last ``months`` full months, a few cases a month per grid, each carried through the
steps a real case takes (report → accept → dispatch → claim → start → resolve → verify → close → rate)
with those steps' timeline rows and its dispatch row, times and deadlines computed by the working-day
calendar like the actions compute them. Each community has its own steadiness, so some communities
answer on time and please their residents more often than others — which is what a ranking shows.

The rows are written in bulk (the sample cases of ``demo.load_sample_cases`` go through the actions one
by one; a few thousand this way would take minutes). Deterministic for a given seed and month; nothing
is written twice (a month that already has demo history is skipped)."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.areas.models import Area, Level
from gridgov.cases.models import (
    Case,
    CaseEvent,
    Category,
    Channel,
    Dispatch,
    HandlingLevel,
    RefCounter,
    RoutingRule,
    State,
)
from gridgov.core.calendar import add_limit
from gridgov.core.deadlines import Sla
from gridgov.core.workflow import Rating

DISTRICT = "610302"
SEED = 20260101
# What residents report, by category (the demo's leaf categories), in their words.
TEXTS = {
    "city_appearance": ("楼下垃圾桶满溢无人清运", "小区门口建筑垃圾堆放", "绿化带内白色垃圾较多"),
    "advertising": ("单元门口小广告贴满了", "路灯杆上乱贴办证广告"),
    "construction": ("夜间施工噪音扰民", "工地围挡破损尘土飞扬"),
    "street_order": ("早市摊点占道经营", "门店跨门经营占用人行道", "共享单车乱停堵住盲道"),
    "property_service": ("楼道灯坏了一个月没人修", "电梯经常停运", "物业不及时清理化粪池"),
    "neighbour_dispute": ("楼上漏水到我家协商不成", "邻居在楼道堆放杂物"),
    "heating_water": ("暖气不热室温不到十八度", "自来水浑浊发黄", "小区停水没有通知"),
    "charging": ("电动车充电桩不够用", "居民私拉电线飞线充电"),
    "road_repair": ("人行道地砖破损", "小区道路坑洼积水", "井盖松动有响声"),
}


def _months(today: date, months: int) -> list[date]:
    first = today.replace(day=1)
    out = []
    for _ in range(months):
        first = (first - timedelta(days=1)).replace(day=1)
        out.append(first)
    return sorted(out)


def _steadiness(code: str) -> float:
    """A community's own steadiness (0.55–0.98): how often it answers and resolves in time."""
    return 0.55 + random.Random(f"{SEED}:{code}").random() * 0.43


def load_demo_history(admin: User, *, months: int = 6, today: date | None = None) -> int:
    """Write the last ``months`` full months of casework (before ``today``) for the demo district."""
    today = today or timezone.localdate()
    categories = {c.code: c for c in Category.objects.filter(code__in=list(TEXTS))}
    rules = {
        r.category.code: r.lead_unit_id
        for r in RoutingRule.objects.filter(area__code=DISTRICT, is_active=True).select_related("category")
    }
    grids = list(
        Area.objects.filter(level=Level.GRID, is_active=True, code__startswith=DISTRICT).order_by("code")
    )
    if not categories or not grids or not rules:
        return 0
    handler = User.objects.filter(role="unit", is_active=True).order_by("pk").first()
    made = 0
    for month in _months(today, months):
        if Case.objects.filter(idempotency_key__startswith=f"demo-history:{month:%Y%m}:").exists():
            continue
        with transaction.atomic():
            made += _month(admin, handler, month, grids, categories, rules)
    return made


def _month(admin, handler, month: date, grids, categories, rules) -> int:
    rng = random.Random(f"{SEED}:{month:%Y%m}")
    now = timezone.now()
    tz = timezone.get_default_timezone()
    next_month = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    days = (next_month - month).days
    codes = sorted(c for c in categories if c in rules)
    cases: list[Case] = []
    plans: list[list[tuple[str, str, str, datetime]]] = []
    counters: dict[date, int] = {}
    used = dict(
        RefCounter.objects.filter(district=DISTRICT, day__gte=month, day__lt=next_month).values_list(
            "day", "last"
        )
    )
    for grid in grids:
        steady = _steadiness(grid.code[:12])
        for _ in range(rng.choice((0, 1, 1, 2, 2, 3))):
            category = categories[rng.choice(codes)]
            day = month + timedelta(days=rng.randrange(days))
            reported = datetime(
                day.year, day.month, day.day, rng.randrange(7, 21), rng.randrange(60), tzinfo=tz
            )
            if reported >= now:
                continue
            counters[day] = counters.get(day, 0) + 1
            case, steps = _walk(rng, steady, grid, category, rules[category.code], reported, now)
            case.ref = f"{DISTRICT}-{day:%Y%m%d}-{used.get(day, 0) + counters[day]:06d}"
            case.idempotency_key = f"demo-history:{month:%Y%m}:{len(cases)}"
            cases.append(case)
            plans.append(steps)
    Case.objects.bulk_create(cases, batch_size=500)
    events, dispatches = [], []
    for case, steps in zip(cases, plans, strict=True):
        for action, from_state, to_state, at in steps:
            actor = (
                handler
                if action in ("claim", "start", "resolve")
                else (None if action in ("report", "rate") else admin)
            )
            events.append(
                CaseEvent(
                    case=case,
                    at=at,
                    actor=actor,
                    action=action,
                    from_state=from_state,
                    to_state=to_state,
                )
            )
        if case.first_dispatched_at:
            dispatches.append(
                Dispatch(
                    case=case,
                    unit_id=case.lead_unit_id,
                    role=Dispatch.Role.LEAD,
                    state=Dispatch.DState.CLAIMED if case.first_claimed_at else Dispatch.DState.PENDING,
                    dispatched_at=case.first_dispatched_at,
                    dispatched_by=admin,
                    claimed_at=case.first_claimed_at,
                    claimed_by=handler if case.first_claimed_at else None,
                )
            )
    CaseEvent.objects.bulk_create(events, batch_size=1000)
    Dispatch.objects.bulk_create(dispatches, batch_size=1000)
    for day, count in counters.items():
        RefCounter.objects.update_or_create(
            district=DISTRICT, day=day, defaults={"last": used.get(day, 0) + count}
        )
    return len(cases)


def _hours(rng: random.Random, low: float, high: float) -> timedelta:
    return timedelta(hours=rng.uniform(low, high))


def _walk(
    rng, steady: float, grid: Area, category: Category, unit_id: int, reported: datetime, now: datetime
):
    """One case carried as far as ``now`` allows; returns it (unsaved) and its timeline steps."""
    lng = grid.min_lng + (grid.max_lng - grid.min_lng) * rng.uniform(0.2, 0.8)
    lat = grid.min_lat + (grid.max_lat - grid.min_lat) * rng.uniform(0.2, 0.8)
    case = Case(
        category=category,
        description=rng.choice(TEXTS[category.code]),
        lng=lng,
        lat=lat,
        area=grid,
        area_code=grid.code,
        level=HandlingLevel.GRID,
        handling_area=grid,
        state=State.REPORTED,
        channel=Channel.HOTLINE,
        reported_at=reported,
    )
    steps: list[tuple[str, str, str, datetime]] = [("report", "", State.REPORTED, reported)]

    def step(action: str, to_state: str, at: datetime) -> bool:
        if at >= now:
            return False
        steps.append((action, case.state, to_state, at))
        case.state = to_state
        return True

    accepted = reported + _hours(rng, 0.2, 3)
    if rng.random() < 0.04:
        step("reject", State.REJECTED, accepted)
        return case, steps
    if not step("accept", State.ACCEPTED, accepted):
        return case, steps
    case.accepted_at = accepted
    dispatched = accepted + _hours(rng, 0.1, 1.5)
    if not step("dispatch", State.DISPATCHED, dispatched):
        return case, steps
    response = add_limit(dispatched, Decimal(category.response_limit), category.response_unit)
    resolution = add_limit(dispatched, Decimal(category.resolution_limit), category.resolution_unit)
    case.lead_unit_id = unit_id
    case.dispatched_at = case.first_dispatched_at = dispatched
    case.response_due = case.first_response_due = response.due
    case.resolution_due = resolution.due
    span = response.due - dispatched
    claimed = (
        dispatched + span * rng.uniform(0.1, 0.9)
        if rng.random() < steady + 0.05
        else response.due + _hours(rng, 0.5, 6)
    )
    if not step("claim", State.CLAIMED, claimed):
        _overdue(case, now)
        return case, steps
    case.claimed_at = case.first_claimed_at = claimed
    started = claimed + _hours(rng, 0.1, 2)
    if not step("start", State.IN_PROGRESS, started):
        _overdue(case, now)
        return case, steps
    case.started_at = started
    window = max(resolution.due - started, timedelta(hours=1))
    on_time = rng.random() < steady
    resolved = started + window * rng.uniform(0.2, 0.95) if on_time else resolution.due + _hours(rng, 2, 60)
    if not step("resolve", State.RESOLVED, resolved):
        _overdue(case, now)
        return case, steps
    case.resolved_at = resolved
    if rng.random() < 0.05 * (1.5 - steady):  # sent back once by the grid worker, then resolved again
        case.rework_count = 1
    verified = resolved + _hours(rng, 1, 20)
    if not step("verify", State.VERIFIED, verified):
        return case, steps
    case.verified_at = verified
    closed = verified + _hours(rng, 0.5, 10)
    if not step("close", State.CLOSED, closed):
        return case, steps
    case.closed_at = closed
    if rng.random() < 0.6:
        rated = closed + _hours(rng, 1, 40)
        roll = rng.random()
        rating = (
            Rating.SATISFIED
            if roll < steady
            else (Rating.BASIC if roll < steady + (1 - steady) * 0.6 else Rating.UNSATISFIED)
        )
        if rated < now:
            steps.append(("rate", State.CLOSED, State.CLOSED, rated))
            case.rating, case.rated_at = rating, rated
    return case, steps


def _overdue(case: Case, now: datetime) -> None:
    """An open case past its resolution deadline is overdue, as the sweep would have marked it."""
    if case.resolution_due and case.resolution_due < now:
        case.sla = Sla.OVERDUE
        case.resolution_overdue_at = case.resolution_due
