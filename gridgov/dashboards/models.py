"""The command centre's stored figures (SPEC M12): the daily roll-up of the case timeline, the open-case
counts kept once a day, the recurring problems (hot spots) found among the cases, and the generated period
reports. docs/dashboards.md defines every figure."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

# The flows counted per day from the case timeline (an event of that action on that local day).
FLOWS = (
    "reported",
    "accepted",
    "dispatched",
    "closed",
    "closed_on_time",
    "overdue",
    "warned",
    "escalated",
    "reopened",
    "whistled",
    "rated",
    "satisfied",
)
# The counts of open cases kept for each day (as the last refresh of that day found them).
STOCKS = ("open", "overdue", "warning", "whistle_waiting")


class FigureRow(models.Model):
    """A row of figures for one area (district, street, community or grid) and one local day; with a
    category (or a lead unit) it is that part of the area's figures, without either it is the whole."""

    day = models.DateField()
    area_code = models.CharField(max_length=18)
    parent_code = models.CharField(max_length=18, blank=True)
    category = models.ForeignKey(
        "cases.Category", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        abstract = True


class DayFigure(FigureRow):
    """Flows of one day (the roll-up of ``CaseEvent``), recomputed for today and yesterday by each refresh;
    earlier days are final."""

    reported = models.PositiveIntegerField(default=0)
    accepted = models.PositiveIntegerField(default=0)
    dispatched = models.PositiveIntegerField(default=0)
    closed = models.PositiveIntegerField(default=0)
    closed_on_time = models.PositiveIntegerField(default=0)
    overdue = models.PositiveIntegerField(default=0)
    warned = models.PositiveIntegerField(default=0)
    escalated = models.PositiveIntegerField(default=0)
    reopened = models.PositiveIntegerField(default=0)
    whistled = models.PositiveIntegerField(default=0)
    rated = models.PositiveIntegerField(default=0)
    satisfied = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("每日事件流量")
        verbose_name_plural = _("每日事件流量")
        indexes = [
            models.Index(fields=["area_code", "day"], name="dayfigure_area_day"),
            # the children of an area are read as wholes only
            models.Index(
                fields=["parent_code", "day"],
                condition=models.Q(category__isnull=True),
                name="dayfigure_parent_day",
            ),
            models.Index(fields=["day"], name="dayfigure_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.area_code}"


class StockFigure(FigureRow):
    """Open cases of one area at the last refresh of the day; with a lead unit, that unit's part."""

    unit = models.ForeignKey(
        "accounts.Unit", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    open = models.PositiveIntegerField(default=0)
    overdue = models.PositiveIntegerField(default=0)
    warning = models.PositiveIntegerField(default=0)
    whistle_waiting = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("每日在办事件")
        verbose_name_plural = _("每日在办事件")
        indexes = [
            models.Index(fields=["area_code", "day"], name="stockfigure_area_day"),
            models.Index(fields=["parent_code", "day"], name="stockfigure_parent_day"),
            models.Index(fields=["day"], name="stockfigure_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.area_code}"


class FiguresMark(models.Model):
    """The one row telling how far the roll-up has gone: days up to ``final_through`` are final."""

    key = models.CharField(max_length=16, unique=True, default="cases")
    final_through = models.DateField(null=True, blank=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)
    seconds = models.FloatField(default=0)

    class Meta:
        verbose_name = _("统计刷新")
        verbose_name_plural = _("统计刷新")

    def __str__(self) -> str:
        return f"{self.key}: {self.final_through}"


class HotspotRule(models.Model):
    """When cases make a recurring problem (高发问题): at least ``min_cases`` cases of one category within
    ``radius_m`` of each other (chained) reported within ``window_days``. A rule without a category is the
    default for every category without its own."""

    category = models.OneToOneField(
        "cases.Category",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("分类"),
    )
    radius_m = models.PositiveIntegerField(_("半径（米）"), default=100)
    window_days = models.PositiveIntegerField(_("时间窗（天）"), default=30)
    min_cases = models.PositiveIntegerField(_("最少事件数"), default=3)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("高发问题规则")
        verbose_name_plural = _("高发问题规则")
        constraints = [
            models.UniqueConstraint(
                fields=["category"],
                condition=models.Q(category__isnull=True),
                name="one_default_hotspot_rule",
            )
        ]

    def __str__(self) -> str:
        return f"{self.category or '*'}: {self.min_cases}/{self.radius_m}m/{self.window_days}d"


class Hotspot(models.Model):
    """A recurring problem: cases of one category close together within the rule's window."""

    class State(models.TextChoices):
        ACTIVE = "active", _("高发中")
        QUIET = "quiet", _("已平息")
        PROJECT = "project", _("已转项目")
        TOPIC = "topic", _("已转议题")

    category = models.ForeignKey(
        "cases.Category", on_delete=models.PROTECT, related_name="+", verbose_name=_("分类")
    )
    area = models.ForeignKey(
        "areas.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("所在网格")
    )
    area_code = models.CharField(max_length=18, db_index=True, editable=False)
    lat = models.FloatField()
    lng = models.FloatField()
    radius_m = models.PositiveIntegerField(default=0)
    first_at = models.DateTimeField(_("最早上报"))
    last_at = models.DateTimeField(_("最近上报"))
    count = models.PositiveIntegerField(_("事件数"), default=0)
    previous_count = models.PositiveIntegerField(_("上一时间窗事件数"), default=0)
    case_ids = models.JSONField(default=list)
    state = models.CharField(_("状态"), max_length=12, choices=State.choices, default=State.ACTIVE)
    detected_at = models.DateTimeField(_("发现时间"))
    updated_at = models.DateTimeField()
    # Where it went: a project (via its need) or a deliberation topic, by id (apps above link back).
    need_id = models.BigIntegerField(null=True, blank=True)
    project_id = models.BigIntegerField(null=True, blank=True)
    topic_ref = models.CharField(max_length=32, blank=True)
    converted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    converted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("高发问题")
        verbose_name_plural = _("高发问题")
        ordering = ["-count", "-last_at"]

    def __str__(self) -> str:
        return f"{self.category} @ {self.area_code} ×{self.count}"

    def get_absolute_url(self) -> str:
        return reverse("dashboards:hotspot", args=[self.pk])


class Report(models.Model):
    """A generated period report (日反馈、周例会、月研判) of one area, kept with its figures as they were."""

    class Kind(models.TextChoices):
        DAILY = "daily", _("日反馈")
        WEEKLY = "weekly", _("周例会简报")
        MONTHLY = "monthly", _("月研判报告")

    kind = models.CharField(_("类型"), max_length=8, choices=Kind.choices)
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("区域"))
    area_code = models.CharField(max_length=18, editable=False)
    period_key = models.CharField(_("期间"), max_length=24)
    version = models.PositiveIntegerField(default=1)
    data = models.JSONField(default=dict)
    generated_at = models.DateTimeField(_("生成时间"))
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    seconds = models.FloatField(default=0)

    class Meta:
        verbose_name = _("分析报告")
        verbose_name_plural = _("分析报告")
        ordering = ["-generated_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "area_code", "period_key", "version"], name="one_report_version"
            )
        ]
        indexes = [models.Index(fields=["area_code", "kind", "period_key"], name="report_area_kind_period")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.area_code} {self.period_key}"

    def get_absolute_url(self) -> str:
        return reverse("dashboards:report", args=[self.pk])


class GridMonth(models.Model):
    """The case data elements (``cases.*``) of one grid for the cases reported in one month, as counted at
    ``counted_at``: what the grid map colours a month by. The refresh recounts the current and the previous
    month, and once a day every month kept; an older month is counted when first asked for. A row with an
    empty area code marks a month as counted."""

    month = models.DateField()
    area_code = models.CharField(max_length=18)
    values = models.JSONField(default=dict)
    counted_at = models.DateTimeField()

    class Meta:
        verbose_name = _("网格月度事件数")
        verbose_name_plural = _("网格月度事件数")
        constraints = [models.UniqueConstraint(fields=["month", "area_code"], name="one_grid_month")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.area_code}"
