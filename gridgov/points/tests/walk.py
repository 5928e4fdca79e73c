"""How the workflow contract walks volunteer tasks (``gridgov.testing.contract``).

Tasks have two places: a sign-up that takes the last one moves the task to 已满员, and a withdrawal from a
full task gives a place back (报名中). Attendance and finishing happen after the task's start and end, so
those steps travel in time."""

from __future__ import annotations

from contextlib import nullcontext
from datetime import timedelta

import time_machine

from gridgov.points import actions
from gridgov.points.models import TaskState, VolunteerTask
from gridgov.points.workflow import MACHINE, has_live_signup
from gridgov.testing.contract import Walker

from .conftest import build_world, make_task

S = TaskState


def _signup(task: VolunteerTask, user) -> None:
    actions.signup_create(task_id=task.pk, by=user)


def _perform(world, task: VolunteerTask, action: str, branch: bool) -> None:
    if action in ("publish", "close", "finish", "cancel"):
        moment = task.ends_at + timedelta(minutes=1) if action == "finish" else None
        with time_machine.travel(moment, tick=False) if moment else nullcontext():
            actions.task_act(task_id=task.pk, by=world.community, action=action, reason="天气原因")
    elif action == "signup":
        if branch:
            _signup(task, world.vol2)  # the volunteer takes the last place
        _signup(task, world.vol)
    elif action == "withdraw":
        if not has_live_signup(world.vol, task):
            _signup(task, world.vol)
        actions.signup_withdraw(task_id=task.pk, by=world.vol)
    elif action == "attend":
        if not task.signups.exists():
            _signup(task, world.vol)
        marks = [actions.Mark(s.pk, True) for s in task.signups.filter(state="signed_up")]
        with time_machine.travel(task.starts_at + timedelta(minutes=5), tick=False):
            actions.attendance_confirm(task_id=task.pk, by=world.community, marks=marks)
    else:
        raise AssertionError(f"no way to perform {action}")


WALKER = Walker(
    machine=MACHINE,
    world=build_world,
    new=lambda world: make_task(world, slots=2, publish=False),
    paths={
        S.DRAFT: (),
        S.OPEN: ("publish",),
        S.FULL: ("publish", "signup"),
        S.CLOSED: ("publish", "signup", "close"),
        S.FINISHED: ("publish", "signup", "finish"),
    },
    perform=_perform,
)
