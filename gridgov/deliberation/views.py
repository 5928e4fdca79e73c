"""Deliberation pages: topics (public list, propose, support; the topic with its decision, objections,
progress and rating), meetings for the convener (roster, sign-in, votes, the computed result, minutes),
and the public showcase (晒事). Views stay thin: one selector or action each."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from gridgov.areas.models import Area, Level
from gridgov.core import cleaners, uploads
from gridgov.core.models import Upload
from gridgov.core.pages import found, require, run_form
from gridgov.core.ratelimit import rate_limited
from gridgov.core.scope import filter_in_scope, is_staff
from gridgov.core.timeline import timeline_rows
from gridgov.deliberation import actions, selectors
from gridgov.deliberation.exports import meeting_workbook
from gridgov.deliberation.models import Choice, MeetingKind, ParticipantRole, PollPer, TopicState
from gridgov.deliberation.rules import Base, PassRule, Quorum
from gridgov.deliberation.workflow import DECISION, MEETING, TOPIC, is_convener
from gridgov.ledger.excel import xlsx_response


def _areas(user):
    qs = Area.objects.filter(is_active=True, level__in=[Level.COMMUNITY, Level.GRID])
    return (filter_in_scope(qs, user, "code") if is_staff(user) else qs).order_by("code")[:300]


@require_http_methods(["GET", "POST"])
@rate_limited("public")
def topics(request):
    """Topics (议题): every topic, newest first; signed-in residents, members and staff propose one."""
    if request.method == "POST":
        require(request.user.is_authenticated)
        post = request.POST
        return run_form(
            request,
lambda: actions.topic_propose(
                by=request.user, title=post.get("title", ""), description=post.get("description", ""),
                area=post.get("area", ""), photos=request.FILES.getlist("photos"),
            ),
            _("议题已提出，邀请邻居支持吧"),
            reverse("deliberation:topics"),
        )  # fmt: skip
    state = (request.GET.get("state") or "").strip()[:12] or None
    page = Paginator(selectors.topics(state=state), 30).get_page(request.GET.get("page"))
    user = request.user
    return render(
        request,
        "deliberation/topics.html",
        {
            "page": page,
            "state": state,
            "states": TopicState.choices,
            "areas": _areas(user) if user.is_authenticated else [],
            "may_propose": user.is_authenticated and (is_staff(user) or user.role in actions.RESIDENT_ROLES),
            "staff": is_staff(user),
        },
    )


@require_http_methods(["GET", "POST"])
@rate_limited("public")
def topic(request, ref: str):
    """One topic: support, the agenda, the decision with its objections, the project's progress, ratings."""
    item = found(selectors.topic_get, ref)
    back = reverse("deliberation:topic", args=[ref])
    if request.method == "POST":
        require(request.user.is_authenticated)
        post, by = request.POST, request.user
        do = post.get("do", "")
        steps = {
            "support": (lambda: actions.topic_support(by=by, ref=ref), _("感谢您的支持")),
            "place": (lambda: actions.topic_place(by=by, ref=ref), _("已列入议程")),
            "withdraw": (lambda: actions.topic_withdraw(by=by, ref=ref, reason=post.get("reason", "")), _("议题已撤回")),
            "object": (lambda: actions.decision_object(by=by, ref=ref, reason=post.get("reason", "")), _("异议已提交，会在公示期内答复")),
            "answer": (
                lambda: actions.objection_answer(by=by, objection=cleaners.integer(post.get("objection"), "objection", low=1), answer=post.get("answer", "")),
                _("已答复"),
            ),
            "carry_out": (lambda: actions.decision_carry_out(by=by, ref=ref), _("已转入办理，项目已生成")),
            "finish": (lambda: actions.decision_finish(by=by, ref=ref), _("已办结")),
            "poll_open": (
                lambda: actions.poll_open(
                    by=by, ref=ref, question=post.get("question", ""), area=post.get("area", ""),
                    closes_at=post.get("closes_at", ""), per=post.get("per", "person"),
                ),
                _("居民表决已发起"),
            ),
            "poll_vote": (
                lambda: actions.poll_vote(
                    by=by, poll=cleaners.integer(post.get("poll"), "poll", low=1), id_number=post.get("id_number", ""), choice=post.get("choice", "")
                ),
                _("已投票"),
            ),
            "poll_close": (
                lambda: actions.poll_close(by=by, poll=cleaners.integer(post.get("poll"), "poll", low=1), text=post.get("text", "")),
                _("表决已结束，结果已计算"),
            ),
            "rate": (
                lambda: actions.decision_rate(by=by, ref=ref, score=post.get("score", ""), comment=post.get("comment", "")),
                _("感谢您的评价"),
            ),
        }  # fmt: skip
        require(do in steps)
        step, done = steps[do]
        return run_form(request, step, done, back)
    user = request.user if request.user.is_authenticated else None
    decision = selectors.decision_of(item)
    staff = is_staff(user)
    return render(
        request,
        "deliberation/topic.html",
        {
            "topic": item,
            "proposer": selectors.proposer_label(item),
            "decision": decision,
            "objections": list(decision.objections.all()) if decision else [],
            "topic_actions": TOPIC.allowed_actions(user, item),
            "decision_actions": DECISION.allowed_actions(user, decision) if decision else [],
            "may_support": user is not None
            and user.role in actions.RESIDENT_ROLES
            and item.state == TopicState.PROPOSED,
            "may_object": user is not None
            and user.role in actions.RESIDENT_ROLES
            and decision
            and decision.state == "notice",
            "may_rate": user is not None
            and user.role in actions.RESIDENT_ROLES
            and decision
            and decision.state != "notice",
            "staff": staff,
            "timeline": timeline_rows(item, TOPIC.labels()),
            "polls": item.polls.annotate(cast=Count("votes")),
            "photos": uploads.of(item, Upload.Role.PHOTO) if user is not None else [],
            "pers": PollPer.choices,
            "choices": Choice.choices,
            "convener": is_convener(user, item),
        },
    )


@require_GET
@rate_limited("public")
def showcase(request):
    """The showcase (晒事): decisions, their progress and residents' ratings, for everyone."""
    page = Paginator(selectors.showcase(), 30).get_page(request.GET.get("page"))
    return render(request, "deliberation/showcase.html", {"page": page, "staff": is_staff(request.user)})


@login_required
@require_http_methods(["GET", "POST"])
def meetings(request):
    """Meetings (议事会) for the convener: the meetings of the scope, and convening one with topics on the agenda."""
    require(is_staff(request.user))
    if request.method == "POST":
        post = request.POST
        return run_form(
            request,
            lambda: actions.meeting_create(
                by=request.user, kind=post.get("kind", ""), title=post.get("title", ""), area=post.get("area", ""),
                starts_at=post.get("starts_at", ""), place=post.get("place", ""), topics=post.getlist("topics"),
                quorum=post.get("quorum") or Quorum.MAJORITY, rule=post.get("rule") or PassRule.MAJORITY,
                base=post.get("base") or Base.CAST,
            ),
            _("议事会已召集，请确定参会名单"),
            reverse("deliberation:meetings"),
        )  # fmt: skip
    waiting = filter_in_scope(selectors.topics(state=TopicState.AGENDA), request.user, "area_code")
    page = Paginator(selectors.meetings_visible(request.user), 20).get_page(request.GET.get("page"))
    return render(
        request,
        "deliberation/meetings.html",
        {
            "page": page,
            "waiting": waiting,
            "kinds": MeetingKind.choices,
            "quorums": Quorum.choices,
            "rules": PassRule.choices,
            "bases": Base.choices,
            "areas": _areas(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def meeting(request, ref: str):
    """One meeting: roster and sign-in, the quorum, each item's votes and computed result, the minutes."""
    item = found(selectors.meeting_get, request.user, ref)
    back = reverse("deliberation:meeting", args=[ref])
    if request.method == "POST":
        post, by = request.POST, request.user
        do = post.get("do", "")
        steps = {
            "participant": (
                lambda: actions.participant_add(by=by, ref=ref, role=post.get("role", ""), name=post.get("name", "")),
                _("已加入参会名单"),
            ),
            "open": (lambda: actions.meeting_open(by=by, ref=ref), _("会议开始，可以签到")),
            "sign_in": (lambda: actions.sign_in(by=by, ref=ref, participant=cleaners.integer(post.get("participant"), "participant", low=1)), _("已签到")),
            "vote": (
                lambda: actions.vote(
                    by=by, ref=ref, item=cleaners.integer(post.get("item"), "item", low=1), choice=post.get("choice", ""),
                    participant=cleaners.integer(post.get("participant"), "participant", low=1),
                ),
                _("已投票"),
            ),
            "decide": (
                lambda: actions.decide(
                    by=by, ref=ref, item=cleaners.integer(post.get("item"), "item", low=1), text=post.get("text", ""),
                    yes=post.get("yes") or None, no=post.get("no") or None, abstain=post.get("abstain") or None,
                ),
                _("表决结果已计算"),
            ),
            "close": (
                lambda: actions.meeting_close(
                    by=by, ref=ref, minutes=post.get("minutes", ""), attachments=request.FILES.getlist("attachments")
                ),
                _("会议已结束"),
            ),
            "cancel": (lambda: actions.meeting_cancel(by=by, ref=ref, reason=post.get("reason", "")), _("会议已取消")),
        }  # fmt: skip
        require(do in steps)
        step, done = steps[do]
        return run_form(request, step, done, back)
    return render(
        request,
        "deliberation/meeting.html",
        {
            "meeting": item,
            "quorum": selectors.quorum_of(item),
            "roster": item.roster.all(),
            "agenda": selectors.agenda_of(item),
            "actions": MEETING.allowed_actions(request.user, item),
            "roles": ParticipantRole.choices,
            "choices": Choice.choices,
            "convener": is_convener(request.user, item),
            "attachments": uploads.of(item),
        },
    )


@login_required
@require_GET
def meeting_export(request, ref: str):
    """The meeting's record as a workbook: meeting and minutes, sign-ins, results, ballots."""
    item = found(selectors.meeting_get, request.user, ref)
    require(is_staff(request.user))
    return xlsx_response(meeting_workbook(item), _("议事会记录-%(ref)s.xlsx") % {"ref": item.ref})


@login_required
@require_GET
def meeting_sheet(request, ref: str):
    """The printable sign-in sheet of the roster (签到表), with a column to sign on paper."""
    item = found(selectors.meeting_get, request.user, ref)
    require(is_staff(request.user))
    return render(request, "deliberation/sheet.html", {"meeting": item, "roster": item.roster.all()})
