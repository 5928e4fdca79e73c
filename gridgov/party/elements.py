"""The party-building data elements (SPEC M11 over M6): household contacts (包联覆盖), red property ratings,
branches and their 三会一课, confirmed reports of in-work members, by area — one grouped statement per table
(households, ratings, organisations, reports). Outcomes only: a meeting counts because it was held, never
for who signed in.

Stocks are counted as the rows stand now (the ledger and the organisation keep no history of contacts or of
an organisation's active flag): households with a contact, active branches, confirmed reports. A property
rating belongs to the property company's area (the smallest area holding all it manages); a branch's
三会一课 are those it and its groups held in the period (``selectors.QUARTER_RULE``: a congress, a lecture,
three committee and three group meetings — a quarter's rule, so read it over a quarter).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.lookups import GreaterThanOrEqual
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from gridgov.core import elements as registry
from gridgov.core.elements import AREA, Basis, Element, Grouping, Key, Source, grouped
from gridgov.core.periods import Period
from gridgov.ledger.models import Household
from gridgov.party.models import Activity, MemberReport, Org, OrgKind, PropertyRating, ReportState
from gridgov.party.selectors import QUARTER_RULE

HOUSEHOLD, RATING, ORG, REPORT = "ledger.Household", "party.PropertyRating", "party.Org", "party.MemberReport"

# (count, label, definition, model, stock)
_COUNTS = (
    (
        "households_with_contact",
        _("有包联人的户数"),
        _("期末前登记、目前在用且目前有包联人（党员或网格员）的户"),
        HOUSEHOLD,
        True,
    ),
    (
        "property_ratings",
        _("红色物业评价数"),
        _("居民对本区域红色物业本期各月的评价（每人每月一次）"),
        RATING,
        False,
    ),
    (
        "property_score_total",
        _("红色物业评分合计"),
        _("上述评价的分数之和（1–5 分），除以评价数即平均分"),
        RATING,
        False,
    ),
    ("branches", _("党支部数"), _("目前在用的党支部"), ORG, True),
    (
        "branches_meeting_rules",
        _("三会一课达标党支部数"),
        _(
            "目前在用的党支部中，本期（按季度要求）召开了支部党员大会、党课各 1 次，支部委员会、党小组会"
            "（含所属党小组）各 3 次的"
        ),
        ORG,
        False,
    ),
    (
        "member_reports_confirmed",
        _("在职党员报到数"),
        _("目前已确认的在职党员到社区报到"),
        REPORT,
        True,
    ),
)
COUNTS = tuple(name for name, _label, _help, _model, _stock in _COUNTS)
MODELS = {name: model for name, _label, _help, model, _stock in _COUNTS}


class _Count(Subquery):
    """The number of rows a subquery returns."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) counted)"
    output_field = IntegerField()


def _exclude(qs: QuerySet, basis: Basis, model: str) -> QuerySet:
    excluded = basis.excluded_ids(model)
    return qs.exclude(pk__in=excluded) if excluded else qs


def households(grouping: Grouping, period: Period, basis: Basis) -> QuerySet[Household]:
    qs = Household.objects.filter(
        grouping.area_q("area_code"),
        is_active=True,
        created_at__lt=period.finish,
        party_contact__isnull=False,
    )
    return _exclude(qs, basis, HOUSEHOLD)


def ratings(grouping: Grouping, period: Period, basis: Basis) -> QuerySet[PropertyRating]:
    """The ratings of the months the period touches, of property companies in the pool's areas."""
    qs = PropertyRating.objects.filter(
        grouping.area_q("property__area_code"), month__gte=period.start.replace(day=1), month__lte=period.end
    )
    return _exclude(qs, basis, RATING)


def branches(grouping: Grouping, basis: Basis) -> QuerySet[Org]:
    qs = Org.objects.filter(grouping.area_q("area_code"), kind=OrgKind.BRANCH, is_active=True)
    return _exclude(qs, basis, ORG)


def meeting_rules(period: Period) -> Q:
    """On a query of branches: every meeting of 三会一课 held (by the branch, or a group meeting by one of its
    groups) as often as the rule asks, in the period."""
    q = Q()
    for kind, times in QUARTER_RULE.items():
        held = Activity.objects.filter(
            Q(org_id=OuterRef("pk")) | Q(org__parent_id=OuterRef("pk"), org__kind=OrgKind.GROUP),
            kind=kind,
            held_on__gte=period.start,
            held_on__lte=period.end,
        )
        q &= Q(GreaterThanOrEqual(_Count(held.order_by().values("pk")), times))
    return q


def reports(grouping: Grouping, basis: Basis) -> QuerySet[MemberReport]:
    qs = MemberReport.objects.filter(grouping.area_q("area_code"), state=ReportState.CONFIRMED)
    return _exclude(qs, basis, REPORT)


def _grouped(qs: QuerySet, grouping: Grouping, field: str, aggregates: dict, out: dict) -> None:
    grouped(qs, grouping.area_key(field), aggregates, "party", out)


def count(
    names: Sequence[str], grouping: Grouping, period: Period, basis: Basis
) -> dict[str, dict[Key, int]]:
    wanted = {n.split(".", 1)[1] for n in names} & set(COUNTS)
    out: dict[str, dict[Key, int]] = {}
    if grouping.kind != AREA or not wanted:
        return out
    if "households_with_contact" in wanted:
        _grouped(
            households(grouping, period, basis),
            grouping,
            "area_code",
            {"households_with_contact": Count("pk")},
            out,
        )
    of_ratings = {"property_ratings": Count("pk"), "property_score_total": Sum("score")}
    if wanted & set(of_ratings):
        aggregates = {n: a for n, a in of_ratings.items() if n in wanted}
        _grouped(ratings(grouping, period, basis), grouping, "property__area_code", aggregates, out)
    of_branches = {
        "branches": Count("pk"),
        "branches_meeting_rules": Count("pk", filter=meeting_rules(period)),
    }
    if wanted & set(of_branches):
        aggregates = {n: a for n, a in of_branches.items() if n in wanted}
        _grouped(branches(grouping, basis), grouping, "area_code", aggregates, out)
    if "member_reports_confirmed" in wanted:
        _grouped(
            reports(grouping, basis), grouping, "area_code", {"member_reports_confirmed": Count("pk")}, out
        )
    return out


def rows(name: str, grouping: Grouping, key: Key, period: Period, basis: Basis) -> QuerySet:
    n = name.split(".", 1)[1]
    if n == "households_with_contact":
        qs = households(grouping, period, basis).filter(grouping.key_q("area_code", key))
        return qs.select_related("building").order_by("area_code", "building__code", "unit", "room", "pk")
    if n in ("property_ratings", "property_score_total"):
        qs = ratings(grouping, period, basis).filter(grouping.key_q("property__area_code", key))
        return qs.select_related("property__unit").order_by("month", "property_id", "pk")
    if n in ("branches", "branches_meeting_rules"):
        qs = branches(grouping, basis).filter(grouping.key_q("area_code", key))
        if n == "branches_meeting_rules":
            qs = qs.filter(meeting_rules(period))
        return qs.order_by("area_code", "name", "pk")
    qs = reports(grouping, basis).filter(grouping.key_q("area_code", key))
    return qs.select_related("unit").order_by("decided_at", "pk")


def describe(row) -> dict:
    """Households by address, ratings by company and score, branches by name, reports by work unit: never a
    resident's or a member's name."""
    if isinstance(row, Household):
        url = reverse("ledger:household", args=[row.pk])
        return {"ref": str(row.pk), "url": url, "title": row.label, "state": "", "at": None}
    if isinstance(row, PropertyRating):
        return {
            "ref": str(row.pk),
            "url": reverse("party:properties"),
            "title": row.property.unit.name,
            "state": gettext("%(score)s 分") % {"score": row.score},
            "at": row.month,
        }
    if isinstance(row, Org):
        return {
            "ref": str(row.pk),
            "url": row.get_absolute_url(),
            "title": row.name,
            "state": row.get_kind_display(),
            "at": None,
        }
    return {
        "ref": str(row.pk),
        "url": row.get_absolute_url(),
        "title": row.unit.name if row.unit_id else gettext("在职党员报到"),
        "state": row.get_state_display(),
        "at": row.decided_at,
    }


SOURCE = Source(
    app="party",
    elements=tuple(
        Element(f"party.{name}", label, help_text, model, frozenset({AREA}), stock)
        for name, label, help_text, model, stock in _COUNTS
    ),
    count=count,
    rows=rows,
    describe=describe,
)


def register() -> None:
    registry.register(SOURCE)
