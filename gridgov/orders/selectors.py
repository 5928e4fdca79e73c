"""Reads of the catalogue and of orders, always scoped: the catalogue's active items are open to everyone;
residents see their own orders, staff the orders of their area subtree, provider units the orders
dispatched to them (now or as the one that delivered). Anything else does not exist (404)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Case as DbCase
from django.db.models import Count, F, Q, QuerySet, Sum, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts.models import STAFF_ROLES, Role
from gridgov.areas.models import Area
from gridgov.core.errors import DomainError, NotFound
from gridgov.core.scope import command_staff_in_scope, in_scope, is_staff, scope_prefixes, scope_q
from gridgov.core.workflow import Rating
from gridgov.orders.models import Order, ServiceItem, ServiceSlot, State

MAX_SLOT_DAYS = 62  # how far ahead places can be listed and booked


# ---------------------------------------------------------------- who is who


def is_provider_handler(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.role == Role.UNIT)


def may_order(user) -> bool:
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.role in (Role.RESIDENT, Role.VOLUNTEER)
    )


def may_manage_area(user, area_code: str) -> bool:
    """Catalogue managers: admins, and district/street/community staff for items of their subtree."""
    return command_staff_in_scope(user, area_code)


# ---------------------------------------------------------------- catalogue


def items_visible_to(user) -> QuerySet[ServiceItem]:
    """Active items for everyone; a manager also sees the inactive items of their scope."""
    qs = ServiceItem.objects.select_related("category", "area").prefetch_related("providers", "schedules")
    visible = Q(is_active=True, category__is_active=True)
    if user is not None and getattr(user, "is_authenticated", False):
        if user.is_admin:
            return qs
        if user.role in (Role.DISTRICT, Role.STREET, Role.COMMUNITY):
            visible |= scope_q(user, "area_code")
    return qs.filter(visible)


def item_list(
    user, *, category: str | None = None, area: str | None = None, q: str | None = None
) -> QuerySet[ServiceItem]:
    qs = items_visible_to(user)
    if category:
        qs = qs.filter(category__code=category)
    if area:
        # Items offered for this area: its own, and those of the areas above it (a street's service
        # reaches its communities).
        prefixes = [area[:n] for n in (6, 9, 12, 15) if n <= len(area)]
        qs = qs.filter(area_code__in=prefixes)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(description__icontains=q))
    return qs


def item_get(user, pk) -> ServiceItem:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound(_("服务项目不存在"), field="item") from None
    item = items_visible_to(user).filter(pk=pk).first()
    if item is None:
        raise NotFound(_("服务项目不存在或已停用"), field="item")
    return item


@dataclass
class SlotView:
    """A bookable session: a materialised slot, or one not yet booked by anyone (no row, all places free)."""

    item_id: int
    date: date
    start: time
    end: time
    capacity: int
    taken: int
    id: int | None = None

    @property
    def free(self) -> int:
        return max(self.capacity - self.taken, 0)

    @property
    def key(self) -> str:
        return f"{self.date:%Y-%m-%d}T{self.start:%H:%M}"

    @property
    def weekday(self) -> int:
        return self.date.weekday()

    @property
    def starts_at(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.date, self.start))

    @property
    def ends_at(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.date, self.end))


def slot_options(item: ServiceItem, start: date | None = None, end: date | None = None, now=None):
    """The item's future sessions from ``start`` to ``end`` (default: the next four weeks) with free
    places. Listing writes nothing: sessions nobody booked yet have no row."""
    now = timezone.localtime(now or timezone.now())
    start = max(start or now.date(), now.date())
    end = end or start + timedelta(days=27)
    if end < start:
        raise DomainError("invalid", _("结束日期不能早于开始日期"), "end")
    end = min(end, now.date() + timedelta(days=MAX_SLOT_DAYS))
    rows = list(item.schedules.all())
    if not rows:
        return []
    stored = {
        (s.date, s.start): s for s in ServiceSlot.objects.filter(item=item, date__gte=start, date__lte=end)
    }
    out: list[SlotView] = []
    day = start
    while day <= end:
        for row in sorted(rows, key=lambda r: r.start):
            if row.weekday != day.weekday():
                continue
            begins = timezone.make_aware(datetime.combine(day, row.start))
            if begins <= now:
                continue
            slot = stored.get((day, row.start))
            if slot is not None:
                out.append(SlotView(item.pk, day, slot.start, slot.end, slot.capacity, slot.taken, slot.pk))
            else:
                out.append(SlotView(item.pk, day, row.start, row.end, row.capacity, 0))
        day += timedelta(days=1)
    return out


# ---------------------------------------------------------------- orders


def orders_visible_to(user) -> QuerySet[Order]:
    qs = Order.objects.all()
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return qs.none()
    if user.is_admin:
        return qs
    if user.role in STAFF_ROLES:
        return qs.filter(scope_q(user, "area_code")) if user.area_id else qs.none()
    if user.role == Role.UNIT:
        return qs.filter(provider_unit_id=user.unit_id) if user.unit_id else qs.none()
    return qs.filter(resident=user)


def order_is_visible(user, order: Order) -> bool:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_admin:
        return True
    if user.role in STAFF_ROLES:
        return bool(user.area_id) and in_scope(user, order.area_code)
    if user.role == Role.UNIT:
        return bool(user.unit_id) and order.provider_unit_id == user.unit_id
    return order.resident_id == user.pk


def order_files_visible(user, order_id: int) -> bool:
    """Who may open an order's delivery photos (registered with core.uploads): whoever sees the order."""
    return orders_visible_to(user).filter(pk=order_id).exists()


def order_get_visible(user, ref: str) -> Order:
    order = (
        orders_visible_to(user)
        .select_related("item__category", "item__area", "slot", "area", "provider_unit", "resident")
        .prefetch_related("item__providers")
        .filter(ref=ref)
        .first()
    )
    if order is None:
        raise NotFound(_("服务单 %(ref)s 不存在或不在您的管辖范围内") % {"ref": ref}, field="ref")
    return order


def _due_expression():
    return DbCase(
        When(state=State.DISPATCHED, then=F("accept_due")),
        When(state=State.ACCEPTED, then=F("deliver_due")),
        default=None,
    )


def order_list(
    user,
    *,
    state: str | None = None,
    category: str | None = None,
    provider: int | None = None,
    overdue: bool | None = None,
    area: str | None = None,
    open_only: bool = False,
) -> QuerySet[Order]:
    """The orders ``user`` may see, the most urgent first: what runs against a deadline by its deadline,
    then the new orders waiting for dispatch, then the rest, newest first."""
    qs = orders_visible_to(user).select_related("item__category", "area", "provider_unit", "slot")
    if state:
        qs = qs.filter(state__in=[s for s in state.split(",") if s])
    if open_only:
        qs = qs.filter(state__in=[State.ORDERED, State.DISPATCHED, State.ACCEPTED, State.DELIVERED])
    if category:
        qs = qs.filter(item__category__code=category)
    if provider:
        qs = qs.filter(provider_unit_id=provider)
    if area:
        qs = qs.filter(area_code__startswith=area)
    if overdue is True:
        qs = qs.filter(sla="overdue")
    elif overdue is False:
        qs = qs.exclude(sla="overdue")
    return qs.annotate(
        due_at=_due_expression(),
        waiting=DbCase(When(state=State.ORDERED, then=0), default=1),
    ).order_by(F("due_at").asc(nulls_last=True), "waiting", "-created_at", "-id")


# ---------------------------------------------------------------- statistics


@dataclass
class StatRow:
    key: str
    name: str
    placed: int = 0  # orders placed in the period
    orders: int = 0  # 人次: orders delivered (and those closed after delivery)
    rated: int = 0
    satisfied: int = 0
    basic: int = 0
    unsatisfied: int = 0
    on_time: int = 0
    declines: int = 0
    unserved: int = 0
    cancelled: int = 0

    @property
    def satisfaction_rate(self) -> float | None:
        return round((self.satisfied + self.basic) / self.rated, 4) if self.rated else None

    @property
    def on_time_rate(self) -> float | None:
        return round(self.on_time / self.orders, 4) if self.orders else None

    def as_dict(self) -> dict:
        return {
            **{k: getattr(self, k) for k in self.__dataclass_fields__},
            "satisfaction_rate": self.satisfaction_rate,
            "on_time_rate": self.on_time_rate,
        }


@dataclass
class Stats:
    area: str | None
    area_name: str
    start: date
    end: date
    group_by: str
    totals: StatRow
    groups: list[StatRow]

    def as_dict(self) -> dict:
        return {
            "area": self.area,
            "area_name": self.area_name,
            "start": self.start,
            "end": self.end,
            "group_by": self.group_by,
            "totals": self.totals.as_dict(),
            "groups": [g.as_dict() for g in self.groups],
        }


def _stats_area(user, area: str | None) -> tuple[str | None, str]:
    if area:
        found = Area.objects.filter(code=area).first()
        if found is None or not in_scope(user, found.code):
            raise NotFound(_("区域 %(code)s 不存在或不在您的管辖范围内") % {"code": area}, field="area")
        return found.code, found.name
    prefixes = scope_prefixes(user)
    if prefixes is None:
        return None, _("全部")
    return user.area.code, user.area.name


def order_stats(user, *, area: str | None, start: date, end: date, group_by: str = "category") -> Stats:
    """Orders placed from ``start`` to ``end`` (local dates, inclusive) in ``area``'s subtree, per service
    category or per provider unit: 人次 (delivered or closed), satisfaction (满意+基本满意 over rated)
    and on-time delivery (delivered by the deadline, over 人次)."""
    if not is_staff(user):
        raise DomainError("forbidden", _("只有工作人员可以查看服务统计"), status=403)
    if group_by not in ("category", "provider"):
        raise DomainError("invalid", _("分组方式只能是 category 或 provider"), "group_by")
    if end < start:
        raise DomainError("invalid", _("结束日期不能早于开始日期"), "end")
    code, name = _stats_area(user, area)
    tz = timezone.get_current_timezone()
    lo = datetime.combine(start, time.min, tzinfo=tz)
    hi = datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz)
    qs = orders_visible_to(user).filter(created_at__gte=lo, created_at__lt=hi)
    if code:
        qs = qs.filter(area_code__startswith=code)
    if group_by == "category":
        key, label = "item__category__code", "item__category__name"
    else:
        key, label = "provider_unit_id", "provider_unit__name"
    served = Q(state__in=[State.DELIVERED, State.CLOSED], delivered_at__isnull=False)
    rows = (
        qs.values(key, label)
        .annotate(
            placed=Count("id"),
            orders=Count("id", filter=served),
            rated=Count("id", filter=~Q(rating="")),
            satisfied=Count("id", filter=Q(rating=Rating.SATISFIED)),
            basic=Count("id", filter=Q(rating=Rating.BASIC)),
            unsatisfied=Count("id", filter=Q(rating=Rating.UNSATISFIED)),
            on_time=Count("id", filter=served & Q(delivered_on_time=True)),
            unserved=Count("id", filter=Q(state=State.UNSERVED)),
            cancelled=Count("id", filter=Q(state=State.CANCELLED)),
            declines=Coalesce(Sum("decline_count"), 0),
        )
        .order_by(label)
    )
    fields = (
        "placed",
        "orders",
        "rated",
        "satisfied",
        "basic",
        "unsatisfied",
        "on_time",
        "declines",
        "unserved",
        "cancelled",
    )
    groups: list[StatRow] = []
    totals = StatRow("", _("合计"))
    for r in rows:
        row = StatRow(
            key=str(r[key]) if r[key] is not None else "",
            name=r[label] or _("（未派单）"),
            **{f: r[f] for f in fields},
        )
        groups.append(row)
        for f in fields:
            setattr(totals, f, getattr(totals, f) + getattr(row, f))
    return Stats(code, name, start, end, group_by, totals, groups)
