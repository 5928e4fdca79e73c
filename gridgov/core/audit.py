"""Writing the audit log. Every action calls :func:`record` inside its transaction."""

from __future__ import annotations

from typing import Any

from django.db import models

from gridgov.core.models import AuditEntry


def record(**kwargs) -> AuditEntry:
    """Write one audit entry (the arguments of :func:`entry`)."""
    row = entry(**kwargs)
    row.save()
    return row


def entry(
    *,
    actor,
    verb: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    before: Any = None,
    after: Any = None,
    reason: str = "",
) -> AuditEntry:
    """The audit entry of one action, not yet saved (for a caller that inserts it with other rows)."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(getattr(obj, "code", None) or obj.pk)
    actor_obj = actor if getattr(actor, "pk", None) else None
    return AuditEntry(
        actor=actor_obj,
        actor_name=(actor_obj.get_username() if actor_obj else "system"),
        verb=verb,
        object_type=object_type,
        object_id=object_id,
        object_repr=str(obj)[:200] if obj is not None else "",
        before=before,
        after=after,
        reason=reason or "",
    )
