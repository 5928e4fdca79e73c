"""Open311 GeoReport v2 (M13): the client applications allowed to report.

What an application reported is kept with the case: the intake's step records the channel ``open311``, the
application (``client_app``) and the building its place was given by (``building``), in its data."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

DEFAULT_RATE_LIMIT = 120  # reports a minute per application, unless an administrator sets another


class ClientApp(models.Model):
    """客户端应用: another reporting system (a city 12345 platform, a partner's app) that may report cases
    through Open311 with its API key. Only the key's prefix (to find the row) and its keyed hash
    (``core.crypto.blind_index``) are stored; the key itself is shown once, when it is issued."""

    name = models.CharField(_("名称"), max_length=100, unique=True)
    contact = models.CharField(_("联系人及联系方式"), max_length=200, blank=True)
    key_prefix = models.CharField(_("密钥前缀"), max_length=16, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    key_issued_at = models.DateTimeField(_("密钥签发时间"), editable=False)
    is_active = models.BooleanField(_("启用"), default=True, editable=False)
    rate_limit = models.PositiveIntegerField(
        _("每分钟上报上限"), default=DEFAULT_RATE_LIMIT, help_text=_("每分钟最多上报多少件；0 表示不限")
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("最近使用时间"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("客户端应用")
        verbose_name_plural = _("客户端应用")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
