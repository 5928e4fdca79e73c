"""From a workflow step to webhook deliveries: the listener of ``core.events`` and its copy of the
subscriptions.

Every step of every workflow reaches :func:`on_event` inside its transaction, the hot case intake
included, so the subscriptions are not read per step: each process keeps a copy of the active ones indexed
by model label and event type (:func:`current`), read again at most every :data:`RECHECK_SECONDS`, and at
once in the process that changed a subscription (:func:`invalidate`, called by the actions). So
:func:`interested` is a dict lookup, and a step of a model nobody subscribed to costs nothing more.

A step that matches writes one outbox message per matching subscription (channel ``webhook``, target the
subscription's id) with one ``bulk_create`` (``core.outbox.enqueue``), in the step's transaction: a step
rolled back sends nothing, a step committed is delivered even if the process dies right after.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from gridgov.core import events, outbox
from gridgov.hooks.subjects import BY_LABEL, event_type, subject_of

CHANNEL = "webhook"
RECHECK_SECONDS = 5.0


@dataclass(frozen=True)
class Sub:
    id: int
    area_code: str
    unit_id: int | None


@dataclass
class Index:
    loaded: float
    # model label → event type → subscriptions asking for it
    by_label: dict[str, dict[str, list[Sub]]] = field(default_factory=dict)


_lock = threading.Lock()
_index: Index | None = None


def _load() -> Index:
    from gridgov.hooks.models import Subscription

    index = Index(loaded=time.monotonic())
    names = {told.name: label for label, told in BY_LABEL.items()}
    rows = Subscription.objects.filter(is_active=True).values_list(
        "id", "event_types", "area_code", "unit_id"
    )
    for pk, kinds, area_code, unit_id in rows:
        sub = Sub(pk, area_code or "", unit_id)
        for kind in kinds or ():
            label = names.get(str(kind).split(".", 1)[0])
            if label is not None:
                index.by_label.setdefault(label, {}).setdefault(kind, []).append(sub)
    return index


def current() -> Index:
    """This process's copy of the active subscriptions (read again when older than RECHECK_SECONDS)."""
    global _index
    index = _index
    if index is None or time.monotonic() - index.loaded > RECHECK_SECONDS:
        with _lock:
            index = _index
            if index is None or time.monotonic() - index.loaded > RECHECK_SECONDS:
                index = _index = _load()
    return index


def invalidate() -> None:
    """Drop this process's copy now and once more when the transaction commits (an action that changed a
    subscription; other processes see the change within RECHECK_SECONDS)."""
    global _index
    _index = None
    transaction.on_commit(_drop)


def _drop() -> None:
    global _index
    _index = None


def interested(label: str) -> bool:
    return label in current().by_label


def matching(label: str, kind: str, obj) -> list[Sub]:
    """The active subscriptions that receive ``kind`` for ``obj``: by area (the object's area in the
    subscription's subtree) or by unit (the object concerns the unit)."""
    subs = current().by_label.get(label, {}).get(kind)
    if not subs:
        return []
    subject = subject_of(label)
    if subject is None:
        return []
    code = subject.area_code(obj) or ""
    out = [s for s in subs if s.unit_id is None and s.area_code and code.startswith(s.area_code)]
    by_unit = [s for s in subs if s.unit_id is not None]
    if by_unit:
        units = set(subject.units(obj))
        out += [s for s in by_unit if s.unit_id in units]
    return out


def body(kind: str, ev: events.Event) -> dict:
    """What a receiver gets: ``{"type", "timestamp", "data"}`` (docs/webhooks.md)."""
    subject = subject_of(ev.label)
    with translation.override(settings.LANGUAGE_CODE):
        obj = subject.payload(ev.obj)
    return {
        "type": kind,
        "timestamp": timezone.localtime(ev.at).isoformat(),
        "data": {"object": obj, "action": ev.action, "previous_state": ev.from_state or None},
    }


def on_event(ev: events.Event) -> None:
    told = BY_LABEL.get(ev.label)
    if told is None or ev.label not in current().by_label:
        return
    kind = event_type(told.name, ev.action)
    subs = matching(ev.label, kind, ev.obj)
    if not subs:
        return
    payload = body(kind, ev)
    now = timezone.now()
    outbox.enqueue(outbox.message(CHANNEL, s.id, kind, payload, at=now) for s in subs)


def register() -> None:
    events.listen(on_event, interested)
