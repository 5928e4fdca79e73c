"""``{% pager_query as q %}``: the list page's parameters other than ``page`` (``core.pages.list_query``),
for the pager's links when the view does not give them."""

from __future__ import annotations

from django import template

from gridgov.core.pages import list_query

register = template.Library()


@register.simple_tag(takes_context=True)
def pager_query(context) -> str:
    request = context.get("request")
    return list_query(request) if request is not None else ""
