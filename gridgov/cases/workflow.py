"""The case state machine as data: one row per action (from states, to state, who may act), read by the
shared :class:`gridgov.core.workflow.Machine`.

Actions (``gridgov.cases.actions``) check a request against this table; pages and the API list the
allowed actions from it. docs/architecture.md shows the same table.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from gridgov.accounts.models import Role
from gridgov.cases.models import LEVEL_RANK, NEXT_LEVEL, OPEN_STATES, Case, Dispatch, Rating, State
from gridgov.core.deadlines import Limit, Phase
from gridgov.core.scope import in_scope, is_staff, staff_in_scope_of
from gridgov.core.workflow import SAME, Condition, Machine, Transition

S = State

TRANSITIONS: tuple[Transition, ...] = (
    Transition("accept", _("受理"), (S.REPORTED,), S.ACCEPTED, "dispatcher"),
    Transition("reject", _("不予受理"), (S.REPORTED,), S.REJECTED, "dispatcher", needs_reason=True),
    Transition("merge", _("合并"), (S.REPORTED, S.ACCEPTED), S.MERGED, "dispatcher"),
    Transition("recategorise", _("改分类"), (S.REPORTED, S.ACCEPTED), SAME, "dispatcher"),
    Transition("dispatch", _("派遣"), (S.ACCEPTED,), S.DISPATCHED, "dispatcher"),
    Transition("claim", _("签收"), (S.DISPATCHED,), S.CLAIMED, "lead_unit"),
    Transition("return", _("退回"), (S.DISPATCHED, S.CLAIMED), S.ACCEPTED, "lead_unit", needs_reason=True),
    Transition("start", _("开始处置"), (S.CLAIMED,), S.IN_PROGRESS, "lead_unit"),
    Transition("resolve", _("处置反馈"), (S.IN_PROGRESS,), S.RESOLVED, "lead_unit"),
    Transition("verify", _("核实通过"), (S.RESOLVED,), S.VERIFIED, "verifier"),
    Transition("rework", _("返工"), (S.RESOLVED,), S.IN_PROGRESS, "verifier", needs_reason=True),
    Transition("close", _("结案"), (S.VERIFIED,), S.CLOSED, "dispatcher"),
    Transition("rate", _("评价"), (S.CLOSED,), SAME, "reporter"),
    Transition("reopen", _("重办"), (S.CLOSED,), S.ACCEPTED, "reporter_or_dispatcher", needs_reason=True),
    Transition(
        "escalate",
        _("上报上级"),
        (S.REPORTED, S.ACCEPTED, S.DISPATCHED, S.CLAIMED, S.IN_PROGRESS),
        SAME,
        "dispatcher",
        needs_reason=True,
    ),
    # the whistle dispatches a case not yet dispatched; later it summons more units to the same case
    Transition(
        "whistle",
        _("吹哨"),
        (S.ACCEPTED, S.DISPATCHED, S.CLAIMED, S.IN_PROGRESS),
        {S.ACCEPTED: S.DISPATCHED},
        "whistler",
    ),
    Transition(
        "report", _("报到"), (S.DISPATCHED, S.CLAIMED, S.IN_PROGRESS, S.RESOLVED), SAME, "summoned_unit"
    ),
    Transition(
        "extend", _("延期"), (S.DISPATCHED, S.CLAIMED, S.IN_PROGRESS), SAME, "dispatcher", needs_reason=True
    ),
)
BY_ACTION = {t.action: t for t in TRANSITIONS}
assert set(OPEN_STATES) >= {s for t in TRANSITIONS for s in t.sources if s != S.CLOSED}


def _level_rank(user) -> int | None:
    """The level a staff member handles cases at (0 for admins); ``None`` for anyone who is not staff."""
    if not is_staff(user):
        return None
    return 0 if user.is_admin else LEVEL_RANK.get(user.area.level)


def is_dispatcher(user, case: Case) -> bool:
    """Staff whose scope holds the case and whose level is at or above the case's handling level
    (a grid worker handles grid-level cases; after escalation only the community, street, district)."""
    rank = _level_rank(user)
    return rank is not None and in_scope(user, case.area_code) and rank <= LEVEL_RANK[case.level]


def is_verifier(user, case: Case) -> bool:
    """核实 by the grid or community: any staff member whose scope holds the case."""
    return staff_in_scope_of(user, case)


def is_whistler(user, case: Case) -> bool:
    rank = _level_rank(user)
    return rank is not None and rank <= LEVEL_RANK["street"] and in_scope(user, case.area_code)


def _current_dispatches(case: Case):
    return [d for d in case.dispatches.all() if d.state in (Dispatch.DState.PENDING, Dispatch.DState.CLAIMED)]


def is_lead_unit(user, case: Case) -> bool:
    if user.role != Role.UNIT or not user.unit_id:
        return False
    if case.state == S.DISPATCHED and case.lead_unit_id is None:  # 抢单: any pending candidate may claim
        return any(
            d.unit_id == user.unit_id and d.role == Dispatch.Role.CANDIDATE for d in _current_dispatches(case)
        )
    return case.lead_unit_id == user.unit_id


def is_summoned_unit(user, case: Case) -> bool:
    if user.role != Role.UNIT or not user.unit_id:
        return False
    return any(
        call.unit_id == user.unit_id and call.reported_at is None
        for w in case.whistles.all()
        for call in w.calls.all()
    )


def is_reporter(user, case: Case) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return case.reporter_id == user.pk or any(r.user_id == user.pk for r in case.reporters.all())


ACTORS = {
    "dispatcher": is_dispatcher,
    "verifier": is_verifier,
    "whistler": is_whistler,
    "lead_unit": is_lead_unit,
    "summoned_unit": is_summoned_unit,
    "reporter": is_reporter,
    "reporter_or_dispatcher": lambda user, case: is_reporter(user, case) or is_dispatcher(user, case),
}


CONDITIONS = {
    "escalate": Condition(lambda case: case.level in NEXT_LEVEL, _("事件已在区级处置，不能再上报")),
    # a historical case is never rated or reopened (the actions refuse it by name: "historical")
    "rate": Condition(lambda case: not case.rated_at and not case.historical, _("事件已评价")),
    "reopen": Condition(
        lambda case: case.rating == Rating.UNSATISFIED and not case.historical,
        _("只有评价为不满意的事件才能重办"),
    ),
}


def _visible(user, case: Case) -> bool:
    from gridgov.cases.selectors import case_is_visible

    return case_is_visible(user, case)


def _response_limit(case: Case) -> Limit | None:
    """Claim clock: the category's response limit from the dispatch."""
    if case.dispatched_at is None:
        return None
    c = case.category
    return Limit(case.dispatched_at, c.response_limit, c.response_unit, c.warning_ratio)


def _resolution_limit(case: Case) -> Limit | None:
    """Resolution clock: the category's resolution limit from the dispatch, with the extensions granted since."""
    if case.dispatched_at is None:
        return None
    c = case.category
    granted = case.events.filter(action="extend", at__gte=case.dispatched_at).order_by("at", "id")
    extra = tuple((Decimal(e.data["amount"]), e.data["unit"]) for e in granted)
    return Limit(case.dispatched_at, c.resolution_limit, c.resolution_unit, c.warning_ratio, extra=extra)


RESPONSE = Phase(
    (S.DISPATCHED,),
    "response_due",
    "response_warn_at",
    "response_warned_at",
    "response_overdue_at",
    _("签收"),
    limit=_response_limit,
)
RESOLUTION = Phase(
    (S.CLAIMED, S.IN_PROGRESS),
    "resolution_due",
    "resolution_warn_at",
    "resolution_warned_at",
    "resolution_overdue_at",
    _("办结"),
    limit=_resolution_limit,
)
PHASES = (RESPONSE, RESOLUTION)


def _record(case: Case, by, action: str, from_state: str, note="", data=None, at=None):
    from gridgov.cases.events import step

    return step(case, by, action, from_state, note=note, data=data, at=at)


MACHINE = Machine(
    _("事件"),
    TRANSITIONS,
    ACTORS,
    CONDITIONS,
    model=Case,
    visible=_visible,
    record=_record,
    phases=PHASES,
)


def allowed_actions(user, case: Case) -> list[str]:
    """The actions ``user`` may take on ``case`` now (what the UI shows as buttons)."""
    return MACHINE.allowed_actions(user, case)


def actions_in_state(case: Case) -> list[str]:
    """The actions the case's state admits for someone (the 409 answer lists them)."""
    return MACHINE.actions_in_state(case)
