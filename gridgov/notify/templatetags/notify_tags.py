"""The unread-message count in the navigation (``{% load notify_tags %}``)."""

from __future__ import annotations

from django import template

from gridgov.notify.selectors import unread_count as _unread_count

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_count(context) -> int:
    """``{% unread_count as n %}``: the signed-in account's unread messages (0 when signed out)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    return _unread_count(user)
