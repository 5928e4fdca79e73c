"""Micro-wishes (微心愿, M8): residents post small wishes online or through a wish box (心愿箱); the
community vets and publishes them on the wish wall; party members, volunteers and units claim them
(认领) within a limit and fulfil them with evidence; the wisher confirms. 清单制 + 认领制 + 时限制."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from gridgov.core.crypto import EncryptedTextField
from gridgov.core.workflow import Rating


class State(models.TextChoices):
    SUBMITTED = "submitted", _("待审核")
    PUBLISHED = "published", _("待认领")
    CLAIMED = "claimed", _("已认领")
    FULFILLED = "fulfilled", _("已完成待确认")
    CLOSED = "closed", _("已确认")
    REJECTED = "rejected", _("未通过")
    TRANSFERRED = "transferred", _("已转需求清单")


OPEN_STATES = (State.SUBMITTED, State.PUBLISHED, State.CLAIMED, State.FULFILLED)


class Source(models.TextChoices):
    ONLINE = "online", _("网上提交")
    BOX = "box", _("心愿箱")


class Wish(models.Model):
    """微心愿: a small wish of one resident or household (a radio, a set of books, a wheelchair repaired)."""

    ref = models.CharField(_("编号"), max_length=24, unique=True)
    title = models.CharField(_("心愿"), max_length=60)
    description = models.TextField(_("说明"), blank=True, max_length=1000)
    category = models.ForeignKey(
        "services.ServiceCategory",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="wishes",
        verbose_name=_("类别"),
    )
    source = models.CharField(_("来源"), max_length=8, choices=Source.choices, default=Source.ONLINE)
    wisher = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="wishes",
        verbose_name=_("心愿人账号"),
    )
    wisher_name = models.CharField(_("心愿人"), max_length=30, blank=True)
    wisher_phone = EncryptedTextField(_("联系电话"), blank=True, default="")
    wisher_phone_hash = models.CharField(max_length=64, blank=True, default="", db_index=True, editable=False)
    wisher_phone_masked = models.CharField(
        _("联系电话"), max_length=24, blank=True, default="", editable=False
    )
    household = models.ForeignKey(
        "ledger.Household",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="wishes",
        verbose_name=_("户"),
    )
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("区域"))
    area_code = models.CharField(max_length=18, db_index=True, editable=False)
    state = models.CharField(
        _("状态"), max_length=12, choices=State.choices, default=State.SUBMITTED, db_index=True
    )
    max_claimants = models.PositiveSmallIntegerField(_("可认领人数"), default=1)
    claimants_count = models.PositiveSmallIntegerField(_("已认领人数"), default=0)
    claim_limit_days = models.PositiveSmallIntegerField(_("认领时限（工作日）"), default=7)
    fulfil_limit_days = models.PositiveSmallIntegerField(_("完成时限（工作日）"), default=14)
    claim_due = models.DateTimeField(_("认领截止"), null=True, blank=True, db_index=True)
    claim_warn_at = models.DateTimeField(null=True, blank=True, db_index=True)
    claim_warned_at = models.DateTimeField(null=True, blank=True)
    claim_overdue_at = models.DateTimeField(null=True, blank=True)
    # The fulfil clock runs per claim (each claimant gets their own deadline); these summarise the
    # earliest active claim for lists and marks.
    fulfil_due = models.DateTimeField(_("完成截止"), null=True, blank=True)
    fulfil_warn_at = models.DateTimeField(null=True, blank=True)
    fulfil_warned_at = models.DateTimeField(null=True, blank=True)
    fulfil_overdue_at = models.DateTimeField(null=True, blank=True)
    flagged = models.BooleanField(_("超时标记"), default=False, db_index=True)
    flag_reason = models.CharField(_("标记原因"), max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("录入人"),
    )
    created_at = models.DateTimeField(_("提交时间"))
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    fulfilled_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    rating = models.CharField(_("评价"), max_length=12, choices=Rating.choices, blank=True)
    confirm_comment = models.TextField(_("确认意见"), blank=True, max_length=500)
    need = models.ForeignKey(
        "projects.Need",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("转入的需求"),
    )
    idempotency_key = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)

    class Meta:
        verbose_name = _("微心愿")
        verbose_name_plural = _("微心愿")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(max_claimants__gte=1), name="wish_max_claimants_positive"),
            models.CheckConstraint(
                condition=Q(claimants_count__lte=F("max_claimants")), name="wish_claimants_within_places"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ref} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("wishes:detail", args=[self.ref])

    @property
    def flag_label(self) -> str:
        """What the wish is flagged for, in the reader's language (kept as the sweep wrote it)."""
        return gettext(self.flag_reason) if self.flag_reason else ""

    @property
    def places_left(self) -> int:
        return max(self.max_claimants - self.claimants_count, 0)

    @property
    def claim_time_over(self) -> bool:
        """The claim deadline has passed (the wish stays on the wall, flagged; a late claim is still taken)."""
        return self.claim_due is not None and timezone.now() >= self.claim_due

    @property
    def sla(self) -> str:
        """normal / warning / overdue for the clock running now (yellow and red marks on pages)."""
        if self.state == State.PUBLISHED and not self.claimants_count:
            if self.claim_overdue_at:
                return "overdue"
            if self.claim_warned_at:
                return "warning"
        if self.state in (State.PUBLISHED, State.CLAIMED) and self.fulfil_due:
            if self.fulfil_overdue_at:
                return "overdue"
            if self.fulfil_warned_at:
                return "warning"
        return "normal"


class ClaimState(models.TextChoices):
    ACTIVE = "active", _("认领中")
    FULFILLED = "fulfilled", _("已完成")
    RELEASED = "released", _("超时释放")
    WITHDRAWN = "withdrawn", _("已放弃")


HOLDING = (ClaimState.ACTIVE, ClaimState.FULFILLED)  # claims that occupy a place


class WishClaim(models.Model):
    """认领: one party member, volunteer or unit taking one place of a wish."""

    wish = models.ForeignKey(Wish, on_delete=models.PROTECT, related_name="claims", verbose_name=_("心愿"))
    claimant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="wish_claims",
        verbose_name=_("认领人"),
    )
    unit = models.ForeignKey(
        "accounts.Unit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="wish_claims",
        verbose_name=_("认领单位"),
    )
    state = models.CharField(
        _("状态"), max_length=10, choices=ClaimState.choices, default=ClaimState.ACTIVE, db_index=True
    )
    claimed_at = models.DateTimeField(_("认领时间"))
    fulfil_due = models.DateTimeField(_("完成截止"), db_index=True)
    fulfil_warn_at = models.DateTimeField(db_index=True)
    fulfil_warned_at = models.DateTimeField(null=True, blank=True)
    fulfil_overdue_at = models.DateTimeField(null=True, blank=True)
    fulfilled_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    fulfil_note = models.TextField(_("完成情况"), blank=True, max_length=1000)
    released_at = models.DateTimeField(_("释放/放弃时间"), null=True, blank=True)
    release_reason = models.CharField(_("释放/放弃原因"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("心愿认领")
        verbose_name_plural = _("心愿认领")
        ordering = ["claimed_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["wish", "claimant"],
                condition=Q(state__in=["active", "fulfilled"]),
                name="wish_claim_once_per_person",
            ),
            models.UniqueConstraint(
                fields=["wish", "unit"],
                condition=Q(state__in=["active", "fulfilled"], unit__isnull=False),
                name="wish_claim_once_per_unit",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.wish.ref} · {self.claimant_label}"

    @property
    def claimant_label(self) -> str:
        if self.unit_id:
            return self.unit.name
        return self.claimant.display_name or self.claimant.username


class WishRefCounter(models.Model):
    """The last reference number issued on a day (XY-<yyyymmdd>-<6 digits>)."""

    day = models.DateField(unique=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("心愿编号计数")
        verbose_name_plural = _("心愿编号计数")

    def __str__(self) -> str:
        return f"{self.day:%Y%m%d}: {self.last}"
