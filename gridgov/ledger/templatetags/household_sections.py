"""``{% household_section section %}``: render one registered section of the household page (see
``gridgov.ledger.sections``) as ``{% include %}`` would, with the section's own context added."""

from __future__ import annotations

from django import template

from gridgov.ledger.sections import RenderedSection

register = template.Library()


@register.simple_tag(takes_context=True)
def household_section(context, section: RenderedSection):
    partial = context.template.engine.get_template(section.template)
    with context.push(**section.context):
        return partial.render(context)
