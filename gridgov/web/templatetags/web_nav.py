"""``{% main_nav as nav %}``: the role-aware navigation of :mod:`gridgov.web.nav` for the current request."""

from django import template

from gridgov.web.nav import navigation

register = template.Library()


@register.simple_tag(takes_context=True)
def main_nav(context) -> dict:
    request = context.get("request")
    user = context.get("user") or getattr(request, "user", None)
    return navigation(user, getattr(request, "resolver_match", None))
