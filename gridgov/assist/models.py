"""Smart assistance (M14): the district's history brought in from an old system, the suggesters trained
on it, the thresholds above which a suggestion may apply itself, and every suggestion offered with what the
dispatcher made of it (the next training label)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class CategoryAlias(models.Model):
    """What an old system called a category and the category of the tree it maps to; with no
    category, rows under that name are left out on purpose."""

    name = models.CharField(_("原系统分类名称"), max_length=100, unique=True)
    category = models.ForeignKey(
        "cases.Category",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("对应分类"),
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("历史分类对应")
        verbose_name_plural = _("历史分类对应")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class UnitAlias(models.Model):
    """What an old system called a handling unit and the unit it maps to (none: the rows keep no unit)."""

    name = models.CharField(_("原系统单位名称"), max_length=100, unique=True)
    unit = models.ForeignKey(
        "accounts.Unit",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("对应单位"),
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("历史单位对应")
        verbose_name_plural = _("历史单位对应")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class HistoryImport(models.Model):
    """One file of past work orders from an old system, imported as closed historical cases."""

    class OnUnmapped(models.TextChoices):
        REFUSE = "refuse", _("有未对应的分类则全部不导入")
        SKIP = "skip", _("跳过未对应分类的行")

    class State(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("处理中")
        REJECTED = "rejected", _("有错误，未导入")
        DONE = "done", _("已完成")
        FAILED = "failed", _("文件无法处理")

    filename = models.CharField(_("文件名"), max_length=200)
    path = models.CharField(max_length=300, editable=False)
    on_unmapped = models.CharField(
        _("未对应的分类"), max_length=8, choices=OnUnmapped.choices, default=OnUnmapped.REFUSE
    )
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.QUEUED)
    rows_total = models.PositiveIntegerField(_("数据行"), default=0)
    rows_created = models.PositiveIntegerField(_("新增"), default=0)
    rows_existing = models.PositiveIntegerField(_("已导入过"), default=0)
    rows_skipped = models.PositiveIntegerField(_("跳过"), default=0)
    error_count = models.PositiveIntegerField(_("错误数"), default=0)
    errors = models.JSONField(_("错误（前 500 条）"), default=list, blank=True)
    unmapped = models.JSONField(_("未对应的名称"), default=dict, blank=True)
    message = models.CharField(_("说明"), max_length=300, blank=True)
    # The import's area: rows with neither a grid nor a point found in a grid are placed here, and every
    # row must fall inside it; the job is seen by staff whose scope holds it.
    area = models.ForeignKey(
        "areas.Area",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("导入范围"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("导入人"),
    )
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("历史工单导入")
        verbose_name_plural = _("历史工单导入")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.filename


class SuggesterModel(models.Model):
    """One trained suggester (category and unit models together), its figures on held-out history and the
    file its weights are kept in beside the media files. At most one is active."""

    class State(models.TextChoices):
        TRAINING = "training", _("训练中")
        ACTIVE = "active", _("在用")
        RETIRED = "retired", _("已被替换")
        REJECTED = "rejected", _("未采用（不优于在用模型）")
        FAILED = "failed", _("训练失败")

    class Trigger(models.TextChoices):
        COMMAND = "command", _("命令")
        SCHEDULE = "schedule", _("定时")
        ADMIN = "admin", _("管理员")
        DEMO = "demo", _("演示数据")

    version = models.PositiveIntegerField(_("版本"), unique=True)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.TRAINING)
    trigger = models.CharField(_("发起方式"), max_length=10, choices=Trigger.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("发起人"),
    )
    seed = models.PositiveIntegerField(_("随机种子"), default=0)
    params = models.JSONField(_("参数"), default=dict, blank=True)
    train_size = models.PositiveIntegerField(_("训练样本"), default=0)
    test_size = models.PositiveIntegerField(_("测试样本"), default=0)
    split_at = models.DateTimeField(_("训练/测试分界时间"), null=True, blank=True)
    metrics = models.JSONField(_("测试指标"), default=dict, blank=True)
    curves = models.JSONField(_("各分类置信度—准确率"), default=dict, blank=True)
    path = models.CharField(max_length=300, blank=True, editable=False)
    sha256 = models.CharField(max_length=64, blank=True, editable=False)
    size_bytes = models.PositiveBigIntegerField(default=0, editable=False)
    message = models.CharField(_("说明"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("建议模型")
        verbose_name_plural = _("建议模型")
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["state"], condition=Q(state="active"), name="one_active_suggester"
            )
        ]

    def __str__(self) -> str:
        return f"v{self.version}"


class Threshold(models.Model):
    """The auto-apply threshold of a category: a category's suggestion applies itself at ``confidence`` or above, and only while the
    active model's precision at that confidence, measured on held-out history, is at least
    ``min_precision`` (what the admin saw and accepted when setting it)."""

    category = models.OneToOneField(
        "cases.Category", on_delete=models.CASCADE, related_name="+", verbose_name=_("分类")
    )
    confidence = models.DecimalField(
        _("置信度不低于"),
        max_digits=3,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.50")), MaxValueValidator(Decimal("0.99"))],
    )
    min_precision = models.DecimalField(
        _("要求的准确率"),
        max_digits=3,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.50")), MaxValueValidator(Decimal("1.00"))],
    )
    is_active = models.BooleanField(_("启用"), default=True)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("设置人"),
    )
    set_at = models.DateTimeField(_("设置时间"), auto_now=True)

    class Meta:
        verbose_name = _("自动采纳阈值")
        verbose_name_plural = _("自动采纳阈值")

    def __str__(self) -> str:
        return f"{self.category} ≥ {self.confidence}"


class Suggestion(models.Model):
    """A suggestion offered for a case (its category, or its handling unit), the top three with their
    confidence and the words that drove them, and what became of it."""

    class Kind(models.TextChoices):
        CATEGORY = "category", _("分类")
        UNIT = "unit", _("处置单位")

    class Outcome(models.TextChoices):
        PENDING = "pending", _("待确认")
        ACCEPTED = "accepted", _("采纳")
        CHANGED = "changed", _("改选")
        REJECTED = "rejected", _("不采纳")
        AUTOMATIC = "automatic", _("自动采纳")

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    model_version = models.PositiveIntegerField(_("模型版本"))
    options = models.JSONField(_("建议"), default=list)
    outcome = models.CharField(
        _("结果"), max_length=10, choices=Outcome.choices, default=Outcome.PENDING, db_index=True
    )
    category = models.ForeignKey(
        "cases.Category",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("最终分类"),
    )
    unit = models.ForeignKey(
        "accounts.Unit",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("最终单位"),
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("确认人"),
    )
    decided_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("建议时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("智能建议")
        verbose_name_plural = _("智能建议")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["case", "kind"], name="one_suggestion_per_case_kind")]

    def __str__(self) -> str:
        return f"{self.case} · {self.get_kind_display()}"
