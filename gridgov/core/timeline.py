"""Writing and reading the shared timeline (办理记录) of orders, wishes, projects and volunteer tasks.

Every workflow step calls :func:`step` inside its action's transaction, after the object's new state is
set: it appends the timeline row and the audit entry together, so neither exists without the other.
"""

from __future__ import annotations

from datetime import datetime

from django.db import models
from django.utils import timezone

from gridgov.core import audit
from gridgov.core.models import TimelineEvent
from gridgov.core.roles import Role


def actor_label(user, nobody: str = "系统") -> str:
    """How a person appears on a timeline: the unit's name for unit handlers, area·name for staff;
    ``nobody`` when no one is signed in (the system's sweeps; on a case, the reporter)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return nobody
    if user.role == Role.UNIT and user.unit_id:
        return user.unit.name
    if user.area_id and user.role not in (Role.RESIDENT, Role.VOLUNTEER):
        return f"{user.area.name}·{user.display_name or user.username}"
    return user.display_name or user.username


def subject_of(obj: models.Model) -> str:
    return obj._meta.label_lower


def step(
    obj: models.Model,
    by,
    action: str,
    from_state: str = "",
    note: str = "",
    data: dict | None = None,
    at: datetime | None = None,
) -> TimelineEvent:
    """Append one step of ``obj``'s workflow (its ``state`` is the state it moved to) and audit it."""
    actor = by if getattr(by, "pk", None) else None
    to_state = getattr(obj, "state", "") or ""
    event = TimelineEvent.objects.create(
        subject=subject_of(obj),
        subject_id=obj.pk,
        at=at or timezone.now(),
        actor=actor,
        actor_label=actor_label(by),
        action=action,
        from_state=from_state,
        to_state=to_state,
        note=note,
        data=data or {},
    )
    audit.record(
        actor=actor,
        verb=f"{obj._meta.model_name}.{action}",
        obj=obj,
        object_id=str(getattr(obj, "ref", None) or obj.pk),
        before={"state": from_state} if from_state else None,
        after={"state": to_state, **(data or {})},
        reason=note,
    )
    return event


def timeline_of(obj: models.Model) -> list[TimelineEvent]:
    """The steps of ``obj`` in order (callers have already checked the reader may see ``obj``)."""
    return list(
        TimelineEvent.objects.filter(subject=subject_of(obj), subject_id=obj.pk).select_related("actor")
    )
