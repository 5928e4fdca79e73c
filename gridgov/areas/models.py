"""The area tree (网格体系): district → street/town → community/village → grid → micro-grid.

An area's ``code`` is its path in the tree: 6 digits for the district (GB/T 2260), then 3 more digits
per level. A code is unique for ever: retired areas keep their row (``is_active = False``), so a
code can never be handed out again.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    DISTRICT = "district", _("区")
    STREET = "street", _("街道/镇")
    COMMUNITY = "community", _("社区/村")
    GRID = "grid", _("网格")
    MICROGRID = "microgrid", _("微网格")


LEVEL_ORDER = [Level.DISTRICT, Level.STREET, Level.COMMUNITY, Level.GRID, Level.MICROGRID]
CODE_LENGTH = {Level.DISTRICT: 6, Level.STREET: 9, Level.COMMUNITY: 12, Level.GRID: 15, Level.MICROGRID: 18}


def child_level(level: str) -> str | None:
    index = LEVEL_ORDER.index(level)
    return LEVEL_ORDER[index + 1] if index + 1 < len(LEVEL_ORDER) else None


def parent_level(level: str) -> str | None:
    index = LEVEL_ORDER.index(level)
    return LEVEL_ORDER[index - 1] if index > 0 else None


class GridKind(models.TextChoices):
    BASIC = "basic", _("基础网格")
    DEDICATED = "dedicated", _("专属网格")


class GridType(models.TextChoices):
    RESIDENTIAL = "residential", _("住宅网格")
    BUSINESS = "business", _("商圈网格")
    UNIT = "unit", _("单位网格")


class AreaQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def subtree(self, code: str):
        return self.filter(code__startswith=code)


class Area(models.Model):
    code = models.CharField(_("编码"), max_length=18, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    level = models.CharField(_("层级"), max_length=16, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("上级"),
    )
    kind = models.CharField(_("网格类别"), max_length=16, choices=GridKind.choices, blank=True)
    grid_type = models.CharField(_("网格类型"), max_length=16, choices=GridType.choices, blank=True)
    boundary = models.JSONField(_("边界 (GeoJSON)"), null=True, blank=True)
    # Bounding box of the boundary, kept with it, for cheap map windows and sanity checks.
    min_lng = models.FloatField(null=True, blank=True, editable=False)
    min_lat = models.FloatField(null=True, blank=True, editable=False)
    max_lng = models.FloatField(null=True, blank=True, editable=False)
    max_lat = models.FloatField(null=True, blank=True, editable=False)
    is_active = models.BooleanField(_("在用"), default=True)
    retired_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = AreaQuerySet.as_manager()

    class Meta:
        verbose_name = _("区域/网格")
        verbose_name_plural = _("区域/网格")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(is_active=True, retired_at__isnull=True)
                | Q(is_active=False, retired_at__isnull=False),
                name="area_retired_consistent",
            ),
        ]
        indexes = [models.Index(fields=["level", "is_active"])]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    @property
    def is_grid(self) -> bool:
        return self.level in (Level.GRID, Level.MICROGRID)

    def ancestor_codes(self) -> list[str]:
        """Codes of every ancestor, district first (derived from the code itself)."""
        return [self.code[:n] for n in range(6, len(self.code), 3)]


class AreaChange(models.Model):
    """A structural change of the tree (网格动态调整): split, merge or redrawn boundary."""

    class Kind(models.TextChoices):
        CREATE = "create", _("新建")
        SPLIT = "split", _("拆分")
        MERGE = "merge", _("合并")
        BOUNDARY = "boundary", _("调整边界")
        RENAME = "rename", _("更名")

    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    retired = models.ManyToManyField(
        Area, related_name="retired_by_changes", blank=True, verbose_name=_("撤销的区域")
    )
    created = models.ManyToManyField(
        Area, related_name="created_by_changes", blank=True, verbose_name=_("新设的区域")
    )
    changed = models.ForeignKey(
        Area, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("调整的区域")
    )
    reason = models.TextField(_("原因"), blank=True, max_length=500)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("操作人"),
    )
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("网格调整记录")
        verbose_name_plural = _("网格调整记录")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d}"


class GeometryVersion(models.Model):
    """A single row whose counter moves whenever any boundary changes; lookup indexes compare it."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    version = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("边界版本")

    def __str__(self) -> str:
        return f"v{self.version}"
