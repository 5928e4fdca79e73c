"""The project (民生实事) and need workflows as data, read by :class:`gridgov.core.workflow.Machine`.

Actions (``gridgov.projects.actions``) check every request against these tables after locking the row;
pages and the API list the allowed actions from them. docs/projects.md shows the same tables.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.models import Role
from gridgov.core.deadlines import Due, Phase
from gridgov.core.scope import in_scope, staff_in_scope_of
from gridgov.core.workflow import SAME, SYSTEM, Condition, Machine, Transition
from gridgov.projects.models import Need, Project

# Residents evaluate a completed project during this period; staff close it afterwards.
EVALUATION_DAYS = 30
# A project in progress is flagged yellow this many days before its planned end date.
WARN_DAYS = 7

P = Project.State
N = Need.State


def is_unit_handler(user) -> bool:
    return bool(user is not None and user.role == Role.UNIT and user.unit_id and user.unit.is_active)


def may_claim(user, project: Project) -> bool:
    """认领: a handler of an active unit whose service area holds the project (双报到 units first of all)."""
    return is_unit_handler(user) and in_scope(user, project.area_code)


def is_owner(user, project: Project) -> bool:
    if project.owner_unit_id:
        return is_unit_handler(user) and user.unit_id == project.owner_unit_id
    return bool(project.owner_user_id and user.pk == project.owner_user_id)


def is_owner_or_staff(user, project: Project) -> bool:
    return is_owner(user, project) or staff_in_scope_of(user, project)


def is_evaluator(user, project: Project) -> bool:  # noqa: ARG001
    """Residents (and party members/volunteers, who are residents too) have no area: any may evaluate."""
    return user.role in (Role.RESIDENT, Role.VOLUNTEER)


def evaluation_over(project: Project) -> bool:
    return project.completed_at is not None and timezone.now() >= project.completed_at + timedelta(
        days=EVALUATION_DAYS
    )


PROJECT_TRANSITIONS: tuple[Transition, ...] = (
    Transition("publish", _("发布"), (P.DRAFT,), P.OPEN, "staff"),
    Transition("claim", _("认领"), (P.OPEN,), P.IN_PROGRESS, "claimer"),
    Transition("assign", _("指派"), (P.DRAFT, P.OPEN), P.IN_PROGRESS, "staff"),
    Transition("return", _("退回"), (P.IN_PROGRESS,), P.OPEN, "owner", needs_reason=True),
    Transition("withdraw", _("撤回"), (P.OPEN, P.IN_PROGRESS), P.DRAFT, "staff", needs_reason=True),
    Transition("milestone", _("完成节点"), (P.IN_PROGRESS,), SAME, "owner_or_staff"),
    Transition("complete", _("完成"), (P.IN_PROGRESS,), P.COMPLETED, "owner"),
    Transition("evaluate", _("评价"), (P.COMPLETED,), SAME, "evaluator"),
    Transition("close", _("关闭"), (P.COMPLETED,), P.CLOSED, "staff"),
)


def _project_visible(user, project: Project) -> bool:
    from gridgov.projects.selectors import project_is_visible

    return project_is_visible(user, project)


def _need_visible(user, need: Need) -> bool:
    from gridgov.projects.selectors import need_is_visible

    return need_is_visible(user, need)


def _due(project: Project) -> Due | None:
    """The planned end date as a deadline (the end of that day), warned ``WARN_DAYS`` before — or at once
    when that moment has passed."""
    if project.end_date is None:
        return None
    due = timezone.make_aware(datetime.combine(project.end_date + timedelta(days=1), time.min))
    return Due(due, max(timezone.now(), due - timedelta(days=WARN_DAYS)), False)


DUE = Phase(
    states=(P.IN_PROGRESS,),
    due="due_at",
    warn="warn_at",
    warned="warned_at",
    overdue="overdue_at",
    what=_("项目完成"),
    limit=_due,
)


PROJECT = Machine(
    noun=_("项目"),
    model=Project,
    visible=_project_visible,
    phases=(DUE,),
    steps={"create": _("立项"), "progress": _("更新进度"), "milestone_add": _("添加节点")},
    transitions=PROJECT_TRANSITIONS,
    actors={
        "staff": staff_in_scope_of,
        "claimer": may_claim,
        "owner": is_owner,
        "owner_or_staff": is_owner_or_staff,
        "evaluator": is_evaluator,
    },
    conditions={
        "close": Condition(
            evaluation_over,
            format_lazy(_("项目完成后 {days} 天的居民评价期结束后才能关闭"), days=EVALUATION_DAYS),
        ),
    },
)

NEED_TRANSITIONS: tuple[Transition, ...] = (
    Transition("close", _("关闭"), (N.OPEN, N.PLANNED), N.CLOSED, "staff", needs_reason=True),
    Transition("reopen", _("重新打开"), (N.CLOSED,), N.OPEN, "staff"),
    # taken by the project's actions: a project created with the need, a project completed
    Transition("planned", _("列入项目"), (N.OPEN,), N.PLANNED, SYSTEM),
    Transition("met", _("需求已解决"), (N.OPEN, N.PLANNED), N.MET, SYSTEM),
)

NEED = Machine(
    noun=_("需求"),
    transitions=NEED_TRANSITIONS,
    actors={"staff": staff_in_scope_of},
    model=Need,
    visible=_need_visible,
    steps={"record": _("登记需求")},
)
