"""Outbound webhooks (外部推送, SPEC M13): subscriptions of other systems to the platform's events.

A :class:`Subscription` names a receiver (its URL), the event types it wants (``case.dispatched`` …) and
its scope — an area (the events of that area's subtree) or a unit (the events that concern that unit) —
and holds its signing secret, encrypted at rest. Deliveries are ``core.OutboxMessage`` rows of the channel
``webhook`` whose ``target`` is the subscription's id; each try is a ``core.OutboxAttempt`` (the delivery
log). See docs/webhooks.md.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gridgov.core.crypto import EncryptedTextField


class Disabled(models.TextChoices):
    """Why a subscription stopped receiving."""

    MANUAL = "manual", _("手动停用")
    GONE = "gone", _("接收端答复 410 Gone")
    FAILING = "failing", _("多次重试后仍发送失败")
    REFUSED = "refused", _("推送地址不被允许")


class Subscription(models.Model):
    """外部推送订阅: where to send which events of which area or unit, signed with its secret."""

    name = models.CharField(_("名称"), max_length=100)
    url = models.CharField(_("推送地址"), max_length=500)
    event_types = models.JSONField(_("事件类型"), default=list)
    area = models.ForeignKey(
        "areas.Area",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("区域"),
    )
    area_code = models.CharField(max_length=18, blank=True, default="", db_index=True, editable=False)
    unit = models.ForeignKey(
        "accounts.Unit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("单位"),
    )
    # the current secret signs every delivery; while a rotation's overlap runs (``previous_until``) the
    # previous one signs beside it, so a receiver can switch without losing a message
    secret = EncryptedTextField(_("签名密钥"))
    previous_secret = EncryptedTextField(_("上一个签名密钥"), blank=True, default="")
    previous_until = models.DateTimeField(_("上一个密钥有效至"), null=True, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    disabled_at = models.DateTimeField(_("停用时间"), null=True, blank=True)
    disabled_reason = models.CharField(_("停用原因"), max_length=10, choices=Disabled.choices, blank=True)
    disabled_detail = models.CharField(_("停用说明"), max_length=300, blank=True)
    failures = models.PositiveIntegerField(_("连续失败次数"), default=0)
    last_success_at = models.DateTimeField(_("最近成功"), null=True, blank=True)
    last_failure_at = models.DateTimeField(_("最近失败"), null=True, blank=True)
    last_status = models.PositiveSmallIntegerField(_("最近状态码"), null=True, blank=True)
    last_error = models.CharField(_("最近错误"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("创建人"),
    )
    created_at = models.DateTimeField(_("创建时间"))
    updated_at = models.DateTimeField(_("更新时间"))

    class Meta:
        verbose_name = _("外部推送订阅")
        verbose_name_plural = _("外部推送订阅")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(area__isnull=False, unit__isnull=True)
                | models.Q(area__isnull=True, unit__isnull=False),
                name="hooks_subscription_one_scope",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("hooks:detail", args=[self.pk])
