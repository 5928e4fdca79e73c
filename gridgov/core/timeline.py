"""Writing and reading the shared timeline (办理记录) of orders, wishes, projects and volunteer tasks.

Every workflow step calls :func:`step` inside its action's transaction, after the object's new state is
set: it appends the timeline row and the audit entry together, so neither exists without the other.
"""

from __future__ import annotations

from datetime import datetime

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from gridgov.core import audit
from gridgov.core.events import publish
from gridgov.core.i18n import KEY, Message
from gridgov.core.models import TimelineEvent
from gridgov.core.roles import Role

SYSTEM = gettext_noop("系统")


def actor_label(user, nobody: str = SYSTEM) -> str:
    """How a person appears on a timeline: the unit's name for unit handlers, area·name for staff;
    ``nobody`` (a message id, translated when shown: :func:`shown_actor`) when no one is signed in (the
    system's sweeps; on a case, the reporter)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return nobody
    if user.role == Role.UNIT and user.unit_id:
        return user.unit.name
    if user.area_id and user.role not in (Role.RESIDENT, Role.VOLUNTEER):
        return f"{user.area.name}·{user.display_name or user.username}"
    return user.display_name or user.username


def shown_actor(label: str) -> str:
    """A stored actor label in the active language ("系统" → "System"; names stay as they are)."""
    return gettext(label) if label else label


def subject_of(obj: models.Model) -> str:
    return obj._meta.label_lower


def note_and_data(note: str | Message, data: dict | None) -> tuple[str, dict]:
    """A step's note as stored text, and its data with the note's message kept for readers of other
    languages (:mod:`gridgov.core.i18n`)."""
    data = dict(data or {})
    if isinstance(note, Message):
        data[KEY] = note.as_data()
        return note.source(), data
    return note or "", data


def step(
    obj: models.Model,
    by,
    action: str,
    from_state: str = "",
    note: str | Message = "",
    data: dict | None = None,
    at: datetime | None = None,
) -> TimelineEvent:
    """Append one step of ``obj``'s workflow (its ``state`` is the state it moved to) and audit it."""
    note, data = note_and_data(note, data)
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
        data=data,
    )
    audit.record(
        actor=actor,
        verb=f"{obj._meta.model_name}.{action}",
        obj=obj,
        object_id=str(getattr(obj, "ref", None) or obj.pk),
        before={"state": from_state} if from_state else None,
        after={"state": to_state, **{k: v for k, v in data.items() if k != KEY}},
        reason=note,
    )
    publish(obj, action, from_state, to_state, event.at, data, by)
    return event


def timeline_of(obj: models.Model) -> list[TimelineEvent]:
    """The steps of ``obj`` in order (callers have already checked the reader may see ``obj``)."""
    return list(
        TimelineEvent.objects.filter(subject=subject_of(obj), subject_id=obj.pk).select_related("actor")
    )


def timeline_rows(obj: models.Model, labels: dict) -> list[dict]:
    """``obj``'s steps as pages and the API show them, in the reader's language: when, who, the step's
    name (``labels``: a machine's :meth:`~gridgov.core.workflow.Machine.labels`), the states, the note and
    the step's data."""
    from gridgov.core.i18n import shown

    return [
        {
            "at": e.at,
            "actor": shown_actor(e.actor_label),
            "action": e.action,
            "label": str(labels.get(e.action, e.action)),
            "from_state": e.from_state,
            "to_state": e.to_state,
            "note": shown(e.note, e.data),
            "data": {k: v for k, v in e.data.items() if k != KEY},
        }
        for e in timeline_of(obj)
    ]
