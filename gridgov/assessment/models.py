"""Assessment and ranking (考核评价、大排名, SPEC M11).

An **indicator** (指标) is declared, not coded: a numerator and a denominator formula over the data
elements the apps register (``core.elements``), a factor (100 for a rate in per cent), a direction and its
colour bands. A **scheme** (考核方案) ranks a pool — the communities of a district, the grids of a street or
a district, the streets of a district, or units — with groups of items (e.g. 部门考核 70 / 社区党组织评价 30),
each item an indicator or a qualitative item scored by evaluators (考核员), weighted and normalised. A
**round** (考核期) is one scheme over one period: open while qualitative scores are given (its ranking is
computed live), then **frozen** — every score, its inputs and the scheme as it stood are kept, so the
period's ranking never changes again — and **published** to the ranked areas' inboxes. An **exemption**
(免责) takes one case out of every ranking's counts, by a decision with a reason.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gridgov.core.periods import PeriodKind


class Direction(models.TextChoices):
    HIGHER = "higher", _("越高越好")
    LOWER = "lower", _("越低越好")


class Indicator(models.Model):
    """A quantitative indicator: ``factor × numerator ÷ denominator`` over data elements (no denominator:
    ``factor × numerator``); no data when the denominator is 0."""

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=60)
    description = models.TextField(_("口径说明"), max_length=500, blank=True)
    numerator = models.CharField(_("分子公式"), max_length=500)
    denominator = models.CharField(_("分母公式"), max_length=500, blank=True)
    factor = models.DecimalField(_("系数"), max_digits=10, decimal_places=4, default=1)
    unit = models.CharField(_("单位"), max_length=10, blank=True)
    direction = models.CharField(_("方向"), max_length=8, choices=Direction.choices, default=Direction.HIGHER)
    # Colour bands: good at or beyond ``good``, poor at or beyond ``poor`` on the wrong side, else fair.
    good = models.DecimalField(_("良好线"), max_digits=12, decimal_places=4, null=True, blank=True)
    poor = models.DecimalField(_("预警线"), max_digits=12, decimal_places=4, null=True, blank=True)
    is_active = models.BooleanField(_("在用"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("考核指标")
        verbose_name_plural = _("考核指标")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("assessment:indicators") + f"#indicator-{self.code}"


class Pool(models.TextChoices):
    COMMUNITIES = "communities", _("辖区内全部社区")
    GRIDS = "grids", _("辖区内全部网格")
    STREETS = "streets", _("辖区内全部街镇")
    UNITS = "units", _("共建单位、职能部门")


class Visibility(models.TextChoices):
    OWN = "own", _("各单位只看本单位名次和明细")
    ALL = "all", _("参评单位可看全部排名")


class Scheme(models.Model):
    """An assessment scheme (考核方案) of a district or street: who is ranked and how."""

    name = models.CharField(_("方案名称"), max_length=100)
    description = models.TextField(_("说明"), max_length=2000, blank=True)
    area = models.ForeignKey(
        "areas.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("考核主体")
    )
    area_code = models.CharField(max_length=18, db_index=True, editable=False)
    pool = models.CharField(_("参评对象"), max_length=12, choices=Pool.choices)
    unit_kinds = models.JSONField(_("参评单位类型"), default=list, blank=True)
    period_kind = models.CharField(
        _("考核周期"), max_length=8, choices=PeriodKind.choices, default=PeriodKind.MONTH
    )
    visibility = models.CharField(
        _("排名公开范围"), max_length=4, choices=Visibility.choices, default=Visibility.OWN
    )
    # Run by the sweep when set: each period's round is opened when the period begins and frozen this many
    # days after it ends (the evaluators' time to finish); unset, keepers open and freeze by hand.
    freeze_after_days = models.PositiveSmallIntegerField(_("期满后自动冻结（天）"), null=True, blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1)
    is_active = models.BooleanField(_("在用"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("创建时间"))
    updated_at = models.DateTimeField(_("更新时间"))

    class Meta:
        verbose_name = _("考核方案")
        verbose_name_plural = _("考核方案")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("assessment:scheme", args=[self.pk])


class Group(models.Model):
    """A group of items with its weight (e.g. 部门考核 70, 社区党组织评价 30, 群众满意度 20)."""

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="groups")
    name = models.CharField(_("分组名称"), max_length=50)
    weight = models.DecimalField(_("权重"), max_digits=7, decimal_places=2)
    sort = models.PositiveSmallIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("在用"), default=True)

    class Meta:
        verbose_name = _("指标分组")
        verbose_name_plural = _("指标分组")
        ordering = ["sort", "id"]

    def __str__(self) -> str:
        return self.name


class ItemKind(models.TextChoices):
    QUANTITATIVE = "quantitative", _("定量（数据自动计算）")
    QUALITATIVE = "qualitative", _("定性（考核员评分）")


class Normalisation(models.TextChoices):
    TARGET = "target", _("对标目标值")
    MINMAX = "minmax", _("参评对象间极差法")


class Item(models.Model):
    """One item of a scheme: an indicator (quantitative) or a qualitative item, with its weight."""

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="items")
    group = models.ForeignKey(Group, on_delete=models.PROTECT, related_name="items", verbose_name=_("分组"))
    kind = models.CharField(_("类型"), max_length=12, choices=ItemKind.choices)
    indicator = models.ForeignKey(
        Indicator, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("指标")
    )
    name = models.CharField(_("考核项"), max_length=60)
    guidance = models.TextField(_("评分标准"), max_length=1000, blank=True)
    weight = models.DecimalField(_("权重"), max_digits=7, decimal_places=2)
    normalisation = models.CharField(
        _("计分方法"), max_length=8, choices=Normalisation.choices, default=Normalisation.TARGET
    )
    target = models.DecimalField(_("目标值"), max_digits=12, decimal_places=4, null=True, blank=True)
    sort = models.PositiveSmallIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("在用"), default=True)

    class Meta:
        verbose_name = _("考核项")
        verbose_name_plural = _("考核项")
        ordering = ["sort", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="qualitative", indicator__isnull=True)
                | Q(kind="quantitative", indicator__isnull=False),
                name="assessment_item_kind_matches_indicator",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Evaluator(models.Model):
    """An account that scores a scheme's qualitative items (考核员)."""

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="evaluators")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scheme", "user"], name="one_evaluator_per_scheme")]

    def __str__(self) -> str:
        return f"{self.scheme} · {self.user}"


class RoundState(models.TextChoices):
    OPEN = "open", _("评分中")
    FROZEN = "frozen", _("已冻结")
    PUBLISHED = "published", _("已发布")


class Round(models.Model):
    """One scheme over one period (考核期)."""

    scheme = models.ForeignKey(Scheme, on_delete=models.PROTECT, related_name="rounds")
    period = models.CharField(_("考核周期"), max_length=24)
    start = models.DateField(_("开始日期"))
    end = models.DateField(_("结束日期"))
    state = models.CharField(_("状态"), max_length=10, choices=RoundState.choices, default=RoundState.OPEN)
    area_code = models.CharField(max_length=18, db_index=True, editable=False)
    # Kept when frozen: the scheme as it stood (its version, groups, items, indicators' formulas), the
    # moment the counts were read, and the cases exempted from them.
    version = models.PositiveIntegerField(_("方案版本"), null=True, blank=True)
    definition = models.JSONField(null=True, blank=True)
    counted_at = models.DateTimeField(_("统计时点"), null=True, blank=True)
    exempted = models.JSONField(default=list, blank=True)
    opened_at = models.DateTimeField(_("开始时间"))
    frozen_at = models.DateTimeField(_("冻结时间"), null=True, blank=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("考核期")
        verbose_name_plural = _("考核期")
        ordering = ["-start", "-id"]
        constraints = [models.UniqueConstraint(fields=["scheme", "period"], name="one_round_per_period")]

    def __str__(self) -> str:
        return f"{self.scheme} · {self.period}"

    def get_absolute_url(self) -> str:
        return reverse("assessment:round", args=[self.pk])


class Score(models.Model):
    """A frozen result of one ranked area or unit: total, rank and every input (``detail``)."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="scores")
    key = models.CharField(max_length=18)  # area code, or unit id
    name = models.CharField(max_length=100)
    rank = models.PositiveIntegerField(null=True, blank=True)
    total = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    detail = models.JSONField()

    class Meta:
        ordering = ["rank", "key"]
        constraints = [models.UniqueConstraint(fields=["round", "key"], name="one_score_per_key")]

    def __str__(self) -> str:
        return f"{self.round} · {self.name}"


class Mark(models.Model):
    """An evaluator's score of one qualitative item for one ranked area or unit (0–100; a comment is
    required below 60)."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="marks")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="marks")
    key = models.CharField(max_length=18)
    evaluator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    score = models.DecimalField(_("得分"), max_digits=5, decimal_places=2)
    comment = models.TextField(_("评语"), max_length=500, blank=True)
    at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["round", "item", "key", "evaluator"], name="one_mark_per_evaluator"
            )
        ]

    def __str__(self) -> str:
        return f"{self.round} · {self.item} · {self.key}"


class Exemption(models.Model):
    """A case taken out of the assessment counts (免责) by a decision with its reason; revocable."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+", verbose_name=_("事件"))
    area_code = models.CharField(max_length=18, db_index=True, editable=False)
    reason = models.TextField(_("免责理由"), max_length=500)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("决定时间"))
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revoke_reason = models.TextField(_("撤销理由"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("免责事件")
        verbose_name_plural = _("免责事件")
        ordering = ["-decided_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=Q(revoked_at__isnull=True), name="one_standing_exemption_per_case"
            )
        ]

    def __str__(self) -> str:
        return str(self.case)

    def get_absolute_url(self) -> str:
        return reverse("assessment:exemptions")
