"""Reading the service categories: the lookup every app uses to accept a category code."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from gridgov.core.errors import DomainError
from gridgov.core.roles import Role
from gridgov.services.models import ServiceCategory


def active_category(code: str | None, field: str = "category") -> ServiceCategory:
    """The active service category with ``code`` — for the catalogue, wishes, needs and resources alike —
    or a 400 on ``field`` naming the code."""
    code = (code or "").strip()
    cat = ServiceCategory.objects.filter(code=code, is_active=True).first() if code else None
    if cat is None:
        raise DomainError("invalid", (_("服务类别「%(code)s」不存在或已停用") % {"code": code}), field)
    return cat


def may_manage_categories(user) -> bool:
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and (user.is_admin or user.role == Role.DISTRICT)
    )


def categories(*, active_only: bool = True) -> QuerySet[ServiceCategory]:
    qs = ServiceCategory.objects.all()
    return qs.filter(is_active=True) if active_only else qs
