"""Demo ledger: buildings, households, residents (Chinese names, valid synthetic ID numbers), focus tags in
realistic shares and organisations for 姜谭路街道 (610302003) of the demo district.

The community 姜谭路西 (the demo accounts' community) is filled building by building; the street's other
communities get two buildings per grid. Generated from a fixed seed: every run builds the same people.
Rows are written in bulk (this is a fixture loader); ID numbers and phones go through the same encrypted
fields, keyed hashes and masks as every other write.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from django.contrib.auth.models import Group, Permission
from django.db import transaction

from gridgov.areas.demo import JIANGTAN_STREET, JIANGTAN_WEST
from gridgov.areas.models import Area, Level
from gridgov.core.crypto import blind_index, mask_phone
from gridgov.core.validators import synthetic_id_number
from gridgov.ledger.models import Building, FocusTag, Household, Organisation, Resident, TagAssignment
from gridgov.ledger.rules import personal_fields
from gridgov.ledger.tags import ensure_standard_tags

SEED = 610302003
TODAY = date(2026, 11, 1)  # the ledger's "as of" date: ages and tag dates are fixed, so runs are equal
REVEAL_GROUP = "个人信息查看"

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
GIVEN_MALE = "伟强磊军勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林欢阳建国志军庆东海峰"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞秀英华慧巧美娥玲桂兰凤洁梅琳素云莲真环雪荣爱妹香月莺媛红霞"
ESTATES = ["宝氮小区", "渭工家属院", "秦川新村", "姜谭花园", "电厂生活区", "化工小区", "石坝河苑", "清姜佳园"]
ETHNICITIES = ["汉族"] * 97 + ["回族", "满族", "蒙古族"]
SHOPS = [
    ("惠民超市", "零售"),
    ("老秦面馆", "餐饮"),
    ("平安大药房", "医药"),
    ("巧手理发店", "美容美发"),
    ("鲜果园水果店", "零售"),
    ("便民维修部", "家电维修"),
    ("岐山臊子面", "餐饮"),
    ("诚信五金店", "五金"),
]
UNITS = [
    ("宝鸡市第二人民医院分院", "医疗卫生"),
    ("姜谭路小学", "教育"),
    ("渭滨区税务所", "机关"),
    ("宝鸡供电公司营业厅", "公用事业"),
]
SOCIAL = [("夕阳红志愿服务队", "志愿服务"), ("邻里守望协会", "社区服务"), ("秦腔自乐班", "文体")]


def _name(rng: random.Random, gender: str) -> str:
    pool = GIVEN_MALE if gender == "M" else GIVEN_FEMALE
    given = rng.choice(pool) + (rng.choice(pool) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given


class _People:
    """Makes unique, valid ID numbers and plausible phones."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()
        self.phones: set[str] = set()

    def person(self, age: int, gender: str) -> dict:
        rng = self.rng
        while True:
            born = TODAY - timedelta(days=age * 365 + rng.randint(0, 364))
            seq = rng.randrange(0, 500) * 2 + (1 if gender == "M" else 0)
            number = synthetic_id_number("610302", born, seq)
            if number not in self.used:
                self.used.add(number)
                break
        phone = ""
        if age >= 14 and rng.random() < 0.9:
            while not phone or phone in self.phones:
                phone = (
                    rng.choice(["139", "138", "137", "135", "158", "189", "177", "152"])
                    + f"{rng.randrange(10**8):08d}"
                )
            self.phones.add(phone)
        from gridgov.core.validators import parse_id_number

        return personal_fields(parse_id_number(number), phone)


def _household_people(rng: random.Random, people: _People) -> tuple[list[dict], list[str], str]:
    """One household's members as (fields, tag codes per member), the household's own tags and occupancy."""
    roll = rng.random()
    members: list[dict] = []

    def add(age, gender, relation, **extra):
        members.append({"age": age, "gender": gender, "relation": relation, **extra})

    household_tags: list[str] = []
    occupancy = "owner"
    if roll < 0.08:  # 独居老人: 8 % of households
        add(rng.randint(66, 92), rng.choice("MF"), "head", tags=["living_alone"])
    elif roll < 0.18:  # 空巢 couple
        age = rng.randint(62, 85)
        add(age, "M", "head", tags=["empty_nest"])
        add(age - rng.randint(0, 4), "F", "spouse", tags=["empty_nest"])
    elif roll < 0.36:  # renters (流动人口)
        occupancy = "rented"
        age = rng.randint(22, 45)
        add(age, "M", "head", floating=True)
        if rng.random() < 0.6:
            add(age - rng.randint(0, 5), "F", "spouse", floating=True)
        if rng.random() < 0.4:
            add(rng.randint(1, 12), rng.choice("MF"), "child", floating=True)
    else:  # families, some three generations
        age = rng.randint(30, 58)
        add(age, "M", "head")
        add(age - rng.randint(0, 5), "F", "spouse")
        for _ in range(rng.choice([0, 1, 1, 1, 2])):
            add(rng.randint(1, max(2, age - 22)), rng.choice("MF"), "child")
        if rng.random() < 0.3:
            add(age + rng.randint(22, 30), rng.choice("MF"), "parent")
    if occupancy != "rented" and rng.random() < 0.03:
        household_tags.append("needy")
    if occupancy != "rented" and rng.random() < 0.008:
        household_tags.append("bereaved")
    rows = []
    for m in members:
        fields = people.person(m["age"], m["gender"])
        tags = list(m.get("tags", []))
        if m["age"] >= 60 and rng.random() < 0.05:
            tags.append("semi_self_care")
        if rng.random() < 0.02:
            tags.append("disabled")
        if 25 <= m["age"] <= 75 and m["gender"] == "M" and rng.random() < 0.03:
            tags.append("veteran")
        party = rng.random() < (0.12 if m["age"] >= 60 else 0.07)
        if party and m["age"] >= 70:
            tags.append("old_party_member")
        if 18 <= m["age"] <= 55 and rng.random() < 0.025:
            tags.append("unemployed" if rng.random() < 0.6 else "job_seeking")
        if m["age"] >= 18 and rng.random() < 0.004:
            tags.append("petitioner")
        rows.append(
            {
                "name": _name(rng, m["gender"]),
                "relation": m["relation"],
                "residence_type": "floating" if m.get("floating") else "registered",
                "political_status": "party_member"
                if party
                else ("league" if 14 <= m["age"] <= 28 and rng.random() < 0.3 else "masses"),
                "ethnicity": rng.choice(ETHNICITIES),
                "tags": tags,
                **fields,
            }
        )
    return rows, household_tags, occupancy


def _grids() -> list[tuple[Area, int]]:
    """(grid, number of buildings): 6 per grid in 姜谭路西, 2 elsewhere in the street."""
    out = []
    for grid in Area.objects.filter(
        code__startswith=JIANGTAN_STREET, level=Level.GRID, is_active=True
    ).order_by("code"):
        out.append((grid, 6 if grid.code.startswith(JIANGTAN_WEST) else 2))
    return out


def load_demo_ledger(admin) -> dict[str, int]:
    """Fill the demo street's ledger once; a second run changes nothing."""
    ensure_standard_tags()
    _grant_reveal_to_demo_community()
    if Building.objects.filter(code__startswith=JIANGTAN_STREET).exists():
        return {}
    rng = random.Random(SEED)
    people = _People(rng)
    tags = {t.code: t for t in FocusTag.objects.all()}
    counts = {"buildings": 0, "households": 0, "residents": 0, "organisations": 0, "tags": 0}
    with transaction.atomic():
        for grid, n_buildings in _grids():
            community = grid.parent
            stem = community.name.replace("社区", "")
            estate = ESTATES[int(grid.code[-3:]) % len(ESTATES)]
            buildings = []
            for b in range(n_buildings):
                fx, fy = (b % 3 + 0.5) / 3, (b // 3 + 0.5) / 2
                buildings.append(
                    Building(
                        code=f"{grid.code}-{b + 1:02d}",
                        name=f"{estate}{b + 1}号楼",
                        area=grid,
                        area_code=grid.code,
                        address=f"渭滨区{stem}{estate}{b + 1}号楼",
                        kind="residential",
                        units=2,
                        floors=6,
                        lng=round(grid.min_lng + (grid.max_lng - grid.min_lng) * fx, 6),
                        lat=round(grid.min_lat + (grid.max_lat - grid.min_lat) * fy, 6),
                    )
                )
            Building.objects.bulk_create(buildings)
            counts["buildings"] += len(buildings)
            _organisations(rng, grid, buildings, counts)
            for building in buildings:
                _fill_building(rng, people, building, tags, admin, counts)
    return counts


def _fill_building(rng, people, building, tags, admin, counts) -> None:
    plans = []
    for unit in ("1", "2"):
        for floor in range(1, 7):
            for door in (1, 2):
                room = f"{floor}0{door}"
                if rng.random() < 0.06:
                    plans.append((unit, room, "vacant", [], []))
                    continue
                members, household_tags, occupancy = _household_people(rng, people)
                plans.append((unit, room, occupancy, members, household_tags))
    households = Household.objects.bulk_create(
        [
            Household(building=building, unit=u, room=r, occupancy=o, area_code=building.area_code)
            for u, r, o, _m, _t in plans
        ]
    )
    counts["households"] += len(households)
    residents: list[Resident] = []
    resident_tags: list[tuple[int, list[str]]] = []
    assignments: list[TagAssignment] = []
    for household, (_u, _r, _o, members, household_tags) in zip(households, plans, strict=True):
        for m in members:
            tag_codes = m.pop("tags")
            residents.append(Resident(household=household, area_code=building.area_code, **m))
            resident_tags.append((len(residents) - 1, tag_codes))
        for code in household_tags:
            assignments.append(
                TagAssignment(
                    tag=tags[code],
                    household=household,
                    area_code=building.area_code,
                    reason="社区摸排认定",
                    since=TODAY - timedelta(days=rng.randint(30, 900)),
                    by=admin,
                )
            )
    Resident.objects.bulk_create(residents, batch_size=500)
    counts["residents"] += len(residents)
    for index, codes in resident_tags:
        for code in codes:
            assignments.append(
                TagAssignment(
                    tag=tags[code],
                    resident=residents[index],
                    area_code=building.area_code,
                    reason="入户走访认定",
                    since=TODAY - timedelta(days=rng.randint(30, 900)),
                    by=admin,
                )
            )
    TagAssignment.objects.bulk_create(assignments, batch_size=500)
    counts["tags"] += len(assignments)
    heads = [r for r in residents if r.relation == "head"]
    for head in heads:
        head.household.head = head
    Household.objects.bulk_update([h.household for h in heads], ["head"], batch_size=500)
    # A few residents per building are 居民代表 (about one in thirty households).
    for household in rng.sample(households, k=max(1, len(households) // 30)):
        head = next((r for r in heads if r.household_id == household.pk), None)
        if head is not None:
            TagAssignment.objects.get_or_create(
                tag=tags["representative"],
                resident=head,
                defaults={
                    "area_code": building.area_code,
                    "reason": "居民推选",
                    "since": TODAY - timedelta(days=400),
                    "by": admin,
                },
            )
            counts["tags"] += 1


def _organisations(rng, grid, buildings, counts) -> None:
    orgs = []
    for name, industry in rng.sample(SHOPS, k=3):
        keeper = _name(rng, rng.choice("MF"))
        phone = "13" + f"{rng.randrange(10**9):09d}"
        orgs.append(
            Organisation(
                kind="shop",
                name=f"{name}（{grid.name}店）",
                area=grid,
                area_code=grid.code,
                building=rng.choice(buildings),
                industry=industry,
                contact_name=keeper,
                contact_phone=phone,
                contact_phone_hash=blind_index(phone),
                contact_phone_masked=mask_phone(phone),
                staff_count=rng.randint(2, 12),
            )
        )
    if grid.code.endswith("001"):
        community = grid.parent
        unit_name, industry = UNITS[int(community.code[-3:]) % len(UNITS)]
        social_name, social_industry = SOCIAL[int(community.code[-3:]) % len(SOCIAL)]
        orgs.append(
            Organisation(
                kind="unit",
                name=f"{unit_name}（{community.name}）",
                area=grid,
                area_code=grid.code,
                industry=industry,
                staff_count=rng.randint(20, 200),
            )
        )
        orgs.append(
            Organisation(
                kind="social",
                name=f"{community.name}{social_name}",
                area=grid,
                area_code=grid.code,
                industry=social_industry,
            )
        )
        orgs.append(
            Organisation(
                kind="property",
                name=f"{community.name.replace('社区', '')}物业服务有限公司",
                area=grid,
                area_code=grid.code,
                industry="物业管理",
                staff_count=rng.randint(8, 40),
            )
        )
    Organisation.objects.bulk_create(orgs)
    counts["organisations"] += len(orgs)
    managers = [o for o in orgs if o.kind == "property"]
    if managers:
        Building.objects.filter(pk__in=[b.pk for b in buildings]).update(property_company=managers[0])


def _grant_reveal_to_demo_community() -> None:
    """The demo community secretary may reveal personal data (with a reason); the grid worker may not."""
    from gridgov.accounts.models import User

    group, _ = Group.objects.get_or_create(name=REVEAL_GROUP)
    group.permissions.add(
        Permission.objects.get(codename="reveal_personal", content_type__app_label="ledger")
    )
    for user in User.objects.filter(username="community"):
        user.groups.add(group)
