"""The assessment round as data, read by the shared :class:`gridgov.core.workflow.Machine`.

评分中 (open: evaluators give their scores, the ranking is computed live) → 已冻结 (frozen: every score and
input kept; the period's ranking never changes again) → 已发布 (published to the ranked areas' inboxes). A
frozen round that is not yet published may be reopened with a reason (a missing score found before
publication); the reopening is on the round's timeline and in the audit log.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.assessment.models import Round, RoundState
from gridgov.assessment.selectors import manages, round_visible
from gridgov.core.workflow import Condition, Machine, Transition

S = RoundState


def is_manager(user, obj) -> bool:
    """Who keeps a scheme and its rounds: admins, and the command staff whose scope holds the scheme's
    area (the district's staff for a district scheme; a street's staff for its own)."""
    return manages(user, obj.scheme if isinstance(obj, Round) else obj)


def _period_over(rnd: Round) -> bool:
    return timezone.localdate() > rnd.end


ROUND = Machine(
    _("考核期"),
    (
        Transition("freeze", _("冻结排名"), (S.OPEN,), S.FROZEN, "manager"),
        Transition("reopen", _("重新开放评分"), (S.FROZEN,), S.OPEN, "manager", needs_reason=True),
        Transition("publish", _("发布排名"), (S.FROZEN,), S.PUBLISHED, "manager"),
    ),
    {"manager": is_manager},
    {"freeze": Condition(_period_over, _("考核期尚未结束，期满后才能冻结排名"))},
    model=Round,
    visible=round_visible,
    related=("scheme",),
    steps={"open": _("开始考核期")},
)
