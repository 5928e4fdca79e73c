"""One state-machine mechanism for every workflow (cases, service orders, wishes, projects, volunteer
tasks): the transitions are data, a :class:`Machine` reads them to decide who may do what now, to list
the buttons a page shows, and to refuse a request with the right error.

A workflow declares its ``Transition`` rows, the *actors* (a predicate per kind of person, e.g.
"provider", "wisher") and any extra *conditions* (an action the state admits but the object does not,
such as rating twice). :meth:`Machine.require` is what every action function calls first, inside its
transaction, after locking the row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import models
from django.utils.translation import gettext_lazy as _

from gridgov.core.errors import Conflict, DomainError

SAME = None  # the action keeps the state


class Rating(models.TextChoices):
    """The residents' three-level rating, the same for cases, orders, wishes and projects."""

    SATISFIED = "satisfied", _("满意")
    BASIC = "basic", _("基本满意")
    UNSATISFIED = "unsatisfied", _("不满意")


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: tuple[str, ...]
    target: str | None  # SAME keeps the state
    actor: str  # a key of the machine's actors
    needs_reason: bool = False


Actor = Callable[[object, object], bool]


@dataclass(frozen=True)
class Condition:
    test: Callable[[object], bool]
    message: str


@dataclass
class Machine:
    noun: str  # what the object is called in messages: 事件, 服务单, 心愿 …
    transitions: tuple[Transition, ...]
    actors: dict[str, Actor]
    conditions: dict[str, Condition] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_action = {t.action: t for t in self.transitions}
        missing = {t.actor for t in self.transitions} - set(self.actors)
        if missing:
            raise ValueError(f"{self.noun}: actors not defined: {sorted(missing)}")

    def condition_ok(self, action: str, obj) -> bool:
        cond = self.conditions.get(action)
        return cond is None or bool(cond.test(obj))

    def may(self, user, obj, action: str) -> bool:
        t = self.by_action[action]
        return obj.state in t.sources and self.condition_ok(action, obj) and self.actors[t.actor](user, obj)

    def allowed_actions(self, user, obj) -> list[str]:
        """The actions ``user`` may take on ``obj`` now (what a page shows as buttons)."""
        if user is None:
            return []
        return [t.action for t in self.transitions if self.may(user, obj, t.action)]

    def actions_in_state(self, obj) -> list[str]:
        """The actions the object's state admits for someone (a 409 answer lists them)."""
        return [
            t.action for t in self.transitions if obj.state in t.sources and self.condition_ok(t.action, obj)
        ]

    def conflict(self, obj, code: str, message: str) -> Conflict:
        return Conflict(
            code, message, "state", extra={"state": obj.state, "allowed_actions": self.actions_in_state(obj)}
        )

    def require(self, by, obj, action: str, reason: str | None = None) -> str:
        """Check that ``by`` may take ``action`` on ``obj`` now; return the state it is leaving.

        Wrong state or an unmet condition → 409 naming the allowed actions; the right state but not this
        person's to do → 403; a missing reason → 400 on ``reason``. ``by=None`` is the system (sweeps).
        """
        t = self.by_action[action]
        if obj.state not in t.sources:
            raise self.conflict(
                obj, "wrong_state", f"{self.noun}当前状态为「{obj.get_state_display()}」，不能{t.label}"
            )
        if not self.condition_ok(action, obj):
            raise self.conflict(obj, "not_allowed_now", self.conditions[action].message)
        if by is not None and not self.actors[t.actor](by, obj):
            raise DomainError("forbidden", f"您不能对该{self.noun}执行「{t.label}」", status=403)
        if t.needs_reason and not (reason or "").strip():
            raise DomainError("required", f"{t.label}必须填写原因", "reason")
        return obj.state

    def table(self, state_labels: dict[str, str]) -> list[tuple[str, str, str, str, str]]:
        """(action, label, from, to, actor) rows, for docs/architecture.md."""
        rows = []
        for t in self.transitions:
            sources = "、".join(str(state_labels.get(s, s)) for s in t.sources)
            target = "（不变）" if t.target is SAME else str(state_labels.get(t.target, t.target))
            rows.append((t.action, t.label, sources, target, t.actor))
        return rows
