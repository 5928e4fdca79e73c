"""The one service taxonomy (服务类别), shared by the service catalogue, wishes, needs and resources."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from gridgov.core.i18n import localized_name


class ServiceCategory(models.Model):
    """服务类别: one taxonomy for the service catalogue, wishes, needs and resources, so that a need and a
    resource of the same category can be matched (法律、就业、心理、公证、助餐 …)."""

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=60)
    name_en = models.CharField(_("英文名称"), max_length=60, blank=True, default="")
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("上级类别"),
    )
    is_active = models.BooleanField(_("在用"), default=True)
    sort = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("服务类别")
        verbose_name_plural = _("服务类别")
        ordering = ["sort", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def label(self) -> str:
        """The name in the reader's language (``name_en`` when English is active and it is set)."""
        return localized_name(self.name, self.name_en)
