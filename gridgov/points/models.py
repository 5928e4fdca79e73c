"""Volunteer tasks (志愿服务), the public-welfare points ledger (公益积分) and the exchange station's
rewards (积分兑换).

The points ledger is double-entry and append-only: every movement of points is one :class:`PointsEntry`
that debits one account and credits another with the same positive amount, so the sum over all accounts
is always zero. A balance is derived from the entries (credits − debits), never stored. Entries are never
edited or deleted; a mistake is put right with a correction entry that reverses the original.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gridgov.core.models import AppendOnlyError

# ---------------------------------------------------------------- volunteer tasks


class TaskState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    OPEN = "open", _("报名中")
    FULL = "full", _("已满员")
    CLOSED = "closed", _("报名截止")
    FINISHED = "finished", _("已结束")
    CANCELLED = "cancelled", _("已取消")


LIVE_TASK_STATES = (TaskState.OPEN, TaskState.FULL, TaskState.CLOSED)


class VolunteerTask(models.Model):
    """志愿服务任务: published by community or grid staff with places, a time, a place and points per person."""

    title = models.CharField(_("任务名称"), max_length=100)
    description = models.TextField(_("任务内容"), blank=True, max_length=2000)
    area = models.ForeignKey(
        "areas.Area", on_delete=models.PROTECT, related_name="volunteer_tasks", verbose_name=_("所属区域")
    )
    area_code = models.CharField(_("区域编码"), max_length=18, db_index=True, editable=False)
    place = models.CharField(_("地点"), max_length=200)
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    slots = models.PositiveIntegerField(_("名额"))
    taken = models.PositiveIntegerField(_("已报名"), default=0)
    points = models.PositiveIntegerField(_("每人积分"))
    requirements = models.TextField(_("要求"), blank=True, max_length=1000)
    state = models.CharField(_("状态"), max_length=16, choices=TaskState.choices, default=TaskState.DRAFT)
    signup_due = models.DateTimeField(_("报名截止时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("发布人")
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束登记时间"), null=True, blank=True)
    cancel_reason = models.TextField(_("取消原因"), blank=True, max_length=500)
    # The reminder the day before (a Phase of the shared deadline sweep): ``remind_at`` is the warn-at
    # moment, ``reminded_at`` its once-only mark; ``started_mark`` marks the start itself.
    remind_at = models.DateTimeField(null=True, blank=True, editable=False)
    reminded_at = models.DateTimeField(null=True, blank=True, editable=False)
    started_mark = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("志愿服务任务")
        verbose_name_plural = _("志愿服务任务")
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(slots__gte=1), name="points_task_slots_positive"),
            models.CheckConstraint(condition=Q(points__gte=1), name="points_task_points_positive"),
            models.CheckConstraint(
                condition=Q(taken__lte=models.F("slots")), name="points_task_no_overbooking"
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="points_task_ends_after"
            ),
        ]
        indexes = [models.Index(fields=["state", "starts_at"], name="points_task_state_start")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("points:task", args=[self.pk])

    @property
    def free(self) -> int:
        return max(self.slots - self.taken, 0)

    @property
    def community_code(self) -> str:
        return self.area_code[:12]


class SignupState(models.TextChoices):
    SIGNED_UP = "signed_up", _("已报名")
    ATTENDED = "attended", _("已参加")
    ABSENT = "absent", _("未到场")
    WITHDRAWN = "withdrawn", _("已取消报名")


class Signup(models.Model):
    """报名: one volunteer's place on one task; staff confirm attendance (points credited) or absence."""

    task = models.ForeignKey(VolunteerTask, on_delete=models.PROTECT, related_name="signups")
    volunteer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="signups", verbose_name=_("志愿者")
    )
    state = models.CharField(
        _("状态"), max_length=16, choices=SignupState.choices, default=SignupState.SIGNED_UP
    )
    signed_at = models.DateTimeField(_("报名时间"))
    withdrawn_at = models.DateTimeField(_("取消时间"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("确认人"),
    )
    hours = models.DecimalField(_("服务时长（小时）"), max_digits=6, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("报名")
        verbose_name_plural = _("报名")
        ordering = ["signed_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["task", "volunteer"],
                condition=~Q(state="withdrawn"),
                name="points_one_live_signup",
            ),
            models.CheckConstraint(condition=Q(hours__gte=0), name="points_signup_hours_nonneg"),
        ]

    def __str__(self) -> str:
        return f"{self.volunteer} · {self.task}"


# ---------------------------------------------------------------- the points ledger


class AccountKind(models.TextChoices):
    POOL = "pool", _("社区积分池")
    VOLUNTEER = "volunteer", _("志愿者")
    STATION = "station", _("兑换站")


class PointsAccount(models.Model):
    """积分账户: a community's pool (the issuer of points), a volunteer's account, a community's exchange
    station (where redeemed points go)."""

    kind = models.CharField(_("类型"), max_length=16, choices=AccountKind.choices)
    area = models.ForeignKey(
        "areas.Area",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("社区"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="points_accounts",
        verbose_name=_("志愿者"),
    )
    created_at = models.DateTimeField(_("开户时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("积分账户")
        verbose_name_plural = _("积分账户")
        ordering = ["kind", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="volunteer", user__isnull=False, area__isnull=True))
                | (Q(kind__in=["pool", "station"], user__isnull=True, area__isnull=False)),
                name="points_account_owner",
            ),
            models.UniqueConstraint(
                fields=["user"], condition=Q(kind="volunteer"), name="points_one_account_per_volunteer"
            ),
            models.UniqueConstraint(
                fields=["kind", "area"], condition=Q(kind__in=["pool", "station"]), name="points_one_per_area"
            ),
        ]

    def __str__(self) -> str:
        if self.kind == AccountKind.VOLUNTEER:
            return f"{self.get_kind_display()} · {self.user}"
        return f"{self.area.name if self.area_id else ''}{self.get_kind_display()}"


class EntryKind(models.TextChoices):
    TASK = "task", _("志愿服务")
    REDEMPTION = "redemption", _("兑换")
    EXPIRY = "expiry", _("过期")
    CORRECTION = "correction", _("冲正")
    GRANT = "grant", _("调整")


class PointsEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):  # noqa: ARG002
        raise AppendOnlyError("points entries are append-only")

    def delete(self):
        raise AppendOnlyError("points entries are append-only")


class PointsEntry(models.Model):
    """积分流水: ``amount`` points move from ``debit`` to ``credit``. Inserted only, never changed.

    Conventions: a task credit debits the community pool and credits the volunteer; a redemption debits
    the volunteer and credits the station; an expiry debits the volunteer and credits the pool; a
    correction swaps the sides of the entry it reverses.
    """

    at = models.DateTimeField(_("时间"), db_index=True)
    debit = models.ForeignKey(
        PointsAccount, on_delete=models.PROTECT, related_name="debits", verbose_name=_("借方（转出）")
    )
    credit = models.ForeignKey(
        PointsAccount, on_delete=models.PROTECT, related_name="credits", verbose_name=_("贷方（转入）")
    )
    amount = models.PositiveIntegerField(_("积分"))
    kind = models.CharField(_("类型"), max_length=16, choices=EntryKind.choices)
    memo = models.CharField(_("摘要"), max_length=200, blank=True)
    signup = models.ForeignKey(
        Signup,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="entries",
        verbose_name=_("报名"),
    )
    redemption = models.OneToOneField(
        "Redemption",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="entry",
        verbose_name=_("兑换"),
    )
    reverses = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_by",
        verbose_name=_("冲正的流水"),
    )
    expires = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="expired_by",
        verbose_name=_("过期的积分来源"),
    )
    area_code = models.CharField(_("区域编码"), max_length=18, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("经办人"),
    )

    objects = PointsEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("积分流水")
        verbose_name_plural = _("积分流水")
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=1), name="points_entry_amount_positive"),
            models.CheckConstraint(condition=~Q(debit=models.F("credit")), name="points_entry_two_accounts"),
            # A volunteer is credited for a task once, whatever retries or races happen upstream.
            models.UniqueConstraint(
                fields=["signup"], condition=Q(kind="task"), name="points_task_credit_once"
            ),
            models.CheckConstraint(
                condition=~Q(kind="task") | Q(signup__isnull=False), name="points_task_entry_has_signup"
            ),
            models.CheckConstraint(
                condition=~Q(kind="correction") | Q(reverses__isnull=False),
                name="points_correction_reverses",
            ),
            models.CheckConstraint(
                condition=~Q(kind="expiry") | Q(expires__isnull=False), name="points_expiry_names_source"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d} {self.get_kind_display()} {self.amount}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("points entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("points entries are append-only")


class PointsPolicy(models.Model):
    """积分有效期 of one community: points credited more than ``expiry_months`` ago and not spent expire.
    Empty means points never expire."""

    area = models.OneToOneField(
        "areas.Area", on_delete=models.PROTECT, related_name="points_policy", verbose_name=_("社区")
    )
    expiry_months = models.PositiveSmallIntegerField(
        _("有效期（月）"), null=True, blank=True, help_text=_("留空表示积分长期有效")
    )

    class Meta:
        verbose_name = _("积分规则")
        verbose_name_plural = _("积分规则")

    def __str__(self) -> str:
        return f"{self.area.name}"


# ---------------------------------------------------------------- rewards and redemptions


class Reward(models.Model):
    """兑换物品 offered by a community's exchange station, for points, while stock lasts."""

    name = models.CharField(_("名称"), max_length=100)
    description = models.TextField(_("说明"), blank=True, max_length=1000)
    area = models.ForeignKey(
        "areas.Area", on_delete=models.PROTECT, related_name="rewards", verbose_name=_("兑换站所在社区")
    )
    cost = models.PositiveIntegerField(_("所需积分"))
    stock = models.IntegerField(_("库存"), default=0)
    is_active = models.BooleanField(_("上架"), default=True)
    sort = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("兑换物品")
        verbose_name_plural = _("兑换物品")
        ordering = ["area", "sort", "cost", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(stock__gte=0), name="points_reward_stock_nonneg"),
            models.CheckConstraint(condition=Q(cost__gte=1), name="points_reward_cost_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class Redemption(models.Model):
    """积分兑换: ``quantity`` of a reward for ``points``; the matching entry is ``redemption.entry``."""

    reward = models.ForeignKey(Reward, on_delete=models.PROTECT, related_name="redemptions")
    volunteer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="redemptions",
        verbose_name=_("志愿者"),
    )
    quantity = models.PositiveIntegerField(_("数量"))
    points = models.PositiveIntegerField(_("积分"))
    station = models.ForeignKey(
        PointsAccount, on_delete=models.PROTECT, related_name="redemptions", verbose_name=_("兑换站")
    )
    at = models.DateTimeField(_("兑换时间"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("经办人")
    )

    class Meta:
        verbose_name = _("兑换记录")
        verbose_name_plural = _("兑换记录")
        ordering = ["-at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="points_redemption_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.volunteer} · {self.reward} × {self.quantity}"
