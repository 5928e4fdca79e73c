"""What the writes of needs, resources, projects and scores share: the area a write is for, and the
staff-only check."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.utils.translation import gettext as _

from gridgov.areas.models import Area
from gridgov.core.errors import DomainError, NotFound
from gridgov.core.scope import in_scope, is_staff


def area_in_scope(by, code: str) -> Area:
    area = Area.objects.filter(code=(code or "").strip(), is_active=True).first()
    if area is None or not in_scope(by, area.code):
        raise NotFound(_("区域 %(code)s 不存在或不在您的管辖范围内") % {"code": code}, field="area")
    return area


def require_staff(by, what) -> None:
    if not is_staff(by):
        raise DomainError("forbidden", _("只有工作人员可以%(what)s") % {"what": what}, status=403)


def plain(value):
    """A value as the audit log keeps it."""
    if hasattr(value, "pk"):
        return getattr(value, "code", None) or value.pk
    if isinstance(value, (date, datetime, Decimal)):
        return str(value)
    return value
