"""Party organisation and co-building (党建引领、共建共治, M6).

The organisation is built on the area tree: a community committee (社区党委) covers a community, a grid
branch (网格党支部) a grid, a building group (楼栋党小组) a building of a grid, a central household
(党员中心户) one household. Every organisation copies its area's code into ``area_code`` so scope is the
same prefix match as everywhere else.

A member is a person of the ledger (the resident row: name, encrypted ID number and phone stay there and
are never copied) or a unit employee (a name and the unit). Membership is the one source of a resident's
political status: the party actions write the ledger's ``political_status`` and mark it as theirs
(``political_status_by_party``), after which the ledger refuses to change it by hand.

Every household has a named contact (包联户): a member or a grid worker. Contacts, 双报到 of members,
co-building agreements, red property ratings, duty cards and party activities complete the module.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gridgov.core.models import AppendOnly


class OrgKind(models.TextChoices):
    COMMITTEE = "committee", _("党委")
    JOINT = "joint", _("联合党委（大党委）")
    GENERAL_BRANCH = "general_branch", _("党总支")
    BRANCH = "branch", _("党支部")
    GROUP = "group", _("党小组")
    CENTRAL_HOUSEHOLD = "central_household", _("党员中心户")


# Which kinds an organisation of each kind may sit under (None: at the top of a tree).
PARENT_KINDS: dict[str, tuple[str | None, ...]] = {
    OrgKind.COMMITTEE: (None, OrgKind.COMMITTEE),
    OrgKind.JOINT: (None, OrgKind.COMMITTEE),
    OrgKind.GENERAL_BRANCH: (OrgKind.COMMITTEE, OrgKind.JOINT),
    OrgKind.BRANCH: (OrgKind.COMMITTEE, OrgKind.JOINT, OrgKind.GENERAL_BRANCH),
    OrgKind.GROUP: (OrgKind.BRANCH,),
    OrgKind.CENTRAL_HOUSEHOLD: (OrgKind.GROUP, OrgKind.BRANCH),
}
# Which area levels each kind is bound to.
AREA_LEVELS: dict[str, tuple[str, ...]] = {
    OrgKind.COMMITTEE: ("street", "community"),
    OrgKind.JOINT: ("street", "community"),
    OrgKind.GENERAL_BRANCH: ("community", "grid"),
    OrgKind.BRANCH: ("community", "grid", "microgrid"),
    OrgKind.GROUP: ("grid", "microgrid"),
    OrgKind.CENTRAL_HOUSEHOLD: ("grid", "microgrid"),
}


class Org(models.Model):
    """A party organisation (党组织): one node of the party organisation tree, bound to the area it covers."""

    kind = models.CharField(_("类型"), max_length=20, choices=OrgKind.choices)
    name = models.CharField(_("名称"), max_length=100)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("上级"),
    )
    area = models.ForeignKey(
        "areas.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("覆盖区域")
    )
    area_code = models.CharField(max_length=18, db_index=True, editable=False)
    building = models.ForeignKey(
        "ledger.Building",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="party_groups",
        verbose_name=_("楼栋"),
    )
    household = models.ForeignKey(
        "ledger.Household",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("中心户所在户"),
    )
    # 五级包联: the street leader who looks after a branch; the grid worker who looks after a group.
    liaison = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="party_liaisons",
        verbose_name=_("包联人"),
    )
    units = models.ManyToManyField(
        "accounts.Unit", blank=True, related_name="party_orgs", verbose_name=_("成员单位（共建单位）")
    )
    set_up_on = models.DateField(_("成立日期"))
    is_active = models.BooleanField(_("在用"), default=True)
    dissolved_on = models.DateField(_("撤销日期"), null=True, blank=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("并入")
    )
    note = models.TextField(_("备注"), blank=True, max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("党组织")
        verbose_name_plural = _("党组织")
        ordering = ["area_code", "kind", "name"]
        indexes = [models.Index(fields=["area_code", "is_active"], name="party_org_area_active")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("party:org", args=[self.pk])


class OrgChange(AppendOnly):
    """The history of an organisation (set up, renamed, merged, dissolved, re-bound), like areas'."""

    class Kind(models.TextChoices):
        SET_UP = "set_up", _("成立")
        RENAME = "rename", _("更名")
        MOVE = "move", _("调整隶属或区域")
        MERGE = "merge", _("合并")
        DISSOLVE = "dissolve", _("撤销")

    org = models.ForeignKey(Org, on_delete=models.PROTECT, related_name="changes", verbose_name=_("党组织"))
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    into = models.ForeignKey(
        Org, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("并入")
    )
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    reason = models.TextField(_("原因"), blank=True, max_length=500)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("操作人"),
    )
    at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("党组织变更")
        verbose_name_plural = _("党组织变更")
        ordering = ["at", "id"]


class MemberStatus(models.TextChoices):
    FULL = "full", _("正式党员")
    PROBATIONARY = "probationary", _("预备党员")


class Office(models.TextChoices):
    MEMBER = "member", _("普通党员")
    SECRETARY = "secretary", _("书记")
    DEPUTY = "deputy", _("副书记")
    COMMITTEE = "committee", _("委员")
    GROUP_LEADER = "group_leader", _("党小组长")
    CENTRAL_HOUSEHOLD = "central_household", _("中心户户主")


LEADING_OFFICES = (Office.SECRETARY, Office.DEPUTY, Office.COMMITTEE, Office.GROUP_LEADER)


class Member(models.Model):
    """A party member (党员): a resident of the ledger or an employee of a unit, in one organisation."""

    class LeftReason(models.TextChoices):
        TRANSFER = "transfer", _("组织关系转出")
        MOVED_OUT = "moved_out", _("迁出本辖区")
        DECEASED = "deceased", _("去世")
        OTHER = "other", _("其他")

    resident = models.OneToOneField(
        "ledger.Resident",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="party_member",
        verbose_name=_("居民"),
    )
    # A unit employee who is not a resident here: the name and the unit only (no second copy of anything).
    name = models.CharField(_("姓名"), max_length=50, blank=True)
    unit = models.ForeignKey(
        "accounts.Unit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="party_members",
        verbose_name=_("工作单位"),
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="party_member",
        verbose_name=_("账号"),
    )
    org = models.ForeignKey(
        Org, on_delete=models.PROTECT, related_name="members", verbose_name=_("所在党组织")
    )
    area_code = models.CharField(max_length=18, db_index=True, editable=False)
    status = models.CharField(_("党员类别"), max_length=14, choices=MemberStatus.choices)
    office = models.CharField(_("职务"), max_length=20, choices=Office.choices, default=Office.MEMBER)
    joined_on = models.DateField(_("入党日期"), null=True, blank=True)
    is_floating = models.BooleanField(_("流动党员"), default=False)
    is_in_work = models.BooleanField(_("在职党员"), default=False)
    home_community = models.ForeignKey(
        "areas.Area",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("居住社区"),
    )
    is_active = models.BooleanField(_("在册"), default=True)
    left_on = models.DateField(_("离册日期"), null=True, blank=True)
    left_reason = models.CharField(_("离册原因"), max_length=10, choices=LeftReason.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("党员")
        verbose_name_plural = _("党员")
        ordering = ["area_code", "org_id", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(resident__isnull=False) | (~Q(name="") & Q(unit__isnull=False)),
                name="party_member_is_resident_or_unit_employee",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    def get_absolute_url(self) -> str:
        return reverse("party:member", args=[self.pk])

    @property
    def display_name(self) -> str:
        return self.resident.name if self.resident_id else self.name


class Contact(models.Model):
    """A household contact (包联户): the named contact of a household — a party member, or the grid worker."""

    household = models.OneToOneField(
        "ledger.Household", on_delete=models.CASCADE, related_name="party_contact", verbose_name=_("户")
    )
    member = models.ForeignKey(
        Member,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contacts",
        verbose_name=_("联系党员"),
    )
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="party_contacts",
        verbose_name=_("联系网格员"),
    )
    area_code = models.CharField(max_length=18, db_index=True, editable=False)
    since = models.DateField(_("起始日期"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("指定人"),
    )

    class Meta:
        verbose_name = _("包联户")
        verbose_name_plural = _("包联户")
        constraints = [
            models.CheckConstraint(
                condition=(Q(member__isnull=False) & Q(worker__isnull=True))
                | (Q(member__isnull=True) & Q(worker__isnull=False)),
                name="party_contact_one_person",
            ),
        ]

    def __str__(self) -> str:
        return str(self.member or self.worker)


class ReportState(models.TextChoices):
    PENDING = "pending", _("待社区确认")
    CONFIRMED = "confirmed", _("已报到")
    REFUSED = "refused", _("未通过")
    ENDED = "ended", _("已结束")


class MemberReport(models.Model):
    """An in-work member's report (在职党员进社区, 双报到 of a member): an in-work member reports to the community where they live."""

    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="reports", verbose_name=_("党员")
    )
    community = models.ForeignKey(
        "areas.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("报到社区")
    )
    area_code = models.CharField(max_length=18, db_index=True, editable=False)
    unit = models.ForeignKey(
        "accounts.Unit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="member_reports",
        verbose_name=_("工作单位"),
    )
    state = models.CharField(
        _("状态"), max_length=10, choices=ReportState.choices, default=ReportState.PENDING, db_index=True
    )
    note = models.CharField(_("说明"), max_length=200, blank=True)
    requested_at = models.DateTimeField(_("申请时间"))
    decided_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("在职党员报到")
        verbose_name_plural = _("在职党员报到")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "community"],
                condition=Q(state__in=["pending", "confirmed"]),
                name="party_one_live_report",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} → {self.community}"

    def get_absolute_url(self) -> str:
        return reverse("party:reports")


class Agreement(models.Model):
    """A co-building agreement (共建协议): what a co-building unit commits to in a community or street for a period."""

    class State(models.TextChoices):
        ACTIVE = "active", _("履行中")
        ENDED = "ended", _("已到期")
        TERMINATED = "terminated", _("已终止")

    unit = models.ForeignKey(
        "accounts.Unit", on_delete=models.PROTECT, related_name="agreements", verbose_name=_("共建单位")
    )
    area = models.ForeignKey(
        "areas.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("共建社区/街道")
    )
    area_code = models.CharField(max_length=18, db_index=True, editable=False)
    title = models.CharField(_("协议名称"), max_length=100)
    starts_on = models.DateField(_("起始日期"))
    ends_on = models.DateField(_("截止日期"))
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.ACTIVE)
    note = models.TextField(_("备注"), blank=True, max_length=1000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("登记人"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("共建协议")
        verbose_name_plural = _("共建协议")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="party_agreement_period"
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("party:agreement", args=[self.pk])


class Commitment(models.Model):
    """One commitment of an agreement (共建事项), done or not, optionally carried out as a project."""

    agreement = models.ForeignKey(
        Agreement, on_delete=models.CASCADE, related_name="commitments", verbose_name=_("共建协议")
    )
    text = models.CharField(_("共建事项"), max_length=200)
    project = models.ForeignKey(
        "projects.Project",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("对应项目"),
    )
    done_on = models.DateField(_("完成日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("共建事项")
        verbose_name_plural = _("共建事项")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.text


class RedProperty(models.Model):
    """Red property (红色物业): a property company (a unit of kind property) with its party organisation and the areas it
    manages; residents rate it each month."""

    unit = models.OneToOneField(
        "accounts.Unit", on_delete=models.PROTECT, related_name="red_property", verbose_name=_("物业企业")
    )
    org = models.ForeignKey(
        Org,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("物业党组织"),
    )
    areas = models.ManyToManyField("areas.Area", related_name="+", verbose_name=_("服务区域"))
    area_code = models.CharField(max_length=18, db_index=True, editable=False)
    note = models.TextField(_("说明"), blank=True, max_length=1000)

    class Meta:
        verbose_name = _("红色物业")
        verbose_name_plural = _("红色物业")
        ordering = ["unit__name"]

    def __str__(self) -> str:
        return self.unit.name

    def get_absolute_url(self) -> str:
        return reverse("party:properties")


class PropertyRating(models.Model):
    """A resident's rating of their property company for one month (the last rating of the month counts)."""

    property = models.ForeignKey(
        RedProperty, on_delete=models.CASCADE, related_name="ratings", verbose_name=_("红色物业")
    )
    rater = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("评价人")
    )
    month = models.DateField(_("月份"))  # the first day of the month
    score = models.PositiveSmallIntegerField(_("评分"))
    comment = models.CharField(_("意见"), max_length=200, blank=True)
    at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("物业评价")
        verbose_name_plural = _("物业评价")
        ordering = ["-at"]
        constraints = [
            models.UniqueConstraint(fields=["property", "rater", "month"], name="party_one_rating_a_month"),
            models.CheckConstraint(condition=Q(score__gte=1) & Q(score__lte=5), name="party_rating_1_to_5"),
        ]

    def __str__(self) -> str:
        return f"{self.property} {self.month:%Y-%m} {self.score}"


class DutyCard(models.Model):
    """A duty card (码上便知): the public duty card of a grid. The QR code carries a signed token naming the grid and this
    card's ``nonce``; revoking draws a new nonce, so every printed code of the grid stops working."""

    grid = models.OneToOneField(
        "areas.Area", on_delete=models.PROTECT, related_name="duty_card", verbose_name=_("网格")
    )
    area_code = models.CharField(max_length=18, db_index=True, editable=False)
    nonce = models.CharField(max_length=24, default="", editable=False)
    duties = models.TextField(_("职责清单"), blank=True, max_length=2000)
    issued_at = models.DateTimeField(_("生成时间"))
    revoked_count = models.PositiveSmallIntegerField(_("作废次数"), default=0)

    class Meta:
        verbose_name = _("网格员职责卡")
        verbose_name_plural = _("网格员职责卡")
        ordering = ["area_code"]

    def __str__(self) -> str:
        return str(self.grid)

    @staticmethod
    def new_nonce() -> str:
        return secrets.token_urlsafe(12)


class ActivityKind(models.TextChoices):
    MONTHLY_TALK = "monthly_talk", _("月月谈（党群议事）")
    CONGRESS = "congress", _("支部党员大会")
    COMMITTEE_MEETING = "committee_meeting", _("支部委员会")
    GROUP_MEETING = "group_meeting", _("党小组会")
    LECTURE = "lecture", _("党课")
    THEME_DAY = "theme_day", _("主题党日")
    CENTRAL_HOUSEHOLD = "central_household", _("党员中心户活动")


class Activity(models.Model):
    """A party activity (三会一课, 月月谈, 主题党日, 中心户活动) with its attendance."""

    org = models.ForeignKey(
        Org, on_delete=models.PROTECT, related_name="activities", verbose_name=_("党组织")
    )
    area_code = models.CharField(max_length=18, db_index=True, editable=False)
    kind = models.CharField(_("类型"), max_length=20, choices=ActivityKind.choices)
    held_on = models.DateField(_("日期"), db_index=True)
    place = models.CharField(_("地点"), max_length=100, blank=True)
    topic = models.CharField(_("主题"), max_length=200)
    summary = models.TextField(_("内容与结果"), blank=True, max_length=2000)
    attendees = models.ManyToManyField(
        Member, blank=True, related_name="activities", verbose_name=_("出席党员")
    )
    residents_count = models.PositiveIntegerField(_("参加群众人数"), default=0)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("记录人"),
    )
    recorded_at = models.DateTimeField(_("记录时间"))

    class Meta:
        verbose_name = _("党组织活动")
        verbose_name_plural = _("党组织活动")
        ordering = ["-held_on", "-id"]

    def __str__(self) -> str:
        return self.topic
