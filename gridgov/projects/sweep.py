"""The project deadline sweep: a project in progress is flagged yellow ``WARN_DAYS`` before its planned end
date and red when the date has passed — once each (``core.deadlines.sweep_phases``), with a timeline step
and a message to the owner and the area's staff."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy, gettext_noop

from gridgov.core.deadlines import Phase, register_sweep, sweep_phases
from gridgov.core.i18n import message
from gridgov.core.timeline import step
from gridgov.notify.actions import tell
from gridgov.notify.models import Kind
from gridgov.projects.actions.projects import area_people, owner_people
from gridgov.projects.models import Project
from gridgov.projects.workflow import DUE

PHASES = (DUE,)


def _people(project: Project) -> list:
    return owner_people(project) + area_people(project)


def _mark(project: Project, now: datetime, kind: str, note: str, title) -> None:
    end = project.end_date.isoformat() if project.end_date else ""
    step(project, None, kind, project.state, note=message(note, end=end), at=now)
    tell(
        _people(project),
        kind,
        project,
        title,
        gettext_lazy("计划完成日期：%(end)s"),
        params={"title": project.title, "end": end},
        at=now,
    )


def _on_warning(project: Project, phase: Phase, now: datetime) -> None:  # noqa: ARG001
    note = gettext_noop("计划 %(end)s 完成，即将到期")
    _mark(project, now, Kind.WARNING, note, gettext_lazy("项目即将到期：%(title)s"))


def _on_overdue(project: Project, phase: Phase, now: datetime) -> None:  # noqa: ARG001
    note = gettext_noop("计划 %(end)s 完成，已超期")
    _mark(project, now, Kind.OVERDUE, note, gettext_lazy("项目已超期：%(title)s"))


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
