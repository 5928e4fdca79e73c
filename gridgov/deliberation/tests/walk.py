"""How the workflow contract walks deliberation's topics, meetings and decisions
(``gridgov.testing.contract``)."""

from __future__ import annotations

from django.utils import timezone

from gridgov.deliberation import actions
from gridgov.deliberation.models import Decision, DecisionState, Meeting, MeetingState, Topic, TopicState
from gridgov.deliberation.workflow import DECISION, MEETING, TOPIC
from gridgov.testing.contract import Walker

from .conftest import GRID, make_deliberation, meeting_with


def _topic(dw) -> Topic:
    return actions.topic_propose(
        by=dw.residents[0], title="加装电梯", description="三号楼老人上下楼难", area=GRID
    )


def _decide(dw, topic: Topic, passed: bool) -> None:
    meeting, places = meeting_with(dw, [topic], roster=2)
    actions.meeting_open(by=dw.community, ref=meeting.ref)
    for p in places:
        actions.sign_in(by=dw.community, ref=meeting.ref, participant=p.pk)
    item = meeting.agenda.get()
    counts = {"yes": 2, "no": 0} if passed else {"yes": 0, "no": 2}
    actions.decide(by=dw.community, ref=meeting.ref, item=item.pk, abstain=0, text="同意", **counts)


def _topic_perform(dw, topic: Topic, action: str, branch: bool) -> None:  # noqa: ARG001
    if action == "place":
        actions.topic_place(by=dw.community, ref=topic.ref)
    elif action == "reach":
        for r in dw.residents[1 : 1 + topic.threshold]:
            actions.topic_support(by=r, ref=topic.ref)
    elif action == "withdraw":
        actions.topic_withdraw(by=dw.residents[0], ref=topic.ref, reason="已解决")
    elif action in ("pass", "fail"):
        _decide(dw, topic, action == "pass")
    else:
        raise AssertionError(f"no way to perform {action}")


WALKER = Walker(
    machine=TOPIC,
    world=make_deliberation,
    new=_topic,
    paths={TopicState.PROPOSED: (), TopicState.AGENDA: ("place",)},
    perform=_topic_perform,
)


def _meeting(dw) -> Meeting:
    topic = _topic(dw)
    actions.topic_place(by=dw.community, ref=topic.ref)
    return meeting_with(dw, [topic], roster=2)[0]


def _meeting_perform(dw, meeting: Meeting, action: str, branch: bool) -> None:  # noqa: ARG001
    if action == "open":
        actions.meeting_open(by=dw.community, ref=meeting.ref)
    elif action == "close":
        actions.meeting_close(by=dw.community, ref=meeting.ref, minutes="纪要")
    elif action == "cancel":
        actions.meeting_cancel(by=dw.community, ref=meeting.ref, reason="改期")
    else:
        raise AssertionError(f"no way to perform {action}")


MEETING_WALKER = Walker(
    machine=MEETING,
    world=make_deliberation,
    new=_meeting,
    paths={MeetingState.PLANNED: (), MeetingState.OPEN: ("open",)},
    perform=_meeting_perform,
)


def _decision(dw) -> Decision:
    topic = _topic(dw)
    actions.topic_place(by=dw.community, ref=topic.ref)
    _decide(dw, topic, True)
    return Decision.objects.get(topic=topic)


def _decision_perform(dw, decision: Decision, action: str, branch: bool) -> None:  # noqa: ARG001
    if action == "carry_out":
        Decision.objects.filter(pk=decision.pk).update(
            notice_until=timezone.now()
        )  # the notice period is over
        actions.decision_carry_out(by=dw.community, ref=decision.topic.ref, year=2026)
    elif action == "finish":
        actions.decision_finish(by=dw.community, ref=decision.topic.ref)
    else:
        raise AssertionError(f"no way to perform {action}")


DECISION_WALKER = Walker(
    machine=DECISION,
    world=make_deliberation,
    new=_decision,
    paths={DecisionState.NOTICE: (), DecisionState.CARRYING_OUT: ("carry_out",)},
    perform=_decision_perform,
)
