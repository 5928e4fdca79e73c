"""The in-app inbox (站内消息, M13) and each account's choice of how else its messages reach it (接收设置):
by email, SMS or WeChat through the outbox (``notify.channels``, docs/notifications.md)."""

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
    BINDING = "binding", _("户籍绑定")
    REPORTED = "reported", _("新上报待受理")


# What the link of a message opens, by the page it points to (the inbox's "view …" link).
LINK_LABELS = (
    ("/cases/", _("查看事件")),
    ("/orders/", _("查看服务单")),
    ("/wishes/", _("查看心愿")),
    ("/lists/", _("查看项目")),
    ("/volunteer/", _("查看任务")),
)


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
    # an "action needed" message settled by the case moving on (someone acted): shown as done, not unread
    done_at = models.DateTimeField(_("已处理时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("站内消息")
        verbose_name_plural = _("站内消息")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at", "-created_at"])]

    def __str__(self) -> str:
        return self.title

    @property
    def link_label(self) -> str:
        """The words of the link to the message's page: what it opens (a case, an order, a wish …)."""
        if self.case_id:
            return str(LINK_LABELS[0][1])
        for prefix, label in LINK_LABELS:
            if self.url.startswith(prefix):
                return str(label)
        return str(_("查看详情"))


class Preference(models.Model):
    """接收设置: which channels beyond the inbox each kind of message takes, and the quiet hours (免打扰).

    ``channels`` holds the kinds the person chose, ``{kind: [channel, …]}``; a kind not in it follows the
    defaults (``notify.preferences.default_channels``). Quiet hours are local times; a message that is not
    urgent and falls inside them waits for their end. An account without a row has the defaults and no
    quiet hours."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="notify_preference",
        verbose_name=_("账号"),
    )
    channels = models.JSONField(_("接收渠道"), default=dict, blank=True)
    quiet_start = models.TimeField(_("免打扰开始"), null=True, blank=True)
    quiet_end = models.TimeField(_("免打扰结束"), null=True, blank=True)
    updated_at = models.DateTimeField(_("修改时间"))

    class Meta:
        verbose_name = _("接收设置")
        verbose_name_plural = _("接收设置")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quiet_start__isnull=True, quiet_end__isnull=True)
                | models.Q(quiet_start__isnull=False, quiet_end__isnull=False),
                name="notify_quiet_hours_both_or_neither",
            )
        ]

    def __str__(self) -> str:
        return str(self.user)
