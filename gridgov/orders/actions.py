"""Every write of the service catalogue and of service orders. Each order action loads and locks the order,
checks scope (404), state (409 with the actions the state admits), role (403) and required reason (400)
through the order machine, changes the order in one transaction, appends the timeline step (with its
audit entry) and notifies whom it concerns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.accounts.models import Unit, User
from gridgov.accounts.selectors import area_staff, unit_handlers
from gridgov.areas.models import Area
from gridgov.core import audit, cleaners, uploads
from gridgov.core.calendar import MAX_AMOUNT, LimitUnit
from gridgov.core.cleaners import REASON_LIMIT, limit
from gridgov.core.crypto import blind_index
from gridgov.core.deadlines import arm, disarm, give_back_place, take_place
from gridgov.core.errors import Conflict, DomainError, NotFound
from gridgov.core.models import Upload
from gridgov.core.scope import is_command_staff
from gridgov.core.sequences import next_ref
from gridgov.core.validators import normalise_phone
from gridgov.core.workflow import Rating
from gridgov.notify.actions import tell
from gridgov.notify.models import Kind
from gridgov.orders import selectors
from gridgov.orders.models import (
    Fee,
    Order,
    OrderRefCounter,
    ServiceItem,
    ServiceSchedule,
    ServiceSlot,
)
from gridgov.orders.workflow import ACCEPT, DELIVER, MACHINE
from gridgov.services.selectors import active_category

# ---------------------------------------------------------------- helpers


def dispatch_area_code(order: Order) -> str:
    """Where an order is dispatched from: the community of its grid, else its own area (a street's)."""
    return order.area_code[:12] if len(order.area_code) >= 12 else order.area_code


def community_staff(order: Order) -> list:
    return area_staff(dispatch_area_code(order))


# ---------------------------------------------------------------- catalogue


def _limit(amount, unit: str, field: str, label) -> tuple[Decimal, str]:
    if unit not in LimitUnit.values:
        raise DomainError(
            "invalid", _("%(label)s单位「%(unit)s」无效") % {"label": label, "unit": unit}, f"{field}_unit"
        )
    d = cleaners.decimal(
        amount, f"{field}_limit", label=label, low=Decimal("0.01"), high=MAX_AMOUNT[unit], required=True
    )
    return d, unit


def _schedules(rows, field: str = "schedules") -> list[dict]:
    out: list[dict] = []
    seen: set[tuple[int, time]] = set()
    for i, row in enumerate(rows or []):
        f = f"{field}[{i}]"
        row = dict(row)
        weekday = cleaners.integer(
            row.get("weekday"),
            f"{f}.weekday",
            label=_("星期（0 为星期一，6 为星期日）"),
            low=0,
            high=6,
            required=_("请选择星期"),
        )
        start = cleaners.a_time(row.get("start"), f"{f}.start")
        end = cleaners.a_time(row.get("end"), f"{f}.end")
        if end <= start:
            raise DomainError("invalid", _("结束时间必须晚于开始时间"), f"{f}.end")
        capacity = cleaners.integer(
            row.get("capacity", 1), f"{f}.capacity", label=_("名额"), low=1, high=1000
        )
        if (weekday, start) in seen:
            raise DomainError("duplicate", _("同一天同一开始时间只能有一个时段"), f"{f}.start")
        seen.add((weekday, start))
        out.append({"weekday": weekday, "start": start, "end": end, "capacity": capacity})
    return out


def _providers(ids) -> list[Unit]:
    ids = [cleaners.integer(i, "providers", label=_("服务单位")) for i in (ids or [])]
    units = list(Unit.objects.filter(pk__in=ids, is_active=True))
    missing = set(ids) - {u.pk for u in units}
    if missing:
        raise DomainError(
            "invalid", _("服务单位不存在或已停用：%(ids)s") % {"ids": sorted(missing)}, "providers"
        )
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
        raise DomainError(
            "invalid", _("未知字段：%(fields)s") % {"fields": sorted(unknown)}, sorted(unknown)[0]
        )
    if "category" in data:
        item.category = active_category(data["category"])
    if "name" in data:
        item.name = cleaners.text(
            data["name"], "name", limit=limit(ServiceItem, "name"), required=_("请填写服务名称")
        )
    if "description" in data:
        item.description = cleaners.text(
            data["description"], "description", limit=limit(ServiceItem, "description")
        )
    if "area" in data:
        area = Area.objects.filter(code=(data["area"] or "").strip(), is_active=True).first()
        if area is None or not selectors.may_manage_area(by, area.code):
            raise NotFound(
                _("区域 %(code)s 不存在或不在您的管辖范围内") % {"code": data["area"]}, field="area"
            )
        if area.level not in ("district", "street", "community"):
            raise DomainError("invalid", _("服务项目由区、街道或社区提供"), "area")
        item.area, item.area_code = area, area.code
    if "fee" in data:
        if data["fee"] not in Fee.values:
            raise DomainError(
                "invalid", _("收费方式「%(fee)s」无效（free 无偿 / low 低偿）") % {"fee": data["fee"]}, "fee"
            )
        item.fee = data["fee"]
    if "price" in data and data["price"] is not None:
        item.price = cleaners.decimal(
            data["price"], "price", label=_("价格"), low=Decimal("0"), high=Decimal("99999")
        )
    if item.fee == Fee.FREE:
        if data.get("price") is not None and item.price != 0:
            raise DomainError("invalid", _("无偿服务不能填写价格"), "price")
        item.price = Decimal("0")
    elif item.price <= 0:
        raise DomainError("required", _("低偿服务请填写价格"), "price")
    for phase, label in (("accept", _("接单时限")), ("deliver", _("服务时限"))):
        amount = data.get(f"{phase}_limit", getattr(item, f"{phase}_limit"))
        unit = data.get(f"{phase}_unit", getattr(item, f"{phase}_unit"))
        amount, unit = _limit(amount, unit, phase, label)
        setattr(item, f"{phase}_limit", amount)
        setattr(item, f"{phase}_unit", unit)
    if "warning_ratio" in data and data["warning_ratio"] is not None:
        item.warning_ratio = cleaners.decimal(
            data["warning_ratio"],
            "warning_ratio",
            label=_("预警比例"),
            low=Decimal("0.05"),
            high=Decimal("1"),
        )
    if "is_active" in data and data["is_active"] is not None:
        item.is_active = bool(data["is_active"])
    if "sort" in data and data["sort"] is not None:
        item.sort = max(0, min(cleaners.integer(data["sort"], "sort", label=_("排序")), 32767))
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


def item_create(*, by: User, **data) -> ServiceItem:
    """新增服务项目 (staff managing the item's area). ``providers`` are unit ids; ``schedules`` rows of
    ``{weekday, start, end, capacity}``."""
    if not is_command_staff(by):
        raise DomainError("forbidden", _("只有区、街道、社区工作人员可以维护服务清单"), status=403)
    for field, message in (
        ("category", _("请选择服务类别")),
        ("name", _("请填写服务名称")),
        ("area", _("请选择提供区域")),
    ):
        if not data.get(field):
            raise DomainError("required", message, field)
    item = ServiceItem()
    providers, schedules = _clean_item(by, item, data)
    if not providers:
        raise DomainError("required", _("请至少选择一个服务单位"), "providers")
    return _save_item(by, item, providers, schedules or [], "create", None)


def item_update(*, by: User, item: ServiceItem, **changes) -> ServiceItem:
    if not selectors.may_manage_area(by, item.area_code):
        raise NotFound(_("服务项目不存在或不在您的管辖范围内"), field="item")
    before = _item_snapshot(item)
    providers, schedules = _clean_item(by, item, changes)
    if providers is not None and not providers:
        raise DomainError("required", _("请至少选择一个服务单位"), "providers")
    return _save_item(by, item, providers, schedules, "update", before)


# ---------------------------------------------------------------- slots


def _slot_for(
    item: ServiceItem, day: date | str | None, start: time | str | None, now: datetime
) -> ServiceSlot:
    """Check the session is one of the item's and still ahead, and return its row (created on first use,
    in its own statement so every request sees the same row)."""
    if day is None or day == "" or start is None or start == "":
        raise DomainError("required", _("请选择预约时段"), "slot")
    day = cleaners.a_date(day, "slot")
    start = cleaners.a_time(start, "slot")
    local_now = timezone.localtime(now)
    if day < local_now.date():
        raise DomainError("invalid", _("不能预约已经过去的日期"), "slot")
    if day > local_now.date() + timedelta(days=selectors.MAX_SLOT_DAYS):
        raise DomainError(
            "invalid", _("只能预约 %(days)s 天内的时段") % {"days": selectors.MAX_SLOT_DAYS}, "slot"
        )
    row = item.schedules.filter(weekday=day.weekday(), start=start).first()
    if row is None:
        raise DomainError(
            "invalid",
            _("%(day)s %(start)s 不是该服务的预约时段")
            % {"day": f"{day:%Y-%m-%d}", "start": f"{start:%H:%M}"},
            "slot",
        )
    if timezone.make_aware(datetime.combine(day, start)) <= now:
        raise DomainError("invalid", _("该时段已经开始，不能再预约"), "slot")
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
        raise DomainError("invalid", _("网格「%(grid)s」不存在") % {"grid": grid}, "grid")
    if not area.code.startswith(item.area_code) or area.level not in ("community", "grid", "microgrid"):
        raise DomainError(
            "invalid",
            _("「%(area)s」不在该服务的提供范围（%(scope)s）内")
            % {"area": area.name, "scope": item.area.name},
            "grid",
        )
    return area


def order_create(
    *,
    by: User,
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
        raise DomainError("forbidden", _("只有居民可以点单"), status=403)
    key = None
    if idempotency_key:
        idempotency_key = cleaners.text(idempotency_key, "idempotency_key", limit=100)
        key = f"{by.pk}:{idempotency_key}"
        existing = _order_with_key(key)
        if existing is not None:
            return Placed(existing, False)
    if not item.is_active or not item.category.is_active:
        raise DomainError("inactive", _("该服务已停用"), "item")
    now = timezone.now()
    note = cleaners.text(note, "note", limit=limit(Order, "note"))
    name = (
        cleaners.text(contact_name, "contact_name", limit=limit(Order, "contact_name"))
        or by.display_name
        or by.username
    )
    phone = normalise_phone(contact_phone, "contact_phone") or by.phone
    if not phone:
        raise DomainError("required", _("请留下联系电话，便于服务单位联系您"), "contact_phone")
    area = _order_area(item, grid)
    has_schedule = item.schedules.exists()
    slot = None
    if has_schedule:
        slot = _slot_for(item, slot_date, slot_start, now)
    elif slot_date or slot_start:
        raise DomainError("invalid", _("该服务不需要预约时段"), "slot")
    try:
        with transaction.atomic():
            if slot is not None and not take_place(ServiceSlot, slot.pk):
                raise Conflict(
                    "slot_full",
                    _("%(day)s %(start)s 的名额已约满，请选择其他时段")
                    % {"day": f"{slot.date:%m-%d}", "start": f"{slot.start:%H:%M}"},
                    "slot",
                )
            if slot is not None:
                slot.refresh_from_db(fields=["taken"])
            order = Order.objects.create(
                ref=next_ref(OrderRefCounter, "FW", timezone.localdate(now)),
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
            MACHINE.record(order, by, "order", "", note=note, data=data, at=now)
            tell(
                community_staff(order),
                Kind.ORDER,
                order,
                gettext_lazy("新的服务点单，请派单"),
                gettext_lazy("%(item)s：%(note)s"),
                params={"item": item.name, "note": note[:100]},
            )
    except IntegrityError:
        existing = _order_with_key(key) if key else None
        if existing is None:
            raise
        return Placed(existing, False)
    return Placed(order, True)


# ---------------------------------------------------------------- the workflow


def _unit_of(order: Order, provider_unit_id) -> Unit:
    unit_id = cleaners.integer(
        provider_unit_id, "provider_unit", label=_("服务单位"), required=_("请选择服务单位")
    )
    unit = order.item.providers.filter(pk=unit_id, is_active=True).first()
    if unit is None:
        raise DomainError("invalid", _("只能派给该服务项目的服务单位"), "provider_unit")
    return unit


def _local(moment: datetime) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}"


def order_dispatch(*, by: User, ref: str, provider_unit_id: int | str | None, note: str = "") -> Order:
    """派单: the community chooses one of the item's provider units; its acceptance clock starts."""
    note = cleaners.text(note, "note", limit=REASON_LIMIT)
    with transaction.atomic():
        order = MACHINE.lock(by, ref=ref)
        with MACHINE.transition(order, "dispatch", by=by, note=note) as step:
            unit = _unit_of(order, provider_unit_id)
            order.provider_unit = unit
            order.dispatched_at = step.at
            arm(order, ACCEPT)
            step.data = {"provider": unit.name, "accept_due": order.accept_due.isoformat()}
        tell(
            unit_handlers([unit.pk]),
            Kind.ORDER,
            order,
            gettext_lazy("新派服务单，请接单"),
            gettext_lazy("%(item)s；接单时限 %(due)s"),
            params={"item": order.item.name, "due": _local(order.accept_due)},
        )
    return order


def order_accept(*, by: User, ref: str, note: str = "") -> Order:
    """接单: the provider takes the order; the delivery clock starts (a booked session's end is its
    deadline)."""
    note = cleaners.text(note, "note", limit=REASON_LIMIT)
    with transaction.atomic():
        order = MACHINE.lock(by, ref=ref)
        with MACHINE.transition(order, "accept", by=by, note=note) as step:
            order.accepted_at = step.at
            arm(order, DELIVER)
            step.data = {"deliver_due": order.deliver_due.isoformat()}
        tell(
            [order.resident],
            Kind.ORDER,
            order,
            gettext_lazy("服务单位已接单"),
            gettext_lazy("%(provider)s已接单，将在 %(due)s 前为您服务"),
            params={"provider": order.provider_unit.name, "due": _local(order.deliver_due)},
        )
    return order


def order_decline(*, by: User, ref: str, reason: str) -> Order:
    """拒单 (reason required): the order goes back to the community for another provider."""
    reason = cleaners.text(reason, "reason", limit=REASON_LIMIT)
    with transaction.atomic():
        order = MACHINE.lock(by, ref=ref)
        with MACHINE.transition(order, "decline", by=by, reason=reason) as step:
            unit = order.provider_unit
            order.provider_unit = None
            order.decline_count += 1
            order.dispatched_at = order.accepted_at = None
            disarm(order, ACCEPT, DELIVER)
            step.data = {"provider": unit.name}
        tell(
            community_staff(order),
            Kind.DECLINED,
            order,
            gettext_lazy("%(provider)s拒单，请重新派单"),
            reason,
            params={"provider": unit.name},
        )
        tell([order.resident], Kind.DECLINED, order, gettext_lazy("服务单位未能接单，社区将重新安排"), reason)
    return order


def order_deliver(*, by: User, ref: str, notes: str, evidence: list | None = None) -> Order:
    """服务完成: the provider records what was done (required) and may attach photos."""
    notes = cleaners.text(notes, "notes", limit=limit(Order, "delivered_note"), required=_("请填写服务情况"))
    checked = uploads.prepare(evidence, "evidence")
    with transaction.atomic():
        order = MACHINE.lock(by, ref=ref)
        with MACHINE.transition(order, "deliver", by=by, note=notes) as step:
            order.delivered_at = step.at
            order.delivered_note = notes
            order.delivered_on_time = order.deliver_due is None or step.at <= order.deliver_due
            step.data = {"on_time": order.delivered_on_time, "evidence": len(checked)}
        uploads.save(checked, owner=order, role=Upload.Role.EVIDENCE, step=step.event, by=by, at=step.at)
        tell([order.resident], Kind.ORDER, order, gettext_lazy("服务已完成，请评价"), notes[:120])
    return order


def order_rate(*, by: User, ref: str, rating: str, comment: str = "") -> Order:
    """评价 by the resident who ordered: closes the order (结单)."""
    comment = cleaners.text(comment, "comment", limit=limit(Order, "rating_comment"))
    with transaction.atomic():
        order = MACHINE.lock(by, ref=ref)
        with MACHINE.transition(order, "rate", by=by, note=comment) as step:
            if not rating:
                raise DomainError("required", _("请选择评价"), "rating")
            if rating not in Rating.values:
                raise DomainError("invalid", _("评价「%(rating)s」无效") % {"rating": rating}, "rating")
            order.rating, order.rating_comment, order.rated_at = rating, comment, step.at
            order.closed_at = step.at
            step.data = {"rating": rating}
        if rating == Rating.UNSATISFIED:
            tell(community_staff(order), Kind.ORDER, order, gettext_lazy("居民评价不满意"), comment)
    return order


def _release(order: Order) -> None:
    if order.slot_id:
        give_back_place(ServiceSlot, order.slot_id)
        order.slot.refresh_from_db(fields=["taken"])


def order_cancel(*, by: User, ref: str, reason: str = "") -> Order:
    """取消 by the resident before the provider accepts; a booked place is given back."""
    reason = cleaners.text(reason, "reason", limit=REASON_LIMIT)
    with transaction.atomic():
        order = MACHINE.lock(by, ref=ref)
        with MACHINE.transition(order, "cancel", by=by, reason=reason) as step:
            unit_id = order.provider_unit_id
            order.closed_at = step.at
            disarm(order, ACCEPT)
            _release(order)
        if unit_id:
            tell(unit_handlers([unit_id]), Kind.ORDER, order, gettext_lazy("居民已取消服务单"), reason)
    return order


def order_close(*, by: User, ref: str, note: str = "") -> Order:
    """中心结单: the staff close a delivered order the resident has not rated within the rating period."""
    note = cleaners.text(note, "note", limit=REASON_LIMIT)
    with transaction.atomic():
        order = MACHINE.lock(by, ref=ref)
        with MACHINE.transition(order, "close", by=by, note=note) as step:
            order.closed_at = step.at
    return order


def need_title(order: Order) -> str:
    """How an order that could not be served appears on the needs list."""
    return (_("%(item)s（服务单 %(ref)s 无法服务）") % {"item": order.item.name, "ref": order.ref})[:100]


def order_unservable(*, by: User, ref: str, reason: str) -> Order:
    """无法服务 (reason required): the order ends, its place is given back, and the unmet need goes on the
    needs list (需求清单) of the order's area."""
    from gridgov.projects.actions import need_record

    reason = cleaners.text(reason, "reason", limit=REASON_LIMIT)
    with transaction.atomic():
        order = MACHINE.lock(by, ref=ref)
        with MACHINE.transition(order, "unservable", by=by, reason=reason) as step:
            order.closed_at = step.at
            _release(order)
            need = need_record(
                by=by,
                title=need_title(order),
                category=order.item.category.code,
                area=order.area_code,
                description=(
                    _("%(reason)s\n居民需求：%(note)s") % {"reason": reason, "note": order.note}
                ).strip(),
                source="order",
                source_id=order.pk,
            )
            step.data = {"need": need.pk}
        tell([order.resident], Kind.ORDER, order, gettext_lazy("服务暂时无法安排"), reason)
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
