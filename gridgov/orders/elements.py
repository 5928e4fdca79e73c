"""The service-order data elements (SPEC M11 over M7): the figures of the order statistics
(``selectors.order_stats``, docs/orders.md "Statistics") for any period, by area or by the unit that
delivered, counted in one grouped statement.

As on the statistics page, the counts follow the orders placed in the period: 人次 (``orders.delivered``)
are those delivered (state delivered or closed, with a delivery moment), on time is ``delivered_on_time``
(delivered by the deadline, set when delivered), satisfied is 满意 or 基本满意 (``core.workflow.Rating``). By
unit an order counts for its provider unit — the unit that delivered it — so only the delivered counts are
offered by unit.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from gridgov.core import elements as registry
from gridgov.core.elements import AREA, UNIT, Basis, Element, Grouping, Key, Source, asked, counted, grouped
from gridgov.core.periods import Period
from gridgov.core.workflow import Rating
from gridgov.orders.models import Order, State

ORDER = "orders.Order"
BOTH = frozenset({AREA, UNIT})
SATISFIED = (Rating.SATISFIED, Rating.BASIC)

# (count, label, definition, kinds)
_COUNTS = (
    ("placed", _("点单数"), _("本期点单的服务单（含已取消、无法服务的）"), frozenset({AREA})),
    (
        "delivered",
        _("服务人次"),
        _("本期点单、已服务完成的服务单（已服务或已结单）；按单位计时归服务单位"),
        BOTH,
    ),
    ("delivered_on_time", _("按时服务数"), _("本期点单、在服务时限内完成服务的服务单"), BOTH),
    ("rated", _("服务评价数"), _("本期点单、居民已评价的服务单"), BOTH),
    ("satisfied", _("服务满意数"), _("本期点单、评价为满意或基本满意的服务单"), BOTH),
)
COUNTS = tuple(name for name, _label, _help, _kinds in _COUNTS)
KINDS = {name: kinds for name, _label, _help, kinds in _COUNTS}


def conditions() -> dict[str, Q]:
    """The conditions of ``order_stats`` (``served``, ``on_time``, ``rated``, satisfied + basic)."""
    served = Q(state__in=[State.DELIVERED, State.CLOSED], delivered_at__isnull=False)
    return {
        "placed": Q(),
        "delivered": served,
        "delivered_on_time": served & Q(delivered_on_time=True),
        "rated": ~Q(rating=""),
        "satisfied": Q(rating__in=SATISFIED),
    }


def orders(grouping: Grouping, period: Period, basis: Basis) -> QuerySet[Order]:
    """The orders counted: placed in the period, in the pool's areas or delivered by the pool's units."""
    qs = Order.objects.filter(created_at__gte=period.begin, created_at__lt=period.finish)
    if grouping.kind == UNIT:
        qs = qs.filter(provider_unit_id__in=grouping.units)
    else:
        qs = qs.filter(grouping.area_q("area_code"))
    excluded = basis.excluded_ids(ORDER)
    return qs.exclude(pk__in=excluded) if excluded else qs


def count(
    names: Sequence[str], grouping: Grouping, period: Period, basis: Basis
) -> dict[str, dict[Key, int]]:
    wanted = [n for n in asked(names, COUNTS) if grouping.kind in KINDS[n]]
    if not wanted:
        return {}
    key = F("provider_unit_id") if grouping.kind == UNIT else grouping.area_key("area_code")
    return grouped(orders(grouping, period, basis), key, counted(conditions(), wanted), "orders")


def rows(name: str, grouping: Grouping, key: Key, period: Period, basis: Basis) -> QuerySet[Order]:
    group = grouping.key_q("provider_unit_id" if grouping.kind == UNIT else "area_code", key)
    return (
        orders(grouping, period, basis)
        .filter(group, conditions()[name.split(".", 1)[1]])
        .select_related("item", "provider_unit")
        .order_by("created_at", "pk")
    )


def describe(row: Order) -> dict:
    """An order by its number and the service ordered (never the resident or the contact)."""
    return {
        "ref": row.ref,
        "url": row.get_absolute_url(),
        "title": row.item.name,
        "state": row.get_state_display(),
        "at": row.created_at,
    }


SOURCE = Source(
    app="orders",
    elements=tuple(
        Element(f"orders.{name}", label, help_text, ORDER, kinds) for name, label, help_text, kinds in _COUNTS
    ),
    count=count,
    rows=rows,
    describe=describe,
)


def register() -> None:
    registry.register(SOURCE)
