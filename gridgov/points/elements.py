"""The volunteer-service data elements (SPEC M11 over M9): hours of volunteer service and the volunteers who
served, by the area of the task, in one grouped statement over the sign-ups.

Both follow the points summary (``selectors.summary``, docs/points.md): a task belongs to the period it
starts in, and a sign-up confirmed attended counts with its hours — the task's duration, or the hours staff
entered (0–168). A later correction of the points leaves the sign-up attended and its hours counted, as on
the volunteer's own page.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.models import User
from gridgov.core import elements as registry
from gridgov.core.elements import AREA, Basis, Element, Grouping, Key, Source, asked, grouped
from gridgov.core.periods import Period
from gridgov.points.models import Signup, SignupState

SIGNUP = "points.Signup"
HOURS = Decimal("0.01")

_COUNTS = (
    (
        "volunteer_hours",
        _("志愿服务时长"),
        _("本期开始的志愿任务中确认参加者的服务时长之和（小时；任务时长或工作人员填写的时长）"),
        SIGNUP,
    ),
    (
        "volunteers_served",
        _("参加志愿服务人数"),
        _("本期开始的志愿任务中确认参加的志愿者（同一人只计一次）"),
        "accounts.User",
    ),
)
COUNTS = tuple(name for name, _label, _help, _model in _COUNTS)


def attended(grouping: Grouping, period: Period, basis: Basis) -> QuerySet[Signup]:
    """The sign-ups counted: attended, of tasks starting in the period in the pool's areas."""
    qs = Signup.objects.filter(
        grouping.area_q("task__area_code"),
        state=SignupState.ATTENDED,
        task__starts_at__gte=period.begin,
        task__starts_at__lt=period.finish,
    )
    excluded = basis.excluded_ids(SIGNUP)
    return qs.exclude(pk__in=excluded) if excluded else qs


def count(
    names: Sequence[str], grouping: Grouping, period: Period, basis: Basis
) -> dict[str, dict[Key, Decimal | int]]:
    wanted = asked(names, COUNTS)
    if grouping.kind != AREA or not wanted:
        return {}
    aggregates = {
        "volunteer_hours": Sum("hours"),
        "volunteers_served": Count("volunteer_id", distinct=True),
    }
    key = grouping.area_key("task__area_code")
    out = grouped(attended(grouping, period, basis), key, {n: aggregates[n] for n in wanted}, "points")
    for group, value in out.get("points.volunteer_hours", {}).items():
        out["points.volunteer_hours"][group] = Decimal(value).quantize(HOURS)
    return out


def rows(name: str, grouping: Grouping, key: Key, period: Period, basis: Basis) -> QuerySet:
    signups = attended(grouping, period, basis).filter(grouping.key_q("task__area_code", key))
    if name == "points.volunteers_served":
        # The volunteers, each with the tasks attended and hours served in the group (no names shown).
        counted = Q(signups__in=signups.values("pk"))
        return (
            User.objects.filter(pk__in=signups.values("volunteer_id"))
            .annotate(
                served_tasks=Count("signups", filter=counted),
                served_hours=Sum("signups__hours", filter=counted),
            )
            .order_by("pk")
        )
    return signups.select_related("task").order_by("task__starts_at", "task_id", "pk")


def describe(row) -> dict:
    """A sign-up by its task; a volunteer by a number and what they did — never a name."""
    if isinstance(row, User):
        hours = Decimal(getattr(row, "served_hours", None) or 0).quantize(HOURS)
        return {
            "ref": str(row.pk),
            "url": "",
            "title": gettext("志愿者 %(ref)s") % {"ref": row.pk},
            "state": gettext("参加 %(tasks)s 次，%(hours)s 小时")
            % {"tasks": getattr(row, "served_tasks", 0), "hours": hours},
            "at": None,
        }
    return {
        "ref": str(row.task_id),
        "url": row.task.get_absolute_url(),
        "title": row.task.title,
        "state": gettext("%(hours)s 小时") % {"hours": row.hours},
        "at": row.task.starts_at,
    }


SOURCE = Source(
    app="points",
    elements=tuple(
        Element(f"points.{name}", label, help_text, model, frozenset({AREA}))
        for name, label, help_text, model in _COUNTS
    ),
    count=count,
    rows=rows,
    describe=describe,
)


def register() -> None:
    registry.register(SOURCE)
