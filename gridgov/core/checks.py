from __future__ import annotations

from django.conf import settings
from django.core.checks import Warning, register

DEMO_SECRET_PREFIX = "gridgov-demo-secret-key"
DEMO_FIELD_KEY = "Z3JpZGdvdi1kZW1vLWZpZWxkLWtleS0wMDAwMDAwMDA="


@register(deploy=True)
def demo_keys_in_production(app_configs, **kwargs):  # noqa: ARG001
    problems = []
    if settings.SECRET_KEY.startswith(DEMO_SECRET_PREFIX):
        problems.append(Warning("GRIDGOV_SECRET_KEY is the demo key", id="gridgov.W001"))
    if DEMO_FIELD_KEY in settings.FIELD_KEY:
        problems.append(Warning("GRIDGOV_FIELD_KEY still contains the demo key", id="gridgov.W002"))
    return problems
