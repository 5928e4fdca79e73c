"""How the workflow contract walks projects and needs (``gridgov.testing.contract``).

A need becomes 已立项 (``planned``) when a project is created with it and 已解决 (``met``) when that
project is completed: steps of the need's machine that the project's actions take (``system``)."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.utils import timezone

from gridgov.projects import actions
from gridgov.projects.models import Need, Project
from gridgov.projects.workflow import EVALUATION_DAYS, NEED, PROJECT
from gridgov.testing.contract import Walker

from .conftest import build_world, need, project

P = Project.State
N = Need.State


def _perform_project(world, p: Project, action: str, branch: bool) -> None:  # noqa: ARG001
    if action == "publish":
        actions.project_publish(by=world.community, project=p)
    elif action == "claim":
        actions.project_claim(by=world.handler, project=p)
    elif action == "assign":
        actions.project_assign(by=world.community, project=p, owner_unit=world.unit.pk)
    elif action == "return":
        actions.project_return(by=world.handler, project=p, reason="人手不足")
    elif action == "withdraw":
        actions.project_withdraw(by=world.community, project=p, reason="方案调整")
    elif action == "milestone":
        m = actions.milestone_add(by=world.community, project=p, title="采购扶手")
        actions.milestone_done(by=world.handler, project=Project.objects.get(pk=p.pk), milestone_id=m.pk)
    elif action == "complete":
        actions.project_complete(by=world.handler, project=p, summary="扶手已全部安装")
    elif action == "evaluate":
        actions.project_evaluate(by=world.resident, project=p, rating="satisfied")
    elif action == "close":
        with time_machine.travel(p.completed_at + timedelta(days=EVALUATION_DAYS, hours=1), tick=False):
            actions.project_close(by=world.community, project=p)
    else:
        raise AssertionError(f"no way to perform {action}")


def _perform_need(world, n: Need, action: str, branch: bool) -> None:  # noqa: ARG001
    if action == "planned":
        project(world, needs=[n])
    elif action == "met":
        p = Project.objects.filter(needs=n).first() or project(world, needs=[n])
        actions.project_publish(by=world.community, project=p)
        actions.project_claim(by=world.handler, project=p)
        actions.project_complete(by=world.handler, project=p, summary="已解决")
    elif action == "close":
        actions.need_close(by=world.community, need=n, reason="已由其他渠道解决")
    elif action == "reopen":
        actions.need_reopen(by=world.community, need=n)
    else:
        raise AssertionError(f"no way to perform {action}")


WALKER = Walker(
    machine=PROJECT,
    world=build_world,
    new=lambda world: project(world, end_date=timezone.localdate() + timedelta(days=60)),
    paths={
        P.DRAFT: (),
        P.OPEN: ("publish",),
        P.IN_PROGRESS: ("publish", "claim"),
        P.COMPLETED: ("publish", "claim", "complete"),
    },
    perform=_perform_project,
)

NEED_WALKER = Walker(
    machine=NEED,
    world=build_world,
    new=need,
    paths={N.OPEN: (), N.PLANNED: ("planned",), N.CLOSED: ("close",)},
    perform=_perform_need,
)
