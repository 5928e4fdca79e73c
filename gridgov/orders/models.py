"""Service orders (居民点单、社区派单、单位接单、中心结单, M7): the catalogue of services and the orders."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.core.calendar import LimitUnit
from gridgov.core.crypto import EncryptedTextField, mask_phone
from gridgov.core.deadlines import Sla
from gridgov.core.workflow import Rating


class Fee(models.TextChoices):
    FREE = "free", _("无偿")
    LOW = "low", _("低偿")


class ServiceItem(models.Model):
    """服务项目 of the catalogue (特色服务卡, 社区公共服务清单): what a street or community offers, which units
    provide it, what it costs, and how fast an order must be accepted and delivered. Residents everywhere
    see it; staff whose scope holds its area manage it."""

    category = models.ForeignKey(
        "services.ServiceCategory", on_delete=models.PROTECT, related_name="items", verbose_name=_("服务类别")
    )
    name = models.CharField(_("名称"), max_length=80)
    description = models.TextField(_("服务内容"), max_length=2000, blank=True)
    providers = models.ManyToManyField(
        "accounts.Unit", related_name="service_items", blank=True, verbose_name=_("服务单位")
    )
    area = models.ForeignKey(
        "areas.Area", on_delete=models.PROTECT, related_name="service_items", verbose_name=_("提供区域")
    )
    area_code = models.CharField(max_length=18, db_index=True, editable=False)
    fee = models.CharField(_("收费"), max_length=8, choices=Fee.choices, default=Fee.FREE)
    price = models.DecimalField(_("价格（元）"), max_digits=8, decimal_places=2, default=Decimal("0"))
    accept_limit = models.DecimalField(_("接单时限"), max_digits=7, decimal_places=2, default=Decimal("1"))
    accept_unit = models.CharField(
        _("接单时限单位"), max_length=16, choices=LimitUnit.choices, default=LimitUnit.WORKING_DAYS
    )
    deliver_limit = models.DecimalField(_("服务时限"), max_digits=7, decimal_places=2, default=Decimal("5"))
    deliver_unit = models.CharField(
        _("服务时限单位"), max_length=16, choices=LimitUnit.choices, default=LimitUnit.WORKING_DAYS
    )
    warning_ratio = models.DecimalField(
        _("预警比例"), max_digits=3, decimal_places=2, default=Decimal("0.80")
    )
    is_active = models.BooleanField(_("在用"), default=True)
    sort = models.PositiveSmallIntegerField(_("排序"), default=0)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("服务项目")
        verbose_name_plural = _("服务项目")
        ordering = ["category__sort", "sort", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="service_item_price_not_negative"),
            models.CheckConstraint(
                condition=~Q(fee="free") | Q(price=0), name="service_item_free_has_no_price"
            ),
            models.CheckConstraint(
                condition=Q(warning_ratio__gt=0, warning_ratio__lte=1), name="service_item_warning_ratio"
            ),
            models.CheckConstraint(
                condition=Q(accept_limit__gt=0, deliver_limit__gt=0), name="service_item_limits_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        if self.area_id:
            self.area_code = self.area.code
        super().save(*args, **kwargs)

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        errors = {}
        if self.fee == Fee.FREE and self.price:
            errors["price"] = _("无偿服务不能填写价格")
        if self.fee == Fee.LOW and not (self.price and self.price > 0):
            errors["price"] = _("低偿服务请填写价格")
        if self.area_id and self.area.level not in ("district", "street", "community"):
            errors["area"] = _("服务项目由区、街道或社区提供")
        if errors:
            raise ValidationError(errors)

    @property
    def fee_label(self) -> str:
        if self.fee == Fee.LOW:
            return _("%(fee)s %(price)s 元") % {"fee": Fee.LOW.label, "price": f"{self.price.normalize():f}"}
        return str(Fee.FREE.label)


class ServiceSchedule(models.Model):
    """A weekly opening of a service (坐班时间): e.g. every Wednesday 14:00–17:30, 6 places."""

    WEEKDAYS = [
        (0, _("星期一")),
        (1, _("星期二")),
        (2, _("星期三")),
        (3, _("星期四")),
        (4, _("星期五")),
        (5, _("星期六")),
        (6, _("星期日")),
    ]

    item = models.ForeignKey(
        ServiceItem, on_delete=models.CASCADE, related_name="schedules", verbose_name=_("服务项目")
    )
    weekday = models.PositiveSmallIntegerField(_("星期"), choices=WEEKDAYS)
    start = models.TimeField(_("开始时间"))
    end = models.TimeField(_("结束时间"))
    capacity = models.PositiveSmallIntegerField(_("名额"), default=1)

    class Meta:
        verbose_name = _("服务时段")
        verbose_name_plural = _("服务时段")
        ordering = ["item_id", "weekday", "start"]
        constraints = [
            models.UniqueConstraint(fields=["item", "weekday", "start"], name="schedule_once_per_start"),
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="schedule_ends_after_start"),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="schedule_weekday_range"),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="schedule_capacity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}（{self.capacity}）"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.start and self.end and self.end <= self.start:
            raise ValidationError({"end": _("结束时间必须晚于开始时间")})


class ServiceSlot(models.Model):
    """One dated session of a schedule row, created the first time someone orders it. ``taken`` only moves
    through :func:`gridgov.core.deadlines.take_place` / ``give_back_place`` (one conditional UPDATE)."""

    item = models.ForeignKey(
        ServiceItem, on_delete=models.CASCADE, related_name="slots", verbose_name=_("服务项目")
    )
    date = models.DateField(_("日期"))
    start = models.TimeField(_("开始时间"))
    end = models.TimeField(_("结束时间"))
    capacity = models.PositiveSmallIntegerField(_("名额"))
    taken = models.PositiveSmallIntegerField(_("已约"), default=0)

    class Meta:
        verbose_name = _("服务场次")
        verbose_name_plural = _("服务场次")
        ordering = ["date", "start"]
        constraints = [
            models.UniqueConstraint(fields=["item", "date", "start"], name="slot_once_per_item_start"),
            models.CheckConstraint(condition=Q(taken__lte=F("capacity")), name="slot_not_overbooked"),
        ]

    def __str__(self) -> str:
        return f"{self.item} {self.date:%Y-%m-%d} {self.start:%H:%M}"

    @property
    def free(self) -> int:
        return max(self.capacity - self.taken, 0)

    @property
    def starts_at(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.date, self.start))

    @property
    def ends_at(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.date, self.end))


class OrderRefCounter(models.Model):
    """Daily sequence of order numbers (``FW-20261121-000123``)."""

    day = models.DateField(unique=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"FW-{self.day:%Y%m%d}: {self.last}"


class State(models.TextChoices):
    ORDERED = "ordered", _("已点单")
    DISPATCHED = "dispatched", _("已派单")
    ACCEPTED = "accepted", _("已接单")
    DELIVERED = "delivered", _("已服务")
    CLOSED = "closed", _("已结单")
    CANCELLED = "cancelled", _("已取消")
    UNSERVED = "unserved", _("无法服务")


OPEN_STATES = (State.ORDERED, State.DISPATCHED, State.ACCEPTED, State.DELIVERED)


class Order(models.Model):
    """服务单: a resident's order of a catalogue service, dispatched by the community to a provider unit,
    accepted, delivered, rated and closed (居民点单、社区派单、单位接单、中心结单)."""

    ref = models.CharField(_("服务单号"), max_length=24, unique=True)
    item = models.ForeignKey(
        ServiceItem, on_delete=models.PROTECT, related_name="orders", verbose_name=_("服务项目")
    )
    slot = models.ForeignKey(
        ServiceSlot,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
        verbose_name=_("预约场次"),
    )
    resident = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders", verbose_name=_("点单人")
    )
    contact_name = models.CharField(_("联系人"), max_length=50)
    contact_phone = EncryptedTextField(_("联系电话"))
    contact_phone_hash = models.CharField(max_length=64, db_index=True, editable=False)
    area = models.ForeignKey(
        "areas.Area", on_delete=models.PROTECT, related_name="orders", verbose_name=_("所属区域")
    )
    area_code = models.CharField(max_length=18, db_index=True, editable=False)
    note = models.TextField(_("需求说明"), max_length=1000, blank=True)
    state = models.CharField(_("状态"), max_length=16, choices=State.choices, default=State.ORDERED)
    provider_unit = models.ForeignKey(
        "accounts.Unit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
        verbose_name=_("服务单位"),
    )
    dispatched_at = models.DateTimeField(_("派单时间"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("接单时间"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("服务完成时间"), null=True, blank=True)
    accept_due = models.DateTimeField(_("接单时限"), null=True, blank=True)
    accept_warn_at = models.DateTimeField(null=True, blank=True)
    deliver_due = models.DateTimeField(_("服务时限"), null=True, blank=True)
    deliver_warn_at = models.DateTimeField(null=True, blank=True)
    accept_warned_at = models.DateTimeField(null=True, blank=True)
    accept_overdue_at = models.DateTimeField(null=True, blank=True)
    deliver_warned_at = models.DateTimeField(null=True, blank=True)
    deliver_overdue_at = models.DateTimeField(null=True, blank=True)
    deadline_provisional = models.BooleanField(default=False)
    sla = models.CharField(_("时限状态"), max_length=8, choices=Sla.choices, default=Sla.NORMAL)
    delivered_note = models.TextField(_("服务情况"), max_length=2000, blank=True)
    delivered_on_time = models.BooleanField(_("按时服务"), null=True, blank=True)
    rating = models.CharField(_("评价"), max_length=12, choices=Rating.choices, blank=True)
    rating_comment = models.TextField(_("评价意见"), max_length=500, blank=True)
    rated_at = models.DateTimeField(_("评价时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("点单时间"))
    closed_at = models.DateTimeField(_("结单时间"), null=True, blank=True)
    decline_count = models.PositiveSmallIntegerField(_("拒单次数"), default=0)
    idempotency_key = models.CharField(max_length=160, null=True, blank=True, unique=True, editable=False)

    class Meta:
        verbose_name = _("服务单")
        verbose_name_plural = _("服务单")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["area_code", "state"], name="order_area_state"),
            models.Index(fields=["provider_unit", "state"], name="order_provider_state"),
            models.Index(fields=["resident", "created_at"], name="order_resident_at"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=["ordered", "cancelled", "unserved"]) | Q(provider_unit__isnull=False),
                name="order_dispatched_has_provider",
            ),
        ]

    def __str__(self) -> str:
        return self.ref

    def get_absolute_url(self) -> str:
        return reverse("orders:detail", args=[self.ref])

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.contact_phone)

    @property
    def active_due(self):
        """The deadline that runs now: accepting while dispatched, delivering once accepted."""
        if self.state == State.DISPATCHED:
            return self.accept_due
        if self.state == State.ACCEPTED:
            return self.deliver_due
        return None
