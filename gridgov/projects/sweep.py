"""The project deadline sweep: a project in progress is flagged yellow ``WARN_DAYS`` before its planned end
date and red when the date has passed — once each (``core.deadlines.sweep_phases``), with a timeline step
and a message to the owner and the area's staff."""

from __future__ import annotations

from datetime import datetime

from django.urls import reverse
from django.utils import timezone

from gridgov.core.deadlines import Phase, register_sweep, sweep_phases
from gridgov.core.timeline import step
from gridgov.notify.actions import notify
from gridgov.notify.models import Kind
from gridgov.projects.models import Project

PHASES = (
    Phase(
        states=(Project.State.IN_PROGRESS,),
        due="due_at",
        warn="warn_at",
        warned="warned_at",
        overdue="overdue_at",
        what="项目完成",
    ),
)


def _people(project: Project) -> list:
    from gridgov.projects.actions import _area_people, _owner_people

    return _owner_people(project) + _area_people(project)


def _on_warning(project: Project, phase: Phase, now: datetime) -> None:
    end = project.end_date.isoformat() if project.end_date else ""
    step(project, None, "warning", project.state, note=f"计划 {end} 完成，即将到期", at=now)
    notify(
        users=_people(project),
        kind=Kind.WARNING,
        title=f"项目即将到期：{project.title}",
        body=f"计划完成日期：{end}",
        url=reverse("projects:project", args=[project.pk]),
        at=now,
    )


def _on_overdue(project: Project, phase: Phase, now: datetime) -> None:
    end = project.end_date.isoformat() if project.end_date else ""
    step(project, None, "overdue", project.state, note=f"计划 {end} 完成，已超期", at=now)
    notify(
        users=_people(project),
        kind=Kind.OVERDUE,
        title=f"项目已超期：{project.title}",
        body=f"计划完成日期：{end}",
        url=reverse("projects:project", args=[project.pk]),
        at=now,
    )


def project_sweep(now: datetime | None = None) -> dict:
    counts = sweep_phases(
        Project,
        PHASES,
        now or timezone.now(),
        on_overdue=_on_overdue,
        on_warning=_on_warning,
    )
    return {"warned": counts.warned, "overdue": counts.overdue}


@register_sweep("projects")
def _sweep(now: datetime) -> dict:
    return project_sweep(now)
