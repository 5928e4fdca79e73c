"""The assessment sweep (``core.deadlines.register_sweep``): for each active scheme that asks for it
(``freeze_after_days`` set), open the round of the period that has begun, and freeze each open round once
its period has been over for that many days — so a monthly ranking runs without anyone pressing a button."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from gridgov.assessment import actions
from gridgov.assessment.models import Round, RoundState, Scheme
from gridgov.core.deadlines import register_sweep
from gridgov.core.periods import Period


@register_sweep("assessment")
def assessment_sweep(now: datetime) -> dict:
    today = timezone.localdate(now)
    opened = frozen = 0
    schemes = Scheme.objects.filter(is_active=True, freeze_after_days__isnull=False)
    for scheme in schemes:
        period = Period.of(scheme.period_kind, today)
        if (
            not Round.objects.filter(scheme=scheme, period=period.key).exists()
            and scheme.items.filter(is_active=True).exists()
        ):
            actions.round_open(by=None, scheme=scheme.pk, period=period.key)
            opened += 1
        due = today - timedelta(days=scheme.freeze_after_days)
        for rnd in Round.objects.filter(scheme=scheme, state=RoundState.OPEN, end__lt=due).order_by("start"):
            actions.round_freeze(by=None, round=rnd.pk, now=now)
            frozen += 1
    return {"opened": opened, "frozen": frozen}
