"""The ledger of people, places and organisations (人、地、物、组织台账, M3).

Buildings stand in a grid; households live at a room of a building; residents belong to a household;
organisations sit in a grid. Every row copies the code of its grid into ``area_code`` so scope is a
prefix match on one indexed column, as for cases.

ID numbers and phones are encrypted at rest (:class:`EncryptedTextField`), matched by a keyed hash in the
``<field>_hash`` column beside them (so ``gridgov rotate_field_key`` re-hashes them too), and shown through
the masked copy in ``<field>_masked``, which lists and exports read without decrypting anything.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gridgov.core.crypto import EncryptedTextField
from gridgov.core.i18n import localized_name


class Building(models.Model):
    """楼栋: a building (or a row of bungalows) in a grid, with its units (单元)."""

    class Kind(models.TextChoices):
        RESIDENTIAL = "residential", _("住宅楼")
        BUNGALOW = "bungalow", _("平房院落")
        COMMERCIAL = "commercial", _("商业楼宇")
        OFFICE = "office", _("办公楼")
        MIXED = "mixed", _("商住混合")
        OTHER = "other", _("其他")

    code = models.CharField(_("楼栋编码"), max_length=40, unique=True)
    name = models.CharField(_("楼栋名称"), max_length=100)
    area = models.ForeignKey(
        "areas.Area", on_delete=models.PROTECT, related_name="buildings", verbose_name=_("所在网格")
    )
    area_code = models.CharField(max_length=18, db_index=True, editable=False)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices, default=Kind.RESIDENTIAL)
    units = models.PositiveSmallIntegerField(_("单元数"), default=1)
    floors = models.PositiveSmallIntegerField(_("层数"), null=True, blank=True)
    lng = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    property_company = models.ForeignKey(
        "ledger.Organisation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_buildings",
        verbose_name=_("物业企业"),
    )
    note = models.TextField(_("备注"), blank=True, max_length=2000)
    is_active = models.BooleanField(_("在用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("楼栋")
        verbose_name_plural = _("楼栋")
        ordering = ["area_code", "code"]

    def __str__(self) -> str:
        return self.name


class Household(models.Model):
    """户: the people living at one room of a building, with a head of household."""

    class Occupancy(models.TextChoices):
        OWNER = "owner", _("自住")
        RENTED = "rented", _("出租")
        VACANT = "vacant", _("空置")
        OTHER = "other", _("其他")

    building = models.ForeignKey(
        Building, on_delete=models.PROTECT, related_name="households", verbose_name=_("楼栋")
    )
    unit = models.CharField(_("单元"), max_length=10, blank=True)
    room = models.CharField(_("室号"), max_length=20)
    area_code = models.CharField(max_length=18, db_index=True, editable=False)
    occupancy = models.CharField(
        _("居住状态"), max_length=8, choices=Occupancy.choices, default=Occupancy.OWNER
    )
    head = models.ForeignKey(
        "ledger.Resident",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("户主"),
    )
    note = models.TextField(_("备注"), blank=True, max_length=2000)
    is_active = models.BooleanField(_("在用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("户")
        verbose_name_plural = _("户")
        ordering = ["area_code", "building_id", "unit", "room"]
        constraints = [
            models.UniqueConstraint(fields=["building", "unit", "room"], name="household_one_per_room"),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        unit = f"{self.unit}单元" if self.unit else ""
        return f"{self.building.name}{unit}{self.room}室"


class Resident(models.Model):
    """实有人口: a person living (or registered) in the area."""

    class Gender(models.TextChoices):
        MALE = "M", _("男")
        FEMALE = "F", _("女")

    class Relation(models.TextChoices):
        HEAD = "head", _("户主")
        SPOUSE = "spouse", _("配偶")
        CHILD = "child", _("子女")
        PARENT = "parent", _("父母")
        GRANDCHILD = "grandchild", _("孙辈")
        SIBLING = "sibling", _("兄弟姐妹")
        TENANT = "tenant", _("租户")
        OTHER = "other", _("其他")

    class ResidenceType(models.TextChoices):
        REGISTERED = "registered", _("户籍人口")
        FLOATING = "floating", _("流动人口")
        SEPARATED = "separated", _("人户分离")

    class PoliticalStatus(models.TextChoices):
        MASSES = "masses", _("群众")
        PARTY_MEMBER = "party_member", _("中共党员")
        PROBATIONARY = "probationary", _("中共预备党员")
        LEAGUE = "league", _("共青团员")
        DEMOCRATIC = "democratic", _("民主党派")

    name = models.CharField(_("姓名"), max_length=50)
    id_number = EncryptedTextField(_("身份证号"), blank=True, default="")
    id_number_hash = models.CharField(max_length=64, blank=True, default="", editable=False)
    id_number_masked = models.CharField(_("身份证号"), max_length=24, blank=True, default="", editable=False)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    gender = models.CharField(_("性别"), max_length=1, choices=Gender.choices, blank=True)
    phone = EncryptedTextField(_("联系电话"), blank=True, default="")
    phone_hash = models.CharField(max_length=64, blank=True, default="", db_index=True, editable=False)
    phone_masked = models.CharField(_("联系电话"), max_length=24, blank=True, default="", editable=False)
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="members", verbose_name=_("所在户")
    )
    relation = models.CharField(
        _("与户主关系"), max_length=12, choices=Relation.choices, default=Relation.OTHER
    )
    residence_type = models.CharField(
        _("人口类型"), max_length=12, choices=ResidenceType.choices, default=ResidenceType.REGISTERED
    )
    ethnicity = models.CharField(_("民族"), max_length=20, blank=True)
    political_status = models.CharField(
        _("政治面貌"), max_length=16, choices=PoliticalStatus.choices, default=PoliticalStatus.MASSES
    )
    # Set by the party organisation module while the resident is a registered party member: the status is
    # then derived from the membership (its one source) and the ledger does not change it by hand.
    political_status_by_party = models.BooleanField(
        _("政治面貌由党组织关系维护"), default=False, editable=False
    )
    workplace = models.CharField(_("工作单位/学校"), max_length=100, blank=True)
    note = models.TextField(_("备注"), blank=True, max_length=2000)
    area_code = models.CharField(max_length=18, db_index=True, editable=False)
    is_active = models.BooleanField(_("在册"), default=True)
    moved_out_at = models.DateField(_("迁出日期"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("居民")
        verbose_name_plural = _("居民")
        ordering = ["area_code", "household_id", "id"]
        permissions = [("reveal_personal", _("查看完整身份证号和电话（需填写理由，留痕）"))]
        constraints = [
            # One person is in the ledger once: re-imports update the row found by the ID hash.
            models.UniqueConstraint(
                fields=["id_number_hash"], condition=~Q(id_number_hash=""), name="resident_id_once"
            ),
        ]
        indexes = [models.Index(fields=["area_code", "name"], name="resident_area_name")]

    def __str__(self) -> str:
        return self.name


class Organisation(models.Model):
    """驻区单位、商户、社会组织、物业企业: an organisation located in a grid."""

    class Kind(models.TextChoices):
        UNIT = "unit", _("驻区单位")
        SHOP = "shop", _("商户")
        SOCIAL = "social", _("社会组织")
        PROPERTY = "property", _("物业企业")

    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices)
    name = models.CharField(_("名称"), max_length=100)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True, default="")
    area = models.ForeignKey(
        "areas.Area", on_delete=models.PROTECT, related_name="organisations", verbose_name=_("所在网格")
    )
    area_code = models.CharField(max_length=18, db_index=True, editable=False)
    building = models.ForeignKey(
        Building,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="organisations",
        verbose_name=_("所在楼栋"),
    )
    address = models.CharField(_("地址"), max_length=200, blank=True)
    industry = models.CharField(_("行业/业态"), max_length=50, blank=True)
    contact_name = models.CharField(_("负责人/店长"), max_length=50, blank=True)
    contact_phone = EncryptedTextField(_("联系电话"), blank=True, default="")
    contact_phone_hash = models.CharField(
        max_length=64, blank=True, default="", db_index=True, editable=False
    )
    contact_phone_masked = models.CharField(
        _("联系电话"), max_length=24, blank=True, default="", editable=False
    )
    staff_count = models.PositiveIntegerField(_("从业人数"), null=True, blank=True)
    unit = models.ForeignKey(
        "accounts.Unit",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="organisations",
        verbose_name=_("对应共建单位账号"),
    )
    note = models.TextField(_("备注"), blank=True, max_length=2000)
    is_active = models.BooleanField(_("在用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("组织")
        verbose_name_plural = _("组织")
        ordering = ["area_code", "kind", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["credit_code"], condition=~Q(credit_code=""), name="organisation_credit_code_once"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class FocusTag(models.Model):
    """重点人群/特殊人群标签: configurable; residents and/or households carry them with a reason."""

    class AppliesTo(models.TextChoices):
        RESIDENT = "resident", _("居民")
        HOUSEHOLD = "household", _("户")
        BOTH = "both", _("居民和户")

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=30, unique=True)
    name_en = models.CharField(_("英文名称"), max_length=30, blank=True, default="")
    applies_to = models.CharField(
        _("适用对象"), max_length=10, choices=AppliesTo.choices, default=AppliesTo.BOTH
    )
    description = models.CharField(_("说明"), max_length=200, blank=True)
    is_active = models.BooleanField(_("在用"), default=True)
    sort = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("重点人群标签")
        verbose_name_plural = _("重点人群标签")
        ordering = ["sort", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def label(self) -> str:
        """The name in the reader's language (``name_en`` when English is active and it is set)."""
        return localized_name(self.name, self.name_en)


class TagAssignment(models.Model):
    """A focus tag on one resident or one household, with why and since when."""

    tag = models.ForeignKey(
        FocusTag, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("标签")
    )
    resident = models.ForeignKey(
        Resident, null=True, blank=True, on_delete=models.CASCADE, related_name="tags", verbose_name=_("居民")
    )
    household = models.ForeignKey(
        Household, null=True, blank=True, on_delete=models.CASCADE, related_name="tags", verbose_name=_("户")
    )
    area_code = models.CharField(max_length=18, db_index=True, editable=False)
    reason = models.CharField(_("原因"), max_length=200)
    since = models.DateField(_("认定日期"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("标签记录")
        verbose_name_plural = _("标签记录")
        constraints = [
            models.CheckConstraint(
                condition=Q(resident__isnull=False, household__isnull=True)
                | Q(resident__isnull=True, household__isnull=False),
                name="tag_on_resident_or_household",
            ),
            models.UniqueConstraint(fields=["tag", "resident"], name="tag_once_per_resident"),
            models.UniqueConstraint(fields=["tag", "household"], name="tag_once_per_household"),
        ]

    def __str__(self) -> str:
        return f"{self.tag} · {self.resident or self.household}"


class ImportJob(models.Model):
    """One upload of a ledger spreadsheet (台账导入), checked row by row and imported in the background."""

    class Kind(models.TextChoices):
        BUILDINGS = "buildings", _("楼栋")
        HOUSEHOLDS = "households", _("户")
        RESIDENTS = "residents", _("居民")
        ORGANISATIONS = "organisations", _("组织")

    class Mode(models.TextChoices):
        ALL_OR_NOTHING = "all_or_nothing", _("有错误则全部不导入")
        VALID_ROWS = "valid_rows", _("导入正确的行，退回错误的行")

    class State(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("处理中")
        REJECTED = "rejected", _("有错误，未导入")
        DONE = "done", _("已完成")
        FAILED = "failed", _("文件无法处理")

    kind = models.CharField(_("台账类型"), max_length=16, choices=Kind.choices)
    mode = models.CharField(_("方式"), max_length=16, choices=Mode.choices, default=Mode.ALL_OR_NOTHING)
    area = models.ForeignKey(
        "areas.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("导入范围")
    )
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.QUEUED)
    filename = models.CharField(_("文件名"), max_length=200)
    path = models.CharField(max_length=300, editable=False)
    rows_total = models.PositiveIntegerField(_("数据行"), default=0)
    rows_checked = models.PositiveIntegerField(_("已检查"), default=0)
    rows_created = models.PositiveIntegerField(_("新增"), default=0)
    rows_updated = models.PositiveIntegerField(_("更新"), default=0)
    rows_rejected = models.PositiveIntegerField(_("退回"), default=0)
    error_count = models.PositiveIntegerField(_("错误数"), default=0)
    errors = models.JSONField(_("错误（前 500 条）"), default=list, blank=True)
    message = models.CharField(_("说明"), max_length=300, blank=True)
    rejected_path = models.CharField(max_length=300, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("导入人"),
    )
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("台账导入")
        verbose_name_plural = _("台账导入")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.filename}"
