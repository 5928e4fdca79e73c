"""Template context shared by every page."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

# Who is told that a year's holiday schedule is missing: those who can import it or answer for deadlines.
CALENDAR_WARNED_ROLES = frozenset({"district"})


def calendar_warnings(request) -> dict:
    """``calendar_warnings``: for admins and district staff, one message per year (current or next)
    whose holiday schedule is unknown, so deadlines there are only provisional (Monday–Friday)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    if not (getattr(user, "is_admin", False) or getattr(user, "role", "") in CALENDAR_WARNED_ROLES):
        return {}
    from gridgov.core.calendar import years_needing_configuration

    warnings = [
        _("%(year)s 年的节假日安排尚未配置，截止时间按周一至周五临时计算，请导入国务院办公厅公布的安排")
        % {"year": year}
        for year in years_needing_configuration()
    ]
    # Only system administrators import (the calendar actions refuse everyone else): they get the link.
    may_import = bool(warnings) and getattr(user, "is_admin", False)
    return {
        "calendar_warnings": warnings,
        "calendar_import_url": reverse("calendar:import") if may_import else "",
    }
