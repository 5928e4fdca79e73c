"""Writes of the three lists. Every write checks scope and input, runs in one transaction and leaves a
timeline step and an audit entry."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from gridgov.accounts.models import STAFF_ROLES
from gridgov.areas.models import Area
from gridgov.core.errors import DomainError, NotFound
from gridgov.core.scope import in_scope
from gridgov.core.timeline import step
from gridgov.orders.models import ServiceCategory
from gridgov.projects.models import Need


def is_list_staff(user) -> bool:
    """Staff who keep the lists of their area: admins and the area roles."""
    return bool(user is not None and (user.is_admin or (user.role in STAFF_ROLES and user.area_id)))


def _category(code: str) -> ServiceCategory:
    cat = ServiceCategory.objects.filter(code=(code or "").strip(), is_active=True).first()
    if cat is None:
        raise DomainError("invalid", f"服务类别「{code}」不存在或已停用", "category")
    return cat


def _area_in_scope(by, code: str) -> Area:
    area = Area.objects.filter(code=(code or "").strip(), is_active=True).first()
    if area is None or not in_scope(by, area.code):
        raise NotFound(f"区域 {code} 不存在或不在您的管辖范围内", field="area")
    return area


def need_record(
    *,
    by,
    title: str,
    category: str,
    area: str,
    description: str = "",
    beneficiaries: int = 1,
    urgency: str = Need.Urgency.NORMAL,
    source: str = Need.Source.MANUAL,
    source_id: int | None = None,
) -> Need:
    """登记需求. With a ``source``/``source_id`` (a visit, a wish, an order, a survey answer) the same source
    gives the same need: a retry, a double click or a colleague's simultaneous click make one row."""
    if not is_list_staff(by):
        raise DomainError("forbidden", "只有工作人员可以登记需求", status=403)
    title = (title or "").strip()
    if not title:
        raise DomainError("required", "请填写需求", "title")
    if len(title) > 100:
        raise DomainError("invalid", "需求不能超过 100 个字", "title")
    if source not in Need.Source.values:
        raise DomainError("invalid", f"来源「{source}」无效", "source")
    if urgency not in Need.Urgency.values:
        raise DomainError("invalid", f"紧急程度「{urgency}」无效", "urgency")
    if source == Need.Source.MANUAL:
        source_id = None
    elif source_id is None:
        raise DomainError("required", "请注明来源记录", "source_id")
    try:
        beneficiaries = int(beneficiaries)
    except (TypeError, ValueError):
        raise DomainError("invalid", "受益人数必须是整数", "beneficiaries") from None
    if beneficiaries < 1:
        raise DomainError("invalid", "受益人数至少为 1", "beneficiaries")
    cat = _category(category)
    place = _area_in_scope(by, area)
    if source_id is not None:
        existing = Need.objects.filter(source=source, source_id=source_id).first()
        if existing is not None:
            return existing
    try:
        with transaction.atomic():
            need = Need.objects.create(
                title=title,
                description=(description or "").strip(),
                category=cat,
                area=place,
                area_code=place.code,
                beneficiaries=beneficiaries,
                urgency=urgency,
                source=source,
                source_id=source_id,
                created_by=by if getattr(by, "pk", None) else None,
                created_at=timezone.now(),
            )
            step(need, by, "record", "", data={"source": source, "source_id": source_id})
    except IntegrityError:
        existing = Need.objects.filter(source=source, source_id=source_id).first()
        if existing is None:
            raise
        return existing
    return need
