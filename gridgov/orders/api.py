"""``/api/v1/services`` (the catalogue: categories, items, free places) and ``/api/v1/orders`` (居民点单、
社区派单、单位接单、中心结单). Scoped like everything else: an order out of scope is 404, the wrong role 403,
the wrong state 409 with the actions the state admits."""

from datetime import date, datetime
from decimal import Decimal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from gridgov.core import uploads
from gridgov.core.cleaners import REASON_LIMIT, limit
from gridgov.core.errors import DomainError
from gridgov.core.inputs import json_or_form
from gridgov.core.pagination import Pages
from gridgov.core.timeline import timeline_rows
from gridgov.orders import actions, selectors
from gridgov.orders.models import Order, ServiceItem
from gridgov.orders.workflow import MACHINE, allowed_actions

router = Router(tags=[gettext_lazy("服务点单")])  # /orders
catalogue = Router(
    tags=[gettext_lazy("服务点单")]
)  # /services: catalogue items (the categories are the services app's)


# ---------------------------------------------------------------- schemas: catalogue


class OrderUnitRef(Schema):
    id: int
    name: str


HH_MM = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


class ServiceScheduleRow(Schema):
    """A weekly session: times of day are wall-clock times in the district's time zone (``HH:MM``)."""

    weekday: int = Field(..., ge=0, le=6, description=gettext_lazy("0 星期一 … 6 星期日"))
    start: str = Field(..., pattern=HH_MM, description=gettext_lazy("开始时间 HH:MM（本地时间）"))
    end: str = Field(..., pattern=HH_MM, description=gettext_lazy("结束时间 HH:MM（本地时间）"))
    capacity: int = Field(1, ge=1, le=1000, description=gettext_lazy("每场名额"))


class ServiceItemOut(Schema):
    id: int
    category: str
    category_name: str
    name: str
    description: str
    area: str
    area_name: str
    providers: list[OrderUnitRef]
    fee: str
    fee_label: str
    price: Decimal
    accept_limit: Decimal
    accept_unit: str
    deliver_limit: Decimal
    deliver_unit: str
    warning_ratio: Decimal
    is_active: bool
    schedules: list[ServiceScheduleRow]

    @staticmethod
    def resolve_category(obj: ServiceItem) -> str:
        return obj.category.code

    @staticmethod
    def resolve_category_name(obj: ServiceItem) -> str:
        return obj.category.label

    @staticmethod
    def resolve_area(obj: ServiceItem) -> str:
        return obj.area_code

    @staticmethod
    def resolve_area_name(obj: ServiceItem) -> str:
        return obj.area.name

    @staticmethod
    def resolve_providers(obj: ServiceItem) -> list[dict]:
        return [{"id": u.pk, "name": u.name} for u in obj.providers.all()]

    @staticmethod
    def resolve_schedules(obj: ServiceItem) -> list[dict]:
        return [
            {
                "weekday": s.weekday,
                "start": f"{s.start:%H:%M}",
                "end": f"{s.end:%H:%M}",
                "capacity": s.capacity,
            }
            for s in obj.schedules.all()
        ]


ITEM_NAME = limit(ServiceItem, "name")
ITEM_DESCRIPTION = limit(ServiceItem, "description")


class ServiceItemIn(Schema):
    category: str = Field(..., max_length=40, description=gettext_lazy("服务类别代码"))
    name: str = Field(..., max_length=ITEM_NAME)
    description: str = Field("", max_length=ITEM_DESCRIPTION)
    area: str = Field(..., description=gettext_lazy("提供区域编码（区、街道或社区）"))
    providers: list[int] = Field(..., description=gettext_lazy("服务单位 id"))
    fee: str = Field("free", description=gettext_lazy("free 无偿 / low 低偿"))
    price: Decimal | None = Field(None, description=gettext_lazy("低偿服务的价格（元）"))
    accept_limit: Decimal = Decimal("1")
    accept_unit: str = Field("working_days", description="urgent_hours / working_hours / working_days")
    deliver_limit: Decimal = Decimal("5")
    deliver_unit: str = "working_days"
    warning_ratio: Decimal = Decimal("0.8")
    is_active: bool = True
    sort: int = 0
    schedules: list[ServiceScheduleRow] = Field(
        default_factory=list, description=gettext_lazy("每周服务时段（可空：无需预约）")
    )


class ServiceItemPatch(Schema):
    category: str | None = Field(None, max_length=40)
    name: str | None = Field(None, max_length=ITEM_NAME)
    description: str | None = Field(None, max_length=ITEM_DESCRIPTION)
    area: str | None = None
    providers: list[int] | None = None
    fee: str | None = None
    price: Decimal | None = None
    accept_limit: Decimal | None = None
    accept_unit: str | None = None
    deliver_limit: Decimal | None = None
    deliver_unit: str | None = None
    warning_ratio: Decimal | None = None
    is_active: bool | None = None
    sort: int | None = None
    schedules: list[ServiceScheduleRow] | None = None


class ServiceItemFilters(Schema):
    category: str | None = None
    area: str | None = Field(None, description=gettext_lazy("居民所在区域编码：列出该区域及其上级提供的服务"))
    q: str | None = Field(None, max_length=100)


class ServiceSlotOut(Schema):
    date: date
    weekday: int
    start: str = Field(..., description=gettext_lazy("开始时间 HH:MM（本地时间）"))
    end: str = Field(..., description=gettext_lazy("结束时间 HH:MM（本地时间）"))
    starts_at: datetime
    ends_at: datetime
    capacity: int
    taken: int
    free: int
    key: str = Field(..., description=gettext_lazy("点单时 slot 字段的取值"))


class ServiceSlotQuery(Schema):
    start: date | None = None
    end: date | None = None


# ---------------------------------------------------------------- schemas: orders


class OrderStepOut(Schema):
    at: datetime
    actor: str
    action: str
    from_state: str
    to_state: str
    note: str
    data: dict


class OrderOut(Schema):
    ref: str
    item: int
    item_name: str
    category: str
    category_name: str
    slot: str | None = Field(..., description=gettext_lazy("预约场次 YYYY-MM-DDTHH:MM"))
    slot_end: str | None = Field(..., description=gettext_lazy("预约场次结束时间 HH:MM（本地时间）"))
    slot_starts_at: datetime | None
    slot_ends_at: datetime | None
    state: str
    state_label: str
    sla: str
    area: str
    area_name: str
    contact_name: str
    contact_phone: str = Field(..., description=gettext_lazy("脱敏电话"))
    note: str
    provider: OrderUnitRef | None
    created_at: datetime
    dispatched_at: datetime | None
    accepted_at: datetime | None
    delivered_at: datetime | None
    closed_at: datetime | None
    accept_due: datetime | None
    deliver_due: datetime | None
    due: datetime | None = Field(..., description=gettext_lazy("当前环节的时限"))
    delivered_note: str
    delivered_on_time: bool | None
    rating: str
    rating_comment: str
    decline_count: int

    @staticmethod
    def resolve_item(obj: Order) -> int:
        return obj.item_id

    @staticmethod
    def resolve_item_name(obj: Order) -> str:
        return obj.item.name

    @staticmethod
    def resolve_category(obj: Order) -> str:
        return obj.item.category.code

    @staticmethod
    def resolve_category_name(obj: Order) -> str:
        return obj.item.category.label

    @staticmethod
    def resolve_slot(obj: Order) -> str | None:
        return f"{obj.slot.date:%Y-%m-%d}T{obj.slot.start:%H:%M}" if obj.slot_id else None

    @staticmethod
    def resolve_slot_end(obj: Order) -> str | None:
        return f"{obj.slot.end:%H:%M}" if obj.slot_id else None

    @staticmethod
    def resolve_slot_starts_at(obj: Order) -> datetime | None:
        return obj.slot.starts_at if obj.slot_id else None

    @staticmethod
    def resolve_slot_ends_at(obj: Order) -> datetime | None:
        return obj.slot.ends_at if obj.slot_id else None

    @staticmethod
    def resolve_state_label(obj: Order) -> str:
        return str(obj.get_state_display())

    @staticmethod
    def resolve_area(obj: Order) -> str:
        return obj.area_code

    @staticmethod
    def resolve_area_name(obj: Order) -> str:
        return obj.area.name

    @staticmethod
    def resolve_contact_phone(obj: Order) -> str:
        return obj.masked_phone

    @staticmethod
    def resolve_provider(obj: Order) -> dict | None:
        return {"id": obj.provider_unit_id, "name": obj.provider_unit.name} if obj.provider_unit_id else None

    @staticmethod
    def resolve_due(obj: Order):
        return obj.active_due


class OrderDetailOut(OrderOut):
    allowed_actions: list[str]
    providers: list[OrderUnitRef] = Field(
        ..., description=gettext_lazy("可派的服务单位（该服务项目的服务单位）")
    )
    evidence_urls: list[str] = Field(..., description=gettext_lazy("服务佐证图片地址"))
    timeline: list[OrderStepOut]
    created: bool | None = None


class OrderIn(Schema):
    item: int = Field(..., description=gettext_lazy("服务项目 id"))
    slot: str | None = Field(
        None, description=gettext_lazy("预约场次（有服务时段的项目必填），如 2026-11-25T14:00")
    )
    grid: str | None = Field(None, description=gettext_lazy("所在社区或网格编码（选填，须在服务提供区域内）"))
    contact_name: str = Field("", max_length=limit(Order, "contact_name"))
    contact_phone: str = Field("", max_length=20, description=gettext_lazy("联系电话；省略时用账号的电话"))
    note: str = Field("", max_length=limit(Order, "note"), description=gettext_lazy("需求说明"))
    client_id: str | None = Field(
        None, max_length=100, description=gettext_lazy("客户端生成的幂等键（也可用 Idempotency-Key 头）")
    )


class OrderFilters(Schema):
    state: str | None = Field(None, description=gettext_lazy("状态，可逗号分隔多个"))
    category: str | None = None
    provider: int | None = Field(None, description=gettext_lazy("服务单位 id"))
    overdue: bool | None = Field(None, description=gettext_lazy("true：只看超时的"))
    area: str | None = None


class OrderDispatchIn(Schema):
    provider_unit: int | None = Field(
        None, description=gettext_lazy("服务单位 id（必须是该服务项目的服务单位）")
    )
    note: str = Field("", max_length=REASON_LIMIT)


class OrderNoteIn(Schema):
    note: str = Field("", max_length=REASON_LIMIT)


class OrderReasonIn(Schema):
    reason: str = Field("", max_length=REASON_LIMIT)


class OrderRateIn(Schema):
    rating: str = Field(
        "", max_length=12, description=gettext_lazy("satisfied 满意 / basic 基本满意 / unsatisfied 不满意")
    )
    comment: str = Field("", max_length=limit(Order, "rating_comment"))


class OrderStatsQuery(Schema):
    area: str | None = Field(None, description=gettext_lazy("区域编码（含下级）；省略为管辖范围"))
    start: date
    end: date
    group_by: str = Field("category", description=gettext_lazy("category 按服务类别 / provider 按服务单位"))


class OrderStatRowOut(Schema):
    key: str
    name: str
    placed: int = Field(..., description=gettext_lazy("期间点单数"))
    orders: int = Field(..., description=gettext_lazy("服务人次（已服务、已结单）"))
    rated: int
    satisfied: int
    basic: int
    unsatisfied: int
    satisfaction_rate: float | None = Field(
        ..., description=gettext_lazy("满意率 =（满意+基本满意）/ 已评价")
    )
    on_time: int
    on_time_rate: float | None = Field(..., description=gettext_lazy("按时服务率 = 按时 / 服务人次"))
    declines: int
    unserved: int
    cancelled: int


class OrderStatsOut(Schema):
    area: str | None
    area_name: str
    start: date
    end: date
    group_by: str
    totals: OrderStatRowOut
    groups: list[OrderStatRowOut]


# ---------------------------------------------------------------- catalogue endpoints


@catalogue.get(
    "/items",
    response=list[ServiceItemOut],
    summary=gettext_lazy("服务清单（在用项目；管理人员另见本辖区停用项目）"),
)
@paginate(Pages, page_size=50)
def list_items(request: HttpRequest, q: Query[ServiceItemFilters]):
    return selectors.item_list(request.auth, **q.dict())


def _rows(rows) -> list[dict] | None:
    return None if rows is None else [r if isinstance(r, dict) else r.dict() for r in rows]


@catalogue.post(
    "/items", response={201: ServiceItemOut}, summary=gettext_lazy("新增服务项目（区、街道、社区工作人员）")
)
def create_item(request: HttpRequest, payload: ServiceItemIn):
    data = payload.dict()
    data["schedules"] = _rows(data["schedules"])
    item = actions.item_create(by=request.auth, **data)
    return Status(201, selectors.item_get(request.auth, item.pk))


@catalogue.get("/items/{item_id}", response=ServiceItemOut, summary=gettext_lazy("服务项目详情"))
def get_item(request: HttpRequest, item_id: int):
    return selectors.item_get(request.auth, item_id)


@catalogue.patch(
    "/items/{item_id}", response=ServiceItemOut, summary=gettext_lazy("修改服务项目（含停用、调整时段）")
)
def update_item(request: HttpRequest, item_id: int, payload: ServiceItemPatch):
    item = selectors.item_get(request.auth, item_id)
    changes = payload.dict(exclude_unset=True)
    if "schedules" in changes:
        changes["schedules"] = _rows(changes["schedules"])
    actions.item_update(by=request.auth, item=item, **changes)
    return selectors.item_get(request.auth, item_id)


@catalogue.get(
    "/items/{item_id}/slots", response=list[ServiceSlotOut], summary=gettext_lazy("可预约场次与剩余名额")
)
def list_slots(request: HttpRequest, item_id: int, q: Query[ServiceSlotQuery]):
    item = selectors.item_get(request.auth, item_id)
    return [
        {
            "date": s.date,
            "weekday": s.weekday,
            "start": f"{s.start:%H:%M}",
            "end": f"{s.end:%H:%M}",
            "starts_at": s.starts_at,
            "ends_at": s.ends_at,
            "capacity": s.capacity,
            "taken": s.taken,
            "free": s.free,
            "key": s.key,
        }
        for s in selectors.slot_options(item, q.start, q.end)
    ]


# ---------------------------------------------------------------- orders


def _detail(user, order: Order, created: bool | None = None) -> Order:
    order = selectors.order_get_visible(user, order.ref)
    order.allowed_actions = allowed_actions(user, order)
    order.providers = [{"id": u.pk, "name": u.name} for u in order.item.providers.all() if u.is_active]
    order.evidence_urls = [u.get_absolute_url() for u in uploads.of(order)]
    order.timeline = timeline_rows(order, MACHINE.labels())
    order.created = created
    return order


def split_slot(value: str | None) -> tuple[str | None, str | None]:
    if not value:
        return None, None
    value = value.strip().replace(" ", "T")
    if "T" not in value:
        raise DomainError("invalid", _("预约场次格式应为 YYYY-MM-DDTHH:MM"), "slot")
    day, start = value.split("T", 1)
    return day, start[:5]


@router.post("", response={201: OrderDetailOut, 200: OrderDetailOut}, summary=gettext_lazy("居民点单"))
def create_order(request: HttpRequest, payload: OrderIn):
    item = selectors.item_get(request.auth, payload.item)
    day, start = split_slot(payload.slot)
    placed = actions.order_create(
        by=request.auth,
        item=item,
        slot_date=day,
        slot_start=start,
        grid=payload.grid,
        contact_name=payload.contact_name,
        contact_phone=payload.contact_phone,
        note=payload.note,
        idempotency_key=request.headers.get("Idempotency-Key") or payload.client_id,
    )
    return Status(201 if placed.created else 200, _detail(request.auth, placed.order, placed.created))


@router.get(
    "",
    response=list[OrderOut],
    summary=gettext_lazy("服务单列表（居民：本人的；工作人员：辖区的；服务单位：派给本单位的）"),
)
@paginate(Pages, page_size=50)
def list_orders(request: HttpRequest, q: Query[OrderFilters]):
    return selectors.order_list(request.auth, **q.dict())


@router.get(
    "/stats", response=OrderStatsOut, summary=gettext_lazy("服务统计：按类别或服务单位的人次、满意率、按时率")
)
def stats(request: HttpRequest, q: Query[OrderStatsQuery]):
    return selectors.order_stats(
        request.auth, area=q.area, start=q.start, end=q.end, group_by=q.group_by
    ).as_dict()


@router.get("/{ref}", response=OrderDetailOut, summary=gettext_lazy("服务单详情（含可执行操作与办理记录）"))
def get_order(request: HttpRequest, ref: str):
    return _detail(request.auth, selectors.order_get_visible(request.auth, ref))


def _act(request, order: Order) -> Order:
    return _detail(request.auth, order)


@router.post("/{ref}/dispatch", response=OrderDetailOut, summary=gettext_lazy("派单（社区选择服务单位）"))
def dispatch(request: HttpRequest, ref: str, payload: OrderDispatchIn):
    return _act(
        request,
        actions.order_dispatch(
            by=request.auth, ref=ref, provider_unit_id=payload.provider_unit, note=payload.note
        ),
    )


@router.post("/{ref}/accept", response=OrderDetailOut, summary=gettext_lazy("接单（服务单位）"))
def accept(request: HttpRequest, ref: str, payload: OrderNoteIn):
    return _act(request, actions.order_accept(by=request.auth, ref=ref, note=payload.note))


@router.post("/{ref}/decline", response=OrderDetailOut, summary=gettext_lazy("拒单（服务单位，须填原因）"))
def decline(request: HttpRequest, ref: str, payload: OrderReasonIn):
    return _act(request, actions.order_decline(by=request.auth, ref=ref, reason=payload.reason))


@router.post(
    "/{ref}/deliver",
    response=OrderDetailOut,
    summary=gettext_lazy("服务完成（服务单位；JSON {notes}，或 multipart：notes + 佐证图片 evidence）"),
)
def deliver(request: HttpRequest, ref: str):
    fields, files = json_or_form(request, files="evidence")
    notes = fields.get("notes") or ""
    return _act(request, actions.order_deliver(by=request.auth, ref=ref, notes=str(notes), evidence=files))


@router.post("/{ref}/rate", response=OrderDetailOut, summary=gettext_lazy("评价（点单居民；评价后结单）"))
def rate(request: HttpRequest, ref: str, payload: OrderRateIn):
    return _act(
        request, actions.order_rate(by=request.auth, ref=ref, rating=payload.rating, comment=payload.comment)
    )


@router.post("/{ref}/cancel", response=OrderDetailOut, summary=gettext_lazy("取消（点单居民，接单前）"))
def cancel(request: HttpRequest, ref: str, payload: OrderReasonIn):
    return _act(request, actions.order_cancel(by=request.auth, ref=ref, reason=payload.reason))


@router.post("/{ref}/close", response=OrderDetailOut, summary=gettext_lazy("中心结单（居民逾期未评价）"))
def close(request: HttpRequest, ref: str, payload: OrderNoteIn):
    return _act(request, actions.order_close(by=request.auth, ref=ref, note=payload.note))


@router.post(
    "/{ref}/unservable",
    response=OrderDetailOut,
    summary=gettext_lazy("无法服务（工作人员，须填原因；记入需求清单）"),
)
def unservable(request: HttpRequest, ref: str, payload: OrderReasonIn):
    return _act(request, actions.order_unservable(by=request.auth, ref=ref, reason=payload.reason))
