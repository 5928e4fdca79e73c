"""The deliberation data elements (SPEC M11 over M10): topics raised, items a meeting decided and passed in a
period, decisions carried out and residents' ratings of them, by area — one grouped statement per table
(topics, agenda items, decisions with their ratings).

A topic counts where it was raised (its area), an agenda item by its topic's area (a street meeting may
decide a grid's topic), a resident-wide poll is not an agenda item. A decision keeps no moment of being
carried out, so ``decisions_carried_out`` and ``decision_ratings`` are stocks: the decisions standing 办理中
or 已办结 now and every rating they have.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from gridgov.core import elements as registry
from gridgov.core.elements import AREA, Basis, Element, Grouping, Key, Source, grouped
from gridgov.core.periods import Period
from gridgov.deliberation.models import (
    AgendaItem,
    Decision,
    DecisionRating,
    DecisionState,
    ItemResult,
    Topic,
)

TOPIC, ITEM = "deliberation.Topic", "deliberation.AgendaItem"
DECISION, RATING = "deliberation.Decision", "deliberation.DecisionRating"
CARRIED = (DecisionState.CARRYING_OUT, DecisionState.DONE)

# (count, label, definition, model, stock)
_COUNTS = (
    (
        "topics_raised",
        _("提出议题数"),
        _("本期提出的议题（居民、党员或工作人员提出，或事件转入）"),
        TOPIC,
        False,
    ),
    (
        "items_decided",
        _("表决议题数"),
        _("本期议事会表决的议程（通过或未通过；按议题所在区域）"),
        ITEM,
        False,
    ),
    ("items_passed", _("表决通过议题数"), _("本期议事会表决通过的议程"), ITEM, False),
    ("decisions_carried_out", _("议事决定办理数"), _("目前办理中或已办结的议事决定"), DECISION, True),
    (
        "decision_ratings",
        _("议事决定评价数"),
        _("居民对目前办理中或已办结的议事决定的评价（每人一次）"),
        RATING,
        True,
    ),
)
COUNTS = tuple(name for name, _label, _help, _model, _stock in _COUNTS)


def _exclude(qs: QuerySet, basis: Basis, model: str) -> QuerySet:
    excluded = basis.excluded_ids(model)
    return qs.exclude(pk__in=excluded) if excluded else qs


def topics(grouping: Grouping, period: Period, basis: Basis) -> QuerySet[Topic]:
    qs = Topic.objects.filter(
        grouping.area_q("area_code"), created_at__gte=period.begin, created_at__lt=period.finish
    )
    return _exclude(qs, basis, TOPIC)


def items(grouping: Grouping, period: Period, basis: Basis) -> QuerySet[AgendaItem]:
    qs = AgendaItem.objects.filter(
        grouping.area_q("topic__area_code"), decided_at__gte=period.begin, decided_at__lt=period.finish
    ).exclude(result=ItemResult.PENDING)
    return _exclude(qs, basis, ITEM)


def decisions(grouping: Grouping, basis: Basis) -> QuerySet[Decision]:
    qs = Decision.objects.filter(grouping.area_q("area_code"), state__in=CARRIED)
    return _exclude(qs, basis, DECISION)


def _grouped(qs: QuerySet, grouping: Grouping, field: str, aggregates: dict, out: dict) -> None:
    grouped(qs, grouping.area_key(field), aggregates, "deliberation", out)


def count(
    names: Sequence[str], grouping: Grouping, period: Period, basis: Basis
) -> dict[str, dict[Key, int]]:
    wanted = {n.split(".", 1)[1] for n in names} & set(COUNTS)
    out: dict[str, dict[Key, int]] = {}
    if grouping.kind != AREA or not wanted:
        return out
    if "topics_raised" in wanted:
        _grouped(topics(grouping, period, basis), grouping, "area_code", {"topics_raised": Count("pk")}, out)
    of_items = {"items_decided": Count("pk"), "items_passed": Count("pk", filter=Q(result=ItemResult.PASSED))}
    if wanted & set(of_items):
        aggregates = {n: a for n, a in of_items.items() if n in wanted}
        _grouped(items(grouping, period, basis), grouping, "topic__area_code", aggregates, out)
    # Decisions and their ratings in one statement: the join repeats a decision per rating, hence distinct.
    of_decisions = {"decisions_carried_out": Count("pk", distinct=True), "decision_ratings": Count("ratings")}
    if wanted & set(of_decisions):
        aggregates = {n: a for n, a in of_decisions.items() if n in wanted}
        _grouped(decisions(grouping, basis), grouping, "area_code", aggregates, out)
    return out


def rows(name: str, grouping: Grouping, key: Key, period: Period, basis: Basis) -> QuerySet:
    n = name.split(".", 1)[1]
    if n == "topics_raised":
        qs = topics(grouping, period, basis).filter(grouping.key_q("area_code", key))
        return qs.order_by("created_at", "pk")
    if n in ("items_decided", "items_passed"):
        qs = items(grouping, period, basis).filter(grouping.key_q("topic__area_code", key))
        if n == "items_passed":
            qs = qs.filter(result=ItemResult.PASSED)
        return qs.select_related("topic").order_by("decided_at", "pk")
    carried = decisions(grouping, basis).filter(grouping.key_q("area_code", key))
    if n == "decisions_carried_out":
        return carried.select_related("topic").order_by("published_at", "pk")
    ratings = DecisionRating.objects.filter(decision__in=carried.values("pk"))
    return ratings.select_related("decision__topic").order_by("at", "pk")


def describe(row) -> dict:
    """Everything by its topic's number and title (public, as on the showcase): never a resident's name."""
    if isinstance(row, Topic):
        topic, state, at = row, row.get_state_display(), row.created_at
    elif isinstance(row, AgendaItem):
        topic, state, at = row.topic, row.get_result_display(), row.decided_at
    elif isinstance(row, Decision):
        topic, state, at = row.topic, row.get_state_display(), row.published_at
    else:
        topic, state, at = row.decision.topic, gettext("%(score)s 分") % {"score": row.score}, row.at
    return {"ref": topic.ref, "url": topic.get_absolute_url(), "title": topic.title, "state": state, "at": at}


SOURCE = Source(
    app="deliberation",
    elements=tuple(
        Element(f"deliberation.{name}", label, help_text, model, frozenset({AREA}), stock)
        for name, label, help_text, model, stock in _COUNTS
    ),
    count=count,
    rows=rows,
    describe=describe,
)


def register() -> None:
    registry.register(SOURCE)
