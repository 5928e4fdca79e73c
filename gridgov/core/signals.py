"""Signals other modules listen to.

``calendar_year_configured`` is sent, after the transaction commits, whenever the working-day calendar
of a year changes: a year's schedule imported (``calendar_import_year``), a year marked configured or
unconfigured, or a single date overridden or cleared. Keyword argument: ``year`` (int). The sender is
``gridgov.core.models.CalendarYear``. Receivers (the cases module) recompute the deadlines that were
provisional or that fall in that year.
"""

from __future__ import annotations

from django.dispatch import Signal

calendar_year_configured = Signal()
