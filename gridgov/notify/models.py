"""The in-app inbox (站内消息, M13). Email/SMS delivery adapters build on these rows later."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    DISPATCH = "dispatch", _("新派单")
    WARNING = "warning", _("即将超时")
    OVERDUE = "overdue", _("已超时")
    ESCALATION = "escalation", _("升级处置")
    WHISTLE = "whistle", _("吹哨报到")
    REWORK = "rework", _("返工")
    RETURNED = "returned", _("退回")
    MERGED = "merged", _("合并")
    REOPENED = "reopened", _("重办")
    RESOLVED = "resolved", _("已处置待核实")
    CLOSED = "closed", _("已结案")
    ORDER = "order", _("服务单")
    DECLINED = "declined", _("拒单")
    WISH = "wish", _("微心愿")
    RELEASED = "released", _("超时释放")
    PROJECT = "project", _("项目")
    TASK = "task", _("志愿任务")
    POINTS = "points", _("积分")
    PARTY = "party", _("党建")
    DELIBERATION = "deliberation", _("议事协商")
    ASSESSMENT = "assessment", _("考核排名")
    REPORT = "report", _("分析报告")
    WEBHOOK = "webhook", _("外部推送")


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("接收人"),
    )
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True, max_length=2000)
    url = models.CharField(_("链接"), max_length=200, blank=True)
    case = models.ForeignKey(
        "cases.Case",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("事件"),
    )
    created_at = models.DateTimeField(_("时间"), db_index=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("站内消息")
        verbose_name_plural = _("站内消息")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at", "-created_at"])]

    def __str__(self) -> str:
        return self.title
