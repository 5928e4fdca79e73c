"""Deadlines shared by every workflow: the limit → (due, warn-at) computation on the working-day calendar,
the sweep that marks warning (yellow) and overdue (red) exactly once, the registry of sweeps that
``gridgov sla_sweep``, Celery beat and ``gridgov serve`` run, and places with a capacity (slots, claimants,
sign-ups) taken without overbooking.

A workflow describes each running clock as a :class:`Phase` — the states it runs in, the deadline and
warn-at columns, the two marks that record "warned" and "overdue", and the :class:`Limit` it is computed
from — starts and stops clocks with :func:`arm` / :func:`disarm` (never by setting the columns by hand),
and registers a sweep that calls :func:`sweep_phases` with what to do when a mark is set (timeline,
notifications, release …). The marks are set under a row lock in the same transaction as those effects
and only where still empty, so a second sweep, or two at once, does nothing twice. Deadlines that fell in
a year the calendar did not know are computed again by :func:`recompute_provisional` from the same
declarations once the year is configured.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from gridgov.core.calendar import LimitUnit, add_limit, working_seconds_between
from gridgov.core.i18n import message


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


class Sla(models.TextChoices):
    """Where a running clock stands, shown as a colour on lists (the same for every workflow)."""

    NORMAL = "normal", _("正常")
    WARNING = "warning", _("预警")
    OVERDUE = "overdue", _("超时")


@dataclass(frozen=True)
class Limit:
    """How a clock is computed: ``amount`` ``unit`` from ``start`` (warned at ``ratio`` of it, in the
    limit's own clock), then each of ``extra`` (granted extensions) added to the deadline in order, and
    never later than ``cap`` (a booked session must be accepted before it starts)."""

    start: datetime
    amount: Decimal | int | float
    unit: str
    ratio: Decimal | float = Decimal("0.8")
    extra: tuple[tuple[Decimal | int | float, str], ...] = ()
    cap: datetime | None = None

    def compute(self) -> Due:
        d = add_limit(self.start, self.amount, self.unit)
        due, provisional = d.due, d.provisional
        for amount, unit in self.extra:
            d = add_limit(due, amount, unit)
            due, provisional = d.due, provisional or d.provisional
        warn_at = warn_moment(self.start, due, self.ratio, self.unit)
        if self.cap is not None and self.cap < due:
            due, warn_at = self.cap, min(warn_at, self.cap)
        return Due(due, warn_at, provisional)


@dataclass(frozen=True)
class Phase:
    """A running clock of a workflow: the states it runs in, its deadline and warn-at columns, the two
    marks the sweep sets once ("warned", "overdue"), what is late (for messages), and ``limit``: how the
    clock is computed from the object — a :class:`Limit`, fixed moments (a :class:`Due`), or ``None`` when
    it does not run. :func:`arm` starts it from ``limit``; the recompute after a calendar year is
    configured uses the same declaration, so the rule lives in one place."""

    states: tuple[str, ...]
    due: str  # deadline column
    warn: str  # warn-at column
    warned: str  # mark: when the warning was given
    overdue: str  # mark: when it went overdue
    what: str | Promise  # what is late, for messages (签收, 办结, 认领 …)
    limit: Callable[[models.Model], Limit | Due | None] | None = None

    @property
    def columns(self) -> tuple[str, str, str, str]:
        return (self.due, self.warn, self.warned, self.overdue)

    def compute(self, obj: models.Model) -> Due | None:
        if self.limit is None:
            return None
        found = self.limit(obj)
        return found.compute() if isinstance(found, Limit) else found

    def set(self, obj: models.Model, due: datetime | None, warn_at: datetime | None) -> None:
        """Set the deadline and warn-at moment; the marks are cleared (a new clock warns again)."""
        setattr(obj, self.due, due)
        setattr(obj, self.warn, warn_at)
        self.clear_marks(obj)

    def clear_marks(self, obj: models.Model) -> None:
        setattr(obj, self.warned, None)
        setattr(obj, self.overdue, None)

    def sla(self, obj: models.Model) -> str:
        """The colour this clock gives the object now (from its marks)."""
        if getattr(obj, self.overdue) is not None:
            return Sla.OVERDUE
        if getattr(obj, self.warned) is not None:
            return Sla.WARNING
        return Sla.NORMAL


def _model_has(model: type[models.Model], name: str) -> bool:
    return any(f.name == name for f in model._meta.concrete_fields)


def _has_field(obj: models.Model, name: str) -> bool:
    return _model_has(type(obj), name)


def arm(obj: models.Model, *phases: Phase, due: Due | None = None) -> None:
    """Start ``phases``' clocks from their declared limits (or, for one phase, at the moments ``due``):
    deadlines and warn-at set, marks cleared, ``deadline_provisional`` (where the model keeps it) true when
    any deadline fell in a year the calendar does not know, and ``sla`` (where kept) back to normal."""
    provisional = False
    for phase in phases:
        d = due if due is not None else phase.compute(obj)
        if d is None:
            phase.set(obj, None, None)
            continue
        phase.set(obj, d.due, d.warn_at)
        provisional = provisional or d.provisional
    if _has_field(obj, "deadline_provisional"):
        obj.deadline_provisional = provisional
    if _has_field(obj, "sla"):
        obj.sla = Sla.NORMAL


def disarm(obj: models.Model, *phases: Phase) -> None:
    """Stop ``phases``' clocks: no deadline, no warn-at, no marks; ``sla`` back to normal."""
    for phase in phases:
        phase.set(obj, None, None)
    if _has_field(obj, "sla"):
        obj.sla = Sla.NORMAL


def deadline_fields(model: type[models.Model], *phases: Phase) -> list[str]:
    """The columns :func:`arm` / :func:`disarm` write on ``model``, for ``save(update_fields=…)``."""
    kept = [name for name in ("deadline_provisional", "sla") if _model_has(model, name)]
    return [c for p in phases for c in p.columns] + kept


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
    has_sla = _model_has(model, "sla")
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
                    obj.sla = Sla.OVERDUE
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
                    obj.sla = Sla.WARNING
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


# ---------------------------------------------------------------- provisional deadlines


def recompute_provisional(year: int) -> dict[str, int]:
    """After ``year``'s schedule is configured: every open deadline that was computed provisionally
    (Monday–Friday) is computed again from its phase's declared limit, for every workflow whose rows keep
    ``deadline_provisional``; the marks stay, and a timeline step records each deadline that moved.
    Returns the rows looked at per workflow."""
    from gridgov.core.workflow import MACHINES

    out: dict[str, int] = {}
    for machine in MACHINES:
        model = machine.model
        if model is None or not machine.phases or not _model_has(model, "deadline_provisional"):
            continue
        states = sorted({s for p in machine.phases for s in p.states})
        count = 0
        for pk in model.objects.filter(deadline_provisional=True, state__in=states).values_list(
            "pk", flat=True
        ):
            with transaction.atomic():
                obj = model.objects.select_for_update().filter(pk=pk, deadline_provisional=True).first()
                if obj is None:
                    continue
                moved: dict[str, str] = {}
                provisional = False
                fields = ["deadline_provisional"]
                for phase in machine.phases:
                    d = phase.compute(obj)
                    if d is None:
                        continue
                    if getattr(obj, phase.due) != d.due:
                        moved[phase.due] = d.due.isoformat()
                    setattr(obj, phase.due, d.due)
                    setattr(obj, phase.warn, d.warn_at)
                    fields += [phase.due, phase.warn]
                    provisional = provisional or d.provisional
                obj.deadline_provisional = provisional
                obj.save(update_fields=fields)
                if moved:
                    machine.record(
                        obj,
                        None,
                        "recompute",
                        obj.state,
                        note=message(
                            gettext_noop("%(year)s 年节假日安排已配置，时限重新计算"), year=str(year)
                        ),
                        data=moved,
                    )
                count += 1
        out[model._meta.label_lower] = count
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
