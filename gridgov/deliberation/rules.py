"""The arithmetic of deliberation (议事规则), kept apart from storage so that every rule can be read and
tested on worked examples: support thresholds, quorum, and pass rules.

Every ratio is an exact fraction, never a float: "two thirds of 9" is 6, of 10 is 7 (6.67 rounded up).

- **Quorum** (法定人数): a meeting may decide only when those signed in reach the quorum of those entitled
  (the roster). The default is more than half; a rule may ask for two thirds (as 民法典 art. 278 asks of
  owners' meetings deciding on common property).
- **Pass rules** (表决规则): the votes *for* must reach a share of a base. The base is either the votes
  cast (for + against + abstain: an abstention takes part in the vote, as 参与表决 counts it) or all
  those entitled (absentees count as not for). "Simple majority" is *more than half* (a tie fails);
  "two thirds" and "three quarters" are *at least* that share (以上 includes the share itself).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from django.db import models
from django.utils.translation import gettext_lazy as _


class PassRule(models.TextChoices):
    MAJORITY = "majority", _("过半数")
    TWO_THIRDS = "two_thirds", _("三分之二以上")
    THREE_QUARTERS = "three_quarters", _("四分之三以上")


class Base(models.TextChoices):
    CAST = "cast", _("以参与表决人数计")
    ENTITLED = "entitled", _("以应到人数计")


class Quorum(models.TextChoices):
    MAJORITY = "majority", _("过半数到会")
    TWO_THIRDS = "two_thirds", _("三分之二以上到会")


SHARE = {
    PassRule.MAJORITY: Fraction(1, 2),
    PassRule.TWO_THIRDS: Fraction(2, 3),
    PassRule.THREE_QUARTERS: Fraction(3, 4),
    Quorum.MAJORITY: Fraction(1, 2),
    Quorum.TWO_THIRDS: Fraction(2, 3),
}
STRICT = {PassRule.MAJORITY, Quorum.MAJORITY}  # "more than" rather than "at least"


def needed(rule: str, base: int) -> int:
    """The smallest count that meets ``rule`` out of ``base``: more than half, or at least the share."""
    share = SHARE[rule] * base
    if rule in STRICT:
        return int(share) + 1  # more than half: 10 → 6, 9 → 5
    whole = int(share)
    return whole if whole == share else whole + 1  # at least two thirds: 9 → 6, 10 → 7


@dataclass(frozen=True)
class Tally:
    yes: int
    no: int
    abstain: int
    entitled: int

    @property
    def cast(self) -> int:
        return self.yes + self.no + self.abstain


@dataclass(frozen=True)
class Outcome:
    passed: bool
    base: int  # the number the share is taken of
    needed: int  # the votes for it took
    yes: int


def outcome(rule: str, base: str, tally: Tally) -> Outcome:
    """Whether ``tally`` passes ``rule`` over ``base``. Nothing cast never passes."""
    counted = tally.cast if base == Base.CAST else tally.entitled
    need = needed(rule, counted)
    return Outcome(passed=counted > 0 and tally.yes >= need, base=counted, needed=need, yes=tally.yes)


def quorate(rule: str, present: int, entitled: int) -> bool:
    """Whether ``present`` of ``entitled`` make the quorum (a meeting with nobody entitled never does)."""
    return entitled > 0 and present >= needed(rule, entitled)
