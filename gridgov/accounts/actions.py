"""Writes on accounts: creating users, signing in (throttled: ``accounts.throttle``), issuing and checking API
tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts.models import ROLE_AREA_LEVELS, ApiToken, Role, Unit, User
from gridgov.areas.models import Area
from gridgov.core import audit, ratelimit
from gridgov.core.crypto import blind_index
from gridgov.core.errors import DomainError
from gridgov.core.validators import normalise_phone


def _check_binding(role: str, area: Area | None, unit: Unit | None) -> None:
    if role not in Role.values:
        raise DomainError("invalid_role", (_("角色「%(role)s」无效") % {"role": role}), "role")
    levels = ROLE_AREA_LEVELS.get(role)
    if levels:
        if area is None:
            raise DomainError(
                "required", (_("%(label)s必须绑定所属区域") % {"label": Role(role).label}), "area"
            )
        if area.level not in levels:
            raise DomainError(
                "area_level_mismatch",
                (
                    _("%(label)s只能绑定到%(levels)s级区域，不能绑定到 %(level)s")
                    % {"label": Role(role).label, "levels": "、".join(levels), "level": area.level}
                ),
                "area",
            )
        if not area.is_active:
            raise DomainError("area_retired", (_("区域 %(code)s 已撤销") % {"code": area.code}), "area")
    elif area is not None and role not in (Role.RESIDENT, Role.VOLUNTEER):
        raise DomainError(
            "area_not_allowed", (_("%(label)s不绑定区域") % {"label": Role(role).label}), "area"
        )
    if role == Role.UNIT and unit is None:
        raise DomainError("required", _("单位经办人必须绑定单位"), "unit")
    if role != Role.UNIT and unit is not None:
        raise DomainError("unit_not_allowed", _("只有单位经办人绑定单位"), "unit")


def user_create(
    *,
    by: User | None,
    username: str,
    password: str,
    role: str,
    area: Area | None = None,
    unit: Unit | None = None,
    display_name: str = "",
    phone: str = "",
    validate: bool = True,
) -> User:
    username = (username or "").strip()
    if not username:
        raise DomainError("required", _("用户名不能为空"), "username")
    _check_binding(role, area, unit)
    phone = normalise_phone(phone)
    if validate:
        try:
            validate_password(password, User(username=username, display_name=display_name))
        except ValidationError as exc:
            raise DomainError("weak_password", "；".join(exc.messages), "password") from exc
    with transaction.atomic():
        if User.objects.filter(username=username).exists():
            raise DomainError(
                "username_taken",
                (_("用户名「%(username)s」已存在") % {"username": username}),
                "username",
                status=409,
            )
        user = User(
            username=username,
            role=role,
            area=area,
            unit=unit,
            display_name=display_name,
            phone=phone,
            phone_hash=blind_index(phone) if phone else "",
            is_staff=role == Role.ADMIN,
            is_superuser=role == Role.ADMIN,
        )
        user.set_password(password)
        user.save()
        audit.record(
            actor=by,
            verb="user.create",
            obj=user,
            after={
                "username": username,
                "role": role,
                "area": area.code if area else None,
                "unit": unit.name if unit else None,
            },
        )
    return user


def sign_in(*, username: str, password: str, request) -> User:
    """Check credentials: the one sign-in of the API, the pages and the admin.

    Counted under the ``signin`` rate limit of the client's address; the password check goes through the
    sign-in throttle (``accounts.backends``), which raises ``Throttled`` (429) while the attempt must
    wait. Wrong credentials are a 401 error.
    """
    ratelimit.limit(request, "signin")
    username = (username or "").strip()
    if not username:
        raise DomainError("required", _("请输入用户名"), "username")
    if not password:
        raise DomainError("required", _("请输入密码"), "password")
    user = authenticate(request, username=username, password=password)
    if user is None:
        raise DomainError("invalid_credentials", _("用户名或密码不正确"), "password", status=401)
    return user


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def token_issue(*, user: User) -> tuple[str, ApiToken]:
    key = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        key_hash=_hash(key),
        expires_at=timezone.now() + timedelta(days=settings.API_TOKEN_TTL_DAYS),
    )
    return key, token


def token_user(key: str) -> User | None:
    """The active user a bearer key belongs to, or ``None`` (unknown, expired or inactive)."""
    if not key:
        return None
    token = (
        ApiToken.objects.select_related("user", "user__area", "user__unit__area")
        .filter(key_hash=_hash(key))
        .first()
    )
    now = timezone.now()
    if token is None or token.expires_at <= now or not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def token_revoke(*, user: User, key: str) -> None:
    ApiToken.objects.filter(user=user, key_hash=_hash(key)).delete()


def user_set_language(*, by: User, language: str) -> User:
    """Remember the language ``by`` chose, so messages to them are written in it."""
    if language not in dict(settings.LANGUAGES):
        raise DomainError("invalid", _("不支持的语言：%(language)s") % {"language": language}, "language")
    if by.language != language:
        by.language = language
        by.save(update_fields=["language"])
    return by
