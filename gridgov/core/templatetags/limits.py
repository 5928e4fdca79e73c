"""``{% field_limit "orders.Order" "note" %}``: a form field's ``maxlength`` from the model field, the one
place its maximum length is declared (``core.cleaners``)."""

from __future__ import annotations

from django import template
from django.apps import apps

from gridgov.core.cleaners import REASON_LIMIT, limit

register = template.Library()


@register.simple_tag
def field_limit(model: str, name: str) -> int:
    return limit(apps.get_model(model), name)


@register.simple_tag
def reason_limit() -> int:
    """The maximum length of a reason or note given with a workflow step."""
    return REASON_LIMIT


QUERY_LIMIT = 100  # a search word, a token or a code typed into a filter


@register.simple_tag
def query_limit() -> int:
    """The maximum length of what is typed into a search or filter field."""
    return QUERY_LIMIT
