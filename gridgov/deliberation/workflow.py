"""The deliberation workflows as data, read by the shared :class:`gridgov.core.workflow.Machine`.

Topic: 征集支持 → 待议 when its support reaches the threshold (the system) or staff place it; → 已议定 or
未通过 when a meeting votes on it (the system, from the computed result); the proposer may withdraw it
while it gathers support. Meeting: 筹备中 → 会议进行中 (sign-in opens) → 已结束; cancelled with a reason
before it opens. Decision: 公示中 → 办理中 when the notice period is over and every objection is answered
(staff start the work) → 已办结 when the work is done.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.core.scope import command_staff_in_scope, staff_in_scope
from gridgov.core.workflow import SYSTEM, Condition, Machine, Transition
from gridgov.deliberation.models import (
    Decision,
    DecisionState,
    Meeting,
    MeetingState,
    Topic,
    TopicState,
)

T, M, D = TopicState, MeetingState, DecisionState


def is_convener(user, obj) -> bool:
    """The command staff (community, street, district) of the area convene and keep deliberation."""
    return command_staff_in_scope(user, obj.area_code)


def is_proposer(user, topic: Topic) -> bool:
    return getattr(user, "pk", None) is not None and topic.proposer_id == user.pk


def _topic_visible(user, topic: Topic) -> bool:
    return True  # topics are public (the showcase); what may be done with them is the actors' rule


def _staff_visible(user, obj) -> bool:
    return staff_in_scope(user, obj.area_code)


TOPIC = Machine(
    _("议题"),
    (
        Transition("place", _("列入议程"), (T.PROPOSED,), T.AGENDA, "convener"),
        Transition("reach", _("支持人数达到上会标准"), (T.PROPOSED,), T.AGENDA, SYSTEM),
        Transition("withdraw", _("撤回议题"), (T.PROPOSED,), T.WITHDRAWN, "proposer", needs_reason=True),
        Transition("pass", _("表决通过"), (T.AGENDA,), T.DECIDED, SYSTEM),
        Transition("fail", _("表决未通过"), (T.AGENDA,), T.NOT_PASSED, SYSTEM),
    ),
    {"convener": is_convener, "proposer": is_proposer},
    model=Topic,
    visible=_topic_visible,
    steps={"propose": _("提出议题")},
)

MEETING = Machine(
    _("议事会"),
    (
        Transition("open", _("开会签到"), (M.PLANNED,), M.OPEN, "convener"),
        Transition("close", _("结束会议"), (M.OPEN,), M.CLOSED, "convener"),
        Transition("cancel", _("取消会议"), (M.PLANNED,), M.CANCELLED, "convener", needs_reason=True),
    ),
    {"convener": is_convener},
    model=Meeting,
    visible=_staff_visible,
    steps={"create": _("召集会议")},
)


def _notice_over(decision: Decision) -> bool:
    return timezone.now() >= decision.notice_until


def _objections_answered(decision: Decision) -> bool:
    return not decision.objections.filter(answered_at__isnull=True).exists()


DECISION = Machine(
    _("议事决定"),
    (
        Transition("carry_out", _("转入办理"), (D.NOTICE,), D.CARRYING_OUT, "convener"),
        Transition("finish", _("办结"), (D.CARRYING_OUT,), D.DONE, "convener"),
    ),
    {"convener": is_convener},
    {
        "carry_out": Condition(
            lambda d: _notice_over(d) and _objections_answered(d),
            _("公示期未满，或还有未答复的异议"),
        )
    },
    model=Decision,
    visible=lambda user, decision: True,
    steps={"publish": _("公示决定")},
)
