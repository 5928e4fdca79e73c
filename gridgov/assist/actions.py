"""Writes of smart assistance other than the suggestions themselves (``assist.suggest``): an admin's
thresholds and training requests. Each is audited."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from gridgov.assist import selectors
from gridgov.assist.models import SuggesterModel, Threshold
from gridgov.cases.models import Category
from gridgov.core import audit
from gridgov.core.errors import DomainError


def _require_admin(by) -> None:
    if not selectors.may_manage(by):
        raise DomainError("forbidden", _("只有管理员可以训练模型和设置自动采纳阈值"), None, status=403)


def _decimal(value, field: str, low: Decimal, high: Decimal) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise DomainError(
            "invalid", _("请填写 %(low)s 到 %(high)s 之间的数") % {"low": low, "high": high}, field
        ) from None
    if not number.is_finite() or not (low <= number <= high):
        raise DomainError(
            "invalid", _("请填写 %(low)s 到 %(high)s 之间的数") % {"low": low, "high": high}, field
        )
    return number.quantize(Decimal("0.01"))


def threshold_set(*, by, category_code: str, confidence, min_precision, is_active: bool = True) -> Threshold:
    """Set a category's auto-apply threshold: a confidence on the models' curve (0.50, 0.55, … 0.95, 0.99)
    and the precision required there. The suggestion applies itself only while the active model's measured
    precision at that confidence is at least the one required (``assist.suggest.auto_applies``)."""
    _require_admin(by)
    category = Category.objects.filter(code=(category_code or "").strip(), is_active=True).first()
    if category is None:
        raise DomainError("not_found", _("事项分类不存在"), "category", status=404)
    conf = _decimal(confidence, "confidence", Decimal("0.50"), Decimal("0.99"))
    if float(conf) not in selectors.CURVE_POINTS:
        raise DomainError("invalid", _("置信度只能取 0.50、0.55 …… 0.95 或 0.99"), "confidence")
    precision = _decimal(min_precision, "min_precision", Decimal("0.50"), Decimal("1.00"))
    with transaction.atomic():
        before = Threshold.objects.filter(category=category).first()
        row, _created = Threshold.objects.update_or_create(
            category=category,
            defaults={
                "confidence": conf,
                "min_precision": precision,
                "is_active": bool(is_active),
                "set_by": by,
            },
        )
        audit.record(
            actor=by,
            verb="assist.threshold",
            obj=row,
            before=_shown(before),
            after=_shown(row),
        )
    return row


def _shown(t: Threshold | None) -> dict | None:
    if t is None:
        return None
    return {"confidence": str(t.confidence), "min_precision": str(t.min_precision), "is_active": t.is_active}


def training_request(*, by) -> SuggesterModel:
    """An admin asks for a new model, trained in the background (``assist.training``)."""
    from gridgov.assist.training import request_training

    _require_admin(by)
    if SuggesterModel.objects.filter(state=SuggesterModel.State.TRAINING).exists():
        raise DomainError("busy", _("已有模型正在训练，请等待完成"), None, status=409)
    model = request_training(trigger=SuggesterModel.Trigger.ADMIN, by=by)
    audit.record(actor=by, verb="assist.train", obj=model, after={"version": model.version})
    return model
