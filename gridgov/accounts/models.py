"""Accounts, roles and scopes (M2), and the units that handle dispatched work."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _

from gridgov.core.crypto import EncryptedTextField, mask_phone
from gridgov.core.roles import AREA_MANAGER_ROLES, AREA_ROLES, ROLE_AREA_LEVELS, STAFF_ROLES, Role

__all__ = [
    "AREA_MANAGER_ROLES",
    "AREA_ROLES",
    "ROLE_AREA_LEVELS",
    "STAFF_ROLES",
    "ApiToken",
    "HouseholdBinding",
    "LoginFailure",
    "Role",
    "SignInCode",
    "Unit",
    "User",
]


class Unit(models.Model):
    """A body that handles dispatched work: a department, a co-building unit, a property company."""

    class Kind(models.TextChoices):
        DEPARTMENT = "department", _("职能部门")
        PARTNER = "partner", _("共建单位")
        PROPERTY = "property", _("物业企业")
        SOCIAL = "social", _("社会组织")

    name = models.CharField(_("名称"), max_length=100, unique=True)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    area = models.ForeignKey(
        "areas.Area", on_delete=models.PROTECT, related_name="units", verbose_name=_("服务区域")
    )
    is_active = models.BooleanField(_("在用"), default=True)

    class Meta:
        verbose_name = _("单位")
        verbose_name_plural = _("单位")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class GridgovUserManager(UserManager):
    pass


class User(AbstractUser):
    role = models.CharField(_("角色"), max_length=16, choices=Role.choices, default=Role.RESIDENT)
    display_name = models.CharField(_("姓名"), max_length=50, blank=True)
    # The language messages to this person are written in (the one last chosen while signed in);
    # empty: the site's default.
    language = models.CharField(_("语言"), max_length=10, blank=True, default="")
    area = models.ForeignKey(
        "areas.Area",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
        verbose_name=_("所属区域"),
    )
    unit = models.ForeignKey(
        Unit,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="handlers",
        verbose_name=_("所属单位"),
    )
    phone = EncryptedTextField(_("手机号"), blank=True, default="")
    phone_hash = models.CharField(max_length=64, blank=True, default="", db_index=True, editable=False)
    # A/B 角: the backup receives this account's work while ``is_away`` is set.
    backup = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="backup_for",
        verbose_name=_("B 角（替岗人）"),
    )
    is_away = models.BooleanField(_("离岗中"), default=False)

    objects = GridgovUserManager()

    class Meta:
        verbose_name = _("账号")
        verbose_name_plural = _("账号")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(role="unit") | models.Q(unit__isnull=False), name="unit_role_has_unit"
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def is_admin(self) -> bool:
        return self.is_superuser or self.role == Role.ADMIN


class ApiToken(models.Model):
    """A bearer token for the API. Only a SHA-256 of the key is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")

    def __str__(self) -> str:
        return f"{self.user} · {self.created_at:%Y-%m-%d}"


class LoginFailure(models.Model):
    """A failed sign-in, kept for the sign-in throttle (``accounts.throttle``) and the security record.

    ``ip`` is the client's address (``core.net.client_address``). An attempt's row is written before its
    password is checked and removed again if the attempt is refused or succeeds.
    """

    username = models.CharField(max_length=150)
    ip = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("登录失败记录")
        verbose_name_plural = _("登录失败记录")
        indexes = [models.Index(fields=["ip", "at"]), models.Index(fields=["username", "at"])]

    def __str__(self) -> str:
        return f"{self.username} @ {self.at:%Y-%m-%d %H:%M}"


class SignInCode(models.Model):
    """A one-time code sent to a mobile number (``accounts.codes``). Neither the number nor the code is kept:
    only the number's keyed hash and the code's keyed hash."""

    class Purpose(models.TextChoices):
        SIGN_IN = "sign_in", _("登录")

    phone_hash = models.CharField(max_length=64, db_index=True)
    code_hash = models.CharField(max_length=64)
    purpose = models.CharField(max_length=16, choices=Purpose.choices, default=Purpose.SIGN_IN)
    created_at = models.DateTimeField(db_index=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("短信验证码")
        verbose_name_plural = _("短信验证码")
        indexes = [models.Index(fields=["phone_hash", "created_at"], name="signin_code_phone_at")]

    def __str__(self) -> str:
        return f"{self.purpose} · {self.created_at:%Y-%m-%d %H:%M}"


class HouseholdBinding(models.Model):
    """A resident account's request to be linked to a person of the ledger (and so to their household),
    matched by the keyed hash of the ID number the resident typed (the number itself is not kept) and
    confirmed or refused by the community's staff (``accounts.residents.BINDING``). A confirmed request is
    the link."""

    class State(models.TextChoices):
        PENDING = "pending", _("待确认")
        CONFIRMED = "confirmed", _("已确认")
        REFUSED = "refused", _("已拒绝")

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="household_bindings", verbose_name=_("居民账号")
    )
    resident = models.ForeignKey(
        "ledger.Resident", on_delete=models.CASCADE, related_name="+", verbose_name=_("台账人员")
    )
    area_code = models.CharField(max_length=18, db_index=True, editable=False)
    state = models.CharField(_("状态"), max_length=12, choices=State.choices, default=State.PENDING)
    reason = models.CharField(_("原因"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    decided_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("处理人")
    )

    class Meta:
        verbose_name = _("户籍绑定申请")
        verbose_name_plural = _("户籍绑定申请")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=models.Q(state="pending"), name="one_pending_binding_per_user"
            ),
            models.UniqueConstraint(
                fields=["user"], condition=models.Q(state="confirmed"), name="one_confirmed_binding_per_user"
            ),
            models.UniqueConstraint(
                fields=["resident"],
                condition=models.Q(state="confirmed"),
                name="one_account_per_ledger_resident",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.resident_id} ({self.state})"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("accounts:household_bind")
