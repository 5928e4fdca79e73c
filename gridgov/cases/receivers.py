from __future__ import annotations

from django.dispatch import receiver

from gridgov.core.signals import calendar_year_configured


@receiver(calendar_year_configured)
def recompute_deadlines(sender, year: int, **kwargs):  # noqa: ARG001
    from gridgov.cases.tasks import recompute_provisional_task

    recompute_provisional_task.delay(year)
