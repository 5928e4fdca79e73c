"""The three lists (需求清单、资源清单、项目清单, M8), matching and the 双报到 rule."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gridgov.core.deadlines import Sla
from gridgov.core.workflow import Rating


class Need(models.Model):
    """需求清单: something residents need, entered by hand or carried over from a visit finding, a wish, an
    order that could not be served, or a survey. A source row makes at most one need."""

    class Source(models.TextChoices):
        MANUAL = "manual", _("手工登记")
        VISIT = "visit", _("走访发现")
        WISH = "wish", _("微心愿")
        ORDER = "order", _("未能服务的点单")
        SURVEY = "survey", _("问卷调查")

    class Urgency(models.TextChoices):
        LOW = "low", _("不急")
        NORMAL = "normal", _("一般")
        URGENT = "urgent", _("紧急")

    class State(models.TextChoices):
        OPEN = "open", _("待对接")
        PLANNED = "planned", _("已立项")
        MET = "met", _("已解决")
        CLOSED = "closed", _("已关闭")

    title = models.CharField(_("需求"), max_length=100)
    description = models.TextField(_("说明"), blank=True, max_length=2000)
    category = models.ForeignKey(
        "services.ServiceCategory", on_delete=models.PROTECT, related_name="needs", verbose_name=_("类别")
    )
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("区域"))
    area_code = models.CharField(max_length=18, db_index=True, editable=False)
    beneficiaries = models.PositiveIntegerField(_("受益人数"), default=1, validators=[MinValueValidator(1)])
    urgency = models.CharField(_("紧急程度"), max_length=8, choices=Urgency.choices, default=Urgency.NORMAL)
    source = models.CharField(_("来源"), max_length=8, choices=Source.choices, default=Source.MANUAL)
    source_id = models.PositiveBigIntegerField(_("来源记录"), null=True, blank=True)
    state = models.CharField(
        _("状态"), max_length=8, choices=State.choices, default=State.OPEN, db_index=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    needed_by = models.DateField(_("希望解决日期"), null=True, blank=True)
    close_reason = models.TextField(_("关闭原因"), blank=True, max_length=500)
    created_at = models.DateTimeField(_("登记时间"))

    class Meta:
        verbose_name = _("需求")
        verbose_name_plural = _("需求清单")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "source_id"],
                condition=Q(source_id__isnull=False),
                name="need_once_per_source",
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("projects:need", args=[self.pk])


class Resource(models.Model):
    """资源清单: what a unit, a volunteer or an organisation from the ledger (a shop, a social organisation)
    offers — a skill, a venue, funds, goods or service hours — in an area, for a period."""

    class Kind(models.TextChoices):
        SKILL = "skill", _("技能")
        VENUE = "venue", _("场地")
        FUNDS = "funds", _("资金")
        GOODS = "goods", _("物资")
        HOURS = "hours", _("服务时长")

    title = models.CharField(_("资源"), max_length=100)
    description = models.TextField(_("说明"), blank=True, max_length=2000)
    category = models.ForeignKey(
        "services.ServiceCategory", on_delete=models.PROTECT, related_name="resources", verbose_name=_("类别")
    )
    kind = models.CharField(_("资源类型"), max_length=8, choices=Kind.choices)
    owner_unit = models.ForeignKey(
        "accounts.Unit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="resources",
        verbose_name=_("提供单位"),
    )
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="resources",
        verbose_name=_("提供人（党员/志愿者）"),
    )
    owner_org = models.ForeignKey(
        "ledger.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="resources",
        verbose_name=_("提供组织（商户、社会组织）"),
    )
    quantity = models.CharField(_("数量/规模"), max_length=60, blank=True)
    capacity = models.PositiveIntegerField(_("可服务人次"), null=True, blank=True)
    available_from = models.DateField(_("可用起"), null=True, blank=True)
    available_until = models.DateField(_("可用至"), null=True, blank=True)
    availability = models.CharField(_("可用时间"), max_length=100, blank=True)
    area = models.ForeignKey(
        "areas.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("服务区域")
    )
    area_code = models.CharField(max_length=18, db_index=True, editable=False)
    is_active = models.BooleanField(_("在用"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("登记时间"))

    class Meta:
        verbose_name = _("资源")
        verbose_name_plural = _("资源清单")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(owner_unit__isnull=False, owner_user__isnull=True, owner_org__isnull=True)
                    | Q(owner_unit__isnull=True, owner_user__isnull=False, owner_org__isnull=True)
                    | Q(owner_unit__isnull=True, owner_user__isnull=True, owner_org__isnull=False)
                ),
                name="resource_exactly_one_owner",
            ),
            models.CheckConstraint(
                condition=Q(available_from__isnull=True)
                | Q(available_until__isnull=True)
                | Q(available_until__gte=models.F("available_from")),
                name="resource_window_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def owner(self):
        return self.owner_unit or self.owner_user or self.owner_org

    @property
    def owner_kind(self) -> str:
        if self.owner_unit_id:
            return "unit"
        if self.owner_user_id:
            return "volunteer"
        return "organisation"


class Project(models.Model):
    """项目清单 (民生实事): one or more needs met with resources, owned by a unit (认领 by a 双报到 unit, or
    named by staff) or by a party secretary (书记项目); milestones, progress, residents' evaluation."""

    class State(models.TextChoices):
        DRAFT = "draft", _("草稿")
        OPEN = "open", _("待认领")
        IN_PROGRESS = "in_progress", _("实施中")
        COMPLETED = "completed", _("已完成")
        CLOSED = "closed", _("已关闭")

    Sla = Sla  # the one choice set of core.deadlines

    title = models.CharField(_("项目"), max_length=100)
    description = models.TextField(_("说明"), blank=True, max_length=2000)
    needs = models.ManyToManyField(Need, related_name="projects", blank=True, verbose_name=_("对应需求"))
    resources = models.ManyToManyField(
        Resource, related_name="projects", blank=True, verbose_name=_("使用资源")
    )
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("区域"))
    area_code = models.CharField(max_length=18, db_index=True, editable=False)
    owner_unit = models.ForeignKey(
        "accounts.Unit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="projects",
        verbose_name=_("承办单位"),
    )
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="secretary_projects",
        verbose_name=_("负责书记"),
    )
    is_secretary_project = models.BooleanField(_("书记项目"), default=False)
    claimed = models.BooleanField(_("由单位认领"), default=False)
    plan = models.TextField(_("实施方案"), blank=True, max_length=5000)
    budget = models.DecimalField(_("预算（元）"), max_digits=12, decimal_places=2, null=True, blank=True)
    start_date = models.DateField(_("开始日期"), null=True, blank=True)
    end_date = models.DateField(_("计划完成日期"), null=True, blank=True)
    year = models.PositiveSmallIntegerField(_("年度"), db_index=True)
    state = models.CharField(
        _("状态"), max_length=12, choices=State.choices, default=State.DRAFT, db_index=True
    )
    progress = models.PositiveSmallIntegerField(
        _("进度（%）"), default=0, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    summary = models.TextField(_("完成情况"), blank=True, max_length=2000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"))
    started_at = models.DateTimeField(_("开始实施"), null=True, blank=True)
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    # The plan's end date as a deadline, swept for warning (yellow) and overdue (red) once each.
    due_at = models.DateTimeField(null=True, blank=True, editable=False)
    warn_at = models.DateTimeField(null=True, blank=True, editable=False)
    warned_at = models.DateTimeField(null=True, blank=True, editable=False)
    overdue_at = models.DateTimeField(null=True, blank=True, editable=False)
    sla = models.CharField(max_length=8, choices=Sla.choices, default=Sla.NORMAL, editable=False)

    class Meta:
        verbose_name = _("项目")
        verbose_name_plural = _("项目清单")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(owner_unit__isnull=True) | Q(owner_user__isnull=True), name="project_one_owner"
            ),
            models.CheckConstraint(
                condition=Q(progress__gte=0) & Q(progress__lte=100), name="project_progress_percent"
            ),
        ]
        indexes = [models.Index(fields=["state", "due_at"], name="project_state_due")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("projects:project", args=[self.pk])

    @property
    def owner(self):
        return self.owner_unit or self.owner_user


class Milestone(models.Model):
    """项目节点: a step of the plan with a due date; done steps make the progress."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(_("节点"), max_length=100)
    due = models.DateField(_("计划日期"), null=True, blank=True)
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(_("说明"), blank=True, max_length=2000)

    class Meta:
        verbose_name = _("项目节点")
        verbose_name_plural = _("项目节点")
        ordering = ["due", "id"]

    def __str__(self) -> str:
        return self.title


class ProjectEvaluation(models.Model):
    """居民评价: one per resident per project, given while the project is completed."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="evaluations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    score = models.PositiveSmallIntegerField(
        _("评分"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    rating = models.CharField(_("评价"), max_length=12, choices=Rating.choices)
    comment = models.TextField(_("意见"), blank=True, max_length=500)
    created_at = models.DateTimeField(_("评价时间"))

    class Meta:
        verbose_name = _("项目评价")
        verbose_name_plural = _("项目评价")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "user"], name="project_evaluation_once"),
            models.CheckConstraint(condition=Q(score__gte=1) & Q(score__lte=5), name="project_score_1_5"),
        ]

    def __str__(self) -> str:
        return f"{self.project_id}: {self.score}"


class CoBuildingRule(models.Model):
    """双报到 rule: every co-building unit serving in ``area`` (a street or a community) claims and completes
    at least ``required_projects`` projects there a year. The nearest rule up the tree applies; none → 1."""

    area = models.OneToOneField(
        "areas.Area", on_delete=models.PROTECT, related_name="cobuilding_rule", verbose_name=_("区域")
    )
    required_projects = models.PositiveSmallIntegerField(
        _("每年须完成项目数"), default=1, validators=[MinValueValidator(1)]
    )

    class Meta:
        verbose_name = _("双报到规则")
        verbose_name_plural = _("双报到规则")

    def __str__(self) -> str:
        return f"{self.area}：{self.required_projects}"


class UnitYearScore(models.Model):
    """年终评分: the community's score (0–100) of a co-building unit for a year."""

    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="year_scores")
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("社区"))
    area_code = models.CharField(max_length=18, db_index=True, editable=False)
    year = models.PositiveSmallIntegerField(_("年度"))
    score = models.PositiveSmallIntegerField(
        _("评分"), validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    comment = models.TextField(_("评语"), blank=True, max_length=1000)
    scored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    scored_at = models.DateTimeField(_("评分时间"))

    class Meta:
        verbose_name = _("共建单位年度评分")
        verbose_name_plural = _("共建单位年度评分")
        ordering = ["-year", "unit__name"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "area", "year"], name="unit_year_score_once"),
            models.CheckConstraint(condition=Q(score__lte=100), name="unit_year_score_0_100"),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.year}: {self.score}"
