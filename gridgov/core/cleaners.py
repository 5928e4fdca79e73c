"""Input cleaners shared by every action, form and import: each turns a raw value (a form string, a JSON
value, a spreadsheet cell) into the value to store, or raises :class:`DomainError` naming the field and
saying what is wrong — the same words wherever the value came from.

Every free-text value passes :func:`text` with its field's maximum length. That length is declared once,
on the model field (``max_length``; Django does not enforce it on a ``TextField``, :func:`text` does), and
read from there by the action (:func:`limit`), the API schema and the page form (the ``field_limit``
template tag), so the three never disagree. A reason or note kept only on the timeline is at most
:data:`REASON_LIMIT` characters.
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from gridgov.core.errors import DomainError

Label = str | Promise

REASON_LIMIT = 500  # a reason or note given with a workflow step (kept on its timeline row)


def limit(model: type[models.Model], name: str) -> int:
    """The maximum length declared on ``model``'s field ``name``."""
    return model._meta.get_field(name).max_length


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _missing(field: str, required: Label | bool, label: Label) -> DomainError:
    """``required`` is the message, or ``True`` for "请填写<label>"."""
    message = _("请填写%(label)s") % {"label": label} if required is True else str(required)
    return DomainError("required", message, field)


def text(value: Any, field: str, *, limit: int, required: Label | bool = False, label: Label = "") -> str:
    """Trimmed text of at most ``limit`` characters; ``required``: the message when it is empty (``True``:
    "请填写<label>")."""
    if value is None:
        value = ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a spreadsheet cell holding 12.0 means "12"
    s = value.strip() if isinstance(value, str) else str(value).strip()
    if required and not s:
        raise _missing(field, required, label)
    if len(s) > limit:
        raise DomainError(
            "too_long",
            _("不能超过 %(limit)s 个字（现为 %(length)s 个）") % {"limit": limit, "length": len(s)},
            field,
        )
    return s


def _bounds(low, high) -> str:
    if low is not None and high is not None:
        return f"{low}–{high}"
    if low is not None:
        return _("不小于 %(low)s") % {"low": low}
    return _("不大于 %(high)s") % {"high": high}


def integer(
    value: Any,
    field: str,
    *,
    label: Label = "",
    low: int | None = None,
    high: int | None = None,
    required: Label | bool = False,
) -> int | None:
    """A whole number within ``low``–``high``; blank gives ``None`` unless ``required`` (its message)."""
    if _blank(value):
        if required:
            raise _missing(field, required, label)
        return None
    try:
        number = float(str(value).strip()) if not isinstance(value, int) else value
    except (TypeError, ValueError):
        number = None
    if number is None or isinstance(value, bool) or not float(number).is_integer():
        raise DomainError("invalid", _("%(label)s必须是整数") % {"label": label or _("该项")}, field)
    number = int(number)
    if (low is not None and number < low) or (high is not None and number > high):
        raise DomainError(
            "invalid",
            _("%(label)s应为 %(bounds)s") % {"label": label or _("该项"), "bounds": _bounds(low, high)},
            field,
        )
    return number


def decimal(
    value: Any,
    field: str,
    *,
    label: Label = "",
    low: Decimal | None = None,
    high: Decimal | None = None,
    required: Label | bool = False,
) -> Decimal | None:
    """A finite decimal number within ``low``–``high``; blank gives ``None`` unless ``required``."""
    if _blank(value):
        if required:
            raise _missing(field, required, label)
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError):
        number = None
    if number is None or not number.is_finite():
        raise DomainError("invalid", _("%(label)s必须是数字") % {"label": label or _("该项")}, field)
    if (low is not None and number < low) or (high is not None and number > high):
        raise DomainError(
            "invalid",
            _("%(label)s超出范围（%(bounds)s）")
            % {"label": label or _("该项"), "bounds": _bounds(low, high)},
            field,
        )
    return number


def choice(value: Any, field: str, choices: type[models.TextChoices], *, label: Label = "") -> str:
    """One of ``choices``, given by its code or by its label (``head`` or ``户主``)."""
    s = "" if value is None else str(value).strip()
    if s in choices.values:
        return s
    for code, shown in choices.choices:
        if s == str(shown):
            return code
    allowed = "、".join(str(shown) for _code, shown in choices.choices)
    raise DomainError(
        "invalid_choice",
        _("%(label)s「%(value)s」不是可选值（可选：%(allowed)s）")
        % {"label": label or "", "value": s, "allowed": allowed},
        field,
    )


def a_date(value: Any, field: str, *, required: Label | bool = False, label: Label = "") -> date | None:
    """A date as ``2026-01-31`` (also ``2026/1/31``, ``2026.1.31``, a ``date`` or a spreadsheet date)."""
    if _blank(value):
        if required:
            raise _missing(field, required, label)
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    s = str(value).strip().replace("/", "-").replace(".", "-")
    try:
        parts = [int(p) for p in s.split("-")]
        return date(*parts) if len(parts) == 3 else date.fromisoformat(s)
    except (TypeError, ValueError):
        raise DomainError(
            "invalid_date",
            _("日期「%(value)s」格式不正确（应为 2026-01-31 这样的格式）") % {"value": value},
            field,
        ) from None


def a_moment(value: Any, field: str, *, required: Label | bool = False, label: Label = "") -> datetime | None:
    """A moment as ISO 8601 (``2026-11-22T20:15`` from a datetime-local input, or with an offset), or a
    ``datetime``; one without a zone is in the site's time zone. Blank gives ``None`` unless ``required``."""
    from django.utils import timezone

    if _blank(value):
        if required:
            raise _missing(field, required, label)
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise DomainError("invalid", _("时间格式不正确"), field) from None
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def a_time(value: Any, field: str) -> time:
    """A time of day as ``HH:MM`` (seconds dropped)."""
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0)
    try:
        return time.fromisoformat(str(value).strip()).replace(second=0, microsecond=0)
    except ValueError:
        raise DomainError(
            "invalid", _("时间「%(value)s」格式不正确（HH:MM）") % {"value": value}, field
        ) from None


# ---------------------------------------------------------------- the last guard on every save

_TEXT_FIELDS: dict[type, list[tuple[str, str, int]]] = {}


def _bounded_text_fields(model: type[models.Model]) -> list[tuple[str, str, int]]:
    fields = _TEXT_FIELDS.get(model)
    if fields is None:
        fields = _TEXT_FIELDS[model] = [
            (f.attname, f.name, f.max_length)
            for f in model._meta.concrete_fields
            if isinstance(f, (models.CharField, models.TextField))
            and f.max_length
            and not type(f).__name__.startswith("Encrypted")  # ciphertext; its cleaner bounds the value
        ]
    return fields


def refuse_text_over_limit(sender, instance, raw: bool = False, **kwargs) -> None:  # noqa: ARG001
    """``pre_save`` of every gridgov model: a text longer than its field's ``max_length`` is refused as
    ``too_long`` on that field, whatever path wrote it — the actions clean each value first with the same
    limit, so this only ever stops a path that forgot to (and keeps PostgreSQL's own refusal of an
    over-long ``varchar`` from becoming a 500)."""
    if raw:
        return
    for attname, name, max_length in _bounded_text_fields(sender):
        value = getattr(instance, attname, None)
        if isinstance(value, str) and len(value) > max_length:
            raise DomainError(
                "too_long",
                _("不能超过 %(limit)s 个字（现为 %(length)s 个）")
                % {"limit": max_length, "length": len(value)},
                name,
            )
