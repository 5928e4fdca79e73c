"""Shared records: the append-only audit log (审计日志), the working-day calendar's overrides (工作日历), the
shared timeline (办理记录) and every module's uploaded images (上传文件)."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(Exception):
    pass


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):  # noqa: ARG002
        raise AppendOnlyError(f"{self.model._meta.label} rows are append-only")

    def delete(self):
        raise AppendOnlyError(f"{self.model._meta.label} rows are append-only")


class AppendOnly(models.Model):
    """A record that is only ever inserted (audit entries, timeline steps, points entries): saving a row
    that exists, deleting it, and bulk updates or deletes all raise :class:`AppendOnlyError`."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError(f"{self._meta.label} rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(f"{self._meta.label} rows are append-only")


class AuditEntry(AppendOnly):
    """One thing that happened: who did what to which object, before/after, why, when.

    Rows are only ever inserted; the model refuses updates and deletes.
    """

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("操作人"),
    )
    actor_name = models.CharField(_("操作人名称"), max_length=150, blank=True)
    verb = models.CharField(_("动作"), max_length=64, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=64)
    object_id = models.CharField(_("对象标识"), max_length=64)
    object_repr = models.CharField(_("对象"), max_length=200, blank=True)
    before = models.JSONField(_("变更前"), null=True, blank=True)
    after = models.JSONField(_("变更后"), null=True, blank=True)
    reason = models.TextField(_("原因"), max_length=2000, blank=True)
    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.verb} {self.object_repr}"


# --- Working-day calendar (工作日历) -----------------------------------------------------------------
# The rules live in ``gridgov.core.calendar``; these rows are what admins add to the package's data.

CALENDAR_MIN_YEAR = 2000
CALENDAR_MAX_YEAR = 2100


def validate_calendar_date(value) -> None:
    if not CALENDAR_MIN_YEAR <= value.year <= CALENDAR_MAX_YEAR:
        raise ValidationError(
            _("日期须在 %(min)s 年至 %(max)s 年之间"),
            code="date_out_of_range",
            params={"min": CALENDAR_MIN_YEAR, "max": CALENDAR_MAX_YEAR},
        )


class CalendarDay(models.Model):
    """An admin's override of one date (日历调整): a holiday or a working day (调休上班), beating the
    ``chinesecalendar`` data for that date.

    Rows are replaced, never edited in place: the calendar actions delete and re-create a date's row, so
    ``created_by``/``created_at`` say who set the current value and when, and other processes notice the
    change through the table's row count and id sum (see ``gridgov.core.calendar``).
    """

    date = models.DateField(_("日期"), unique=True, validators=[validate_calendar_date])
    is_workday = models.BooleanField(_("工作日"), help_text=_("勾选：当天上班（如调休）；不勾选：当天休息"))
    name = models.CharField(_("名称"), max_length=50, blank=True, help_text=_("如：春节、国庆节调休"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("设置人"),
    )
    created_at = models.DateTimeField(_("设置时间"), default=timezone.now)

    class Meta:
        verbose_name = _("日历调整")
        verbose_name_plural = _("日历调整")
        ordering = ["date"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    date__gte=datetime.date(CALENDAR_MIN_YEAR, 1, 1),
                    date__lte=datetime.date(CALENDAR_MAX_YEAR, 12, 31),
                ),
                name="calendarday_date_in_range",
            ),
        ]

    def __str__(self) -> str:
        kind = _("工作日") if self.is_workday else _("休息日")
        return f"{self.date:%Y-%m-%d} {kind} {self.name}".strip()


class CalendarYear(models.Model):
    """A year whose holiday schedule an admin has configured (已配置年度): imported from the State
    Council's notice or entered by hand. A year is *known* to the calendar when the package covers it or
    such a row exists; for other years deadlines are provisional (Monday–Friday)."""

    class Source(models.TextChoices):
        IMPORT = "import", _("导入")
        MANUAL = "manual", _("手工录入")

    year = models.PositiveSmallIntegerField(
        _("年份"),
        unique=True,
        validators=[MinValueValidator(CALENDAR_MIN_YEAR), MaxValueValidator(CALENDAR_MAX_YEAR)],
    )
    configured_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("配置人"),
    )
    configured_at = models.DateTimeField(_("配置时间"), default=timezone.now)
    source = models.CharField(_("来源"), max_length=8, choices=Source.choices, default=Source.MANUAL)
    note = models.TextField(_("备注"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("已配置年度")
        verbose_name_plural = _("已配置年度")
        ordering = ["year"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(year__gte=CALENDAR_MIN_YEAR, year__lte=CALENDAR_MAX_YEAR),
                name="calendaryear_year_in_range",
            ),
        ]

    def __str__(self) -> str:
        return str(self.year)


class TimelineEvent(AppendOnly):
    """办理记录 of a service order, wish, project or volunteer task: one append-only row per step.

    ``subject`` is the model label and ``subject_id`` the row's key, so every workflow shares this table
    and :func:`gridgov.core.timeline.step` (cases keep their own ``CaseEvent``, which predates it).
    """

    subject = models.CharField(_("对象类型"), max_length=40)
    subject_id = models.PositiveBigIntegerField(_("对象"))
    at = models.DateTimeField(_("时间"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(_("操作人"), max_length=100, blank=True)
    action = models.CharField(_("动作"), max_length=20)
    from_state = models.CharField(max_length=16, blank=True)
    to_state = models.CharField(max_length=16, blank=True)
    note = models.TextField(_("说明"), max_length=2000, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("办理记录")
        verbose_name_plural = _("办理记录")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["subject", "subject_id", "at"], name="timeline_subject_at")]

    def __str__(self) -> str:
        return f"{self.subject}#{self.subject_id} {self.action}"

    @property
    def shown_note(self) -> str:
        """The note in the reader's language (a system note kept as a message), else as written."""
        from gridgov.core.i18n import shown

        return shown(self.note, self.data)

    @property
    def shown_actor(self) -> str:
        from gridgov.core.timeline import shown_actor

        return shown_actor(self.actor_label)


class Upload(models.Model):
    """上传文件: one stored image of any module — a case's photos and evidence, a service order's delivery
    photos, a visit's photo, a wish claim's fulfil photos.

    ``owner`` is the owning row's model label and ``owner_id`` its key (like :class:`TimelineEvent`'s
    subject), so every module stores its files here and one view serves them to whoever may see the owner
    (:mod:`gridgov.core.uploads`). ``step_id`` is the owner's timeline row the file came with, where the
    module keeps that link (cases: the ``CaseEvent``; orders and wishes: the ``TimelineEvent``). Paths are
    relative to ``MEDIA_ROOT``, outside the static tree.
    """

    class Role(models.TextChoices):
        PHOTO = "photo", _("照片")
        EVIDENCE = "evidence", _("佐证照片")

    owner = models.CharField(_("所属对象类型"), max_length=40)
    owner_id = models.PositiveBigIntegerField(_("所属对象"))
    role = models.CharField(_("用途"), max_length=10, choices=Role.choices, blank=True)
    step_id = models.PositiveBigIntegerField(_("办理记录"), null=True, blank=True)
    path = models.CharField(_("文件"), max_length=300)
    # empty until the thumbnail is made (files stored before thumbnails existed get one on first request)
    thumb_path = models.CharField(_("缩略图"), max_length=300, blank=True)
    content_type = models.CharField(_("类型"), max_length=40)
    size = models.PositiveIntegerField(_("大小（字节）"))
    sha256 = models.CharField(max_length=64, blank=True)  # of the stored file; empty if stored unhashed
    width = models.PositiveIntegerField(_("宽（像素）"), null=True, blank=True)
    height = models.PositiveIntegerField(_("高（像素）"), null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("上传人"),
    )
    uploaded_at = models.DateTimeField(_("上传时间"))

    class Meta:
        verbose_name = _("上传文件")
        verbose_name_plural = _("上传文件")
        ordering = ["id"]
        indexes = [models.Index(fields=["owner", "owner_id", "role"], name="upload_owner")]

    def __str__(self) -> str:
        return self.path

    def get_absolute_url(self) -> str:
        return reverse("core:file", args=[self.pk])

    @property
    def thumb_url(self) -> str:
        return reverse("core:file_thumb", args=[self.pk])


class RateCounter(models.Model):
    """Requests counted for one rate limit (``scope``) and one key (a client address, a case) in the
    current window — the database store of ``core.ratelimit`` when Redis is not configured. A window opens
    at the first request counted and lasts the limit's period; one upsert statement counts (and opens a new
    window once the old one has ended). Rows of ended windows are pruned."""

    scope = models.CharField(max_length=32)
    ident = models.CharField(max_length=64)
    expires = models.BigIntegerField(db_index=True)  # the end of the window, ms since the epoch
    count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("访问计数")
        verbose_name_plural = _("访问计数")
        constraints = [models.UniqueConstraint(fields=["scope", "ident"], name="rate_counter_per_key")]

    def __str__(self) -> str:
        return f"{self.scope} {self.ident}: {self.count}"


class OutboxMessage(models.Model):
    """One message to send out of the building — a webhook delivery, an email, an SMS — written in the same
    transaction as the change it tells of (``core.outbox``): nothing is sent for a change rolled back, and a
    message survives the process that wrote it. ``target`` names the recipient by reference (a
    subscription, a user, a case): no address, phone number or email is kept here in plain text."""

    class State(models.TextChoices):
        PENDING = "pending", _("待发送")
        DELIVERED = "delivered", _("已送达")
        DEAD = "dead", _("已放弃")
        CANCELLED = "cancelled", _("已取消")

    channel = models.CharField(_("渠道"), max_length=16)
    target = models.CharField(_("接收方"), max_length=64)
    msg_id = models.CharField(_("消息编号"), max_length=40, unique=True)
    event_type = models.CharField(_("事件类型"), max_length=60)
    payload = models.JSONField(_("内容"), default=dict)
    urgent = models.BooleanField(default=False)
    created_at = models.DateTimeField(_("创建时间"))
    state = models.CharField(_("状态"), max_length=12, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_at = models.DateTimeField(_("下次发送"), null=True, blank=True)
    # a sender's claim: another sender takes the message again only after this moment (a killed process's
    # claims run out, so nothing it held is lost)
    claimed_until = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    last_status = models.PositiveSmallIntegerField(_("最近状态码"), null=True, blank=True)
    last_error = models.CharField(_("最近错误"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("待发消息")
        verbose_name_plural = _("待发消息")
        indexes = [
            models.Index(fields=["state", "next_at"], name="outbox_due"),
            models.Index(fields=["channel", "target", "-id"], name="outbox_target"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.event_type} {self.msg_id}"


class OutboxAttempt(models.Model):
    """One try at sending a message (the delivery log): when, how long, the answer's status and its first
    characters, or the error."""

    message = models.ForeignKey(OutboxMessage, on_delete=models.CASCADE, related_name="tries")
    at = models.DateTimeField(_("时间"))
    duration_ms = models.PositiveIntegerField(_("耗时（毫秒）"), default=0)
    ok = models.BooleanField(_("成功"), default=False)
    status = models.PositiveSmallIntegerField(_("状态码"), null=True, blank=True)
    response = models.CharField(_("响应摘要"), max_length=500, blank=True)
    error = models.CharField(_("错误"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("发送记录")
        verbose_name_plural = _("发送记录")
        ordering = ["message_id", "id"]

    def __str__(self) -> str:
        return f"{self.message_id} {self.at:%Y-%m-%d %H:%M:%S} {self.status or self.error}"
