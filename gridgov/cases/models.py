"""Cases: the closed loop (网格发现、社区呼叫、分级响应、协同处置, M5)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gridgov.core.calendar import LimitUnit
from gridgov.core.crypto import EncryptedTextField, mask_phone
from gridgov.core.deadlines import Sla  # noqa: F401  (re-exported: cases.models.Sla)
from gridgov.core.i18n import localized_name
from gridgov.core.workflow import Rating  # noqa: F401  (re-exported: cases.models.Rating)


class Category(models.Model):
    """事项分类: a configurable tree; each category carries its time limits."""

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=60)
    name_en = models.CharField(_("英文名称"), max_length=60, blank=True, default="")
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("上级分类"),
    )
    response_limit = models.DecimalField(
        _("签收时限"),
        max_digits=6,
        decimal_places=2,
        default=Decimal("2"),
        validators=[MinValueValidator(Decimal("0.1"))],
    )
    response_unit = models.CharField(
        _("签收时限单位"), max_length=16, choices=LimitUnit.choices, default=LimitUnit.WORKING_HOURS
    )
    resolution_limit = models.DecimalField(
        _("办结时限"),
        max_digits=6,
        decimal_places=2,
        default=Decimal("5"),
        validators=[MinValueValidator(Decimal("0.1"))],
    )
    resolution_unit = models.CharField(
        _("办结时限单位"), max_length=16, choices=LimitUnit.choices, default=LimitUnit.WORKING_DAYS
    )
    warning_ratio = models.DecimalField(
        _("预警比例"),
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.80"),
        validators=[MinValueValidator(Decimal("0.1")), MaxValueValidator(Decimal("0.99"))],
    )
    anonymous_allowed = models.BooleanField(_("允许匿名上报"), default=False)
    reopen_window_days = models.PositiveSmallIntegerField(_("重办期限（天）"), default=7)
    is_active = models.BooleanField(_("在用"), default=True)
    sort = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("事项分类")
        verbose_name_plural = _("事项分类")
        ordering = ["sort", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def label(self) -> str:
        """The name in the reader's language (``name_en`` when English is active and it is set)."""
        return localized_name(self.name, self.name_en)

    def ancestors_and_self(self) -> list[Category]:
        chain, node = [], self
        while node is not None:
            chain.append(node)
            node = node.parent
        return chain


class AttributeType(models.TextChoices):
    """The datatypes of GeoReport v2 (Open311) service attributes."""

    STRING = "string", _("短文本")
    NUMBER = "number", _("数字")
    DATETIME = "datetime", _("日期时间")
    TEXT = "text", _("长文本")
    SINGLE = "singlevaluelist", _("单选")
    MULTI = "multivaluelist", _("多选")


LIST_TYPES = (AttributeType.SINGLE, AttributeType.MULTI)


class CategoryAttribute(models.Model):
    """A category attribute: what a report of this category (and of its sub-categories) must or may also say — a licence
    plate for illegal parking, a meter number for a water leak. Open311 clients read them as the service
    definition's attributes; intake checks the values given (``cases.attributes``)."""

    category = models.ForeignKey(
        Category, on_delete=models.CASCADE, related_name="attributes", verbose_name=_("分类")
    )
    code = models.SlugField(_("代码"), max_length=40)
    datatype = models.CharField(
        _("类型"), max_length=16, choices=AttributeType.choices, default=AttributeType.STRING
    )
    label = models.CharField(_("名称"), max_length=60)
    description = models.TextField(_("填写说明"), max_length=500, blank=True)
    required = models.BooleanField(_("必填"), default=False)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    values = models.JSONField(
        _("可选值"),
        default=list,
        blank=True,
        help_text=_('单选、多选的可选值，如 [{"key": "car", "name": "小汽车"}]'),
    )

    class Meta:
        verbose_name = _("事项属性")
        verbose_name_plural = _("事项属性")
        ordering = ["order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["category", "code"], name="one_attribute_code_per_category")
        ]

    def __str__(self) -> str:
        return f"{self.category} · {self.label}"

    def clean(self) -> None:
        from gridgov.cases.attributes import check_definition

        check_definition(self)


class CategoryVersion(models.Model):
    """A single row whose counter moves whenever a category is saved or deleted; the per-process copies of
    the categories (gridgov/cases/category_cache.py) compare it."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    version = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("分类版本")

    def __str__(self) -> str:
        return f"v{self.version}"


class RoutingRule(models.Model):
    """派单规则: category + area → lead unit and assist units. The most specific area wins; a rule on a
    parent category applies to its children when they have none of their own."""

    category = models.ForeignKey(
        Category, on_delete=models.CASCADE, related_name="rules", verbose_name=_("分类")
    )
    area = models.ForeignKey(
        "areas.Area", on_delete=models.CASCADE, related_name="+", verbose_name=_("适用区域")
    )
    lead_unit = models.ForeignKey(
        "accounts.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("主办单位")
    )
    assist_units = models.ManyToManyField(
        "accounts.Unit", blank=True, related_name="+", verbose_name=_("协办单位")
    )
    is_active = models.BooleanField(_("在用"), default=True)

    class Meta:
        verbose_name = _("派单规则")
        verbose_name_plural = _("派单规则")
        constraints = [
            models.UniqueConstraint(fields=["category", "area"], name="one_rule_per_category_area")
        ]

    def __str__(self) -> str:
        return f"{self.category} @ {self.area.code} → {self.lead_unit}"


class State(models.TextChoices):
    REPORTED = "reported", _("已上报")
    ACCEPTED = "accepted", _("已受理")
    REJECTED = "rejected", _("不予受理")
    MERGED = "merged", _("已合并")
    DISPATCHED = "dispatched", _("已派遣")
    CLAIMED = "claimed", _("已签收")
    IN_PROGRESS = "in_progress", _("处置中")
    RESOLVED = "resolved", _("已处置待核实")
    VERIFIED = "verified", _("已核实")
    CLOSED = "closed", _("已结案")


OPEN_STATES = (
    State.REPORTED,
    State.ACCEPTED,
    State.DISPATCHED,
    State.CLAIMED,
    State.IN_PROGRESS,
    State.RESOLVED,
    State.VERIFIED,
)


class HandlingLevel(models.TextChoices):
    GRID = "grid", _("网格")
    COMMUNITY = "community", _("社区")
    STREET = "street", _("街道")
    DISTRICT = "district", _("区")


LEVEL_RANK = {"district": 0, "street": 1, "community": 2, "grid": 3, "microgrid": 3}
NEXT_LEVEL = {"grid": "community", "community": "street", "street": "district"}


class Channel(models.TextChoices):
    PORTAL = "portal", _("居民上报")
    GRID_WORKER = "grid_worker", _("网格员上报")
    HOTLINE = "hotline", _("热线转办")
    API = "api", _("接口")
    OPEN311 = "open311", _("Open311")


class Case(models.Model):
    # Indexes are chosen in Meta: every index is written on every intake, so none is kept that another
    # already serves (a composite's first column, a pattern index for a column never searched by pattern).
    ref = models.CharField(_("编号"), max_length=32)
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="cases", verbose_name=_("分类"), db_index=False
    )
    description = models.TextField(_("描述"), max_length=2000)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    lng = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    # The grid the case is in (or the district when the place is not yet known); ``area_code`` copies its code
    # so scope and KPI queries are prefix matches on one indexed column.
    area = models.ForeignKey(
        "areas.Area", on_delete=models.PROTECT, related_name="cases", verbose_name=_("所在网格")
    )
    area_code = models.CharField(max_length=18, db_index=True, editable=False)
    level = models.CharField(_("处置层级"), max_length=16, choices=HandlingLevel.choices)
    handling_area = models.ForeignKey(
        "areas.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("指挥中心")
    )
    state = models.CharField(_("状态"), max_length=16, choices=State.choices, default=State.REPORTED)
    channel = models.CharField(_("来源"), max_length=16, choices=Channel.choices)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reported_cases",
        verbose_name=_("上报人账号"),
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("录入人"),
    )
    reporter_name = models.CharField(_("联系人"), max_length=50, blank=True)
    reporter_phone = EncryptedTextField(_("联系电话"), blank=True, default="")
    reporter_phone_hash = models.CharField(max_length=64, blank=True, default="", editable=False)
    anonymous = models.BooleanField(_("匿名"), default=False)
    reported_at = models.DateTimeField(_("上报时间"), db_index=True)
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)
    idempotency_key = models.CharField(max_length=160, null=True, blank=True, editable=False)
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged",
        verbose_name=_("合并到"),
    )

    lead_unit = models.ForeignKey(
        "accounts.Unit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="lead_cases",
        verbose_name=_("主办单位"),
        db_index=False,
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    dispatched_at = models.DateTimeField(_("派遣时间"), null=True, blank=True)
    first_dispatched_at = models.DateTimeField(null=True, blank=True)
    response_due = models.DateTimeField(_("签收时限"), null=True, blank=True)
    resolution_due = models.DateTimeField(_("办结时限"), null=True, blank=True, db_index=True)
    response_warn_at = models.DateTimeField(null=True, blank=True)
    resolution_warn_at = models.DateTimeField(null=True, blank=True)
    deadline_provisional = models.BooleanField(_("时限为临时计算"), default=False)
    claimed_at = models.DateTimeField(null=True, blank=True)
    first_claimed_at = models.DateTimeField(null=True, blank=True)
    first_response_due = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)
    result = models.TextField(_("处置结果"), blank=True, max_length=2000)

    sla = models.CharField(_("时限状态"), max_length=8, choices=Sla.choices, default=Sla.NORMAL)
    response_warned_at = models.DateTimeField(null=True, blank=True)
    response_overdue_at = models.DateTimeField(null=True, blank=True)
    resolution_warned_at = models.DateTimeField(null=True, blank=True)
    resolution_overdue_at = models.DateTimeField(null=True, blank=True)
    auto_escalated_at = models.DateTimeField(null=True, blank=True)

    rework_count = models.PositiveSmallIntegerField(_("返工次数"), default=0)
    return_count = models.PositiveSmallIntegerField(_("退回次数"), default=0)
    reopen_count = models.PositiveSmallIntegerField(_("重办次数"), default=0)
    extension_count = models.PositiveSmallIntegerField(_("延期次数"), default=0)
    escalation_count = models.PositiveSmallIntegerField(_("升级次数"), default=0)

    rating = models.CharField(_("评价"), max_length=12, choices=Rating.choices, blank=True)
    rating_comment = models.TextField(_("评价意见"), blank=True, max_length=500)
    rated_at = models.DateTimeField(null=True, blank=True)
    rate_token_hash = models.CharField(max_length=64, blank=True, editable=False)
    # What the category's attributes asked for (``CategoryAttribute``), by attribute code; checked at intake.
    attributes = models.JSONField(_("事项属性"), default=dict, blank=True)
    # Brought in from an old system (gridgov.assist history import): closed when it arrives, read by the
    # suggestions and the hot spots, left out of current figures (KPIs, rankings, assessment).
    historical = models.BooleanField(_("历史工单"), default=False, editable=False)

    class Meta:
        verbose_name = _("事件")
        verbose_name_plural = _("事件")
        ordering = ["-reported_at", "-id"]
        indexes = [
            models.Index(fields=["area_code", "reported_at"], name="case_area_reported"),
            models.Index(fields=["state", "response_warn_at"], name="case_state_rwarn"),
            models.Index(fields=["state", "resolution_warn_at"], name="case_state_swarn"),
            models.Index(fields=["category", "reported_at"], name="case_category_reported"),
            # duplicate suggestions: same category, a small lat/lng box
            models.Index(fields=["category", "lat", "lng"], name="case_category_lat_lng"),
            # text-aware duplicate suggestions: any category, a lat/lng box and a time window
            models.Index(fields=["lat", "lng", "reported_at"], name="case_lat_lng_reported"),
            models.Index(fields=["lead_unit", "reported_at"], name="case_unit_reported"),
            models.Index(fields=["reporter_phone_hash"], name="case_reporter_phone_hash"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["ref"], name="case_ref_unique"),
            models.UniqueConstraint(fields=["idempotency_key"], name="case_idempotency_key_unique"),
            models.CheckConstraint(
                condition=~Q(state="merged") | Q(merged_into__isnull=False), name="merged_case_names_target"
            ),
        ]

    def __str__(self) -> str:
        return self.ref

    def get_absolute_url(self) -> str:
        return reverse("cases:detail", args=[self.ref])

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.reporter_phone)

    @property
    def active_due(self):
        """The deadline that runs now: the response limit until claimed, then the resolution limit."""
        if self.state == State.DISPATCHED:
            return self.response_due
        if self.state in (State.CLAIMED, State.IN_PROGRESS):
            return self.resolution_due
        return None


class CaseReporter(models.Model):
    """Everyone who reported the problem: the original reporter and those of cases merged into it."""

    # (case, source) is unique, and that index serves lookups by case
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="reporters", db_index=False)
    source = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+", verbose_name=_("原事件"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(max_length=50, blank=True)
    phone = EncryptedTextField(blank=True, default="")
    phone_hash = models.CharField(max_length=64, blank=True, default="", editable=False)

    class Meta:
        verbose_name = _("上报人")
        verbose_name_plural = _("上报人")
        constraints = [models.UniqueConstraint(fields=["case", "source"], name="reporter_once_per_source")]

    def __str__(self) -> str:
        return f"{self.case} ← {self.source}"


class Dispatch(models.Model):
    """One unit's part in one dispatch round: lead, assist, or one of several candidates (抢单: the first
    candidate to claim becomes the lead)."""

    class Role(models.TextChoices):
        LEAD = "lead", _("主办")
        ASSIST = "assist", _("协办")
        CANDIDATE = "candidate", _("候选主办")

    class DState(models.TextChoices):
        PENDING = "pending", _("待签收")
        CLAIMED = "claimed", _("已签收")
        RETURNED = "returned", _("已退回")
        WITHDRAWN = "withdrawn", _("已撤回")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="dispatches")
    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="dispatches")
    role = models.CharField(max_length=10, choices=Role.choices)
    state = models.CharField(max_length=10, choices=DState.choices, default=DState.PENDING)
    round = models.PositiveSmallIntegerField(default=1)
    dispatched_at = models.DateTimeField()
    dispatched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("派遣")
        verbose_name_plural = _("派遣")
        ordering = ["round", "role", "id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "round", "unit"], name="dispatch_unit_once_per_round")
        ]
        indexes = [models.Index(fields=["unit", "state"])]

    def __str__(self) -> str:
        return f"{self.case} → {self.unit} ({self.role})"


class CaseEvent(models.Model):
    """The case timeline: one append-only row per action."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=100, blank=True)
    action = models.CharField(max_length=20)
    from_state = models.CharField(max_length=16, blank=True)
    to_state = models.CharField(max_length=16, blank=True)
    note = models.TextField(blank=True, max_length=2000)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("办理记录")
        verbose_name_plural = _("办理记录")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.case} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("case events are append-only")
        super().save(*args, **kwargs)


class Whistle(models.Model):
    """吹哨: a street or district summons several units to one case and names the lead."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="whistles")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    lead_unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="+")
    report_due = models.DateTimeField(_("报到时限"))
    note = models.TextField(blank=True, max_length=500)

    class Meta:
        verbose_name = _("吹哨")
        verbose_name_plural = _("吹哨")

    def __str__(self) -> str:
        return _("%(case)s 吹哨 %(at)s") % {"case": self.case, "at": f"{self.at:%Y-%m-%d}"}


class WhistleCall(models.Model):
    """报到: each summoned unit must report within the limit; missing it is flagged and counted."""

    whistle = models.ForeignKey(Whistle, on_delete=models.CASCADE, related_name="calls")
    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="whistle_calls")
    reported_at = models.DateTimeField(null=True, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    missed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("报到")
        verbose_name_plural = _("报到")
        constraints = [models.UniqueConstraint(fields=["whistle", "unit"], name="one_call_per_unit")]

    def __str__(self) -> str:
        return f"{self.whistle} · {self.unit}"

    @property
    def late(self) -> bool:
        return self.reported_at is not None and self.reported_at > self.whistle.report_due


class RefCounter(models.Model):
    """Daily sequence of reference numbers per district (``610302-20261121-000123``)."""

    district = models.CharField(max_length=6)
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["district", "day"], name="one_counter_per_district_day")
        ]

    def __str__(self) -> str:
        return f"{self.district}-{self.day:%Y%m%d}: {self.last}"
