"""Household visits (入户走访, 进千家门 知千家情, M4).

A visit is recorded once and feeds the household's history, the worker's worklist, the coverage figures
and — through one click — a case (M5) that keeps its link to the visit (问题台账).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Visit(models.Model):
    class Kind(models.TextChoices):
        ROUTINE = "routine", _("日常走访")
        MUST = "must", _("必访")
        SPECIAL = "special", _("专项走访")

    household = models.ForeignKey(
        "ledger.Household", on_delete=models.PROTECT, related_name="visits", verbose_name=_("走访户")
    )
    area_code = models.CharField(max_length=18, db_index=True, editable=False)
    visited_at = models.DateTimeField(_("走访时间"))
    duration_minutes = models.PositiveSmallIntegerField(
        _("时长（分钟）"), default=20, validators=[MinValueValidator(1), MaxValueValidator(600)]
    )
    kind = models.CharField(_("类型"), max_length=8, choices=Kind.choices, default=Kind.ROUTINE)
    # 三必问: situation, needs, problems are always asked; skills/interests feed the resources list.
    situation = models.TextField(_("家庭情况"), blank=True, max_length=2000)
    needs = models.TextField(_("需求"), blank=True, max_length=2000)
    problems = models.TextField(_("问题与诉求"), blank=True, max_length=2000)
    skills = models.TextField(_("特长爱好"), blank=True, max_length=2000)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="recorded_visits",
        verbose_name=_("记录人"),
    )
    visitors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="visits", blank=True, verbose_name=_("走访人")
    )
    cases = models.ManyToManyField(
        "cases.Case", related_name="visits", blank=True, verbose_name=_("转办事件")
    )
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    # The form's one-time key (offline queue, double submit): the same recorder sending the same key
    # again gets the visit made the first time. Empty for visits recorded without one.
    client_key = models.CharField(_("客户端键"), max_length=64, blank=True, default="", editable=False)

    class Meta:
        verbose_name = _("走访记录")
        verbose_name_plural = _("走访记录")
        ordering = ["-visited_at", "-id"]
        indexes = [
            models.Index(fields=["household", "visited_at"], name="visit_household_at"),
            models.Index(fields=["area_code", "visited_at"], name="visit_area_at"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["recorded_by", "client_key"],
                condition=~models.Q(client_key=""),
                name="visit_client_key_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.household_id} @ {self.visited_at:%Y-%m-%d}"


class VisitRule(models.Model):
    """必访规则 (三必问 四必访) as data: households carrying ``tag`` (on the household or a member) are
    visited at least every ``interval_days``. A rule without a tag applies to every household."""

    district = models.ForeignKey(
        "areas.Area", on_delete=models.PROTECT, related_name="visit_rules", verbose_name=_("适用区")
    )
    tag = models.ForeignKey(
        "ledger.FocusTag",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="visit_rules",
        verbose_name=_("标签（空=全部住户）"),
    )
    interval_days = models.PositiveSmallIntegerField(
        _("走访周期（天）"), validators=[MinValueValidator(1), MaxValueValidator(730)]
    )
    is_active = models.BooleanField(_("在用"), default=True)

    class Meta:
        verbose_name = _("必访规则")
        verbose_name_plural = _("必访规则")
        ordering = ["district_id", "interval_days"]
        constraints = [
            models.UniqueConstraint(fields=["district", "tag"], name="visit_rule_once_per_tag"),
            # NULLs are distinct in a unique constraint: the every-household rule needs its own.
            models.UniqueConstraint(
                fields=["district"], condition=Q(tag__isnull=True), name="visit_rule_once_for_all"
            ),
        ]

    def __str__(self) -> str:
        return _("%(target)s：每 %(interval_days)s 天") % {
            "target": self.tag or _("全部住户"),
            "interval_days": self.interval_days,
        }


class VisitPlan(models.Model):
    """A worker's own target (e.g. ≥10 households a week) for everyone working in ``area``'s subtree.
    Shown to each worker as their own progress, never as a ranking."""

    area = models.ForeignKey(
        "areas.Area", on_delete=models.CASCADE, related_name="visit_plans", verbose_name=_("适用区域")
    )
    households = models.PositiveSmallIntegerField(_("走访户数"), validators=[MinValueValidator(1)])
    period_days = models.PositiveSmallIntegerField(
        _("周期（天）"), default=7, validators=[MinValueValidator(1)]
    )

    class Meta:
        verbose_name = _("走访计划")
        verbose_name_plural = _("走访计划")
        constraints = [models.UniqueConstraint(fields=["area"], name="visit_plan_once_per_area")]

    def __str__(self) -> str:
        return _("%(area)s：每 %(period_days)s 天 %(households)s 户") % {
            "area": self.area,
            "period_days": self.period_days,
            "households": self.households,
        }
