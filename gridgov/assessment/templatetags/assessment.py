"""Figures on the assessment pages: ``{{ value|plain }}`` shows a kept decimal (``"4.0000"``) as a person
reads it (``4``); ``{{ total|kept }}`` a total or score as kept, to 0.01. No figure is ``—``."""

from __future__ import annotations

from django import template

from gridgov.assessment.presenters import plain as plain_figure

register = template.Library()


@register.filter
def plain(value) -> str:
    return plain_figure(value)


@register.filter
def kept(value) -> str:
    """A total or score as kept (to 0.01: ``98.50``); no figure is ``—``."""
    return "—" if value is None or value == "" else str(value)
