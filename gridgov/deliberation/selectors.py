"""Every read of deliberation. Topics, decisions and the showcase are public (no personal data: a proposer
shows as 「居民」 or 「党员」, never a name); meetings, rosters and ballots are for the area's staff and the
meeting's own participants."""

from __future__ import annotations

from django.db.models import Avg, Count, Q, QuerySet
from django.utils.translation import gettext as _

from gridgov.core.errors import NotFound
from gridgov.core.scope import filter_in_scope, is_staff
from gridgov.deliberation import rules
from gridgov.deliberation.models import (
    AgendaItem,
    Decision,
    Meeting,
    Topic,
    TopicSource,
)


def topics(*, area: str | None = None, state: str | None = None) -> QuerySet[Topic]:
    qs = Topic.objects.select_related("area")
    if area:
        qs = qs.filter(area_code__startswith=area)
    if state:
        qs = qs.filter(state=state)
    return qs.order_by("-created_at", "-id")


def topic_get(ref: str) -> Topic:
    topic = Topic.objects.select_related("area", "building").filter(ref=ref).first()
    if topic is None:
        raise NotFound(_("议题 %(ref)s 不存在") % {"ref": ref}, field="ref")
    return topic


def proposer_label(topic: Topic) -> str:
    """Who proposed it, without a name: the kind of proposer."""
    return str(TopicSource(topic.source).label)


def decision_of(topic: Topic) -> Decision | None:
    return (
        Decision.objects.select_related("project", "item")
        .prefetch_related("objections")
        .annotate(rating_count=Count("ratings"), rating_mean=Avg("ratings__score"))
        .filter(topic=topic)
        .first()
    )


def meetings_visible(user) -> QuerySet[Meeting]:
    """Staff: the meetings of their scope; anyone else: the meetings they are on the roster of."""
    if is_staff(user):
        qs = filter_in_scope(Meeting.objects.all(), user, "area_code")
    elif getattr(user, "is_authenticated", False):
        qs = Meeting.objects.filter(roster__user=user).distinct()
    else:
        return Meeting.objects.none()
    return qs.select_related("area").order_by("-starts_at", "-id")


def meeting_get(user, ref: str) -> Meeting:
    meeting = meetings_visible(user).filter(ref=ref).first()
    if meeting is None:
        raise NotFound(_("议事会 %(ref)s 不存在或不在您的管辖范围内") % {"ref": ref}, field="ref")
    return meeting


def quorum_of(meeting: Meeting) -> dict:
    entitled = meeting.roster.count()
    present = meeting.roster.filter(signed_in_at__isnull=False).count()
    return {
        "entitled": entitled,
        "present": present,
        "needed": rules.needed(meeting.quorum, entitled),
        "quorate": rules.quorate(meeting.quorum, present, entitled),
    }


def agenda_of(meeting: Meeting) -> QuerySet[AgendaItem]:
    return meeting.agenda.select_related("topic").annotate(
        ballots_yes=Count("ballots", filter=Q(ballots__choice="yes")),
        ballots_no=Count("ballots", filter=Q(ballots__choice="no")),
        ballots_abstain=Count("ballots", filter=Q(ballots__choice="abstain")),
    )


def showcase(*, area: str | None = None) -> QuerySet[Decision]:
    """The showcase (晒事): decisions with their progress and residents' ratings (public, no personal data)."""
    qs = Decision.objects.select_related("topic", "topic__area", "project").annotate(
        rating_count=Count("ratings"), rating_mean=Avg("ratings__score")
    )
    if area:
        qs = qs.filter(area_code__startswith=area)
    return qs.order_by("-published_at", "-id")
