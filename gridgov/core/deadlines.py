"""Deadlines shared by every workflow: the limit → (due, warn-at) computation on the working-day calendar,
the sweep that marks warning (yellow) and overdue (red) exactly once, the registry of sweeps that
``gridgov sla_sweep``, Celery beat and ``gridgov serve`` run, and places with a capacity (slots, claimants,
sign-ups) taken without overbooking.

A workflow describes each running clock as a :class:`Phase` — the states it runs in, the deadline and
warn-at columns, and the two marks that record "warned" and "overdue" — and registers a sweep that calls
:func:`sweep_phases` with what to do when a mark is set (timeline, notifications, release …). The marks
are set under a row lock in the same transaction as those effects and only where still empty, so a
second sweep, or two at once, does nothing twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import models, transaction
from django.db.models import F
from django.utils import timezone

from gridgov.core.calendar import LimitUnit, add_limit, working_seconds_between


@dataclass(frozen=True)
class Due:
    due: datetime
    warn_at: datetime
    provisional: bool  # computed for a year the calendar does not know yet (Monday–Friday assumed)


def warn_moment(start: datetime, due: datetime, ratio: Decimal | float, unit: str) -> datetime:
    """The moment ``ratio`` of the limit has elapsed, counted in the limit's own clock."""
    if unit == LimitUnit.URGENT_HOURS:
        return start + (due - start) * float(ratio)
    seconds = working_seconds_between(start, due) * float(ratio)
    if seconds <= 0:
        return start
    return add_limit(start, Decimal(seconds) / Decimal(3600), LimitUnit.WORKING_HOURS).due


def due_with_warning(start: datetime, amount, unit: str, ratio: Decimal | float = Decimal("0.8")) -> Due:
    """Deadline and warning moment for a limit of ``amount`` ``unit`` starting at ``start``."""
    d = add_limit(start, amount, unit)
    return Due(d.due, warn_moment(start, d.due, ratio, unit), d.provisional)


@dataclass(frozen=True)
class Phase:
    states: tuple[str, ...]
    due: str  # deadline column
    warn: str  # warn-at column
    warned: str  # mark: when the warning was given
    overdue: str  # mark: when it went overdue
    what: str  # what is late, for messages (签收, 办结, 认领 …)


Effect = Callable[[models.Model, Phase, datetime], None]


@dataclass
class PhaseCounts:
    warned: int = 0
    overdue: int = 0


def _lock(model, pk, phase: Phase, mark: str, related: Iterable[str]):
    return (
        model.objects.select_for_update(skip_locked=True)
        .filter(pk=pk, state__in=phase.states, **{f"{mark}__isnull": True})
        .select_related(*related)
        .first()
    )


def sweep_phases(
    model: type[models.Model],
    phases: Iterable[Phase],
    now: datetime,
    *,
    on_overdue: Effect,
    on_warning: Effect,
    related: Iterable[str] = (),
) -> PhaseCounts:
    """Mark every row of ``model`` whose phase deadline (or warn-at) has passed, once. Overdue first: a
    row that went straight past its deadline is marked overdue (and warned) without a separate warning.
    A model with an ``sla`` column gets it set to ``warning`` / ``overdue``."""
    counts = PhaseCounts()
    has_sla = any(f.name == "sla" for f in model._meta.get_fields())
    for phase in phases:
        for pk in model.objects.filter(
            state__in=phase.states, **{f"{phase.due}__lte": now, f"{phase.overdue}__isnull": True}
        ).values_list("pk", flat=True):
            with transaction.atomic():
                obj = _lock(model, pk, phase, phase.overdue, related)
                if obj is None:
                    continue
                fields = [phase.overdue]
                setattr(obj, phase.overdue, now)
                if getattr(obj, phase.warned) is None:
                    setattr(obj, phase.warned, now)
                    fields.append(phase.warned)
                if has_sla:
                    obj.sla = "overdue"
                    fields.append("sla")
                obj.save(update_fields=fields)
                on_overdue(obj, phase, now)
                counts.overdue += 1
        for pk in model.objects.filter(
            state__in=phase.states, **{f"{phase.warn}__lte": now, f"{phase.warned}__isnull": True}
        ).values_list("pk", flat=True):
            with transaction.atomic():
                obj = _lock(model, pk, phase, phase.warned, related)
                if obj is None:
                    continue
                setattr(obj, phase.warned, now)
                fields = [phase.warned]
                if has_sla:
                    obj.sla = "warning"
                    fields.append("sla")
                obj.save(update_fields=fields)
                on_warning(obj, phase, now)
                counts.warned += 1
    return counts


# ---------------------------------------------------------------- the registry of sweeps

SWEEPS: dict[str, Callable[[datetime], dict]] = {}


def register_sweep(name: str):
    """Register ``fn(now) -> dict`` to run in every deadline sweep (call from an AppConfig.ready)."""

    def deco(fn: Callable[[datetime], dict]):
        SWEEPS[name] = fn
        return fn

    return deco


def run_sweeps(now: datetime | None = None) -> dict[str, dict]:
    """Run every registered workflow's sweep as of ``now``; one failing does not stop the others."""
    import logging

    now = now or timezone.now()
    out: dict[str, dict] = {}
    for name, fn in SWEEPS.items():
        try:
            out[name] = fn(now)
        except Exception as exc:  # the next sweep retries; the rest must still run
            logging.getLogger("gridgov.sweep").exception("%s sweep failed", name)
            out[name] = {"error": str(exc)}
    return out


# ---------------------------------------------------------------- places with a capacity


def take_place(
    model: type[models.Model], pk: int, *, taken: str = "taken", capacity: str = "capacity"
) -> bool:
    """Take one place if one is free, in one conditional UPDATE: two requests for the last place cannot
    both get it, on SQLite or PostgreSQL, without holding a lock across the request."""
    return model.objects.filter(pk=pk, **{f"{taken}__lt": F(capacity)}).update(**{taken: F(taken) + 1}) == 1


def give_back_place(model: type[models.Model], pk: int, *, taken: str = "taken") -> None:
    model.objects.filter(pk=pk, **{f"{taken}__gt": 0}).update(**{taken: F(taken) - 1})
