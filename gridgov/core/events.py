"""Every workflow step, told to whoever listens, inside the step's transaction.

The timeline writers call :func:`publish` after a step is written — ``core.timeline.step`` for orders,
wishes, projects, tasks and the rest, ``cases.events`` for cases (their own timeline table) — so a listener
(the webhooks of ``gridgov.hooks``) writes its outbox rows in the same transaction as the step: a step
rolled back is never told. Listeners are registered from ``AppConfig.ready`` (:func:`listen`) and must be
cheap when they have nothing to do: they run on every step, the hot intake path included.

How an object is told to other systems (its fields without personal data, the area and the units it
concerns) is declared by the app that owns it with :func:`describe`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import models


@dataclass(frozen=True)
class Event:
    obj: models.Model
    label: str  # the model's label, e.g. "cases.case"
    action: str  # the step, e.g. "dispatch"
    from_state: str
    to_state: str
    at: datetime
    data: dict = field(default_factory=dict)
    by: object = None


@dataclass(frozen=True)
class Subject:
    """How objects of one model are told to other systems."""

    name: str  # the event types' prefix: "case" → "case.dispatched"
    payload: Callable[[models.Model], dict]  # the object as others see it: no names, phones, ID numbers
    area_code: Callable[[models.Model], str]  # the area it belongs to (scope of subscriptions)
    units: Callable[[models.Model], Iterable[int]] = lambda obj: ()  # noqa: ARG005  units it concerns


LISTENERS: list[Callable[[Event], None]] = []
INTERESTS: list[Callable[[str], bool]] = []
SUBJECTS: dict[str, Subject] = {}


def listen(fn: Callable[[Event], None], interested: Callable[[str], bool] | None = None) -> None:
    """Call ``fn`` on every step; ``interested(label)`` answers, cheaply, whether steps of that model may
    matter to it now (a hot path that writes without a transaction opens one only then)."""
    if fn not in LISTENERS:
        LISTENERS.append(fn)
        INTERESTS.append(interested or (lambda label: True))  # noqa: ARG005


def interested(label: str) -> bool:
    return any(fn(label) for fn in INTERESTS)


def describe(label: str, subject: Subject) -> None:
    SUBJECTS[label] = subject


def publish(obj: models.Model, action: str, from_state: str, to_state: str, at, data=None, by=None) -> None:
    if not LISTENERS:
        return
    event = Event(obj, obj._meta.label_lower, action, from_state, to_state, at, data or {}, by)
    for fn in LISTENERS:
        fn(event)
