"""Demo case data: the standard category tree with limits, routing rules for the demo district, and a
handful of live cases in different states so the worklists are not empty."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from gridgov.accounts.models import Unit, User
from gridgov.areas.models import Area
from gridgov.cases import actions
from gridgov.cases.models import Case, Category, CategoryAttribute, RoutingRule

WH, WD, UH = "working_hours", "working_days", "urgent_hours"
# (code, name, parent code, response limit, unit, resolution limit, unit, anonymous allowed, sort)
CATEGORIES = [
    ("city", "城市管理", None, 2, WH, 5, WD, False, 1),
    ("city_appearance", "市容环境", "city", 2, WH, 2, WD, True, 11),
    ("advertising", "宣传广告", "city", 4, WH, 3, WD, True, 12),
    ("construction", "施工管理", "city", 4, WH, 5, WD, True, 13),
    ("street_order", "街面秩序", "city", 2, WH, 1, WD, True, 14),
    ("emergency", "突发事件", "city", Decimal("0.5"), UH, 4, UH, True, 15),
    ("other", "其他", "city", 4, WH, 5, WD, False, 16),
    ("illegal_parking", "违章停车", "city", 2, WH, 1, WD, True, 17),
    ("life", "社区生活", None, 4, WH, 5, WD, False, 2),
    ("property_service", "物业服务", "life", 2, WH, 3, WD, False, 21),
    ("neighbour_dispute", "邻里纠纷", "life", 1, WD, 7, WD, False, 22),
    ("heating_water", "供暖供水", "life", 2, WH, 2, WD, False, 23),
    ("charging", "充电桩", "life", 1, WD, 10, WD, False, 24),
    ("road_repair", "道路维修", "life", 4, WH, 10, WD, True, 25),
]
# English names (name_en), shown when English is active.
NAMES_EN = {
    "city": "City management",
    "city_appearance": "Street cleanliness",
    "advertising": "Advertising",
    "construction": "Construction",
    "street_order": "Street order",
    "emergency": "Emergencies",
    "other": "Other",
    "illegal_parking": "Illegal parking",
    "life": "Community life",
    "property_service": "Property management",
    "neighbour_dispute": "Neighbour disputes",
    "heating_water": "Heating and water",
    "charging": "EV charging",
    "road_repair": "Road repairs",
}
EXTRA_UNITS = [("渭滨区应急管理局", "department", "610302"), ("渭滨区司法局", "department", "610302")]
# (category, area code, lead unit, assist units)
RULES = [
    ("city_appearance", "610302", "渭滨区城市管理执法局", []),
    ("advertising", "610302", "渭滨区城市管理执法局", ["渭滨区市场监督管理局"]),
    ("construction", "610302", "渭滨区住房和城乡建设局", ["渭滨区城市管理执法局"]),
    ("street_order", "610302", "渭滨区城市管理执法局", []),
    ("street_order", "610302003", "渭滨区城市管理执法局", ["姜谭路派出所"]),
    ("illegal_parking", "610302", "渭滨区城市管理执法局", ["姜谭路派出所"]),
    ("emergency", "610302", "渭滨区应急管理局", ["渭滨区城市管理执法局"]),
    ("property_service", "610302", "渭滨区住房和城乡建设局", []),
    ("property_service", "610302003001", "秦川物业服务有限公司", []),
    ("neighbour_dispute", "610302", "渭滨区司法局", []),
    ("heating_water", "610302", "渭滨区住房和城乡建设局", []),
    ("charging", "610302", "渭滨区住房和城乡建设局", ["秦川物业服务有限公司"]),
    ("road_repair", "610302", "渭滨区住房和城乡建设局", []),
]


def load_categories() -> int:
    created = 0
    for code, name, parent, r_lim, r_unit, s_lim, s_unit, anon, sort in CATEGORIES:
        category, made = Category.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": NAMES_EN.get(code, ""),
                "parent": Category.objects.get(code=parent) if parent else None,
                "response_limit": Decimal(str(r_lim)),
                "response_unit": r_unit,
                "resolution_limit": Decimal(str(s_lim)),
                "resolution_unit": s_unit,
                "anonymous_allowed": anon,
                "sort": sort,
            },
        )
        if not made and not category.name_en and NAMES_EN.get(code):
            category.name_en = NAMES_EN[code]
            category.save(update_fields=["name_en"])
        created += made
    load_attributes()
    return created


# What a category asks for beyond the description (its Open311 service definition):
# (category, code, datatype, label, description, required, order, choices)
ATTRIBUTES = [
    ("illegal_parking", "plate", "string", "车牌号", "如 陕C12345；看不清可填“无牌”", True, 1, []),
    (
        "illegal_parking",
        "vehicle",
        "singlevaluelist",
        "车辆类型",
        "",
        False,
        2,
        [
            {"key": "car", "name": "小汽车"},
            {"key": "truck", "name": "货车"},
            {"key": "motorbike", "name": "摩托车、电动车"},
        ],
    ),
]


def load_attributes() -> int:
    created = 0
    for cat, code, datatype, label, description, required, order, choices in ATTRIBUTES:
        _, made = CategoryAttribute.objects.get_or_create(
            category=Category.objects.get(code=cat),
            code=code,
            defaults={
                "datatype": datatype,
                "label": label,
                "description": description,
                "required": required,
                "order": order,
                "values": choices,
            },
        )
        created += made
    return created


def load_rules() -> None:
    for name, kind, area_code in EXTRA_UNITS:
        Unit.objects.get_or_create(
            name=name, defaults={"kind": kind, "area": Area.objects.get(code=area_code)}
        )
    for cat, area_code, lead, assists in RULES:
        rule, made = RoutingRule.objects.get_or_create(
            category=Category.objects.get(code=cat),
            area=Area.objects.get(code=area_code),
            defaults={"lead_unit": Unit.objects.get(name=lead)},
        )
        if made and assists:
            rule.assist_units.set(Unit.objects.filter(name__in=assists))


# (category, grid code, lng/lat offset inside the grid (fraction of its bbox), description, how far it goes)
SAMPLES = [
    (
        "city_appearance",
        "610302003001001",
        (0.3, 0.4),
        "宝氮二区门口垃圾堆放多日无人清运，气味很大",
        "reported",
    ),
    (
        "property_service",
        "610302003001002",
        (0.5, 0.5),
        "秦川花园 3 号楼电梯经常停运，老人上下楼困难",
        "dispatched",
    ),
    ("road_repair", "610302003001003", (0.6, 0.3), "姜谭路西段人行道地砖破损，雨天积水", "claimed"),
    ("street_order", "610302003001005", (0.4, 0.6), "早市摊点占道经营，堵塞消防通道", "in_progress"),
    ("charging", "610302003001001", (0.7, 0.7), "小区电动车充电桩数量不够，居民私拉电线充电", "resolved"),
    ("heating_water", "610302003001004", (0.5, 0.2), "6 号楼二单元暖气不热，室温不到 16 度", "closed"),
    ("neighbour_dispute", "610302003001002", (0.2, 0.8), "楼上住户装修噪音扰民，协商未果", "accepted"),
]


def _steps():
    # each step: (ref, dispatcher, unit handler, unit id) → the next state
    return [
        lambda ref, staff, unit, uid: actions.case_accept(ref=ref, by=staff),
        lambda ref, staff, unit, uid: actions.case_dispatch(ref=ref, by=staff, lead_unit_id=uid),
        lambda ref, staff, unit, uid: actions.case_claim(ref=ref, by=unit),
        lambda ref, staff, unit, uid: actions.case_start(ref=ref, by=unit),
        lambda ref, staff, unit, uid: actions.case_resolve(ref=ref, by=unit, result="已现场处置完毕"),
        lambda ref, staff, unit, uid: actions.case_verify(ref=ref, by=staff, note="现场核实，已解决"),
        lambda ref, staff, unit, uid: actions.case_close(ref=ref, by=staff),
    ]


STOPS = {
    "reported": 0,
    "accepted": 1,
    "dispatched": 2,
    "claimed": 3,
    "in_progress": 4,
    "resolved": 5,
    "closed": 7,
}


def load_sample_cases(admin: User) -> int:
    """A few cases walked through the real actions to different states (only when there are none)."""

    if Case.objects.exists():
        return 0
    community = User.objects.get(username="community")
    handler = User.objects.get(username="unit")
    with transaction.atomic():
        return _walk_samples(community, handler, _steps())


def _walk_samples(community: User, handler: User, steps: list) -> int:
    unit_id = Unit.objects.get(name="渭滨区城市管理执法局").pk
    made = 0
    for cat, grid_code, (fx, fy), text, target in SAMPLES:
        grid = Area.objects.get(code=grid_code)
        lng = grid.min_lng + (grid.max_lng - grid.min_lng) * fx
        lat = grid.min_lat + (grid.max_lat - grid.min_lat) * fy
        case = actions.case_report(
            by=None,
            category_code=cat,
            description=text,
            lng=lng,
            lat=lat,
            reporter_name="张先生",
            reporter_phone="13900000000",
            channel="portal",
        ).case
        stop = STOPS[target]
        for step in steps[:stop]:
            step(case.ref, community, handler, unit_id)
        made += 1
    return made
