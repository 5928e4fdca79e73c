"""Demo service orders: Tianjiao street's nine service categories (特色服务卡), 姜谭路街道's services (the
lawyers' association on duty every Wednesday afternoon …), 姜谭路西社区's public-service list, and about
two months of orders in every state.

Past orders are written as rows with their timeline (this is a fixture loader: their moments lie in the
past, where the actions' clock cannot go); the orders still running are placed, dispatched and accepted
through the actions, so their deadlines are real. A second run adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from gridgov.accounts.actions import user_create
from gridgov.accounts.models import Unit, User
from gridgov.areas.models import Area
from gridgov.core.crypto import blind_index
from gridgov.core.sequences import next_ref
from gridgov.core.timeline import step
from gridgov.orders import actions
from gridgov.orders.models import Order, OrderRefCounter, ServiceItem, ServiceSchedule, ServiceSlot
from gridgov.services.demo import load_demo_categories
from gridgov.services.models import ServiceCategory

STREET = "610302003"  # 姜谭路街道
COMMUNITY = "610302003001"  # 姜谭路西社区
GRID = COMMUNITY + "001"
PASSWORD = "gridgov-demo"
WH, WD = "working_hours", "working_days"

# Provider units besides the lawyers' association (name, kind, area code).
UNITS = [
    ("宝鸡市律师协会", "partner", "610302"),
    ("渭滨区就业服务中心", "department", "610302"),
    ("宝鸡市公证处", "department", "610302"),
    ("宝鸡市心理咨询师协会", "social", "610302"),
    ("姜谭路西社区老年食堂", "social", COMMUNITY),
    ("姜谭路家电维修便民服务队", "social", STREET),
    ("姜谭路街道居家养老服务站", "social", STREET),
    ("童心托育园", "social", COMMUNITY),
    ("姜谭路街道综合文化站", "department", STREET),
]
# Handler accounts for two community providers (the lawyers' handler ``lawyer`` already exists).
HANDLERS = [
    ("canteen", "姜谭路西社区老年食堂", "老年食堂经办人", "13800000010"),
    ("repairman", "姜谭路家电维修便民服务队", "维修队经办人", "13800000011"),
]


@dataclass(frozen=True)
class Spec:
    category: str
    name: str
    area: str
    provider: str
    description: str = ""
    fee: str = "free"
    price: str = "0"
    schedules: tuple = ()  # (weekday, "HH:MM", "HH:MM", capacity)
    accept: tuple = (1, WD)
    deliver: tuple = (5, WD)


ITEMS = [
    # 姜谭路街道: the street's service cards.
    Spec(
        "legal",
        "律师坐班法律咨询",
        STREET,
        "宝鸡市律师协会",
        "律师每周三下午在街道公共法律服务工作站坐班：婚姻家庭、劳动争议、房屋租赁、邻里纠纷等法律咨询。",
        schedules=((2, "14:00", "17:30", 6),),
    ),
    Spec(
        "employment",
        "就业指导与岗位推荐",
        STREET,
        "渭滨区就业服务中心",
        "求职登记、岗位推荐、职业技能培训报名。",
        schedules=((1, "09:00", "11:30", 10),),
    ),
    Spec(
        "notary",
        "公证事项预约咨询",
        STREET,
        "宝鸡市公证处",
        "遗嘱、继承、委托、房产等公证事项的材料准备咨询。",
        schedules=((3, "09:00", "11:30", 4),),
    ),
    Spec(
        "psychology",
        "心理疏导",
        STREET,
        "宝鸡市心理咨询师协会",
        "一对一心理疏导，青少年、老年人、家庭关系等。",
        schedules=((4, "14:30", "17:00", 3),),
    ),
    # 姜谭路西社区: the community public-service list.
    Spec(
        "meals",
        "老年助餐",
        COMMUNITY,
        "姜谭路西社区老年食堂",
        "60 岁以上老人社区食堂午餐，两荤一素一汤。",
        fee="low",
        price="12",
        schedules=tuple((d, "11:00", "12:30", 30) for d in range(5)),
    ),
    Spec(
        "meals",
        "助餐送餐上门",
        COMMUNITY,
        "姜谭路西社区老年食堂",
        "行动不便的老人午餐送餐上门。",
        fee="low",
        price="15",
        accept=(2, WH),
        deliver=(1, WD),
    ),
    Spec(
        "repair",
        "家电维修（上门）",
        COMMUNITY,
        "姜谭路家电维修便民服务队",
        "洗衣机、冰箱、电视、燃气灶等上门维修，收上门费，配件按成本价。",
        fee="low",
        price="20",
        accept=(4, WH),
        deliver=(2, WD),
    ),
    Spec(
        "repair",
        "小家电义务维修日",
        COMMUNITY,
        "姜谭路家电维修便民服务队",
        "每周六上午在社区广场义务维修小家电。",
        schedules=((5, "09:00", "11:30", 15),),
    ),
    Spec(
        "psychology",
        "社区心理咨询室",
        COMMUNITY,
        "宝鸡市心理咨询师协会",
        "社区心理咨询室预约谈心。",
        schedules=((4, "09:30", "11:30", 2),),
    ),
    Spec("employment", "就业困难人员帮扶", COMMUNITY, "渭滨区就业服务中心", "公益性岗位、创业担保贷款咨询。"),
    Spec("notary", "公证材料代办", COMMUNITY, "宝鸡市公证处", "行动不便居民的公证材料代为递交。"),
    Spec(
        "elderly",
        "居家养老上门服务（助洁、助浴）",
        COMMUNITY,
        "姜谭路街道居家养老服务站",
        "独居、高龄老人上门助洁、助浴。",
        fee="low",
        price="30",
        accept=(1, WD),
        deliver=(3, WD),
    ),
    Spec(
        "elderly",
        "老年人健康监测",
        COMMUNITY,
        "姜谭路街道居家养老服务站",
        "测血压、血糖，健康档案更新。",
        schedules=((0, "09:00", "11:00", 20),),
    ),
    Spec(
        "nursery",
        "临时托管",
        COMMUNITY,
        "童心托育园",
        "3 岁以下婴幼儿临时托管。",
        fee="low",
        price="25",
        schedules=((2, "16:30", "18:30", 8), (4, "16:30", "18:30", 8)),
    ),
    Spec(
        "nursery",
        "四点半课堂",
        COMMUNITY,
        "童心托育园",
        "小学生放学后作业辅导。",
        schedules=((1, "16:30", "18:00", 20), (3, "16:30", "18:00", 20)),
    ),
    Spec(
        "culture",
        "文体活动室预约",
        COMMUNITY,
        "姜谭路街道综合文化站",
        "乒乓球、棋牌、书画活动室。",
        schedules=((5, "14:00", "17:00", 20),),
    ),
    Spec("legal", "法律援助申请代办", COMMUNITY, "宝鸡市律师协会", "符合条件的困难居民法律援助申请。"),
]


def _units() -> dict[str, Unit]:
    out = {}
    for name, kind, code in UNITS:
        out[name], _made = Unit.objects.get_or_create(
            name=name, defaults={"kind": kind, "area": Area.objects.get(code=code)}
        )
    return out


def _t(value: str) -> time:
    return time.fromisoformat(value)


def load_items(admin) -> int:  # noqa: ARG001
    units = _units()
    cats = {c.code: c for c in ServiceCategory.objects.all()}
    areas = {code: Area.objects.get(code=code) for code in (STREET, COMMUNITY)}
    created = 0
    for spec in ITEMS:
        if ServiceItem.objects.filter(name=spec.name, area_code=spec.area).exists():
            continue
        item = ServiceItem.objects.create(
            category=cats[spec.category],
            name=spec.name,
            description=spec.description,
            area=areas[spec.area],
            area_code=spec.area,
            fee=spec.fee,
            price=Decimal(spec.price),
            accept_limit=Decimal(spec.accept[0]),
            accept_unit=spec.accept[1],
            deliver_limit=Decimal(spec.deliver[0]),
            deliver_unit=spec.deliver[1],
            sort=created,
        )
        item.providers.set([units[spec.provider]])
        ServiceSchedule.objects.bulk_create(
            [
                ServiceSchedule(item=item, weekday=d, start=_t(s), end=_t(e), capacity=c)
                for d, s, e, c in spec.schedules
            ]
        )
        created += 1
    return created


def _handlers() -> None:
    admin = User.objects.filter(username="admin").first()
    for username, unit_name, display, phone in HANDLERS:
        if User.objects.filter(username=username).exists():
            continue
        user_create(
            by=admin,
            username=username,
            password=PASSWORD,
            role="unit",
            unit=Unit.objects.get(name=unit_name),
            display_name=display,
            phone=phone,
            validate=False,
        )


# ---------------------------------------------------------------- past orders


def _aware(day: date, hh: int, mm: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hh, mm)))


def _past_wednesday(weeks_ago: int) -> date:
    today = timezone.localdate()
    last = today - timedelta(days=(today.weekday() - 2) % 7 or 7)
    return last - timedelta(weeks=weeks_ago - 1)


# (item name, resident username, weeks ago, final state, rating, note)
PAST = [
    (
        "律师坐班法律咨询",
        "resident",
        7,
        "closed",
        "satisfied",
        "儿子工伤后单位不给报销，想问怎么申请工伤认定",
    ),
    ("律师坐班法律咨询", "volunteer", 6, "closed", "basic", "老房子拆迁补偿协议想请律师看看"),
    ("律师坐班法律咨询", "resident", 5, "closed", "unsatisfied", "邻居装修把我家墙面震裂了"),
    ("律师坐班法律咨询", "volunteer", 4, "closed_by_centre", "", "赡养费纠纷咨询"),
    ("律师坐班法律咨询", "resident", 3, "cancelled", "", "租房押金纠纷"),
    ("律师坐班法律咨询", "volunteer", 2, "unserved", "", "想咨询涉外婚姻财产分割"),
    ("律师坐班法律咨询", "resident", 1, "delivered", "", "物业费欠费被起诉，想咨询应诉"),
    ("家电维修（上门）", "resident", 6, "closed", "satisfied", "冰箱不制冷"),
    ("家电维修（上门）", "volunteer", 3, "closed", "satisfied", "洗衣机漏水"),
    ("家电维修（上门）", "resident", 2, "closed_late", "basic", "热水器打不着火"),
    ("助餐送餐上门", "volunteer", 4, "closed", "satisfied", "老伴腿摔伤了，这两周需要送餐"),
    ("助餐送餐上门", "resident", 1, "closed", "satisfied", "家里老人感冒，送三天午餐"),
]
HANDLER_OF = {
    "宝鸡市律师协会": "lawyer",
    "姜谭路西社区老年食堂": "canteen",
    "姜谭路家电维修便民服务队": "repairman",
}


def _past_order(
    item: ServiceItem, resident: User, dispatcher: User, weeks: int, final: str, rating: str, note: str
):
    provider = item.providers.first()
    handler = User.objects.filter(username=HANDLER_OF.get(provider.name, "")).first()
    slot = None
    if item.schedules.exists():
        row = item.schedules.first()
        day = _past_wednesday(weeks)
        slot, _made = ServiceSlot.objects.get_or_create(
            item=item, date=day, start=row.start, defaults={"end": row.end, "capacity": row.capacity}
        )
        ordered_at = _aware(day - timedelta(days=2), 10, 15)
        accepted_at = _aware(day - timedelta(days=1), 9, 5)
        delivered_at = _aware(day, 16, 20)
        deliver_due = _aware(day, row.end.hour, row.end.minute)
    else:
        day = timezone.localdate() - timedelta(weeks=weeks)
        ordered_at = _aware(day, 8, 40)
        accepted_at = _aware(day, 10, 10)
        delivered_at = _aware(day + timedelta(days=1), 15, 0)
        deliver_due = _aware(day + timedelta(days=2), 17, 30)
        if final == "closed_late":
            delivered_at = _aware(day + timedelta(days=4), 11, 0)
    dispatched_at = ordered_at + timedelta(hours=1, minutes=20)
    phone = resident.phone or "13800000007"
    order = Order.objects.create(
        ref=next_ref(OrderRefCounter, "FW", timezone.localdate(ordered_at)),
        item=item,
        slot=slot,
        resident=resident,
        contact_name=resident.display_name or resident.username,
        contact_phone=phone,
        contact_phone_hash=blind_index(phone),
        area=Area.objects.get(code=GRID),
        area_code=GRID,
        note=note,
        created_at=ordered_at,
    )
    order.state = "ordered"
    step(order, resident, "order", "", note=note, data={"item": item.name}, at=ordered_at)
    if final in ("cancelled",):
        order.state, order.closed_at = "cancelled", ordered_at + timedelta(hours=3)
        order.save()
        step(order, resident, "cancel", "ordered", note="问题已和房东协商解决", at=order.closed_at)
        return order
    if slot is not None:
        ServiceSlot.objects.filter(pk=slot.pk).update(taken=min(slot.taken + 1, slot.capacity))
    if final == "unserved":
        from gridgov.projects.actions import need_record

        order.state, order.closed_at = "unserved", ordered_at + timedelta(hours=5)
        order.save()
        need = need_record(
            by=dispatcher,
            title=f"{item.name}（服务单 {order.ref} 无法服务）",
            category=item.category.code,
            area=order.area_code,
            description="涉外婚姻家事需专业律师，协会暂无对口律师",
            source="order",
            source_id=order.pk,
        )
        step(
            order,
            dispatcher,
            "unservable",
            "ordered",
            note="涉外婚姻家事需专业律师，协会暂无对口律师",
            data={"need": need.pk},
            at=order.closed_at,
        )
        return order
    order.state, order.provider_unit, order.dispatched_at = "dispatched", provider, dispatched_at
    order.accept_due = dispatched_at + timedelta(days=1)
    step(order, dispatcher, "dispatch", "ordered", data={"provider": provider.name}, at=dispatched_at)
    order.state, order.accepted_at, order.deliver_due = "accepted", accepted_at, deliver_due
    step(order, handler, "accept", "dispatched", at=accepted_at)
    order.state, order.delivered_at = "delivered", delivered_at
    order.delivered_note = "已按约完成服务，居民当场确认"
    order.delivered_on_time = delivered_at <= deliver_due
    step(
        order,
        handler,
        "deliver",
        "accepted",
        note=order.delivered_note,
        data={"on_time": order.delivered_on_time},
        at=delivered_at,
    )
    if final in ("closed", "closed_late"):
        order.state, order.rating, order.rated_at = "closed", rating, delivered_at + timedelta(hours=20)
        order.rating_comment = {
            "satisfied": "服务很好，谢谢",
            "basic": "还可以",
            "unsatisfied": "解答不够具体",
        }[rating]
        order.closed_at = order.rated_at
        step(
            order,
            resident,
            "rate",
            "delivered",
            note=order.rating_comment,
            data={"rating": rating},
            at=order.rated_at,
        )
    elif final == "closed_by_centre":
        order.state, order.closed_at = "closed", delivered_at + timedelta(days=8)
        step(order, dispatcher, "close", "delivered", note="居民七天内未评价，中心结单", at=order.closed_at)
    order.save()
    return order


def _next_session(item: ServiceItem) -> tuple[date, time] | None:
    from gridgov.orders.selectors import slot_options

    options = [o for o in slot_options(item) if o.free]
    return (options[0].date, options[0].start) if options else None


def _live_orders(items: dict[str, ServiceItem], dispatcher: User) -> int:
    """Orders still running, made through the actions: one waiting for dispatch, one dispatched to the
    lawyers, one accepted, one declined once and back with the community."""
    resident = User.objects.filter(username="resident").first()
    volunteer = User.objects.filter(username="volunteer").first()
    lawyer = User.objects.filter(username="lawyer").first()
    repairman = User.objects.filter(username="repairman").first()
    if not (resident and volunteer and lawyer and repairman):
        return 0
    consult = items["律师坐班法律咨询"]
    session = _next_session(consult)
    made = 0
    if session:
        actions.order_create(
            by=resident,
            item=consult,
            slot_date=session[0],
            slot_start=session[1],
            grid=GRID,
            note="想咨询遗产继承，父亲去世没有留遗嘱",
        )
        dispatched = actions.order_create(
            by=volunteer,
            item=consult,
            slot_date=session[0],
            slot_start=session[1],
            grid=GRID,
            contact_phone="13800000008",
            note="公司拖欠三个月工资",
        ).order
        actions.order_dispatch(
            by=dispatcher, ref=dispatched.ref, provider_unit_id=consult.providers.first().pk
        )
        made += 2
    fix = items["家电维修（上门）"]
    accepted = actions.order_create(by=resident, item=fix, grid=GRID, note="电视机没有声音").order
    actions.order_dispatch(by=dispatcher, ref=accepted.ref, provider_unit_id=fix.providers.first().pk)
    actions.order_accept(by=repairman, ref=accepted.ref)
    declined = actions.order_create(
        by=volunteer, item=fix, grid=GRID, contact_phone="13800000008", note="空调外机异响"
    ).order
    actions.order_dispatch(by=dispatcher, ref=declined.ref, provider_unit_id=fix.providers.first().pk)
    actions.order_decline(by=repairman, ref=declined.ref, reason="空调维修需要高空作业资质，维修队暂无")
    return made + 2


def load_demo_orders(admin) -> dict:
    """Categories, providers, the catalogue and orders. Returns what was created (all zeros on a second
    run); without the demo street and community only the categories are loaded."""
    out = {"categories": load_demo_categories(), "items": 0, "orders": 0}
    if Area.objects.filter(code__in=[STREET, COMMUNITY, GRID]).count() != 3:
        return out
    with transaction.atomic():
        out["items"] = load_items(admin)
        _handlers()
    if Order.objects.filter(area_code__startswith=STREET).exists():
        return out
    dispatcher = User.objects.filter(username="community").first() or admin
    items = {i.name: i for i in ServiceItem.objects.filter(area_code__startswith=STREET)}
    residents = {u.username: u for u in User.objects.filter(username__in=["resident", "volunteer"])}
    with transaction.atomic():
        for name, who, weeks, final, rating, note in PAST:
            if who not in residents:
                continue
            _past_order(items[name], residents[who], dispatcher, weeks, final, rating, note)
            out["orders"] += 1
    out["orders"] += _live_orders(items, dispatcher)
    return out
