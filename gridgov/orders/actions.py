"""Every write of the service catalogue and of service orders. Each order action loads and locks the order,
checks scope (404), state (409 with the actions the state admits), role (403) and required reason (400)
through the order machine, changes the order in one transaction, appends the timeline step (with its
audit entry) and notifies whom it concerns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils import timezone

from gridgov.accounts.models import Unit
from gridgov.accounts.selectors import area_staff, unit_handlers
from gridgov.areas.models import Area
from gridgov.core import uploads
from gridgov.core.calendar import MAX_AMOUNT, LimitUnit
from gridgov.core.crypto import blind_index
from gridgov.core.deadlines import due_with_warning, give_back_place, take_place
from gridgov.core.errors import Conflict, DomainError, NotFound
from gridgov.core.models import Upload
from gridgov.core.scope import is_command_staff
from gridgov.core.sequences import next_daily_number
from gridgov.core.timeline import step
from gridgov.core.validators import clean_text, normalise_phone
from gridgov.core.workflow import Rating
from gridgov.notify.actions import notify
from gridgov.notify.models import Kind
from gridgov.orders import selectors
from gridgov.orders.models import (
    Fee,
    Order,
    OrderRefCounter,
    ServiceItem,
    ServiceSchedule,
    ServiceSlot,
    Sla,
    State,
)
from gridgov.orders.workflow import MACHINE
from gridgov.services.selectors import active_category

# ---------------------------------------------------------------- helpers


def _now() -> datetime:
    return timezone.now()


def order_url(order: Order) -> str:
    return f"/orders/{order.ref}/"


def dispatch_area_code(order: Order) -> str:
    """Where an order is dispatched from: the community of its grid, else its own area (a street's)."""
    return order.area_code[:12] if len(order.area_code) >= 12 else order.area_code


def community_staff(order: Order) -> list:
    return area_staff(dispatch_area_code(order))


def _tell(users, kind: str, order: Order, title: str, body: str = "") -> None:
    notify(
        users=users,
        kind=kind,
        title=f"{order.ref} {title}",
        body=body or f"{order.item.name}：{order.note[:100]}",
        url=order_url(order),
    )


def _lock(ref: str, by) -> Order:
    """Lock the order row and check ``by`` may see it (404 otherwise)."""
    order = Order.objects.select_for_update().filter(ref=ref).first()
    if order is None or not selectors.order_is_visible(by, order):
        raise NotFound(f"服务单 {ref} 不存在或不在您的管辖范围内", field="ref")
    return order


def _text(value, field: str, *, required: str | None = None, limit: int = 2000) -> str:
    return clean_text(value, field, required=required, limit=limit)


def _next_ref(day: date) -> str:
    """The next order number of the day, taken in one upsert statement (inside the order's transaction,
    so an order that is refused leaves no gap)."""
    return f"FW-{day:%Y%m%d}-{next_daily_number(OrderRefCounter, day):06d}"


# ---------------------------------------------------------------- catalogue


def _decimal(value, field: str, *, label: str, low: Decimal, high: Decimal | None = None) -> Decimal:
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        raise DomainError("invalid", f"{label}必须是数字", field) from None
    if not d.is_finite() or d < low or (high is not None and d > high):
        bound = f"{low}–{high}" if high is not None else f"不小于 {low}"
        raise DomainError("invalid", f"{label}超出范围（{bound}）", field)
    return d


def _limit(amount, unit: str, field: str, label: str) -> tuple[Decimal, str]:
    if unit not in LimitUnit.values:
        raise DomainError("invalid", f"{label}单位「{unit}」无效", f"{field}_unit")
    d = _decimal(amount, f"{field}_limit", label=label, low=Decimal("0.01"), high=MAX_AMOUNT[unit])
    return d, unit


def _parse_time(value, field: str) -> time:
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0)
    try:
        return time.fromisoformat(str(value).strip())
    except ValueError:
        raise DomainError("invalid", f"时间「{value}」格式不正确（HH:MM）", field) from None


def _schedules(rows, field: str = "schedules") -> list[dict]:
    out: list[dict] = []
    seen: set[tuple[int, time]] = set()
    for i, row in enumerate(rows or []):
        f = f"{field}[{i}]"
        row = dict(row)
        try:
            weekday = int(row.get("weekday"))
        except (TypeError, ValueError):
            raise DomainError("invalid", "星期必须是 0（星期一）到 6（星期日）", f"{f}.weekday") from None
        if not 0 <= weekday <= 6:
            raise DomainError("invalid", "星期必须是 0（星期一）到 6（星期日）", f"{f}.weekday")
        start = _parse_time(row.get("start"), f"{f}.start")
        end = _parse_time(row.get("end"), f"{f}.end")
        if end <= start:
            raise DomainError("invalid", "结束时间必须晚于开始时间", f"{f}.end")
        try:
            capacity = int(row.get("capacity", 1))
        except (TypeError, ValueError):
            raise DomainError("invalid", "名额必须是整数", f"{f}.capacity") from None
        if not 1 <= capacity <= 1000:
            raise DomainError("invalid", "名额必须在 1–1000 之间", f"{f}.capacity")
        if (weekday, start) in seen:
            raise DomainError("duplicate", "同一天同一开始时间只能有一个时段", f"{f}.start")
        seen.add((weekday, start))
        out.append({"weekday": weekday, "start": start, "end": end, "capacity": capacity})
    return out


def _providers(ids) -> list[Unit]:
    ids = [int(i) for i in (ids or [])]
    units = list(Unit.objects.filter(pk__in=ids, is_active=True))
    missing = set(ids) - {u.pk for u in units}
    if missing:
        raise DomainError("invalid", f"服务单位不存在或已停用：{sorted(missing)}", "providers")
    return units


ITEM_FIELDS = (
    "category",
    "name",
    "description",
    "area",
    "providers",
    "fee",
    "price",
    "accept_limit",
    "accept_unit",
    "deliver_limit",
    "deliver_unit",
    "warning_ratio",
    "is_active",
    "sort",
    "schedules",
)


def _clean_item(by, item: ServiceItem, data: dict) -> tuple[list[Unit] | None, list[dict] | None]:
    """Apply ``data`` to ``item`` (unsaved) with a field-level error for the first bad value."""
    unknown = set(data) - set(ITEM_FIELDS)
    if unknown:
        raise DomainError("invalid", f"未知字段：{sorted(unknown)}", sorted(unknown)[0])
    if "category" in data:
        item.category = active_category(data["category"])
    if "name" in data:
        item.name = _text(data["name"], "name", required="请填写服务名称", limit=80)
    if "description" in data:
        item.description = _text(data["description"], "description", limit=2000)
    if "area" in data:
        area = Area.objects.filter(code=(data["area"] or "").strip(), is_active=True).first()
        if area is None or not selectors.may_manage_area(by, area.code):
            raise NotFound(f"区域 {data['area']} 不存在或不在您的管辖范围内", field="area")
        if area.level not in ("district", "street", "community"):
            raise DomainError("invalid", "服务项目由区、街道或社区提供", "area")
        item.area, item.area_code = area, area.code
    if "fee" in data:
        if data["fee"] not in Fee.values:
            raise DomainError("invalid", f"收费方式「{data['fee']}」无效（free 无偿 / low 低偿）", "fee")
        item.fee = data["fee"]
    if "price" in data and data["price"] is not None:
        item.price = _decimal(data["price"], "price", label="价格", low=Decimal("0"), high=Decimal("99999"))
    if item.fee == Fee.FREE:
        if data.get("price") is not None and item.price != 0:
            raise DomainError("invalid", "无偿服务不能填写价格", "price")
        item.price = Decimal("0")
    elif item.price <= 0:
        raise DomainError("required", "低偿服务请填写价格", "price")
    for phase in ("accept", "deliver"):
        amount = data.get(f"{phase}_limit", getattr(item, f"{phase}_limit"))
        unit = data.get(f"{phase}_unit", getattr(item, f"{phase}_unit"))
        label = "接单时限" if phase == "accept" else "服务时限"
        amount, unit = _limit(amount, unit, phase, label)
        setattr(item, f"{phase}_limit", amount)
        setattr(item, f"{phase}_unit", unit)
    if "warning_ratio" in data and data["warning_ratio"] is not None:
        item.warning_ratio = _decimal(
            data["warning_ratio"], "warning_ratio", label="预警比例", low=Decimal("0.05"), high=Decimal("1")
        )
    if "is_active" in data and data["is_active"] is not None:
        item.is_active = bool(data["is_active"])
    if "sort" in data and data["sort"] is not None:
        try:
            item.sort = max(0, min(int(data["sort"]), 32767))
        except (TypeError, ValueError):
            raise DomainError("invalid", "排序必须是整数", "sort") from None
    providers = _providers(data["providers"]) if data.get("providers") is not None else None
    schedules = _schedules(data["schedules"]) if data.get("schedules") is not None else None
    return providers, schedules


def _save_item(by, item: ServiceItem, providers, schedules, verb: str, before: dict | None) -> ServiceItem:
    with transaction.atomic():
        item.save()
        if providers is not None:
            item.providers.set(providers)
        if schedules is not None:
            # Sessions already booked keep their own times and places; new ones follow the new rows.
            item.schedules.all().delete()
            ServiceSchedule.objects.bulk_create([ServiceSchedule(item=item, **row) for row in schedules])
        from gridgov.core import audit

        audit.record(
            actor=by,
            verb=f"serviceitem.{verb}",
            obj=item,
            object_id=str(item.pk),
            before=before,
            after=_item_snapshot(item),
        )
    return item


def _item_snapshot(item: ServiceItem) -> dict:
    return {
        "name": item.name,
        "category": item.category.code,
        "area": item.area_code,
        "fee": item.fee,
        "price": str(item.price),
        "accept": f"{item.accept_limit} {item.accept_unit}",
        "deliver": f"{item.deliver_limit} {item.deliver_unit}",
        "is_active": item.is_active,
    }


def item_create(*, by, **data) -> ServiceItem:
    """新增服务项目 (staff managing the item's area). ``providers`` are unit ids; ``schedules`` rows of
    ``{weekday, start, end, capacity}``."""
    if not is_command_staff(by):
        raise DomainError("forbidden", "只有区、街道、社区工作人员可以维护服务清单", status=403)
    for field, message in (
        ("category", "请选择服务类别"),
        ("name", "请填写服务名称"),
        ("area", "请选择提供区域"),
    ):
        if not data.get(field):
            raise DomainError("required", message, field)
    item = ServiceItem()
    providers, schedules = _clean_item(by, item, data)
    if not providers:
        raise DomainError("required", "请至少选择一个服务单位", "providers")
    return _save_item(by, item, providers, schedules or [], "create", None)


def item_update(*, by, item: ServiceItem, **changes) -> ServiceItem:
    if not selectors.may_manage_area(by, item.area_code):
        raise NotFound("服务项目不存在或不在您的管辖范围内", field="item")
    before = _item_snapshot(item)
    providers, schedules = _clean_item(by, item, changes)
    if providers is not None and not providers:
        raise DomainError("required", "请至少选择一个服务单位", "providers")
    return _save_item(by, item, providers, schedules, "update", before)


# ---------------------------------------------------------------- slots


def _slot_for(item: ServiceItem, day: date | None, start: time | str | None, now: datetime) -> ServiceSlot:
    """Check the session is one of the item's and still ahead, and return its row (created on first use,
    in its own statement so every request sees the same row)."""
    if day is None or start is None or start == "":
        raise DomainError("required", "请选择预约时段", "slot")
    if isinstance(day, str):
        try:
            day = date.fromisoformat(day)
        except ValueError:
            raise DomainError("invalid", f"日期「{day}」格式不正确", "slot") from None
    start = _parse_time(start, "slot")
    local_now = timezone.localtime(now)
    if day < local_now.date():
        raise DomainError("invalid", "不能预约已经过去的日期", "slot")
    if day > local_now.date() + timedelta(days=selectors.MAX_SLOT_DAYS):
        raise DomainError("invalid", f"只能预约 {selectors.MAX_SLOT_DAYS} 天内的时段", "slot")
    row = item.schedules.filter(weekday=day.weekday(), start=start).first()
    if row is None:
        raise DomainError("invalid", f"{day:%Y-%m-%d} {start:%H:%M} 不是该服务的预约时段", "slot")
    if timezone.make_aware(datetime.combine(day, start)) <= now:
        raise DomainError("invalid", "该时段已经开始，不能再预约", "slot")
    slot = ServiceSlot.objects.filter(item=item, date=day, start=start).first()
    if slot is None:
        try:
            with transaction.atomic():
                slot = ServiceSlot.objects.create(
                    item=item, date=day, start=start, end=row.end, capacity=row.capacity
                )
        except IntegrityError:
            slot = ServiceSlot.objects.get(item=item, date=day, start=start)
    return slot


def _slot_end(slot: ServiceSlot) -> datetime:
    return timezone.make_aware(datetime.combine(slot.date, slot.end))


def _slot_start(slot: ServiceSlot) -> datetime:
    return timezone.make_aware(datetime.combine(slot.date, slot.start))


# ---------------------------------------------------------------- ordering


@dataclass
class Placed:
    order: Order
    created: bool


def _order_with_key(key: str) -> Order | None:
    return Order.objects.filter(idempotency_key=key).first()


def _order_area(item: ServiceItem, grid: str | None) -> Area:
    if not grid:
        return item.area
    area = Area.objects.filter(code=grid.strip(), is_active=True).first()
    if area is None:
        raise DomainError("invalid", f"网格「{grid}」不存在", "grid")
    if not area.code.startswith(item.area_code) or area.level not in ("community", "grid", "microgrid"):
        raise DomainError("invalid", f"「{area.name}」不在该服务的提供范围（{item.area.name}）内", "grid")
    return area


def order_create(
    *,
    by,
    item: ServiceItem,
    slot_date: date | str | None = None,
    slot_start: time | str | None = None,
    grid: str | None = None,
    contact_name: str = "",
    contact_phone: str = "",
    note: str = "",
    idempotency_key: str | None = None,
) -> Placed:
    """居民点单. An item with a weekly schedule needs a session (one place is taken, or 409 ``slot_full``);
    one without has none. A repeated ``idempotency_key`` returns the order made the first time."""
    if not selectors.may_order(by):
        raise DomainError("forbidden", "只有居民可以点单", status=403)
    key = None
    if idempotency_key:
        idempotency_key = idempotency_key.strip()
        if len(idempotency_key) > 100:
            raise DomainError("invalid", "幂等键不能超过 100 个字符", "idempotency_key")
        key = f"{by.pk}:{idempotency_key}"
        existing = _order_with_key(key)
        if existing is not None:
            return Placed(existing, False)
    if not item.is_active or not item.category.is_active:
        raise DomainError("inactive", "该服务已停用", "item")
    now = _now()
    note = _text(note, "note", limit=1000)
    name = _text(contact_name, "contact_name", limit=50) or by.display_name or by.username
    phone = normalise_phone(contact_phone, "contact_phone") or by.phone
    if not phone:
        raise DomainError("required", "请留下联系电话，便于服务单位联系您", "contact_phone")
    area = _order_area(item, grid)
    has_schedule = item.schedules.exists()
    slot = None
    if has_schedule:
        slot = _slot_for(item, slot_date, slot_start, now)
    elif slot_date or slot_start:
        raise DomainError("invalid", "该服务不需要预约时段", "slot")
    try:
        with transaction.atomic():
            if slot is not None and not take_place(ServiceSlot, slot.pk):
                raise Conflict(
                    "slot_full",
                    f"{slot.date:%m月%d日} {slot.start:%H:%M} 的名额已约满，请选择其他时段",
                    "slot",
                )
            if slot is not None:
                slot.refresh_from_db(fields=["taken"])
            order = Order.objects.create(
                ref=_next_ref(timezone.localdate(now)),
                item=item,
                slot=slot,
                resident=by,
                contact_name=name,
                contact_phone=phone,
                contact_phone_hash=blind_index(phone),
                area=area,
                area_code=area.code,
                note=note,
                created_at=now,
                idempotency_key=key,
            )
            data = {"item": item.name}
            if slot is not None:
                data["slot"] = f"{slot.date:%Y-%m-%d} {slot.start:%H:%M}"
            step(order, by, "order", "", note=note, data=data, at=now)
            _tell(community_staff(order), Kind.ORDER, order, "新的服务点单，请派单")
    except IntegrityError:
        existing = _order_with_key(key) if key else None
        if existing is None:
            raise
        return Placed(existing, False)
    return Placed(order, True)


# ---------------------------------------------------------------- the workflow


def _reset_accept_clock(order: Order) -> None:
    order.accept_due = order.accept_warn_at = order.accept_warned_at = order.accept_overdue_at = None


def order_dispatch(*, by, ref: str, provider_unit_id, note: str = "") -> Order:
    """派单: the community chooses one of the item's provider units; its acceptance clock starts."""
    with transaction.atomic():
        order = _lock(ref, by)
        from_state = MACHINE.require(by, order, "dispatch")
        try:
            unit_id = int(provider_unit_id) if provider_unit_id not in (None, "") else None
        except (TypeError, ValueError):
            unit_id = -1
        if unit_id is None:
            raise DomainError("required", "请选择服务单位", "provider_unit")
        unit = order.item.providers.filter(pk=unit_id, is_active=True).first()
        if unit is None:
            raise DomainError("invalid", "只能派给该服务项目的服务单位", "provider_unit")
        now = _now()
        item = order.item
        d = due_with_warning(now, item.accept_limit, item.accept_unit, item.warning_ratio)
        due, warn_at = d.due, d.warn_at
        if order.slot_id:
            # A booked session must be accepted before it starts.
            begins = _slot_start(order.slot)
            if begins < due:
                due, warn_at = begins, min(warn_at, begins)
        order.state = State.DISPATCHED
        order.provider_unit = unit
        order.dispatched_at = now
        _reset_accept_clock(order)
        order.accept_due, order.accept_warn_at = due, warn_at
        order.deadline_provisional = d.provisional
        order.sla = Sla.NORMAL
        order.save()
        step(
            order,
            by,
            "dispatch",
            from_state,
            note=_text(note, "note", limit=500),
            data={"provider": unit.name, "accept_due": due.isoformat()},
            at=now,
        )
        _tell(
            unit_handlers([unit.pk]),
            Kind.ORDER,
            order,
            "新派服务单，请接单",
            f"{item.name}；接单时限 {timezone.localtime(due):%Y-%m-%d %H:%M}",
        )
    return order


def order_accept(*, by, ref: str, note: str = "") -> Order:
    """接单: the provider takes the order; the delivery clock starts (a booked session's end is its
    deadline)."""
    with transaction.atomic():
        order = _lock(ref, by)
        from_state = MACHINE.require(by, order, "accept")
        now = _now()
        item = order.item
        if order.slot_id:
            due = _slot_end(order.slot)
            warn_at = max(min(_slot_start(order.slot), due), now)
            provisional = False
        else:
            d = due_with_warning(now, item.deliver_limit, item.deliver_unit, item.warning_ratio)
            due, warn_at, provisional = d.due, d.warn_at, d.provisional
        order.state = State.ACCEPTED
        order.accepted_at = now
        order.deliver_due, order.deliver_warn_at = due, warn_at
        order.deliver_warned_at = order.deliver_overdue_at = None
        order.deadline_provisional = provisional
        order.sla = Sla.NORMAL
        order.save()
        step(
            order,
            by,
            "accept",
            from_state,
            note=_text(note, "note", limit=500),
            data={"deliver_due": due.isoformat()},
            at=now,
        )
        _tell(
            [order.resident],
            Kind.ORDER,
            order,
            "服务单位已接单",
            f"{order.provider_unit.name}已接单，将在 {timezone.localtime(due):%Y-%m-%d %H:%M} 前为您服务",
        )
    return order


def order_decline(*, by, ref: str, reason: str) -> Order:
    """拒单 (reason required): the order goes back to the community for another provider."""
    with transaction.atomic():
        order = _lock(ref, by)
        from_state = MACHINE.require(by, order, "decline", reason)
        reason = _text(reason, "reason", limit=500)
        unit = order.provider_unit
        now = _now()
        order.state = State.ORDERED
        order.provider_unit = None
        order.decline_count += 1
        _reset_accept_clock(order)
        order.deliver_due = order.deliver_warn_at = None
        order.deliver_warned_at = order.deliver_overdue_at = None
        order.dispatched_at = order.accepted_at = None
        order.sla = Sla.NORMAL
        order.save()
        step(order, by, "decline", from_state, note=reason, data={"provider": unit.name}, at=now)
        _tell(community_staff(order), Kind.DECLINED, order, f"{unit.name}拒单，请重新派单", reason)
        _tell([order.resident], Kind.DECLINED, order, "服务单位未能接单，社区将重新安排", reason)
    return order


def order_deliver(*, by, ref: str, notes: str, evidence: list | None = None) -> Order:
    """服务完成: the provider records what was done (required) and may attach photos."""
    notes = _text(notes, "notes", required="请填写服务情况", limit=2000)
    checked = uploads.prepare(evidence, "evidence")
    with transaction.atomic():
        order = _lock(ref, by)
        from_state = MACHINE.require(by, order, "deliver")
        now = _now()
        order.state = State.DELIVERED
        order.delivered_at = now
        order.delivered_note = notes
        order.delivered_on_time = order.deliver_due is None or now <= order.deliver_due
        order.save()
        event = step(
            order,
            by,
            "deliver",
            from_state,
            note=notes,
            data={"on_time": order.delivered_on_time, "evidence": len(checked)},
            at=now,
        )
        uploads.save(checked, owner=order, role=Upload.Role.EVIDENCE, step=event, by=by, at=now)
        _tell([order.resident], Kind.ORDER, order, "服务已完成，请评价", notes[:120])
    return order


def order_rate(*, by, ref: str, rating: str, comment: str = "") -> Order:
    """评价 by the resident who ordered: closes the order (结单)."""
    with transaction.atomic():
        order = _lock(ref, by)
        from_state = MACHINE.require(by, order, "rate")
        if not rating:
            raise DomainError("required", "请选择评价", "rating")
        if rating not in Rating.values:
            raise DomainError("invalid", f"评价「{rating}」无效", "rating")
        comment = _text(comment, "comment", limit=500)
        now = _now()
        order.state = State.CLOSED
        order.rating, order.rating_comment, order.rated_at = rating, comment, now
        order.closed_at = now
        order.save()
        step(order, by, "rate", from_state, note=comment, data={"rating": rating}, at=now)
        if rating == Rating.UNSATISFIED:
            _tell(community_staff(order), Kind.ORDER, order, "居民评价不满意", comment)
    return order


def _release(order: Order) -> None:
    if order.slot_id:
        give_back_place(ServiceSlot, order.slot_id)
        order.slot.refresh_from_db(fields=["taken"])


def order_cancel(*, by, ref: str, reason: str = "") -> Order:
    """取消 by the resident before the provider accepts; a booked place is given back."""
    with transaction.atomic():
        order = _lock(ref, by)
        from_state = MACHINE.require(by, order, "cancel")
        reason = _text(reason, "reason", limit=500)
        unit_id = order.provider_unit_id
        now = _now()
        order.state = State.CANCELLED
        order.closed_at = now
        _reset_accept_clock(order)
        order.sla = Sla.NORMAL
        order.save()
        _release(order)
        step(order, by, "cancel", from_state, note=reason, at=now)
        if unit_id:
            _tell(unit_handlers([unit_id]), Kind.ORDER, order, "居民已取消服务单", reason)
    return order


def order_close(*, by, ref: str, note: str = "") -> Order:
    """中心结单: the staff close a delivered order the resident has not rated within the rating period."""
    with transaction.atomic():
        order = _lock(ref, by)
        from_state = MACHINE.require(by, order, "close")
        now = _now()
        order.state = State.CLOSED
        order.closed_at = now
        order.save()
        step(order, by, "close", from_state, note=_text(note, "note", limit=500), at=now)
    return order


def order_unservable(*, by, ref: str, reason: str) -> Order:
    """无法服务 (reason required): the order ends, its place is given back, and the unmet need goes on the
    needs list (需求清单) of the order's area."""
    from gridgov.projects.actions import need_record

    with transaction.atomic():
        order = _lock(ref, by)
        from_state = MACHINE.require(by, order, "unservable", reason)
        reason = _text(reason, "reason", limit=500)
        now = _now()
        order.state = State.UNSERVED
        order.closed_at = now
        order.save()
        _release(order)
        need = need_record(
            by=by,
            title=f"{order.item.name}（服务单 {order.ref} 无法服务）"[:100],
            category=order.item.category.code,
            area=order.area_code,
            description=f"{reason}\n居民需求：{order.note}".strip(),
            source="order",
            source_id=order.pk,
        )
        step(order, by, "unservable", from_state, note=reason, data={"need": need.pk}, at=now)
        _tell([order.resident], Kind.ORDER, order, "服务暂时无法安排", reason)
    return order


ACTIONS = {
    "dispatch": order_dispatch,
    "accept": order_accept,
    "decline": order_decline,
    "deliver": order_deliver,
    "rate": order_rate,
    "cancel": order_cancel,
    "close": order_close,
    "unservable": order_unservable,
}
