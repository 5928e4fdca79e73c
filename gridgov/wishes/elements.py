"""The micro-wish data elements (SPEC M11 over M8): the wishes published on the wall in a period and what
became of them, by area, in one grouped statement.

The counts follow the wishes published in the period (as the case elements follow the cases reported in
it): ``wishes.fulfilled`` and ``wishes.fulfilled_in_time`` are subsets of ``wishes.posted``, so 微心愿按时实现率
reads ``fulfilled_in_time ÷ posted``. In time is the 时限制 of docs/wishes.md: claimed within the claim limit
and fulfilled within each claim's fulfil limit — the wish never flagged by the sweep (超时未认领, 超时未认满,
a claim released late), no claim holding a place made after the claim deadline, none fulfilled after its
own deadline.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from gridgov.core import elements as registry
from gridgov.core.elements import AREA, Basis, Element, Grouping, Key, Source, asked, counted, grouped
from gridgov.core.periods import Period
from gridgov.wishes.models import HOLDING, State, Wish, WishClaim

WISH = "wishes.Wish"
FULFILLED_STATES = (State.FULFILLED, State.CLOSED)

_COUNTS = (
    ("posted", _("发布心愿数"), _("本期发布到心愿墙的微心愿（后来转入需求清单的不计）")),
    ("fulfilled", _("实现心愿数"), _("本期发布的微心愿中已完成的（已完成待确认或已确认）")),
    (
        "fulfilled_in_time",
        _("按时实现心愿数"),
        _(
            "本期发布、已完成的微心愿中认领和完成都在时限内的：未被超时标记（超时未认领、超时未认满、认领超时"
            "释放），占名额的认领都在认领截止前认领、在各自的完成截止前完成"
        ),
    ),
)
COUNTS = tuple(name for name, _label, _help in _COUNTS)


def conditions() -> dict[str, Q]:
    fulfilled = Q(state__in=FULFILLED_STATES)
    late_claim = WishClaim.objects.filter(wish_id=OuterRef("pk"), state__in=HOLDING).filter(
        Q(claimed_at__gt=OuterRef("claim_due")) | Q(fulfilled_at__gt=F("fulfil_due"))
    )
    return {
        "posted": Q(),
        "fulfilled": fulfilled,
        "fulfilled_in_time": fulfilled & Q(flagged=False) & ~Q(Exists(late_claim)),
    }


def wishes(grouping: Grouping, period: Period, basis: Basis) -> QuerySet[Wish]:
    """The wishes counted: published in the period, in the pool's areas, not moved to the needs list."""
    qs = Wish.objects.filter(
        grouping.area_q("area_code"), published_at__gte=period.begin, published_at__lt=period.finish
    ).exclude(state=State.TRANSFERRED)
    excluded = basis.excluded_ids(WISH)
    return qs.exclude(pk__in=excluded) if excluded else qs


def count(
    names: Sequence[str], grouping: Grouping, period: Period, basis: Basis
) -> dict[str, dict[Key, int]]:
    wanted = asked(names, COUNTS)
    if grouping.kind != AREA or not wanted:
        return {}
    qs = wishes(grouping, period, basis)
    return grouped(qs, grouping.area_key("area_code"), counted(conditions(), wanted), "wishes")


def rows(name: str, grouping: Grouping, key: Key, period: Period, basis: Basis) -> QuerySet[Wish]:
    return (
        wishes(grouping, period, basis)
        .filter(grouping.key_q("area_code", key), conditions()[name.split(".", 1)[1]])
        .select_related("category", "area")
        .order_by("published_at", "pk")
    )


def describe(row: Wish) -> dict:
    """A wish by its number and its title as the public wall shows it (never the wisher)."""
    return {
        "ref": row.ref,
        "url": row.get_absolute_url(),
        "title": row.title,
        "state": row.get_state_display(),
        "at": row.published_at,
    }


SOURCE = Source(
    app="wishes",
    elements=tuple(
        Element(f"wishes.{name}", label, help_text, WISH, frozenset({AREA}))
        for name, label, help_text in _COUNTS
    ),
    count=count,
    rows=rows,
    describe=describe,
)


def register() -> None:
    registry.register(SOURCE)
