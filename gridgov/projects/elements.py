"""The project data elements (SPEC M11 over M8): projects completed and completed on schedule in a period,
and the 双报到 compliance of co-building units, by area or by unit.

- ``projects.completed`` / ``projects.completed_on_schedule``: projects completed in the period (now
  completed or closed), by their area or by their owner unit; on schedule is completed on or before the
  planned end date (the project's deadline, docs/projects.md), or without one. One grouped statement over
  the projects.
- ``projects.units_registered`` / ``projects.units_compliant``: the 双报到 report (``compliance_report``) for
  each group — the active co-building units (kind partner) serving within the area plus every unit owning a
  project there of the year (in progress, completed, closed), and of those the units that completed at least
  N projects there (N from the nearest ``CoBuildingRule`` up the tree, community then street; none: 1). The
  year is the year the period ends in, and a project counts as completed once completed before the period's
  end. By unit: whether the unit is such a unit at all, and whether it completed N projects of the year in
  its own service area. One statement over the areas of the pool (or the units), each group's units counted
  in a subquery — a unit may count in several areas, so the units are not grouped themselves.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import (
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, Length, Substr, TruncDate
from django.db.models.lookups import GreaterThanOrEqual
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.models import Unit
from gridgov.areas.models import Area
from gridgov.core import elements as registry
from gridgov.core.elements import AREA, UNIT, Basis, Element, Grouping, Key, Source, counted, grouped
from gridgov.core.periods import Period
from gridgov.projects.models import CoBuildingRule, Project
from gridgov.projects.selectors import DEFAULT_REQUIRED, DONE_STATES, TAKEN_STATES

PROJECT = "projects.Project"
UNIT_MODEL = "accounts.Unit"
BOTH = frozenset({AREA, UNIT})

_PROJECT_COUNTS = (
    (
        "completed",
        _("完成项目数"),
        _("本期完成的项目（目前已完成或已关闭）；按单位计时归承办单位"),
    ),
    (
        "completed_on_schedule",
        _("按期完成项目数"),
        _("本期完成的项目中在计划完成日期当天或之前完成的（没有计划完成日期的也算按期）"),
    ),
)
_UNIT_COUNTS = (
    (
        "units_registered",
        _("双报到单位数"),
        _(
            "同双报到情况表：服务区域在本区域内的在用共建单位，加上在本区域承办了本年度项目（实施中、已完成、"
            "已关闭）的单位；年度为期末所在年。按单位计：该单位是否为这样的单位"
        ),
    ),
    (
        "units_compliant",
        _("双报到达标单位数"),
        _(
            "双报到单位中，截至期末在本区域完成本年度项目数达到要求（最近的社区或街道规则，默认 1 个）的单位；"
            "按单位计：是否在其服务区域内达标"
        ),
    ),
)
PROJECT_COUNTS = tuple(name for name, _label, _help in _PROJECT_COUNTS)
UNIT_COUNTS = tuple(name for name, _label, _help in _UNIT_COUNTS)


class _Count(Subquery):
    """The number of rows a subquery returns."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) counted)"
    output_field = IntegerField()


# ---------------------------------------------------------------- projects completed


def project_conditions() -> dict[str, Q]:
    local_day = TruncDate("completed_at", tzinfo=timezone.get_default_timezone())
    return {
        "completed": Q(),
        "completed_on_schedule": Q(end_date__isnull=True) | Q(end_date__gte=local_day),
    }


def projects(grouping: Grouping, period: Period, basis: Basis) -> QuerySet[Project]:
    """The projects counted: completed in the period, in the pool's areas or owned by the pool's units."""
    qs = Project.objects.filter(
        state__in=DONE_STATES, completed_at__gte=period.begin, completed_at__lt=period.finish
    )
    if grouping.kind == UNIT:
        qs = qs.filter(owner_unit_id__in=grouping.units)
    else:
        qs = qs.filter(grouping.area_q("area_code"))
    excluded = basis.excluded_ids(PROJECT)
    return qs.exclude(pk__in=excluded) if excluded else qs


def _count_projects(wanted, grouping, period, basis, out) -> None:
    key = F("owner_unit_id") if grouping.kind == UNIT else grouping.area_key("area_code")
    grouped(projects(grouping, period, basis), key, counted(project_conditions(), wanted), "projects", out)


# ---------------------------------------------------------------- 双报到


def required(code) -> Coalesce:
    """N for the area whose code is ``code`` (an expression): the rule of its community, else of its street
    (``selectors.required_projects``), else 1."""
    rules = [
        Subquery(
            CoBuildingRule.objects.annotate(length=Length("area__code"))
            .filter(length=n, area__code=Substr(code, 1, n))
            .values("required_projects")[:1]
        )
        for n in (12, 9)
    ]
    return Coalesce(*rules, Value(DEFAULT_REQUIRED), output_field=IntegerField())


def unit_conditions(
    *, partner_within, taken_within, done_within, n, year: int, period: Period
) -> tuple[Q, Q]:
    """On a query of units: (registered, compliant). ``partner_within``: the code of the area a partner
    unit's service area must lie in (None: anywhere); ``taken_within`` / ``done_within``: the code of the
    area the unit's projects must lie in, as an expression inside the projects' subquery (``taken_within``
    None: anywhere); ``n``: the number of projects required."""
    own = {"owner_unit_id": OuterRef("pk"), "year": year}
    taken = Project.objects.filter(state__in=TAKEN_STATES, **own)
    if taken_within is not None:
        taken = taken.filter(area_code__startswith=taken_within)
    done = Project.objects.filter(
        state__in=DONE_STATES, completed_at__lt=period.finish, area_code__startswith=done_within, **own
    )
    partner = Q(kind=Unit.Kind.PARTNER, is_active=True)
    if partner_within is not None:
        partner &= Q(area__code__startswith=partner_within)
    registered = partner | Q(Exists(taken))
    compliant = registered & Q(GreaterThanOrEqual(_Count(done.order_by().values("pk")), n))
    return registered, compliant


def pool_areas(grouping: Grouping) -> QuerySet[Area]:
    """The groups of an area pool as rows of the area tree (retired areas too: their rows stay)."""
    return Area.objects.annotate(length=Length("code")).filter(
        grouping.area_q("code"), length=grouping.length
    )


def _count_units(wanted, grouping, period, out) -> None:
    year = period.end.year
    if grouping.kind == UNIT:
        registered, compliant = unit_conditions(
            partner_within=None,
            taken_within=None,
            done_within=OuterRef("area__code"),
            n=F("required"),
            year=year,
            period=period,
        )
        where = {"units_registered": registered, "units_compliant": compliant}
        units = Unit.objects.filter(pk__in=grouping.units).annotate(required=required(OuterRef("area__code")))
        grouped(units, F("pk"), counted(where, wanted), "projects", out)
        return
    registered, compliant = unit_conditions(
        partner_within=OuterRef("code"),
        taken_within=OuterRef(OuterRef("code")),
        done_within=OuterRef(OuterRef("code")),
        n=OuterRef("required"),
        year=year,
        period=period,
    )
    where = {"units_registered": registered, "units_compliant": compliant}
    rows = (
        pool_areas(grouping)
        .annotate(required=required(OuterRef("code")))
        .annotate(**{n: _Count(Unit.objects.filter(where[n]).order_by().values("pk")) for n in wanted})
        .order_by()
        .values("code", *wanted)
    )
    for row in rows:
        for n in wanted:
            out.setdefault(f"projects.{n}", {})[row["code"]] = row[n]


def _unit_rows(name: str, grouping: Grouping, key: Key, period: Period) -> QuerySet[Unit]:
    year = period.end.year
    if grouping.kind == UNIT:
        if key not in grouping.units:
            return Unit.objects.none()
        units = Unit.objects.filter(pk=key).annotate(required=required(OuterRef("area__code")))
        registered, compliant = unit_conditions(
            partner_within=None,
            taken_within=None,
            done_within=OuterRef("area__code"),
            n=F("required"),
            year=year,
            period=period,
        )
    else:
        place = (
            pool_areas(grouping)
            .filter(grouping.key_q("code", key), code=str(key))
            .annotate(required=required(OuterRef("code")))
            .first()
        )
        if place is None:
            return Unit.objects.none()
        registered, compliant = unit_conditions(
            partner_within=place.code,
            taken_within=place.code,
            done_within=place.code,
            n=place.required,
            year=year,
            period=period,
        )
        units = Unit.objects.all()
    where = registered if name == "units_registered" else compliant
    return units.filter(where).select_related("area").order_by("name", "pk")


# ---------------------------------------------------------------- the source


def count(
    names: Sequence[str], grouping: Grouping, period: Period, basis: Basis
) -> dict[str, dict[Key, int]]:
    wanted = [n.split(".", 1)[1] for n in names]
    out: dict[str, dict[Key, int]] = {}
    of_projects = [n for n in wanted if n in PROJECT_COUNTS]
    of_units = [n for n in wanted if n in UNIT_COUNTS]
    if of_projects:
        _count_projects(of_projects, grouping, period, basis, out)
    if of_units:
        _count_units(of_units, grouping, period, out)
    return out


def rows(name: str, grouping: Grouping, key: Key, period: Period, basis: Basis) -> QuerySet:
    count_name = name.split(".", 1)[1]
    if count_name in UNIT_COUNTS:
        return _unit_rows(count_name, grouping, key, period)
    group = grouping.key_q("owner_unit_id" if grouping.kind == UNIT else "area_code", key)
    return (
        projects(grouping, period, basis)
        .filter(group, project_conditions()[count_name])
        .select_related("owner_unit")
        .order_by("completed_at", "pk")
    )


def describe(row) -> dict:
    """A project by its title; a unit by its name (organisations, not people)."""
    if isinstance(row, Unit):
        return {"ref": str(row.pk), "url": "", "title": row.name, "state": row.get_kind_display(), "at": None}
    return {
        "ref": str(row.pk),
        "url": row.get_absolute_url(),
        "title": row.title,
        "state": row.get_state_display(),
        "at": row.completed_at,
    }


SOURCE = Source(
    app="projects",
    elements=tuple(
        Element(f"projects.{name}", label, help_text, PROJECT, BOTH)
        for name, label, help_text in _PROJECT_COUNTS
    )
    + tuple(
        Element(f"projects.{name}", label, help_text, UNIT_MODEL, BOTH)
        for name, label, help_text in _UNIT_COUNTS
    ),
    count=count,
    rows=rows,
    describe=describe,
)


def register() -> None:
    registry.register(SOURCE)
