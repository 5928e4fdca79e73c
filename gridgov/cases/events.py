"""The case timeline (CaseEvent, its own table for the hot intake path) and the audit entry of each step:
the workflow machine's ``record`` for cases."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext_noop

from gridgov.cases.models import Case, CaseEvent
from gridgov.core import audit
from gridgov.core.events import publish
from gridgov.core.i18n import Message
from gridgov.core.models import AuditEntry
from gridgov.core.timeline import actor_label, note_and_data

REPORTER = gettext_noop("上报人")  # who acted, when no one signed in (the reporter with a code)


def _label(user) -> str:
    return actor_label(user, nobody=REPORTER)


def step(*args, **kwargs) -> CaseEvent:
    """Write a step of the case's timeline and its audit entry (the arguments of :func:`event_rows`)."""
    event, entry = event_rows(*args, **kwargs)
    event.save()
    entry.save()
    published(event)
    return event


def published(event: CaseEvent) -> None:
    """Tell the step to the listeners (``core.events``), once it is written."""
    publish(event.case, event.action, event.from_state, event.to_state, event.at, event.data, event.actor)


def event_rows(
    case: Case,
    by,
    action: str,
    from_state: str,
    note: str | Message = "",
    data: dict | None = None,
    at: datetime | None = None,
) -> tuple[CaseEvent, AuditEntry]:
    """A step of the case's timeline and its audit entry, not yet saved."""
    note, data = note_and_data(note, data)
    actor = by if getattr(by, "pk", None) else None
    event = CaseEvent(
        case=case,
        at=at or timezone.now(),
        actor=actor,
        actor_label=_label(by),
        action=action,
        from_state=from_state,
        to_state=case.state,
        note=note,
        data=data or {},
    )
    entry = audit.entry(
        actor=actor,
        verb=f"case.{action}",
        obj=case,
        object_id=case.ref,
        before={"state": from_state},
        after={"state": case.state, **(data or {})},
        reason=note,
    )
    return event, entry
