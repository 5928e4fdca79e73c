"""Shared records: the append-only audit log (审计日志)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(Exception):
    pass


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):  # noqa: ARG002
        raise AppendOnlyError("audit entries are append-only")

    def delete(self):
        raise AppendOnlyError("audit entries are append-only")


class AuditEntry(models.Model):
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
    reason = models.TextField(_("原因"), blank=True)
    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.verb} {self.object_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("audit entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit entries are append-only")
