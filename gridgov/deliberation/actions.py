"""Every write of deliberation (M10): propose and support topics, convene meetings with their roster and
agenda, sign in, vote, decide (the result computed from the rules, refused without quorum), publish the
decision for objections, answer them, carry the decision out as a project, rate it."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.accounts.models import Role, User
from gridgov.areas.models import Area
from gridgov.cases.models import Case
from gridgov.core import audit, cleaners, uploads
from gridgov.core.cleaners import REASON_LIMIT, limit
from gridgov.core.errors import Conflict, DomainError, NotFound
from gridgov.core.models import Upload
from gridgov.core.scope import command_staff_in_scope, is_staff, staff_in_scope
from gridgov.core.sequences import next_ref
from gridgov.deliberation import rules
from gridgov.deliberation.models import (
    AgendaItem,
    Ballot,
    Choice,
    Decision,
    DecisionRating,
    DecisionState,
    ItemResult,
    Meeting,
    MeetingKind,
    MeetingState,
    Objection,
    Participant,
    ParticipantRole,
    Poll,
    PollChannel,
    PollPer,
    PollState,
    PollVote,
    RefCounter,
    Support,
    Topic,
    TopicSource,
    TopicState,
)
from gridgov.deliberation.workflow import DECISION, MEETING, TOPIC, is_convener
from gridgov.ledger.actions import find_resident_by_id_number
from gridgov.ledger.models import Building, Resident
from gridgov.notify.actions import tell
from gridgov.notify.models import Kind
from gridgov.party.models import Member
from gridgov.projects.actions import project_create

RESIDENT_ROLES = (Role.RESIDENT, Role.VOLUNTEER)


def _signed_in(by) -> None:
    if by is None or not getattr(by, "is_authenticated", False):
        raise DomainError("unauthorized", _("请先登录"), status=401)


def _area(code: str, field: str = "area") -> Area:
    area = Area.objects.filter(code=(code or "").strip(), is_active=True).first()
    if area is None:
        raise NotFound(_("区域 %(code)s 不存在或已撤销") % {"code": code}, field=field)
    return area


def _require_convener(by: User, code: str) -> None:
    if not command_staff_in_scope(by, code):
        raise DomainError("forbidden", _("只有本辖区社区、街道或区级工作人员可以召集议事"), status=403)


# ---------------------------------------------------------------- 提: topics and support


def topic_propose(
    *,
    by: User,
    title: str,
    description: str,
    area: str,
    building: int | None = None,
    case: str | None = None,
    photos: list | None = None,
) -> Topic:
    """Propose (提议) a topic for an area (a building, grid, community or street): a resident, a party member or staff;
    staff may bring a case to deliberation (商量办). Its support threshold is the area level's."""
    _signed_in(by)
    title = cleaners.text(title, "title", limit=limit(Topic, "title"), required=True, label=_("议题"))
    description = cleaners.text(
        description, "description", limit=limit(Topic, "description"), required=True, label=_("说明")
    )
    place = _area(area)
    staff = is_staff(by)
    if staff and not staff_in_scope(by, place.code):
        raise NotFound(_("区域 %(code)s 不存在或已撤销") % {"code": area}, field="area")
    if not staff and by.role not in RESIDENT_ROLES:
        raise DomainError("forbidden", _("只有居民、党员和工作人员可以提议"), status=403)
    house = None
    if building:
        house = Building.objects.filter(pk=building, is_active=True, area_code__startswith=place.code).first()
        if house is None:
            raise NotFound(_("楼栋不存在或不在该区域内"), field="building")
    source_case = None
    if case:
        if not staff:
            raise DomainError("forbidden", _("只有工作人员可以把事件转为议题"), status=403)
        source_case = Case.objects.filter(ref=case).first()
        if source_case is None or not staff_in_scope(by, source_case.area_code):
            raise NotFound(_("事件 %(ref)s 不存在或不在您的管辖范围内") % {"ref": case}, field="case")
    if source_case is not None:
        source = TopicSource.CASE
    elif staff:
        source = TopicSource.STAFF
    elif Member.objects.filter(user=by, is_active=True).exists():
        source = TopicSource.MEMBER
    else:
        source = TopicSource.RESIDENT
    pictures = uploads.prepare(photos, "photos")  # checked and cleaned before anything is written
    now = timezone.now()
    ref = next_ref(RefCounter, "YT", timezone.localdate(now), series="YT")
    with transaction.atomic():
        topic = Topic.objects.create(
            ref=ref,
            title=title,
            description=description,
            area=place,
            area_code=place.code,
            building=house,
            source=source,
            case=source_case,
            proposer=by,
            threshold=settings.DELIBERATION_SUPPORT.get(
                place.level, settings.DELIBERATION_SUPPORT["community"]
            ),
            created_at=now,
        )
        event = TOPIC.record(topic, by, "propose", "", at=now)
        uploads.save(pictures, owner=topic, role=Upload.Role.PHOTO, step=event, by=by, at=now)
    return topic


def topic_support(*, by: User, ref: str) -> Topic:
    """Support (支持) a topic (residents and members, once each); the support that reaches the threshold puts it on
    the agenda."""
    _signed_in(by)
    if by.role not in RESIDENT_ROLES:
        raise DomainError("forbidden", _("只有居民和党员可以支持议题"), status=403)
    now = timezone.now()
    with transaction.atomic():
        topic = TOPIC.lock(by, ref=ref)
        if topic.state != TopicState.PROPOSED:
            raise TOPIC.conflict(topic, "not_open", _("该议题已不再征集支持"))
        if topic.proposer_id == by.pk:
            raise Conflict("own_topic", _("不能支持自己提出的议题"), "ref")
        try:
            with transaction.atomic():
                Support.objects.create(topic=topic, user=by, at=now)
        except IntegrityError:
            raise Conflict("already_supported", _("您已经支持过这个议题"), "ref") from None
        topic.supporters += 1
        topic.save(update_fields=["supporters"])
        audit.record(
            actor=by, verb="deliberation.topic.support", obj=topic, after={"supporters": topic.supporters}
        )
        if topic.supporters >= topic.threshold:
            with TOPIC.transition(topic, "reach", by=None, check=False, at=now, fields=["supporters"]):
                pass
    return topic


def topic_place(*, by: User, ref: str) -> Topic:
    """Place a topic on the agenda (列入议程) by staff, whatever the support."""
    return TOPIC.move(by, "place", ref=ref)


def topic_withdraw(*, by: User, ref: str, reason: str) -> Topic:
    reason = cleaners.text(reason, "reason", limit=REASON_LIMIT)
    return TOPIC.move(by, "withdraw", reason=reason, ref=ref)


# ---------------------------------------------------------------- 议: meetings


def meeting_create(
    *,
    by: User,
    kind: str,
    title: str,
    area: str,
    starts_at: datetime | str,
    place: str,
    topics: list[str],
    quorum: str = rules.Quorum.MAJORITY,
    rule: str = rules.PassRule.MAJORITY,
    base: str = rules.Base.CAST,
) -> Meeting:
    """Convene (召集) a meeting with its agenda (topics on the agenda inside its area), each item under ``rule`` of
    ``base``; the roster is added after (:func:`participant_add`)."""
    kind = cleaners.choice(kind, "kind", MeetingKind, label=_("会议类型"))
    quorum = cleaners.choice(quorum, "quorum", rules.Quorum, label=_("法定人数"))
    rule = cleaners.choice(rule, "rule", rules.PassRule, label=_("表决规则"))
    base = cleaners.choice(base, "base", rules.Base, label=_("计票基数"))
    title = cleaners.text(title, "title", limit=limit(Meeting, "title"), required=True, label=_("会议名称"))
    place = cleaners.text(place, "place", limit=limit(Meeting, "place"), required=True, label=_("地点"))
    when = cleaners.a_moment(starts_at, "starts_at", required=True, label=_("开会时间"))
    venue = _area(area)
    _require_convener(by, venue.code)
    refs = list(dict.fromkeys(topics or []))
    if not refs:
        raise DomainError("required", _("请选择要议的议题"), "topics")
    found = {t.ref: t for t in Topic.objects.filter(ref__in=refs)}
    for ref in refs:
        topic = found.get(ref)
        if topic is None or not topic.area_code.startswith(venue.code):
            raise NotFound(_("议题 %(ref)s 不存在或不在该会议的区域内") % {"ref": ref}, field="topics")
        if topic.state != TopicState.AGENDA:
            raise Conflict("not_on_agenda", _("议题 %(ref)s 还没有列入议程") % {"ref": ref}, "topics")
    now = timezone.now()
    ref = next_ref(RefCounter, "YS", timezone.localdate(now), series="YS")
    with transaction.atomic():
        meeting = Meeting.objects.create(
            ref=ref,
            kind=kind,
            title=title,
            area=venue,
            area_code=venue.code,
            starts_at=when,
            place=place,
            quorum=quorum,
            organiser=by,
            created_at=now,
        )
        AgendaItem.objects.bulk_create(
            [
                AgendaItem(meeting=meeting, topic=found[r], order=i, rule=rule, base=base)
                for i, r in enumerate(refs)
            ]
        )
        MEETING.record(meeting, by, "create", "", at=now)
    return meeting


def participant_add(*, by: User, ref: str, role: str, name: str = "", user: int | None = None) -> Participant:
    """A place on the roster (before the meeting opens): an account, or a name (a unit's delegate)."""
    role = cleaners.choice(role, "role", ParticipantRole, label=_("身份"))
    with transaction.atomic():
        meeting = MEETING.lock(by, ref=ref)
        _require_convener(by, meeting.area_code)
        if meeting.state != MeetingState.PLANNED:
            raise MEETING.conflict(meeting, "roster_closed", _("会议开始后不能再增加参会人"))
        person = User.objects.filter(pk=user, is_active=True).first() if user else None
        if user and person is None:
            raise NotFound(_("账号 %(id)s 不存在或已停用") % {"id": user}, field="user")
        name = cleaners.text(
            name or (str(person) if person else ""),
            "name",
            limit=limit(Participant, "name"),
            required=True,
            label=_("姓名"),
        )
        try:
            with transaction.atomic():
                place = Participant.objects.create(meeting=meeting, user=person, name=name, role=role)
                audit.record(
                    actor=by,
                    verb="deliberation.participant.add",
                    obj=meeting,
                    after={"participant": place.pk, "role": role},
                )
        except IntegrityError:
            raise Conflict("duplicate", _("此人已在参会名单中"), "user") from None
        if person is not None:
            tell(
                [person],
                Kind.DELIBERATION,
                meeting,
                gettext_lazy("邀请您参加%(title)s：%(when)s，%(place)s"),
                params={
                    "title": meeting.title,
                    "when": timezone.localtime(meeting.starts_at).strftime("%Y-%m-%d %H:%M"),
                    "place": meeting.place,
                },
            )
        return place


def meeting_open(*, by: User, ref: str) -> Meeting:
    with transaction.atomic():
        meeting = MEETING.lock(by, ref=ref)
        if not meeting.roster.exists():
            raise MEETING.conflict(meeting, "no_roster", _("请先确定参会名单"))
        with MEETING.transition(meeting, "open", by=by, fields=[]):
            pass
    return meeting


def meeting_cancel(*, by: User, ref: str, reason: str) -> Meeting:
    reason = cleaners.text(reason, "reason", limit=REASON_LIMIT)
    return MEETING.move(by, "cancel", reason=reason, ref=ref)


def sign_in(*, by: User, ref: str, participant: int | None = None) -> Participant:
    """Sign in (签到) against the roster while the meeting is open: the convener signs anyone in; a participant with
    an account signs themselves in."""
    now = timezone.now()
    with transaction.atomic():
        meeting = MEETING.lock(
            by,
            ref=ref,
            visible=lambda u, m: staff_in_scope(u, m.area_code) or m.roster.filter(user=u).exists(),
        )
        if meeting.state != MeetingState.OPEN:
            raise MEETING.conflict(meeting, "not_open", _("会议尚未开始或已结束"))
        if is_convener(by, meeting) and participant:
            place = meeting.roster.filter(pk=participant).first()
        else:
            place = meeting.roster.filter(user=by).first()
        if place is None:
            raise NotFound(_("参会名单中没有此人"), field="participant")
        if place.signed_in_at is None:
            place.signed_in_at = now
            place.save(update_fields=["signed_in_at"])
            audit.record(actor=by, verb="deliberation.sign_in", obj=meeting, after={"participant": place.pk})
    return place


def _item(meeting: Meeting, item_id: int) -> AgendaItem:
    item = meeting.agenda.select_related("topic").filter(pk=item_id).first()
    if item is None:
        raise NotFound(_("议程不存在"), field="item")
    return item


def vote(*, by: User, ref: str, item: int, choice: str, participant: int | None = None) -> Ballot:
    """Vote (投票): one ballot per participant and item, from a signed-in participant (or entered for them by the
    convener from a paper ballot); a second ballot of the same person is refused."""
    choice = cleaners.choice(choice, "choice", Choice, label=_("表决意见"))
    with transaction.atomic():
        meeting = MEETING.lock(
            by,
            ref=ref,
            visible=lambda u, m: staff_in_scope(u, m.area_code) or m.roster.filter(user=u).exists(),
        )
        if meeting.state != MeetingState.OPEN:
            raise MEETING.conflict(meeting, "not_open", _("会议尚未开始或已结束"))
        agenda_item = _item(meeting, item)
        if agenda_item.result != ItemResult.PENDING:
            raise Conflict("decided", _("该议程已表决"), "item")
        if is_convener(by, meeting) and participant:
            place = meeting.roster.filter(pk=participant).first()
        else:
            place = meeting.roster.filter(user=by).first()
        if place is None:
            raise NotFound(_("参会名单中没有此人"), field="participant")
        if place.signed_in_at is None:
            raise Conflict("not_signed_in", _("未签到的参会人不能投票"), "participant")
        try:
            with transaction.atomic():
                ballot = Ballot.objects.create(
                    item=agenda_item, participant=place, choice=choice, at=timezone.now()
                )
        except IntegrityError:
            raise Conflict("already_voted", _("此人已对该议程投票"), "participant") from None
        audit.record(actor=by, verb="deliberation.vote", obj=agenda_item, after={"participant": place.pk})
        return ballot


def decide(
    *,
    by: User,
    ref: str,
    item: int,
    text: str = "",
    yes: int | None = None,
    no: int | None = None,
    abstain: int | None = None,
) -> AgendaItem:
    """Decide (定): close the vote on an item. The counts are the ballots' (or, for a show of hands with no ballots,
    the counts given); the result is computed under the item's rule, and a meeting without quorum cannot
    decide (409, nothing is written). A passed item becomes a decision, published for the notice period."""
    text = cleaners.text(text, "text", limit=limit(Decision, "text"))
    now = timezone.now()
    with transaction.atomic():
        meeting = MEETING.lock(by, ref=ref)
        _require_convener(by, meeting.area_code)
        if meeting.state != MeetingState.OPEN:
            raise MEETING.conflict(meeting, "not_open", _("会议尚未开始或已结束"))
        agenda_item = _item(meeting, item)
        if agenda_item.result != ItemResult.PENDING:
            raise Conflict("decided", _("该议程已表决"), "item")
        entitled = meeting.roster.count()
        present = meeting.roster.filter(signed_in_at__isnull=False).count()
        if not rules.quorate(meeting.quorum, present, entitled):
            raise Conflict(
                "no_quorum",
                _("实到 %(present)s 人，未达到法定人数（应到 %(entitled)s 人，需 %(needed)s 人），不能表决")
                % {
                    "present": present,
                    "entitled": entitled,
                    "needed": rules.needed(meeting.quorum, entitled),
                },
                "item",
            )
        counted = dict.fromkeys(Choice.values, 0)
        ballots = list(agenda_item.ballots.values_list("choice", flat=True))
        for c in ballots:
            counted[c] += 1
        if not ballots:
            counted = {
                Choice.YES: cleaners.integer(yes, "yes", label=_("赞成"), low=0, high=present, required=True),
                Choice.NO: cleaners.integer(no, "no", label=_("反对"), low=0, high=present) or 0,
                Choice.ABSTAIN: cleaners.integer(abstain, "abstain", label=_("弃权"), low=0, high=present)
                or 0,
            }
            if sum(counted.values()) > present:
                raise DomainError("invalid", _("票数之和不能超过实到人数"), "yes")
        tally = rules.Tally(counted[Choice.YES], counted[Choice.NO], counted[Choice.ABSTAIN], entitled)
        result = rules.outcome(agenda_item.rule, agenda_item.base, tally)
        if result.passed and not text:
            raise DomainError("required", _("请填写决定内容"), "text")
        agenda_item.yes, agenda_item.no, agenda_item.abstain = tally.yes, tally.no, tally.abstain
        agenda_item.entitled, agenda_item.present = entitled, present
        agenda_item.result = ItemResult.PASSED if result.passed else ItemResult.NOT_PASSED
        agenda_item.decided_at = now
        agenda_item.save()
        attendees = [p.user for p in meeting.roster.select_related("user") if p.user_id]
        _settle(agenda_item.topic_id, result.passed, text, by, now, attendees, item=agenda_item)
        audit.record(
            actor=by,
            verb="deliberation.item.decide",
            obj=agenda_item,
            after={"yes": tally.yes, "no": tally.no, "abstain": tally.abstain, "present": present,
                   "entitled": entitled, "passed": result.passed},
        )  # fmt: skip
    return agenda_item


def _settle(topic_id: int, passed: bool, text: str, by, now, told: list, *, item=None, poll=None) -> None:
    """The topic follows the computed result; a passed one becomes a decision published for the notice
    period; those who took part and the proposer are told."""
    topic = Topic.objects.select_for_update().get(pk=topic_id)
    with TOPIC.transition(topic, "pass" if passed else "fail", by=None, check=False, at=now, fields=[]):
        pass
    if passed:
        decision = Decision.objects.create(
            item=item,
            poll=poll,
            topic=topic,
            area_code=topic.area_code,
            text=text,
            published_at=now,
            notice_until=now + timedelta(days=settings.DELIBERATION_NOTICE_DAYS),
        )
        DECISION.record(decision, by, "publish", "", at=now)
    tell(
        list({u.pk: u for u in [*told, topic.proposer]}.values()),
        Kind.DELIBERATION,
        topic,
        gettext_lazy("议题「%(title)s」表决通过") if passed else gettext_lazy("议题「%(title)s」表决未通过"),
        params={"title": topic.title},
    )


# ---------------------------------------------------------------- resident-wide votes


def poll_open(
    *,
    by: User,
    ref: str,
    question: str,
    area: str,
    closes_at: datetime | str,
    per: str = PollPer.PERSON,
    rule: str = rules.PassRule.MAJORITY,
    base: str = rules.Base.CAST,
) -> Poll:
    """A resident-wide vote on a topic on the agenda (e.g. an estate deciding a renovation): everyone living
    in ``area`` — or every household — has one vote; ``entitled`` is counted from the ledger now."""
    per = cleaners.choice(per, "per", PollPer, label=_("计票单位"))
    rule = cleaners.choice(rule, "rule", rules.PassRule, label=_("表决规则"))
    base = cleaners.choice(base, "base", rules.Base, label=_("计票基数"))
    question = cleaners.text(
        question, "question", limit=limit(Poll, "question"), required=True, label=_("表决事项")
    )
    closes = cleaners.a_moment(closes_at, "closes_at", required=True, label=_("截止时间"))
    place = _area(area)
    _require_convener(by, place.code)
    now = timezone.now()
    if closes <= now:
        raise DomainError("invalid", _("截止时间须晚于现在"), "closes_at")
    with transaction.atomic():
        topic = TOPIC.lock(by, ref=ref)
        if topic.state != TopicState.AGENDA:
            raise TOPIC.conflict(topic, "not_on_agenda", _("议题还没有列入议程"))
        if not (place.code.startswith(topic.area_code) or topic.area_code.startswith(place.code)):
            raise DomainError("invalid_area", _("投票区域须与议题的区域相关"), "area")
        residents = Resident.objects.filter(area_code__startswith=place.code, is_active=True)
        entitled = (
            residents.values("household_id").distinct().count()
            if per == PollPer.HOUSEHOLD
            else residents.count()
        )
        if entitled == 0:
            raise DomainError("invalid_area", _("该区域台账中没有在册居民"), "area")
        poll = Poll.objects.create(
            topic=topic, area=place, area_code=place.code, question=question, per=per, rule=rule, base=base,
            entitled=entitled, closes_at=closes, opened_by=by, opened_at=now,
        )  # fmt: skip
        audit.record(actor=by, verb="deliberation.poll.open", obj=poll, after={"entitled": entitled})
    return poll


def poll_vote(*, by: User, poll: int, id_number: str, choice: str) -> PollVote:
    """One vote per person or household (一人/一户一票): a resident votes online with their ID number, or the convener enters a paper ballot
    with the voter's ID number. The number is matched by the ledger's keyed hash and not kept; the voter
    must live in the poll's area; a second vote of the same person (or household) is refused, whichever
    channel brought the first."""
    _signed_in(by)
    choice = cleaners.choice(choice, "choice", Choice, label=_("表决意见"))
    item = Poll.objects.filter(pk=poll).first()
    if item is None:
        raise NotFound(_("表决不存在"), field="poll")
    staff = command_staff_in_scope(by, item.area_code)
    if not staff and by.role not in RESIDENT_ROLES:
        raise DomainError("forbidden", _("只有居民可以投票"), status=403)
    if item.state != PollState.OPEN or timezone.now() >= item.closes_at:
        raise Conflict("poll_closed", _("投票已结束"), "poll")
    resident = find_resident_by_id_number(id_number)
    if resident is None or not resident.is_active or not resident.area_code.startswith(item.area_code):
        raise DomainError("not_entitled", _("该身份证号不在本次表决的居民名单中"), "id_number")
    voter = f"h{resident.household_id}" if item.per == PollPer.HOUSEHOLD else f"r{resident.pk}"
    try:
        with transaction.atomic():
            vote = PollVote.objects.create(
                poll=item, voter=voter, choice=choice, channel=PollChannel.PAPER if staff else PollChannel.ONLINE,
                by=by, at=timezone.now(),
            )  # fmt: skip
            audit.record(actor=by, verb="deliberation.poll.vote", obj=item, after={"channel": vote.channel})
    except IntegrityError:
        raise Conflict(
            "already_voted",
            _("该户已经投过票") if item.per == PollPer.HOUSEHOLD else _("此人已经投过票"),
            "id_number",
        ) from None
    return vote


def poll_close(*, by: User, poll: int, text: str = "") -> Poll:
    """Close a poll: the result is computed under its rule over the ledger's entitled count; a passed poll
    decides the topic as a meeting would."""
    text = cleaners.text(text, "text", limit=limit(Decision, "text"))
    now = timezone.now()
    with transaction.atomic():
        item = Poll.objects.select_for_update(of=("self",)).filter(pk=poll).first()
        if item is None or not staff_in_scope(by, item.area_code):
            raise NotFound(_("表决不存在"), field="poll")
        _require_convener(by, item.area_code)
        if item.state != PollState.OPEN:
            raise Conflict("poll_closed", _("投票已结束"), "poll")
        counts = dict.fromkeys(Choice.values, 0)
        for c in item.votes.values_list("choice", flat=True):
            counts[c] += 1
        tally = rules.Tally(counts[Choice.YES], counts[Choice.NO], counts[Choice.ABSTAIN], item.entitled)
        result = rules.outcome(item.rule, item.base, tally)
        if result.passed and not text:
            raise DomainError("required", _("请填写决定内容"), "text")
        item.state = PollState.CLOSED
        item.result = ItemResult.PASSED if result.passed else ItemResult.NOT_PASSED
        item.save(update_fields=["state", "result"])
        _settle(item.topic_id, result.passed, text, by, now, [], poll=item)
        audit.record(
            actor=by, verb="deliberation.poll.close", obj=item,
            after={"yes": tally.yes, "no": tally.no, "abstain": tally.abstain, "entitled": item.entitled,
                   "passed": result.passed},
        )  # fmt: skip
    return item


def meeting_close(*, by: User, ref: str, minutes: str = "", attachments: list | None = None) -> Meeting:
    """Close the meeting (结束会议) with its minutes and attachments (photos of the meeting, of the signed sheet)."""
    minutes = cleaners.text(minutes, "minutes", limit=limit(Meeting, "minutes"))
    pictures = uploads.prepare(attachments, "attachments")
    with transaction.atomic():
        meeting = MEETING.lock(by, ref=ref)
        with MEETING.transition(meeting, "close", by=by, fields=["minutes"]) as s:
            meeting.minutes = minutes
        uploads.save(pictures, owner=meeting, role=Upload.Role.EVIDENCE, step=s.event, by=by, at=s.at)
    return meeting


def may_see_topic_files(user, topic_id: int) -> bool:  # noqa: ARG001 - topics are public
    """A topic's photos are as public as the topic (to anyone signed in: the file view needs an account)."""
    return True


def may_see_meeting_files(user, meeting_id: int) -> bool:
    """A meeting's attachments: the area's staff and the meeting's participants."""
    meeting = Meeting.objects.filter(pk=meeting_id).first()
    if meeting is None:
        return False
    return (
        staff_in_scope(user, meeting.area_code)
        or meeting.roster.filter(user_id=getattr(user, "pk", None)).exists()
    )


# ---------------------------------------------------------------- 示, 办, 评: decisions


def _decision(ref: str) -> Decision:
    decision = Decision.objects.select_related("topic").filter(topic__ref=ref).first()
    if decision is None:
        raise NotFound(_("议题 %(ref)s 没有决定") % {"ref": ref}, field="ref")
    return decision


def decision_object(*, by: User, ref: str, reason: str) -> Objection:
    """An objection (异议) during the notice period (residents and members)."""
    _signed_in(by)
    if by.role not in RESIDENT_ROLES:
        raise DomainError("forbidden", _("只有居民和党员可以提出异议"), status=403)
    reason = cleaners.text(
        reason, "reason", limit=limit(Objection, "reason"), required=True, label=_("异议理由")
    )
    decision = _decision(ref)
    now = timezone.now()
    if decision.state != DecisionState.NOTICE or now >= decision.notice_until:
        raise Conflict("notice_over", _("公示期已结束，不能再提出异议"), "ref")
    with transaction.atomic():
        objection = Objection.objects.create(decision=decision, user=by, reason=reason, at=now)
        audit.record(actor=by, verb="deliberation.objection", obj=objection)
    return objection


def objection_answer(*, by: User, objection: int, answer: str) -> Objection:
    answer = cleaners.text(answer, "answer", limit=limit(Objection, "answer"), required=True, label=_("答复"))
    item = Objection.objects.select_related("decision").filter(pk=objection).first()
    if item is None or not staff_in_scope(by, item.decision.area_code):
        raise NotFound(_("异议不存在或不在您的管辖范围内"), field="objection")
    _require_convener(by, item.decision.area_code)
    if item.answered_at is not None:
        raise Conflict("answered", _("该异议已答复"), "objection")
    with transaction.atomic():
        item.answer, item.answered_by, item.answered_at = answer, by, timezone.now()
        item.save(update_fields=["answer", "answered_by", "answered_at"])
        audit.record(actor=by, verb="deliberation.objection.answer", obj=item)
    return item


def decision_carry_out(*, by: User, ref: str, year: int | None = None, end_date=None) -> Decision:
    """Carry out (办): after the notice period, with every objection answered, the decision becomes a project of the
    three lists (in the topic's area), whose progress the decision then shows."""
    with transaction.atomic():
        decision = DECISION.lock(by, topic__ref=ref, field="ref")
        with DECISION.transition(decision, "carry_out", by=by, fields=["project"]):
            decision.project = project_create(
                by=by,
                title=decision.topic.title[:100],
                area=decision.topic.area_code,
                description=decision.text[:2000],
                year=year,
                end_date=end_date,
            )
    return decision


def decision_finish(*, by: User, ref: str) -> Decision:
    return DECISION.move(by, "finish", field="ref", topic__ref=ref)


def decision_rate(*, by: User, ref: str, score, comment: str = "") -> DecisionRating:
    """Rate (评): residents rate how a decision was carried out (once it is being carried out); again replaces."""
    _signed_in(by)
    if by.role not in RESIDENT_ROLES:
        raise DomainError("forbidden", _("只有居民和党员可以评价"), status=403)
    value = cleaners.integer(score, "score", label=_("评分"), low=1, high=5, required=True)
    comment = cleaners.text(comment, "comment", limit=limit(DecisionRating, "comment"))
    decision = _decision(ref)
    if decision.state == DecisionState.NOTICE:
        raise Conflict("not_carried_out", _("决定尚未办理，还不能评价"), "ref")
    with transaction.atomic():
        rating, _created = DecisionRating.objects.update_or_create(
            decision=decision, user=by, defaults={"score": value, "comment": comment, "at": timezone.now()}
        )
        audit.record(actor=by, verb="deliberation.rate", obj=decision, after={"score": value})
    return rating
