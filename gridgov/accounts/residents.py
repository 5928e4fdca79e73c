"""Residents' own accounts: sign-up and sign-in by mobile number with a one-time code (``accounts.codes``),
and the binding of an account to a person of the ledger, confirmed by the community (docs/residents.md).

Apps above ``accounts`` plug in here (layers): :func:`on_signed_in` hooks run after every sign-in by code
(``cases`` attaches the earlier reports made with that number), :func:`on_binding_decided` hooks after the
community confirms or refuses a binding (``cases.residents`` tells the resident through ``notify``). The
ledger is read by model label only (``ledger.Resident``), as a lower app names a higher one's rows.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from django.apps import apps
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.accounts.actions import user_create
from gridgov.accounts.codes import code_verify
from gridgov.accounts.models import HouseholdBinding, Role, User
from gridgov.core import audit, cleaners, ratelimit
from gridgov.core.crypto import blind_indexes
from gridgov.core.errors import Conflict, DomainError, Throttled
from gridgov.core.scope import command_staff_in_scope
from gridgov.core.validators import parse_id_number
from gridgov.core.workflow import Machine, Transition

CODE_ROLES = (Role.RESIDENT, Role.VOLUNTEER)  # the accounts a code signs in; staff keep their passwords
BINDING_ATTEMPTS_PER_HOUR = 5  # ID numbers one account may try an hour (no guessing who is in the ledger)

SignedInHook = Callable[[User, str], None]  # (the account, the mobile number it proved)
DecidedHook = Callable[[HouseholdBinding], None]
_signed_in: list[SignedInHook] = []
_decided: list[DecidedHook] = []


def on_signed_in(fn: SignedInHook) -> SignedInHook:
    """Run ``fn(user, phone)`` in the transaction of every sign-in by code (idempotent work only)."""
    if fn not in _signed_in:
        _signed_in.append(fn)
    return fn


def on_binding_decided(fn: DecidedHook) -> DecidedHook:
    """Run ``fn(binding)`` after the community confirms or refuses a binding, in the same transaction."""
    if fn not in _decided:
        _decided.append(fn)
    return fn


# ---------------------------------------------------------------- sign-in by code


def _new_username() -> str:
    while True:
        name = "r" + secrets.token_hex(5)
        if not User.objects.filter(username=name).exists():
            return name


def resident_sign_in(*, phone: str, code: str, request, display_name: str = "") -> tuple[User, bool]:
    """Sign in with a mobile number and its code: the resident (or volunteer) account of that number, or a
    new resident account (a sign-up). Returns the account and whether it is new. An account that is not a
    resident's keeps its password: its number is refused without saying whose it is. Counted under the
    ``signin`` rate limit of the client's address."""
    ratelimit.limit(request, "signin")
    display_name = cleaners.text(
        display_name, "display_name", limit=cleaners.limit(User, "display_name"), label=_("姓名")
    )
    phone = code_verify(phone=phone, code=code)
    with transaction.atomic():
        owners = list(
            User.objects.select_for_update().filter(phone_hash__in=blind_indexes(phone)).order_by("pk")
        )
        if any(u.role not in CODE_ROLES or u.is_staff or u.is_superuser for u in owners):
            raise DomainError(
                "password_account",
                _("该手机号不能用验证码登录，请使用用户名和密码登录"),
                "phone",
                status=403,
            )
        user = next((u for u in owners if u.is_active), None)
        if owners and user is None:
            raise DomainError("account_disabled", _("该手机号的账号已停用，请联系社区"), "phone", status=403)
        created = user is None
        if created:
            user = user_create(
                by=None,
                username=_new_username(),
                password="",
                role=Role.RESIDENT,
                display_name=display_name,
                phone=phone,
                validate=False,
            )
            user.set_unusable_password()
            user.save(update_fields=["password"])
            audit.record(actor=user, verb="resident.sign_up", obj=user, after={"username": user.username})
        for hook in _signed_in:
            hook(user, phone)
    return user, created


# ---------------------------------------------------------------- household binding (a small workflow)


def binding_visible(user, binding: HouseholdBinding) -> bool:
    """The resident who asked, and the command staff whose scope holds the household."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return binding.user_id == user.pk or command_staff_in_scope(user, binding.area_code)


def _decider(user, binding: HouseholdBinding) -> bool:
    return command_staff_in_scope(user, binding.area_code)


S = HouseholdBinding.State
BINDING = Machine(
    gettext_lazy("户籍绑定申请"),
    (
        Transition("confirm", gettext_lazy("确认绑定"), (S.PENDING,), S.CONFIRMED, "community"),
        Transition(
            "refuse", gettext_lazy("拒绝绑定"), (S.PENDING,), S.REFUSED, "community", needs_reason=True
        ),
    ),
    {"community": _decider},
    model=HouseholdBinding,
    visible=binding_visible,
    related=("user",),
    steps={"request": gettext_lazy("申请绑定")},
)


def _id_number(value: str) -> str:
    """The typed ID number, checked; a refusal never repeats what was typed."""
    if not (value or "").strip():
        raise DomainError("required", _("请输入身份证号"), "id_number")
    try:
        return parse_id_number(value).value
    except DomainError:
        raise DomainError(
            "invalid_id_number", _("身份证号格式不正确（18 位，末位可为 X）"), "id_number"
        ) from None


def household_bind_request(*, by: User, id_number: str) -> HouseholdBinding:
    """Ask to be linked to the ledger person with this ID number. Only the match is kept (never the number);
    the community then confirms or refuses. No match, a binding already confirmed, one still pending: each a
    refusal on ``id_number``."""
    if by.role not in CODE_ROLES:
        raise DomainError("forbidden", _("只有居民账号可以申请户籍绑定"), status=403)
    counted = ratelimit.hit("binding", str(by.pk), limit=BINDING_ATTEMPTS_PER_HOUR, seconds=3600)
    if counted.exceeded:
        raise Throttled(
            "rate_limited",
            _("尝试次数过多，请 %(minutes)s 分钟后再试") % {"minutes": max(1, counted.retry_after // 60)},
            "id_number",
            extra={"retry_after": counted.retry_after},
        )
    value = _id_number(id_number)
    resident_model = apps.get_model("ledger", "Resident")
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=by.pk).first()  # one request of an account at a time
        mine = HouseholdBinding.objects.filter(user=by, state__in=[S.PENDING, S.CONFIRMED]).first()
        if mine is not None and mine.state == S.CONFIRMED:
            raise Conflict("already_bound", _("您的账号已绑定户籍，如需变更请联系社区"), "id_number")
        if mine is not None:
            raise Conflict("pending_exists", _("您已有待社区确认的绑定申请，请耐心等待"), "id_number")
        match = (
            resident_model.objects.filter(id_number_hash__in=blind_indexes(value), is_active=True)
            .order_by("pk")
            .first()
        )
        if match is None:
            raise DomainError(
                "no_match", _("台账中没有与该身份证号匹配的在册人员，请联系所在社区登记"), "id_number"
            )
        if HouseholdBinding.objects.filter(resident=match, state=S.CONFIRMED).exists():
            raise Conflict("resident_taken", _("该人员已绑定其他账号，如有疑问请联系所在社区"), "id_number")
        binding = HouseholdBinding.objects.create(user=by, resident=match, area_code=match.area_code)
        BINDING.record(binding, by, "request", "")
    return binding


def _decided_hooks(binding: HouseholdBinding) -> None:
    for hook in _decided:
        hook(binding)


def binding_confirm(*, by: User, pk: int) -> HouseholdBinding:
    """The community confirms: the account is linked to the ledger person (and their household)."""
    try:
        with transaction.atomic():
            binding = BINDING.lock(by, pk=pk, field="binding")
            taken = HouseholdBinding.objects.filter(resident_id=binding.resident_id, state=S.CONFIRMED)
            if binding.state == S.PENDING and taken.exists():
                raise Conflict("resident_taken", _("该人员已绑定其他账号，不能重复确认"), "binding")
            with BINDING.transition(binding, "confirm", by=by, fields=["decided_at", "decided_by"]) as step:
                binding.decided_at = step.at
                binding.decided_by = by
            _decided_hooks(binding)
    except IntegrityError:
        raise Conflict("resident_taken", _("该人员已绑定其他账号，不能重复确认"), "binding") from None
    return binding


def binding_refuse(*, by: User, pk: int, reason: str) -> HouseholdBinding:
    """The community refuses, with a reason the resident reads."""
    reason = cleaners.text(
        reason, "reason", limit=cleaners.limit(HouseholdBinding, "reason"), label=_("原因")
    )
    with transaction.atomic():
        binding = BINDING.lock(by, pk=pk, field="binding")
        with BINDING.transition(
            binding, "refuse", by=by, reason=reason, fields=["decided_at", "decided_by", "reason"]
        ) as step:
            binding.decided_at = step.at
            binding.decided_by = by
            binding.reason = reason
        _decided_hooks(binding)
    return binding
