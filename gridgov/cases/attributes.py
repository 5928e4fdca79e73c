"""Category attributes: checking their definitions and the values a report gives for them.

A category may ask for more than a description and a place — a licence plate for illegal parking, a meter
number for a water leak. Its attributes (``CategoryAttribute``) and those of its ancestors apply; they
are the service definition an Open311 client reads. Values are stored on the case (``Case.attributes``,
by attribute code) in a plain form: text as given (trimmed), a number as its decimal text, a moment as ISO
8601 with its offset, a choice as its key, several choices as a list of keys.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.cases import category_cache
from gridgov.cases.category_cache import Attribute
from gridgov.cases.models import LIST_TYPES, AttributeType, Category, CategoryAttribute
from gridgov.core import cleaners
from gridgov.core.errors import DomainError

# The longest value of a free-text attribute: one line (string) or several (text).
STRING_LIMIT = 200
TEXT_LIMIT = 1000
# The choices of a list attribute: at most this many, each key a short code and each name a short label.
MAX_CHOICES = 100
KEY_PATTERN = re.compile(r"^[\w.-]{1,40}$")
NAME_LIMIT = 60
# The largest number a number attribute holds, in digits before and after the point.
NUMBER_DIGITS = 15


def attributes_of(category: Category) -> tuple[Attribute, ...]:
    """What a report of ``category`` (an active category) may say beyond its description."""
    return category_cache.attributes_of(category.pk)


def field_name(code: str) -> str:
    """How a refusal names an attribute: as Open311 clients send it, ``attribute[code]``."""
    return f"attribute[{code}]"


def check_definition(attribute: CategoryAttribute) -> None:
    """An attribute's choices fit its datatype: a list type has 1–100 choices ``{"key", "name"}`` with
    distinct keys; the other types have none. Raises ``ValidationError`` on ``values`` (the admin form)."""
    values = attribute.values
    if attribute.datatype not in LIST_TYPES:
        if values:
            raise ValidationError({"values": _("只有单选、多选属性可以设置可选值")})
        return
    if not isinstance(values, list) or not values:
        raise ValidationError({"values": _("单选、多选属性至少要有一个可选值")})
    if len(values) > MAX_CHOICES:
        raise ValidationError({"values": _("可选值不能超过 %(count)s 个") % {"count": MAX_CHOICES}})
    keys = set()
    for value in values:
        if not isinstance(value, dict) or set(value) != {"key", "name"}:
            raise ValidationError({"values": _('每个可选值应为 {"key": "代码", "name": "名称"}')})
        key, name = value["key"], value["name"]
        if not isinstance(key, str) or not KEY_PATTERN.match(key):
            raise ValidationError(
                {
                    "values": _("可选值代码「%(key)s」无效（1–40 个字母、数字、下划线、点或连字符）")
                    % {"key": key}
                }
            )
        if not isinstance(name, str) or not name.strip() or len(name) > NAME_LIMIT:
            raise ValidationError(
                {
                    "values": _("可选值「%(key)s」的名称应为 1–%(limit)s 个字")
                    % {"key": key, "limit": NAME_LIMIT}
                }
            )
        if key in keys:
            raise ValidationError({"values": _("可选值代码「%(key)s」重复") % {"key": key}})
        keys.add(key)


def clean_attributes(category: Category, given: Mapping[str, Any]) -> dict[str, Any]:
    """The values to store for ``category``'s attributes, from what a report gave (code → value; a list for
    several choices). Refuses an attribute the category does not have, a missing required one and a value
    that does not fit, each as a 400 naming ``attribute[code]``."""
    attributes = attributes_of(category)
    known = {a.code for a in attributes}
    for code in given:
        if code not in known:
            raise DomainError(
                "unknown_attribute",
                _("「%(category)s」类事项没有「%(code)s」这一项") % {"category": category.name, "code": code},
                field_name(str(code)),
            )
    cleaned: dict[str, Any] = {}
    for attribute in attributes:
        value = _clean(attribute, given.get(attribute.code))
        if value is None:
            if attribute.required:
                raise DomainError(
                    "required", _("请填写%(label)s") % {"label": attribute.label}, field_name(attribute.code)
                )
            continue
        cleaned[attribute.code] = value
    return cleaned


def shown_attributes(case) -> list[tuple[str, str]]:
    """A case's attribute values for the people who handle it: (label, value) in the category's order; a
    choice by its name; a value whose attribute is gone by its code."""
    defined = {a.code: a for a in category_cache.attributes_of(case.category_id)}
    order = list(defined)
    shown = []
    for code, value in sorted((case.attributes or {}).items(), key=lambda kv: _position(order, kv[0])):
        attribute = defined.get(code)
        names = dict(attribute.values) if attribute is not None else {}
        values = value if isinstance(value, list) else [value]
        text = "、".join(str(names.get(v, v)) for v in values)
        shown.append((attribute.label if attribute is not None else code, text))
    return shown


def _position(order: list[str], code: str) -> tuple[int, str]:
    return (order.index(code) if code in order else len(order), code)


def _blank(value: Any) -> bool:
    return value is None or value == [] or (isinstance(value, str) and not value.strip())


def _clean(attribute: Attribute, value: Any) -> Any:
    """One attribute's value as stored, or ``None`` when none was given."""
    if _blank(value):
        return None
    field = field_name(attribute.code)
    if attribute.datatype == AttributeType.MULTI:
        values = value if isinstance(value, list) else [value]
        keys: list[str] = []
        for one in values:
            key = _choice(attribute, one, field)
            if key is not None and key not in keys:
                keys.append(key)
        return keys or None
    if isinstance(value, list):
        if len(value) != 1:
            raise DomainError("invalid", _("%(label)s只能填一个值") % {"label": attribute.label}, field)
        value = value[0]
        if _blank(value):
            return None
    if isinstance(value, dict | bool):
        raise DomainError("invalid", _("%(label)s的值无效") % {"label": attribute.label}, field)
    if attribute.datatype == AttributeType.SINGLE:
        return _choice(attribute, value, field)
    if attribute.datatype == AttributeType.NUMBER:
        number = cleaners.decimal(value, field, label=attribute.label)
        digits = number.as_tuple()
        if len(digits.digits) > 2 * NUMBER_DIGITS or abs(number) >= Decimal(10) ** NUMBER_DIGITS:
            raise DomainError("invalid", _("%(label)s超出可保存的范围") % {"label": attribute.label}, field)
        return str(number)
    if attribute.datatype == AttributeType.DATETIME:
        moment = cleaners.a_moment(str(value), field, label=attribute.label)
        return timezone.localtime(moment).isoformat(timespec="seconds")
    limit = TEXT_LIMIT if attribute.datatype == AttributeType.TEXT else STRING_LIMIT
    return cleaners.text(value, field, limit=limit) or None


def _choice(attribute: Attribute, value: Any, field: str) -> str | None:
    if _blank(value):
        return None
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise DomainError("invalid", _("%(label)s的值无效") % {"label": attribute.label}, field)
    key = str(value).strip()
    keys = [k for k, _name in attribute.values]
    if key not in keys:
        names = {name: k for k, name in attribute.values}
        if key in names:  # the choice's name is as good as its key
            return names[key]
        allowed = "、".join(f"{k}（{name}）" for k, name in attribute.values)
        raise DomainError(
            "invalid_choice",
            _("%(label)s「%(value)s」不是可选值（可选：%(allowed)s）")
            % {"label": attribute.label, "value": key[:40], "allowed": allowed},
            field,
        )
    return key
