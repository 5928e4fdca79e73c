"""One state-machine mechanism for every workflow (cases, service orders, wishes, projects, volunteer
tasks): the transitions are data, and a :class:`Machine` reads them to decide who may do what now, to list
the buttons a page shows, to refuse a request with the right error — and to *apply* a transition: it
checks, lets the action change what else the step changes, sets the declared target state, saves the row
and writes the timeline step with its audit entry. No action sets ``state`` by hand.

A workflow declares its ``Transition`` rows, the *actors* (a predicate per kind of person, e.g.
"provider", "wisher"), any extra *conditions* (an action the state admits but the object does not, such as
rating twice), and how its rows are found and who may see them (``model``, ``visible``), so every action
reads::

    with transaction.atomic():
        order = MACHINE.lock(by, ref=ref)              # 404 when not visible, before any state check
        with MACHINE.transition(order, "accept", by=by, note=note) as step:
            order.accepted_at = step.at                 # whatever else the step changes
            arm(order, DELIVER)                         # clocks: gridgov.core.deadlines
            step.data = {"deliver_due": ...}            # what the timeline keeps
        tell(...)                                       # notifications, after the step is written

Every machine registers itself in :data:`MACHINES` so the contract test walks every transition of every
workflow and docs can print every table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from django.db import models, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from gridgov.core.errors import Conflict, DomainError, NotFound

SAME = None  # the action keeps the state
SYSTEM = "system"  # the actor of steps no person takes (a sweep's): never offered, refused to people


class Rating(models.TextChoices):
    """The residents' three-level rating, the same for cases, orders, wishes and projects."""

    SATISFIED = "satisfied", _("满意")
    BASIC = "basic", _("基本满意")
    UNSATISFIED = "unsatisfied", _("不满意")


Target = str | None | Mapping[str, str | None]


@dataclass(frozen=True)
class Transition:
    """One action of a workflow.

    ``target`` is the state the action lands in: a state, :data:`SAME`, or a mapping from source state to
    target state where it depends on where the object comes from. ``when`` — evaluated on the object
    after the action's own changes — makes the move conditional: the target applies only when it holds,
    else the state stays (a claim that takes the *last* place moves the wish to 已认领).
    """

    action: str
    label: str | Promise
    sources: tuple[str, ...]
    target: Target
    actor: str  # a key of the machine's actors
    needs_reason: bool = False
    when: Callable[[object], bool] | None = None
    when_label: str | Promise = ""  # how ``when`` reads in a state table
    otherwise: str | None = SAME  # where the object goes when ``when`` does not hold

    def target_from(self, source: str) -> str | None:
        """The declared target for an object leaving ``source`` (SAME: it stays)."""
        if isinstance(self.target, Mapping):
            return self.target.get(source, SAME)
        return self.target

    def targets(self) -> set[str]:
        found = set(self.target.values()) if isinstance(self.target, Mapping) else {self.target}
        if self.when is not None:
            found.add(self.otherwise)
        return {t for t in found if t is not SAME}


Actor = Callable[[object, object], bool]
Recorder = Callable[..., object]


@dataclass(frozen=True)
class Condition:
    test: Callable[[object], bool]
    message: str | Promise


@dataclass
class Step:
    """What :meth:`Machine.transition` yields to the action: the state it leaves, the moment, and the note
    and data the timeline step keeps (the action may change them); ``event`` is the written step."""

    action: str
    from_state: str
    at: datetime
    note: object = ""  # text, or a translatable message (gridgov.core.i18n.message)
    data: dict = field(default_factory=dict)
    fields: list[str] | None = None  # save only these (plus ``state``); None saves the whole row
    by: object = None  # who takes the step (None: the system)
    event: object = None


def _trimmed(note) -> object:
    """A note as the timeline keeps it: text trimmed; a translatable message (core.i18n) as it is."""
    return (note or "").strip() if note is None or isinstance(note, str) else note


def _timeline_step(obj, by, action, from_state, note="", data=None, at=None):
    from gridgov.core.timeline import step

    return step(obj, by, action, from_state, note=note, data=data, at=at)


MACHINES: list[Machine] = []

# Steps every workflow's timeline may hold besides its transitions (written by the shared kit).
STEP_LABELS: dict[str, str | Promise] = {
    "warning": _("时限预警"),
    "overdue": _("超时"),
    "recompute": _("时限重算"),
}


@dataclass
class Machine:
    noun: str | Promise  # what the object is called in messages: 事件, 服务单, 心愿 …
    transitions: tuple[Transition, ...]
    actors: dict[str, Actor]
    conditions: dict[str, Condition] = field(default_factory=dict)
    model: type[models.Model] | None = None
    # may this person see this object (anonymous included)? Out of scope is 404, before any state check.
    visible: Callable[[object, object], bool] | None = None
    record: Recorder = _timeline_step  # writes a step of the object's timeline and its audit entry
    related: tuple[str, ...] = ()  # joined when a row is locked (inner joins only: PostgreSQL locks them)
    phases: tuple = ()  # the object's deadline clocks (gridgov.core.deadlines.Phase)
    # labels of the timeline's other steps (creation, the sweep's marks …), beside the transitions'
    steps: dict[str, str | Promise] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_action = {t.action: t for t in self.transitions}
        missing = {t.actor for t in self.transitions} - set(self.actors) - {SYSTEM}
        if missing:
            raise ValueError(f"{self.noun}: actors not defined: {sorted(missing)}")
        MACHINES.append(self)

    # ------------------------------------------------------------ reading the table

    def condition_ok(self, action: str, obj) -> bool:
        cond = self.conditions.get(action)
        return cond is None or bool(cond.test(obj))

    def _person_may(self, user, obj, t: Transition) -> bool:
        return t.actor != SYSTEM and bool(self.actors[t.actor](user, obj))

    def may(self, user, obj, action: str) -> bool:
        t = self.by_action[action]
        return obj.state in t.sources and self.condition_ok(action, obj) and self._person_may(user, obj, t)

    def allowed_actions(self, user, obj) -> list[str]:
        """The actions ``user`` may take on ``obj`` now (what a page shows as buttons)."""
        if user is None:
            return []
        return [t.action for t in self.transitions if self.may(user, obj, t.action)]

    def actions_in_state(self, obj) -> list[str]:
        """The actions the object's state admits for someone (a 409 answer lists them)."""
        return [
            t.action
            for t in self.transitions
            if t.actor != SYSTEM and obj.state in t.sources and self.condition_ok(t.action, obj)
        ]

    def labels(self) -> dict[str, str]:
        """What each step of the timeline is called: the transitions and the other steps."""
        return {**STEP_LABELS, **self.steps, **{t.action: t.label for t in self.transitions}}

    def label(self, action: str) -> str:
        return str(self.by_action[action].label)

    # ------------------------------------------------------------ refusing

    def conflict(self, obj, code: str, message: str, field: str = "state") -> Conflict:
        """409: the object's state (or a condition) does not allow this now; the answer names the state and
        the actions it admits."""
        return Conflict(
            code,
            str(message),
            field,
            extra={"state": obj.state, "allowed_actions": self.actions_in_state(obj)},
        )

    def not_found(self, value: object = "", field: str | None = "ref") -> NotFound:
        return NotFound(
            gettext("%(noun)s %(ref)s 不存在或不在您的管辖范围内") % {"noun": self.noun, "ref": value},
            field=field,
        )

    def lock(self, by, *, related: tuple[str, ...] | None = None, visible=None, field=None, **lookup):
        """Lock the row found by ``lookup`` and check ``by`` may see it (``visible`` replaces the machine's
        rule for this call): 404 on ``field`` (default: the lookup's name) otherwise — the same answer for a row that does not exist and one out of
        scope, before anything about its state is said."""
        qs = self.model.objects.select_for_update()
        joins = self.related if related is None else related
        if joins:
            qs = qs.select_related(*joins)
        obj = qs.filter(**lookup).first()
        visible = self.visible if visible is None else visible
        if obj is None or (visible is not None and not visible(by, obj)):
            raise self.not_found(next(iter(lookup.values()), ""), field or next(iter(lookup), None))
        return obj

    def require(self, by, obj, action: str, reason: str | None = None) -> str:
        """Check that ``by`` may take ``action`` on ``obj`` now; return the state it is leaving.

        Wrong state or an unmet condition → 409 naming the allowed actions; the right state but not this
        person's to do → 403; a missing reason → 400 on ``reason``. ``by=None`` is the system (sweeps).
        """
        t = self.by_action[action]
        if obj.state not in t.sources:
            raise self.conflict(
                obj,
                "wrong_state",
                gettext("%(noun)s当前状态为「%(state)s」，不能%(action)s")
                % {"noun": self.noun, "state": obj.get_state_display(), "action": t.label},
            )
        if not self.condition_ok(action, obj):
            raise self.conflict(obj, "not_allowed_now", str(self.conditions[action].message))
        if by is not None and not self._person_may(by, obj, t):
            raise DomainError(
                "forbidden",
                gettext("您不能对该%(noun)s执行「%(action)s」") % {"noun": self.noun, "action": t.label},
                status=403,
            )
        if t.needs_reason and not (reason or "").strip():
            raise DomainError("required", gettext("%(action)s必须填写原因") % {"action": t.label}, "reason")
        return obj.state

    # ------------------------------------------------------------ applying

    def landing(self, obj, action: str, from_state: str) -> str:
        """The state ``obj`` lands in after ``action`` from ``from_state`` (its changes made)."""
        t = self.by_action[action]
        target = t.target_from(from_state)
        if t.when is not None and not t.when(obj):
            target = t.otherwise
        return obj.state if target is SAME else target

    def begin(
        self,
        obj,
        action: str,
        *,
        by,
        reason: str | None = None,
        note=None,
        at: datetime | None = None,
        fields: list[str] | None = None,
        check: bool = True,
    ) -> Step:
        """Check (unless the caller already did: ``check=False``) and open the step; the action then makes
        its changes and calls :meth:`complete`. :meth:`transition` does both around a ``with`` block."""
        from_state = self.require(by, obj, action, reason) if check else obj.state
        return Step(
            action=action,
            from_state=from_state,
            at=at or timezone.now(),
            note=_trimmed(note if note is not None else reason),
            fields=fields,
            by=by,
        )

    def complete(self, obj, step: Step, *, fields: list[str] | None = None):
        """Set the declared target state, save the row (``fields`` — or the step's — plus ``state``; the
        whole row when neither is given) and write the timeline step with its audit entry."""
        obj.state = self.landing(obj, step.action, step.from_state)
        fields = step.fields if fields is None else fields
        if fields is None:
            obj.save()
        else:
            obj.save(update_fields=list(dict.fromkeys([*fields, "state"])))
        step.event = self.record(
            obj, step.by, step.action, step.from_state, note=step.note, data=step.data, at=step.at
        )
        return step.event

    @contextmanager
    def transition(
        self,
        obj,
        action: str,
        *,
        by,
        reason: str | None = None,
        note=None,
        at: datetime | None = None,
        fields: list[str] | None = None,
        check: bool = True,
    ) -> Iterator[Step]:
        """Check (unless the caller already did: ``check=False``), let the action make its changes in the
        ``with`` block, then set the declared target state, save the row and write the timeline step. If
        the block raises, nothing is saved or written."""
        step = self.begin(obj, action, by=by, reason=reason, note=note, at=at, fields=fields, check=check)
        yield step
        self.complete(obj, step)

    def move(self, by, action: str, *, reason: str | None = None, field: str | None = None, **lookup):
        """A step that is only a move: lock the row found by ``lookup`` (404 when ``by`` may not see it),
        take ``action`` (checked), write its timeline step, and return the row."""
        with transaction.atomic():
            obj = self.lock(by, field=field, **lookup)
            with self.transition(obj, action, by=by, reason=reason, fields=[]):
                pass
        return obj

    def table(self, state_labels: dict[str, str]) -> list[tuple[str, str, str, str, str]]:
        """(action, label, from, to, actor) rows, for the docs' state tables."""
        rows = []
        for t in self.transitions:
            sources = "、".join(str(state_labels.get(s, s)) for s in t.sources)
            same = gettext("（不变）")
            if isinstance(t.target, Mapping):
                target = "; ".join(
                    f"{state_labels.get(s, s)} → {same if v is SAME else state_labels.get(v, v)}"
                    for s, v in t.target.items()
                )
            else:
                target = same if t.target is SAME else str(state_labels.get(t.target, t.target))
            if t.when is not None:
                target = f"{target} ({t.when_label})" if t.when_label else f"{target} (?)"
                if t.otherwise is not SAME:
                    target = f"{target}; {gettext('否则')} {state_labels.get(t.otherwise, t.otherwise)}"
            rows.append((t.action, str(t.label), sources, target, t.actor))
        return rows
