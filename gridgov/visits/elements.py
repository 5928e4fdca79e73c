"""The visit data elements (SPEC M11 over M4): the figures of the coverage page (docs/visits.md, "Coverage")
for any period and any pool of areas, counted in one grouped statement over the households.

The coverage selector walks the must-visit households in Python; here the same definitions are written as
SQL (the rules, the day a household became subject to each, and its visits compared as local calendar
days), so ``visits.must_visit`` and ``visits.must_visit_on_time`` answer exactly as ``coverage`` does for the
same area and period (tested on both databases):

- *must visit*: an active household registered before the period's end that has been subject to at least
  one active **tag** rule since a day on or before the last day judged (the period's end, or today while
  the period runs). The every-household rule is a baseline, counted by coverage, not a must-visit rule.
- *on time*: such a household that was never overdue on any day judged — from the later of the period's
  start and the day it became subject, to the last day judged — under each of its tag rules. Overdue on day
  *d* under a rule: ``max(day it became subject, its latest visit before d) + interval < d``.

"Came due in the period" is read this way (docs/visits.md): a household under a rule is due again and again
while the rule holds, so the period's must-visit households are those under a tag rule, and on time means
every due date the period held was met.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.db.models import (
    Exists,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Substr, TruncDate
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.core import elements as registry
from gridgov.core.elements import AREA, Basis, Element, Grouping, Key, Source, asked, counted, grouped
from gridgov.core.periods import Period, PeriodKind
from gridgov.ledger.models import Household, TagAssignment
from gridgov.visits.models import Visit, VisitRule

HOUSEHOLD = "ledger.Household"
EPOCH = date(1970, 1, 1)

# (count, label, definition, stock)
_COUNTS = (
    (
        "households",
        _("在册户数"),
        _("期末前登记、目前在用的户（同走访覆盖率的“户数”；户的停用没有历史记录，按现状计）"),
        True,
    ),
    (
        "households_visited",
        _("已走访户数"),
        _("在册户中本期至少走访过一次的户（任何类型、任何走访人；同走访覆盖率的“已走访”）"),
        False,
    ),
    (
        "must_visit",
        _("应走访重点户数"),
        _(
            "在册户中，截至期末（本期未结束时截至今天）已适用至少一条在用标签必访规则的户：户或其在册成员带有"
            "该标签。“全部住户”规则不算必访。同走访覆盖率的“重点户”"
        ),
        False,
    ),
    (
        "must_visit_on_time",
        _("按时走访重点户数"),
        _(
            "应走访重点户中，本期内（至期末或今天）按其每条标签规则都从未逾期的户：每个到期日（上次走访日或"
            "认定日加走访周期）当天或之前都再次走访了。同走访覆盖率的“按时走访”"
        ),
        False,
    ),
)
COUNTS = tuple(name for name, _label, _help, _stock in _COUNTS)


class _Days(Func):
    """A date as the number of days since 1970-01-01, so that dates subtract the same way on SQLite and
    PostgreSQL (a visit's local day against a rule's interval)."""

    output_field = IntegerField()
    template = "(%(expressions)s - DATE '1970-01-01')"

    def as_sqlite(self, compiler, connection, **extra_context):
        template = "CAST(julianday(%(expressions)s) - 2440587.5 AS INTEGER)"
        return super().as_sql(compiler, connection, template=template, **extra_context)


def _days(day: date) -> int:
    return (day - EPOCH).days


def _visit_day() -> _Days:
    """The local calendar day of a visit (docs/visits.md: dates are Asia/Shanghai days)."""
    return _Days(TruncDate("visited_at", tzinfo=timezone.get_default_timezone()))


def _minus(left, right) -> ExpressionWrapper:
    return ExpressionWrapper(left - right, output_field=IntegerField())


def _plus(left, right) -> ExpressionWrapper:
    return ExpressionWrapper(left + right, output_field=IntegerField())


def last_day(period: Period, now) -> date:
    """The last day judged: the period's end, or today while the period runs."""
    return min(period.end, timezone.localtime(now, timezone.get_default_timezone()).date())


def subject_rules(last: date) -> QuerySet[VisitRule]:
    """Inside a query of households: the active tag rules of the household's district it has been subject
    to since ``last`` at the latest, each with ``since_day``, the day it became subject (the earliest
    ``since`` of the tag on the household or an active member)."""
    household = OuterRef(OuterRef("pk"))
    since = (
        TagAssignment.objects.filter(
            Q(household_id=household) | Q(resident__household_id=household, resident__is_active=True),
            tag_id=OuterRef("tag_id"),
        )
        .order_by("since")
        .values("since")[:1]
    )
    return (
        VisitRule.objects.filter(
            is_active=True,
            tag__isnull=False,
            tag__is_active=True,
            district__code=Substr(OuterRef("area_code"), 1, 6),
        )
        .annotate(since=Subquery(since))
        .filter(since__lte=last)
        .annotate(since_day=_Days(F("since")))
    )


def _overdue(start: date, last: date) -> Q:
    """On a subject rule (see :func:`subject_rules`): the household was overdue under it on some day from
    max(start, since) to ``last`` — overdue on day d when max(since, its latest visit before d) + interval
    < d. A late stretch ends on the day of a visit (no earlier visit within the interval before it, and
    the household subject for longer than the interval) or runs on to the last day, so it is enough to look
    at the days visits came in the window and at the last day."""
    start_day, last_day_ = _days(start), _days(last)
    if start_day > last_day_:  # a period not begun: no day is judged
        return Q(pk__in=[])
    visits = Visit.objects.annotate(day=_visit_day())
    before_visit = visits.filter(
        household_id=OuterRef("household_id"),
        day__lt=OuterRef("day"),
        day__gte=_minus(OuterRef("day"), OuterRef(OuterRef("interval_days"))),
    )
    days = Period(PeriodKind.CUSTOM, start, last)
    late_visit = visits.filter(
        household_id=OuterRef(OuterRef("pk")),
        visited_at__gte=days.begin,  # the days start … last, on the (household, visited_at) index
        visited_at__lt=days.finish,
        day__gt=_plus(OuterRef("since_day"), OuterRef("interval_days")),
    ).filter(~Exists(before_visit))
    before_last = visits.filter(
        household_id=OuterRef(OuterRef("pk")),
        day__lt=last_day_,
        day__gte=_minus(Value(last_day_), OuterRef("interval_days")),
    )
    late_at_the_end = Q(since_day__lt=_minus(Value(last_day_), F("interval_days"))) & ~Q(Exists(before_last))
    return Q(Exists(late_visit)) | late_at_the_end


def conditions(period: Period, basis: Basis) -> dict[str, Q]:
    """Each count's condition on a query of households (see :func:`households`)."""
    last = last_day(period, basis.now)
    visited = Visit.objects.filter(
        household_id=OuterRef("pk"), visited_at__gte=period.begin, visited_at__lt=period.finish
    )
    must = Exists(subject_rules(last))
    late = Exists(subject_rules(last).filter(_overdue(period.start, last)))
    return {
        "households": Q(),
        "households_visited": Q(Exists(visited)),
        "must_visit": Q(must),
        "must_visit_on_time": Q(must) & ~Q(late),
    }


def households(grouping: Grouping, period: Period, basis: Basis) -> QuerySet[Household]:
    """The households counted: active, registered before the period's end, in the pool's areas."""
    qs = Household.objects.filter(grouping.area_q("area_code"), is_active=True, created_at__lt=period.finish)
    excluded = basis.excluded_ids(HOUSEHOLD)
    return qs.exclude(pk__in=excluded) if excluded else qs


def count(
    names: Sequence[str], grouping: Grouping, period: Period, basis: Basis
) -> dict[str, dict[Key, int]]:
    wanted = asked(names, COUNTS)
    if grouping.kind != AREA or not wanted:
        return {}
    qs = households(grouping, period, basis)
    return grouped(qs, grouping.area_key("area_code"), counted(conditions(period, basis), wanted), "visits")


def rows(name: str, grouping: Grouping, key: Key, period: Period, basis: Basis) -> QuerySet[Household]:
    where = conditions(period, basis)[name.split(".", 1)[1]]
    return (
        households(grouping, period, basis)
        .filter(grouping.key_q("area_code", key), where)
        .select_related("building")
        .order_by("area_code", "building__code", "unit", "room", "pk")
    )


def describe(row: Household) -> dict:
    """A household by its address label (楼栋、单元、室), never by the people living there."""
    return {
        "ref": str(row.pk),
        "url": reverse("ledger:household", args=[row.pk]),
        "title": row.label,
        "state": "",
        "at": None,
    }


SOURCE = Source(
    app="visits",
    elements=tuple(
        Element(f"visits.{name}", label, help_text, HOUSEHOLD, frozenset({AREA}), stock)
        for name, label, help_text, stock in _COUNTS
    ),
    count=count,
    rows=rows,
    describe=describe,
)


def register() -> None:
    registry.register(SOURCE)
