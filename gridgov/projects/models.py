"""The three lists (需求清单、资源清单、项目清单, M8), matching and the 双报到 rule."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Need(models.Model):
    """需求清单: something residents need, entered by hand or carried over from a visit finding, a wish, an
    order that could not be served, or a survey. A source row makes at most one need."""

    class Source(models.TextChoices):
        MANUAL = "manual", _("手工登记")
        VISIT = "visit", _("走访发现")
        WISH = "wish", _("微心愿")
        ORDER = "order", _("未能服务的点单")
        SURVEY = "survey", _("问卷调查")

    class Urgency(models.TextChoices):
        LOW = "low", _("不急")
        NORMAL = "normal", _("一般")
        URGENT = "urgent", _("紧急")

    class State(models.TextChoices):
        OPEN = "open", _("待对接")
        PLANNED = "planned", _("已立项")
        MET = "met", _("已解决")
        CLOSED = "closed", _("已关闭")

    title = models.CharField(_("需求"), max_length=100)
    description = models.TextField(_("说明"), blank=True)
    category = models.ForeignKey(
        "orders.ServiceCategory", on_delete=models.PROTECT, related_name="needs", verbose_name=_("类别")
    )
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("区域"))
    area_code = models.CharField(max_length=18, db_index=True, editable=False)
    beneficiaries = models.PositiveIntegerField(_("受益人数"), default=1, validators=[MinValueValidator(1)])
    urgency = models.CharField(_("紧急程度"), max_length=8, choices=Urgency.choices, default=Urgency.NORMAL)
    source = models.CharField(_("来源"), max_length=8, choices=Source.choices, default=Source.MANUAL)
    source_id = models.PositiveBigIntegerField(_("来源记录"), null=True, blank=True)
    state = models.CharField(
        _("状态"), max_length=8, choices=State.choices, default=State.OPEN, db_index=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("登记时间"))

    class Meta:
        verbose_name = _("需求")
        verbose_name_plural = _("需求清单")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "source_id"],
                condition=Q(source_id__isnull=False),
                name="need_once_per_source",
            )
        ]

    def __str__(self) -> str:
        return self.title
