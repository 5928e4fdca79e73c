"""The volunteer task's state machine as data (志愿服务任务流程), read by the shared
:class:`gridgov.core.workflow.Machine`: actions check requests against it, pages list their buttons from it,
docs/points.md shows the same table.

``full`` is not an action: a sign-up that takes the last place moves the task to 已满员 and a withdrawal
that frees one moves it back to 报名中 (both recorded on the timeline as the sign-up / withdrawal step).
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.models import Role
from gridgov.core.scope import staff_in_scope_of
from gridgov.core.workflow import SAME, Condition, Machine, Transition
from gridgov.points.models import SignupState, TaskState, VolunteerTask

S = TaskState
VOLUNTEER_ROLES = frozenset({Role.VOLUNTEER, Role.RESIDENT})


def _all_places_taken(task: VolunteerTask) -> bool:
    return task.taken >= task.slots


TRANSITIONS: tuple[Transition, ...] = (
    Transition("publish", _("发布"), (S.DRAFT,), S.OPEN, "staff"),
    Transition(
        "signup",
        _("报名"),
        (S.OPEN,),
        {S.OPEN: S.FULL},
        "volunteer",
        when=_all_places_taken,
        when_label=_("报名占满最后一个名额时"),
    ),
    Transition("withdraw", _("取消报名"), (S.OPEN, S.FULL, S.CLOSED), {S.FULL: S.OPEN}, "signed_up"),
    Transition("close", _("截止报名"), (S.OPEN, S.FULL), S.CLOSED, "staff"),
    Transition("attend", _("确认参加情况"), (S.OPEN, S.FULL, S.CLOSED, S.FINISHED), SAME, "staff"),
    Transition("finish", _("结束任务"), (S.OPEN, S.FULL, S.CLOSED), S.FINISHED, "staff"),
    Transition(
        "cancel", _("取消任务"), (S.DRAFT, S.OPEN, S.FULL, S.CLOSED), S.CANCELLED, "staff", needs_reason=True
    ),
)

STATE_LABELS = dict(TaskState.choices)


def is_volunteer(user, task: VolunteerTask) -> bool:  # noqa: ARG001
    return getattr(user, "is_authenticated", False) and user.role in VOLUNTEER_ROLES


def may_sign_up(user, task: VolunteerTask) -> bool:
    """A volunteer or resident not yet signed up for this task."""
    return is_volunteer(user, task) and not has_live_signup(user, task)


def has_live_signup(user, task: VolunteerTask) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return task.signups.filter(volunteer=user, state=SignupState.SIGNED_UP).exists()


def _signups_open(task: VolunteerTask) -> bool:
    now = timezone.now()
    return now < task.starts_at and (task.signup_due is None or now < task.signup_due)


# Staff whose scope holds the task's area (community or grid), and admins.
ACTORS = {"staff": staff_in_scope_of, "volunteer": may_sign_up, "signed_up": has_live_signup}

CONDITIONS = {
    "signup": Condition(_signups_open, _("报名已截止")),
    "withdraw": Condition(lambda task: timezone.now() < task.starts_at, _("任务已开始，不能取消报名")),
    "attend": Condition(lambda task: timezone.now() >= task.starts_at, _("任务尚未开始，不能确认参加情况")),
    "finish": Condition(lambda task: timezone.now() >= task.ends_at, _("任务尚未结束")),
}


def _visible(user, task: VolunteerTask) -> bool:
    from gridgov.points.selectors import task_is_visible

    return task_is_visible(user, task)


MACHINE = Machine(
    _("志愿任务"),
    TRANSITIONS,
    ACTORS,
    CONDITIONS,
    model=VolunteerTask,
    visible=_visible,
    related=("area",),
    steps={"create": _("创建"), "edit": _("修改"), "remind": _("开始前提醒")},
)


def allowed_actions(user, task: VolunteerTask) -> list[str]:
    return MACHINE.allowed_actions(user, task)
