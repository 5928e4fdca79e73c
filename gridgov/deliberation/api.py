"""``/api/v1/deliberation``: topics (public) and their support, meetings with roster, sign-in, votes and
the computed decisions, objections and answers, carrying a decision out as a project, ratings, and the
public showcase (晒事). No name of a resident appears in a public answer."""

from datetime import date, datetime

from django.http import HttpRequest
from django.utils.translation import gettext_lazy
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from gridgov.core.cleaners import REASON_LIMIT, limit
from gridgov.core.pagination import Mapped, Pages
from gridgov.core.timeline import timeline_rows
from gridgov.deliberation import actions, selectors
from gridgov.deliberation.models import (
    Decision,
    DecisionRating,
    Meeting,
    Objection,
    Participant,
    Poll,
    Topic,
)
from gridgov.deliberation.workflow import MEETING, TOPIC

router = Router(tags=[gettext_lazy("议事协商")])


class TopicIn(Schema):
    title: str = Field(..., max_length=limit(Topic, "title"))
    description: str = Field(..., max_length=limit(Topic, "description"))
    area: str = Field(..., description=gettext_lazy("涉及区域编码（网格、社区或街道）"))
    building: int | None = Field(None, description=gettext_lazy("涉及的楼栋 id（可选）"))
    case: str | None = Field(
        None, description=gettext_lazy("由事件转为议题（商量办，工作人员）"), max_length=32
    )


class TopicFilters(Schema):
    area: str | None = Field(None, max_length=18)
    state: str | None = Field(None, max_length=12)


class DeliberationReasonIn(Schema):
    reason: str = Field("", max_length=REASON_LIMIT)


class DecisionOut(Schema):
    text: str
    state: str
    state_label: str
    published_at: datetime
    notice_until: datetime
    objections: int
    objections_open: int
    project: int | None
    progress: int | None = Field(None, description=gettext_lazy("办理项目的进度（%）"))
    ratings: int
    rating: float | None


class TopicOut(Schema):
    ref: str
    title: str
    description: str
    area: str
    area_name: str
    source: str
    proposer: str = Field(
        ..., description=gettext_lazy("提议人的身份（居民、党员、工作人员、事件），不显示姓名")
    )
    state: str
    state_label: str
    supporters: int
    threshold: int
    created_at: datetime
    decision: DecisionOut | None


class TopicDetailOut(TopicOut):
    allowed_actions: list[str]
    timeline: list[dict]


class MeetingIn(Schema):
    kind: str = Field(
        ...,
        description=gettext_lazy(
            "party_residents 党群议事会 / residents 居民议事会 / hearing 听证会 / consultation 协商会"
        ),
    )
    title: str = Field(..., max_length=limit(Meeting, "title"))
    area: str
    starts_at: datetime
    place: str = Field(..., max_length=limit(Meeting, "place"))
    topics: list[str] = Field(..., description=gettext_lazy("列入议程的议题编号"))
    quorum: str = Field(
        "majority",
        description=gettext_lazy("majority 过半数到会 / two_thirds 三分之二以上到会"),
        max_length=12,
    )
    rule: str = Field("majority", description="majority / two_thirds / three_quarters", max_length=16)
    base: str = Field(
        "cast", description=gettext_lazy("cast 以参与表决人数计 / entitled 以应到人数计"), max_length=10
    )


class ParticipantIn(Schema):
    role: str = Field(
        ...,
        description="resident_rep / committee / party_member / property / unit / concerned",
        max_length=14,
    )
    name: str = Field("", max_length=limit(Participant, "name"))
    user: int | None = None


class SignInIn(Schema):
    participant: int | None = Field(
        None, description=gettext_lazy("召集人代为签到时的参会人 id；本人签到时省略")
    )


class VoteIn(Schema):
    item: int
    choice: str = Field(..., description=gettext_lazy("yes 赞成 / no 反对 / abstain 弃权"), max_length=8)
    participant: int | None = Field(None, description=gettext_lazy("召集人录入纸质票时的参会人 id"))


class DecideIn(Schema):
    item: int
    text: str = Field(
        "", max_length=limit(Decision, "text"), description=gettext_lazy("通过时必填：决定内容")
    )
    yes: int | None = Field(None, description=gettext_lazy("举手表决的赞成数（没有逐人投票时）"))
    no: int | None = None
    abstain: int | None = None


class CloseIn(Schema):
    minutes: str = Field("", max_length=limit(Meeting, "minutes"))


class ItemOut(Schema):
    id: int
    topic: str
    title: str
    rule: str
    base: str
    yes: int
    no: int
    abstain: int
    ballots: int
    present: int
    entitled: int
    result: str
    result_label: str


class ParticipantOut(Schema):
    id: int
    name: str
    role: str
    role_label: str
    signed_in: bool


class MeetingOut(Schema):
    ref: str
    kind: str
    kind_label: str
    title: str
    area: str
    starts_at: datetime
    place: str
    state: str
    state_label: str
    quorum: dict
    minutes: str
    roster: list[ParticipantOut]
    agenda: list[ItemOut]
    allowed_actions: list[str]


class ObjectionIn(Schema):
    reason: str = Field(..., max_length=limit(Objection, "reason"))


class AnswerIn(Schema):
    answer: str = Field(..., max_length=limit(Objection, "answer"))


class ObjectionOut(Schema):
    id: int
    reason: str
    at: datetime
    answer: str
    answered_at: datetime | None


class CarryOutIn(Schema):
    year: int | None = Field(None, ge=2000, le=2100)
    end_date: date | None = None


class DeliberationRateIn(Schema):
    score: int = Field(..., description="1–5")
    comment: str = Field("", max_length=limit(DecisionRating, "comment"))


def decision_dict(decision: Decision | None) -> dict | None:
    if decision is None:
        return None
    objections = list(decision.objections.all())
    return {
        "text": decision.text,
        "state": decision.state,
        "state_label": str(decision.get_state_display()),
        "published_at": decision.published_at,
        "notice_until": decision.notice_until,
        "objections": len(objections),
        "objections_open": sum(1 for o in objections if o.answered_at is None),
        "project": decision.project_id,
        "progress": decision.project.progress if decision.project_id else None,
        "ratings": getattr(decision, "rating_count", 0) or 0,
        "rating": round(float(decision.rating_mean), 2) if getattr(decision, "rating_mean", None) else None,
    }


def topic_dict(topic: Topic, decision: Decision | None = None) -> dict:
    return {
        "ref": topic.ref,
        "title": topic.title,
        "description": topic.description,
        "area": topic.area_code,
        "area_name": topic.area.name,
        "source": topic.source,
        "proposer": selectors.proposer_label(topic),
        "state": topic.state,
        "state_label": str(topic.get_state_display()),
        "supporters": topic.supporters,
        "threshold": topic.threshold,
        "created_at": topic.created_at,
        "decision": decision_dict(decision),
    }


def topic_detail(user, ref: str) -> dict:
    topic = selectors.topic_get(ref)
    return {
        **topic_dict(topic, selectors.decision_of(topic)),
        "allowed_actions": TOPIC.allowed_actions(user, topic),
        "timeline": [
            {
                "at": e["at"],
                "action": e["action"],
                "label": e["label"],
                "to_state": e["to_state"],
                "note": e["note"],
            }
            for e in timeline_rows(topic, TOPIC.labels())  # no actor: the page is public
        ],
    }


def meeting_dict(user, meeting: Meeting) -> dict:
    return {
        "ref": meeting.ref,
        "kind": meeting.kind,
        "kind_label": str(meeting.get_kind_display()),
        "title": meeting.title,
        "area": meeting.area_code,
        "starts_at": meeting.starts_at,
        "place": meeting.place,
        "state": meeting.state,
        "state_label": str(meeting.get_state_display()),
        "quorum": selectors.quorum_of(meeting),
        "minutes": meeting.minutes,
        "roster": [
            {
                "id": p.pk,
                "name": p.name,
                "role": p.role,
                "role_label": str(p.get_role_display()),
                "signed_in": p.signed_in_at is not None,
            }
            for p in meeting.roster.all()
        ],
        "agenda": [
            {
                "id": i.pk,
                "topic": i.topic.ref,
                "title": i.topic.title,
                "rule": i.rule,
                "base": i.base,
                "yes": i.yes,
                "no": i.no,
                "abstain": i.abstain,
                "ballots": i.ballots_yes + i.ballots_no + i.ballots_abstain,
                "present": i.present,
                "entitled": i.entitled,
                "result": i.result,
                "result_label": str(i.get_result_display()),
            }
            for i in selectors.agenda_of(meeting)
        ],
        "allowed_actions": MEETING.allowed_actions(user, meeting),
    }


# ---------------------------------------------------------------- topics


@router.get(
    "/topics", response=list[TopicOut], auth=None, summary=gettext_lazy("议题（公开；提议人只显示身份）")
)
@paginate(Pages, page_size=50)
def list_topics(request: HttpRequest, q: Query[TopicFilters]):
    return Mapped(selectors.topics(area=q.area, state=q.state), topic_dict)


@router.post(
    "/topics",
    response={201: TopicDetailOut},
    summary=gettext_lazy("提议（居民、党员、工作人员；工作人员可把事件转为议题）"),
)
def propose(request: HttpRequest, payload: TopicIn):
    topic = actions.topic_propose(by=request.auth, **payload.dict())
    return Status(201, topic_detail(request.auth, topic.ref))


@router.get(
    "/topics/{ref}",
    response=TopicDetailOut,
    auth=None,
    summary=gettext_lazy("议题详情、决定、办理进度与时间线（公开）"),
)
def get_topic(request: HttpRequest, ref: str):
    return topic_detail(request.user if request.user.is_authenticated else None, ref)


@router.post(
    "/topics/{ref}/support", response=TopicDetailOut, summary=gettext_lazy("支持议题（达到人数自动列入议程）")
)
def support(request: HttpRequest, ref: str):
    actions.topic_support(by=request.auth, ref=ref)
    return topic_detail(request.auth, ref)


@router.post("/topics/{ref}/place", response=TopicDetailOut, summary=gettext_lazy("列入议程（工作人员）"))
def place(request: HttpRequest, ref: str):
    actions.topic_place(by=request.auth, ref=ref)
    return topic_detail(request.auth, ref)


@router.post(
    "/topics/{ref}/withdraw", response=TopicDetailOut, summary=gettext_lazy("撤回议题（提议人，须填写原因）")
)
def withdraw(request: HttpRequest, ref: str, payload: DeliberationReasonIn):
    actions.topic_withdraw(by=request.auth, ref=ref, reason=payload.reason)
    return topic_detail(request.auth, ref)


@router.post(
    "/topics/{ref}/objections", response={201: ObjectionOut}, summary=gettext_lazy("公示期内提出异议")
)
def object_to(request: HttpRequest, ref: str, payload: ObjectionIn):
    o = actions.decision_object(by=request.auth, ref=ref, reason=payload.reason)
    return Status(
        201, {"id": o.pk, "reason": o.reason, "at": o.at, "answer": o.answer, "answered_at": o.answered_at}
    )


@router.post(
    "/objections/{objection_id}/answer", response=ObjectionOut, summary=gettext_lazy("答复异议（工作人员）")
)
def answer(request: HttpRequest, objection_id: int, payload: AnswerIn):
    o = actions.objection_answer(by=request.auth, objection=objection_id, answer=payload.answer)
    return {"id": o.pk, "reason": o.reason, "at": o.at, "answer": o.answer, "answered_at": o.answered_at}


@router.post(
    "/topics/{ref}/carry-out",
    response=TopicDetailOut,
    summary=gettext_lazy("决定转入办理：生成项目（公示期满且异议均已答复）"),
)
def carry_out(request: HttpRequest, ref: str, payload: CarryOutIn):
    actions.decision_carry_out(by=request.auth, ref=ref, **payload.dict())
    return topic_detail(request.auth, ref)


@router.post("/topics/{ref}/finish", response=TopicDetailOut, summary=gettext_lazy("决定办结"))
def finish(request: HttpRequest, ref: str):
    actions.decision_finish(by=request.auth, ref=ref)
    return topic_detail(request.auth, ref)


@router.post(
    "/topics/{ref}/rate", response=TopicDetailOut, summary=gettext_lazy("居民评价决定的办理（1–5 分）")
)
def rate(request: HttpRequest, ref: str, payload: DeliberationRateIn):
    actions.decision_rate(by=request.auth, ref=ref, **payload.dict())
    return topic_detail(request.auth, ref)


@router.get(
    "/showcase",
    response=list[TopicOut],
    auth=None,
    summary=gettext_lazy("晒事：已作出的决定、办理进度和评价（公开）"),
)
@paginate(Pages, page_size=50)
def showcase(request: HttpRequest, area: str | None = None):
    return Mapped(selectors.showcase(area=area), lambda d: topic_dict(d.topic, d))


# ---------------------------------------------------------------- resident-wide votes


class PollIn(Schema):
    question: str = Field(..., max_length=limit(Poll, "question"))
    area: str = Field(
        ..., max_length=18, description=gettext_lazy("投票区域编码（有权投票的是台账中在册的居民或户）")
    )
    closes_at: datetime
    per: str = Field(
        "person", description=gettext_lazy("person 一人一票 / household 一户一票"), max_length=10
    )
    rule: str = Field("majority", max_length=16)
    base: str = Field("cast", max_length=10)


class PollVoteIn(Schema):
    id_number: str = Field(
        ..., max_length=18, description=gettext_lazy("投票人身份证号（只用于比对台账，不保存）")
    )
    choice: str = Field(..., max_length=8, description="yes / no / abstain")


class PollCloseIn(Schema):
    text: str = Field(
        "", max_length=limit(Decision, "text"), description=gettext_lazy("通过时必填：决定内容")
    )


class PollOut(Schema):
    id: int
    topic: str
    question: str
    area: str
    per: str
    rule: str
    base: str
    entitled: int
    votes: int
    closes_at: datetime
    state: str
    result: str


def poll_dict(poll: Poll) -> dict:
    return {
        "id": poll.pk,
        "topic": poll.topic.ref,
        "question": poll.question,
        "area": poll.area_code,
        "per": poll.per,
        "rule": poll.rule,
        "base": poll.base,
        "entitled": poll.entitled,
        "votes": poll.votes.count(),
        "closes_at": poll.closes_at,
        "state": poll.state,
        "result": poll.result,
    }


@router.post(
    "/topics/{ref}/polls", response={201: PollOut}, summary=gettext_lazy("发起居民表决（一人一票或一户一票）")
)
def open_poll(request: HttpRequest, ref: str, payload: PollIn):
    return Status(201, poll_dict(actions.poll_open(by=request.auth, ref=ref, **payload.dict())))


@router.post(
    "/polls/{poll_id}/votes",
    response={201: PollOut},
    summary=gettext_lazy("投票：居民网上投票，或召集人录入纸质票"),
)
def poll_vote(request: HttpRequest, poll_id: int, payload: PollVoteIn):
    vote = actions.poll_vote(by=request.auth, poll=poll_id, **payload.dict())
    return Status(201, poll_dict(vote.poll))


@router.post("/polls/{poll_id}/close", response=PollOut, summary=gettext_lazy("结束居民表决（系统计算结果）"))
def close_poll(request: HttpRequest, poll_id: int, payload: PollCloseIn):
    return poll_dict(actions.poll_close(by=request.auth, poll=poll_id, text=payload.text))


# ---------------------------------------------------------------- meetings


@router.get(
    "/meetings", response=list[MeetingOut], summary=gettext_lazy("议事会（工作人员本辖区；参会人本人的）")
)
@paginate(Pages, page_size=20)
def list_meetings(request: HttpRequest):
    user = request.auth
    return Mapped(selectors.meetings_visible(user), lambda m: meeting_dict(user, m))


@router.post(
    "/meetings", response={201: MeetingOut}, summary=gettext_lazy("召集议事会（议程为已列入议程的议题）")
)
def create_meeting(request: HttpRequest, payload: MeetingIn):
    meeting = actions.meeting_create(by=request.auth, **payload.dict())
    return Status(201, meeting_dict(request.auth, meeting))


@router.get(
    "/meetings/{ref}",
    response=MeetingOut,
    summary=gettext_lazy("议事会详情：名单、签到、法定人数、议程与表决结果"),
)
def get_meeting(request: HttpRequest, ref: str):
    return meeting_dict(request.auth, selectors.meeting_get(request.auth, ref))


@router.post(
    "/meetings/{ref}/participants", response={201: MeetingOut}, summary=gettext_lazy("增加参会人（会前）")
)
def add_participant(request: HttpRequest, ref: str, payload: ParticipantIn):
    actions.participant_add(by=request.auth, ref=ref, **payload.dict())
    return Status(201, meeting_dict(request.auth, selectors.meeting_get(request.auth, ref)))


@router.post("/meetings/{ref}/open", response=MeetingOut, summary=gettext_lazy("开会（开始签到）"))
def open_meeting(request: HttpRequest, ref: str):
    meeting = actions.meeting_open(by=request.auth, ref=ref)
    return meeting_dict(request.auth, meeting)


@router.post(
    "/meetings/{ref}/sign-in", response=MeetingOut, summary=gettext_lazy("签到（本人，或召集人代为签到）")
)
def sign_in(request: HttpRequest, ref: str, payload: SignInIn):
    actions.sign_in(by=request.auth, ref=ref, participant=payload.participant)
    return meeting_dict(request.auth, selectors.meeting_get(request.auth, ref))


@router.post("/meetings/{ref}/vote", response=MeetingOut, summary=gettext_lazy("投票（每人每项一票）"))
def cast(request: HttpRequest, ref: str, payload: VoteIn):
    actions.vote(by=request.auth, ref=ref, **payload.dict())
    return meeting_dict(request.auth, selectors.meeting_get(request.auth, ref))


@router.post(
    "/meetings/{ref}/decide",
    response=MeetingOut,
    summary=gettext_lazy("表决结果（系统计算；不足法定人数不能表决）"),
)
def decide(request: HttpRequest, ref: str, payload: DecideIn):
    actions.decide(by=request.auth, ref=ref, **payload.dict())
    return meeting_dict(request.auth, selectors.meeting_get(request.auth, ref))


@router.post("/meetings/{ref}/close", response=MeetingOut, summary=gettext_lazy("结束会议（会议纪要）"))
def close(request: HttpRequest, ref: str, payload: CloseIn):
    meeting = actions.meeting_close(by=request.auth, ref=ref, minutes=payload.minutes)
    return meeting_dict(request.auth, meeting)


@router.post(
    "/meetings/{ref}/cancel", response=MeetingOut, summary=gettext_lazy("取消会议（会前，须填写原因）")
)
def cancel(request: HttpRequest, ref: str, payload: DeliberationReasonIn):
    meeting = actions.meeting_cancel(by=request.auth, ref=ref, reason=payload.reason)
    return meeting_dict(request.auth, meeting)
