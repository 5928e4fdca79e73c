"""Deliberation (议事协商, M10): 提 → 议 → 定 → 示 → 办 → 评.

A **topic** (议题) is proposed for an area by a resident, a party member, staff or from a case (商量办);
residents of the area support it, and enough support (a threshold per area level) puts it on the agenda,
or staff place it there. A **meeting** (议事会) has a roster of those entitled to take part, their
sign-ins and an agenda; quorum is computed from the two, and a meeting without quorum cannot decide. Each
**agenda item** is voted on under its pass rule (:mod:`gridgov.deliberation.rules`), ballot by ballot or as
counts of a show of hands; the result is computed, never typed. A passed item becomes a **decision**,
published for a notice period during which residents may **object** (each objection is answered on the
record), then carried out as a project of the three lists; residents then **rate** it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gridgov.deliberation.rules import Base, PassRule, Quorum


class TopicState(models.TextChoices):
    PROPOSED = "proposed", _("征集支持")
    AGENDA = "agenda", _("待议")
    DECIDED = "decided", _("已议定")
    NOT_PASSED = "not_passed", _("未通过")
    WITHDRAWN = "withdrawn", _("已撤回")


class TopicSource(models.TextChoices):
    RESIDENT = "resident", _("居民提议")
    MEMBER = "member", _("党员提议")
    STAFF = "staff", _("工作人员提议")
    CASE = "case", _("事件转商量办")


class Topic(models.Model):
    """A topic (议题): a matter of an area the people concerned should decide together."""

    ref = models.CharField(_("编号"), max_length=24, unique=True)
    title = models.CharField(_("议题"), max_length=100)
    description = models.TextField(_("说明"), max_length=2000)
    area = models.ForeignKey(
        "areas.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("涉及区域")
    )
    area_code = models.CharField(max_length=18, db_index=True, editable=False)
    building = models.ForeignKey(
        "ledger.Building",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("楼栋"),
    )
    source = models.CharField(_("来源"), max_length=10, choices=TopicSource.choices)
    case = models.ForeignKey(
        "cases.Case",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("来源事件"),
    )
    proposer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("提议人")
    )
    state = models.CharField(
        _("状态"), max_length=12, choices=TopicState.choices, default=TopicState.PROPOSED, db_index=True
    )
    supporters = models.PositiveIntegerField(_("支持人数"), default=0)
    threshold = models.PositiveIntegerField(_("上会所需支持人数"))
    created_at = models.DateTimeField(_("提出时间"))

    class Meta:
        verbose_name = _("议题")
        verbose_name_plural = _("议题")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("deliberation:topic", args=[self.ref])


class Support(models.Model):
    """One person's support of a topic (once each)."""

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="supports")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["topic", "user"], name="deliberation_one_support")]

    def __str__(self) -> str:
        return f"{self.user} → {self.topic}"


class MeetingKind(models.TextChoices):
    PARTY_RESIDENTS = "party_residents", _("党群议事会")
    RESIDENTS = "residents", _("居民议事会")
    HEARING = "hearing", _("听证会")
    CONSULTATION = "consultation", _("协商会")


class MeetingState(models.TextChoices):
    PLANNED = "planned", _("筹备中")
    OPEN = "open", _("会议进行中")
    CLOSED = "closed", _("已结束")
    CANCELLED = "cancelled", _("已取消")


class Meeting(models.Model):
    """A meeting (议事会): a meeting of a community, estate or grid with its roster, sign-ins, agenda and minutes."""

    ref = models.CharField(_("编号"), max_length=24, unique=True)
    kind = models.CharField(_("会议类型"), max_length=16, choices=MeetingKind.choices)
    title = models.CharField(_("会议名称"), max_length=100)
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("区域"))
    area_code = models.CharField(max_length=18, db_index=True, editable=False)
    starts_at = models.DateTimeField(_("开会时间"))
    place = models.CharField(_("地点"), max_length=100)
    quorum = models.CharField(_("法定人数"), max_length=12, choices=Quorum.choices, default=Quorum.MAJORITY)
    state = models.CharField(
        _("状态"), max_length=10, choices=MeetingState.choices, default=MeetingState.PLANNED, db_index=True
    )
    minutes = models.TextField(_("会议纪要"), blank=True, max_length=5000)
    organiser = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("召集人")
    )
    created_at = models.DateTimeField(_("创建时间"))

    class Meta:
        verbose_name = _("议事会")
        verbose_name_plural = _("议事会")
        ordering = ["-starts_at", "-id"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("deliberation:meeting", args=[self.ref])


class ParticipantRole(models.TextChoices):
    RESIDENT_REP = "resident_rep", _("居民代表")
    COMMITTEE = "committee", _("社区两委成员")
    PARTY_MEMBER = "party_member", _("党员代表")
    PROPERTY = "property", _("物业企业")
    UNIT = "unit", _("相关单位")
    CONCERNED = "concerned", _("利益相关方")


class Participant(models.Model):
    """A place on a meeting's roster (those entitled to vote), and its sign-in."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="roster")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("姓名"), max_length=50)
    role = models.CharField(_("身份"), max_length=14, choices=ParticipantRole.choices)
    signed_in_at = models.DateTimeField(_("签到时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("参会人")
        verbose_name_plural = _("参会人")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "user"],
                condition=Q(user__isnull=False),
                name="deliberation_one_place_per_user",
            )
        ]

    def __str__(self) -> str:
        return self.name


class ItemResult(models.TextChoices):
    PENDING = "pending", _("待表决")
    PASSED = "passed", _("通过")
    NOT_PASSED = "not_passed", _("未通过")


class AgendaItem(models.Model):
    """One topic on a meeting's agenda, with its pass rule, its votes and the computed result."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="agenda")
    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="items")
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)
    rule = models.CharField(_("表决规则"), max_length=16, choices=PassRule.choices, default=PassRule.MAJORITY)
    base = models.CharField(_("计票基数"), max_length=10, choices=Base.choices, default=Base.CAST)
    # a show of hands is entered as counts; ballots are counted into the same fields when the vote closes
    yes = models.PositiveIntegerField(_("赞成"), default=0)
    no = models.PositiveIntegerField(_("反对"), default=0)
    abstain = models.PositiveIntegerField(_("弃权"), default=0)
    entitled = models.PositiveIntegerField(_("应到人数"), default=0)
    present = models.PositiveIntegerField(_("实到人数"), default=0)
    result = models.CharField(
        _("结果"), max_length=12, choices=ItemResult.choices, default=ItemResult.PENDING
    )
    decided_at = models.DateTimeField(_("表决时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("议程")
        verbose_name_plural = _("议程")
        ordering = ["meeting_id", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "topic"], name="deliberation_topic_once_a_meeting")
        ]

    def __str__(self) -> str:
        return f"{self.meeting} · {self.topic}"


class Choice(models.TextChoices):
    YES = "yes", _("赞成")
    NO = "no", _("反对")
    ABSTAIN = "abstain", _("弃权")


class Ballot(models.Model):
    """One participant's vote on one item (at most one: a second vote is refused, never added)."""

    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="ballots")
    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="ballots")
    choice = models.CharField(_("表决意见"), max_length=8, choices=Choice.choices)
    at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "participant"], name="deliberation_one_ballot")
        ]

    def __str__(self) -> str:
        return f"{self.participant} {self.choice}"


class DecisionState(models.TextChoices):
    NOTICE = "notice", _("公示中")
    CARRYING_OUT = "carrying_out", _("办理中")
    DONE = "done", _("已办结")


class Decision(models.Model):
    """A decision (定): what a passed item decided, published for a notice period (示), then carried out (办)."""

    # what decided it: a meeting's agenda item, or a resident-wide poll
    item = models.OneToOneField(
        AgendaItem, null=True, blank=True, on_delete=models.PROTECT, related_name="decision"
    )
    poll = models.OneToOneField(
        "Poll", null=True, blank=True, on_delete=models.PROTECT, related_name="decision"
    )
    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="decisions")
    area_code = models.CharField(max_length=18, db_index=True, editable=False)
    text = models.TextField(_("决定内容"), max_length=2000)
    state = models.CharField(
        _("状态"), max_length=14, choices=DecisionState.choices, default=DecisionState.NOTICE, db_index=True
    )
    published_at = models.DateTimeField(_("公示时间"))
    notice_until = models.DateTimeField(_("公示截止"))
    project = models.ForeignKey(
        "projects.Project",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("办理项目"),
    )

    class Meta:
        verbose_name = _("议事决定")
        verbose_name_plural = _("议事决定")
        ordering = ["-published_at", "-id"]

    def __str__(self) -> str:
        return self.topic.title

    def get_absolute_url(self) -> str:
        return reverse("deliberation:topic", args=[self.topic.ref])


class Objection(models.Model):
    """A resident's objection during the notice period, and the answer given on the record."""

    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="objections")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("异议理由"), max_length=1000)
    at = models.DateTimeField(_("提出时间"))
    answer = models.TextField(_("答复"), blank=True, max_length=1000)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("异议")
        verbose_name_plural = _("异议")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return self.reason[:30]


class DecisionRating(models.Model):
    """A rating (评): a resident's rating (1–5) of how a decision was carried out, once each (a new one replaces it)."""

    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="ratings")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    score = models.PositiveSmallIntegerField(_("评分"))
    comment = models.CharField(_("评价"), max_length=200, blank=True)
    at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["decision", "user"], name="deliberation_one_rating"),
            models.CheckConstraint(
                condition=Q(score__gte=1) & Q(score__lte=5), name="deliberation_rating_1_to_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.decision} {self.score}"


class RefCounter(models.Model):
    """The last reference number of a series issued on a day (YT- topics, YS- meetings)."""

    series = models.CharField(max_length=4)
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["series", "day"], name="deliberation_ref_counter")]

    def __str__(self) -> str:
        return f"{self.series}{self.day:%Y%m%d}: {self.last}"


class PollPer(models.TextChoices):
    PERSON = "person", _("一人一票")
    HOUSEHOLD = "household", _("一户一票")


class PollState(models.TextChoices):
    OPEN = "open", _("投票中")
    CLOSED = "closed", _("已结束")


class Poll(models.Model):
    """A resident-wide vote of an area on a topic (e.g. an estate's renovation): one vote per person — or
    per household where the rule says so — keyed on the ledger, whether cast online or entered from paper."""

    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="polls")
    area = models.ForeignKey(
        "areas.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("投票区域")
    )
    area_code = models.CharField(max_length=18, db_index=True, editable=False)
    question = models.CharField(_("表决事项"), max_length=200)
    per = models.CharField(_("计票单位"), max_length=10, choices=PollPer.choices, default=PollPer.PERSON)
    rule = models.CharField(_("表决规则"), max_length=16, choices=PassRule.choices, default=PassRule.MAJORITY)
    base = models.CharField(_("计票基数"), max_length=10, choices=Base.choices, default=Base.CAST)
    entitled = models.PositiveIntegerField(_("有权投票"), default=0)
    closes_at = models.DateTimeField(_("截止时间"))
    state = models.CharField(_("状态"), max_length=8, choices=PollState.choices, default=PollState.OPEN)
    result = models.CharField(
        _("结果"), max_length=12, choices=ItemResult.choices, default=ItemResult.PENDING
    )
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField()

    class Meta:
        verbose_name = _("居民表决")
        verbose_name_plural = _("居民表决")
        ordering = ["-opened_at", "-id"]

    def __str__(self) -> str:
        return self.question


class PollChannel(models.TextChoices):
    ONLINE = "online", _("网上投票")
    PAPER = "paper", _("纸质票录入")


class PollVote(models.Model):
    """One vote of a poll. ``voter`` is the ledger's keyed hash of the voter's ID number (a person) or the
    household's id (a household): the unique pair makes a second vote of the same voter impossible,
    whichever channel it comes through. The ID number itself is never stored here."""

    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="votes")
    voter = models.CharField(max_length=64)
    choice = models.CharField(_("表决意见"), max_length=8, choices=Choice.choices)
    channel = models.CharField(_("渠道"), max_length=8, choices=PollChannel.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["poll", "voter"], name="deliberation_one_vote_per_voter")
        ]

    def __str__(self) -> str:
        return f"{self.poll} {self.choice}"
