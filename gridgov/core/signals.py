"""Signals other modules listen to.

``calendar_year_configured`` is sent, after the transaction commits, whenever the working-day calendar
of a year changes: a year's schedule imported (``calendar_import_year``), a year marked configured or
unconfigured, or a single date overridden or cleared. Keyword argument: ``year`` (int). The sender is
``gridgov.core.models.CalendarYear``. Core's receiver recomputes, for every workflow, the deadlines that
were provisional (``gridgov.core.deadlines.recompute_provisional``, as a background job).
"""

from __future__ import annotations

from django.dispatch import Signal, receiver

calendar_year_configured = Signal()


@receiver(calendar_year_configured)
def recompute_deadlines(sender, year: int, **kwargs):  # noqa: ARG001
    from gridgov.core.tasks import recompute_provisional_task

    recompute_provisional_task.delay(year)
