"""Residents' reports as data (SPEC M14): a realistic, labelled corpus of past cases for the demo district's
history and for benchmarks. Pure Python (no Django ORM, nothing read from the database), deterministic for
a seed.

**Texts.** Every category has topics; a topic is a set of objects × problems (井盖 × 松动了车一过就响) and
whole phrases, with its own consequences, places, times and season. A text combines a topic's clause with
a place, how long it has lasted, a consequence, a plea and sometimes an emotion, in one of several styles:
a resident's own words, a hotline operator's transcript (市民来电反映：…), a grid worker's patrol report
(网格员巡查发现…), a one-liner, a question, a 随手拍 post. On top of that, at fixed rates:

* typos (同音字/形近字: 垃圾→拉圾, 井盖→井概, 漏水→露水 …) in :data:`TYPO_RATE` of the texts;
* a second problem of another category in :data:`MIXED_RATE` (the label stays the main one);
* a plausible wrong label (dispatcher mislabelling) in :data:`MISLABEL_RATE`;
* personal data in about :data:`PERSONAL_RATE`: a surname with 先生/阿姨/…, a full name after a cue
  (我是/联系人), a mobile number (``1[3-9]x`` 11 digits, sometimes with spaces or dashes) and rarely an
  18-digit ID number of the demo district (``610302…``, valid check character). All values are generated
  at random — fake, never taken from anywhere — and in the formats :func:`gridgov.core.text.mask` finds.

**History** (:func:`history_rows`): ``per_category`` old work orders per category (12 × 2,000 = 24,000 by
default) over the last ``years`` years before ``today``, in time order, as dicts keyed by the history
import's column names (:data:`gridgov.assist.history_file.COLUMNS`). ``reported_at`` and ``closed_at`` are
timezone-aware datetimes in Asia/Shanghai. ``category`` is the OLD system's category name: the Chinese
category name, except that the old system used other names for some categories during the first part of
the period (:data:`OLD_NAMES` maps those to category codes, for ``CategoryAlias``). ``unit`` follows the
demo routing rules (:data:`ROUTES`, the same as ``gridgov.cases.demo.RULES``) with realistic deviations
(:data:`DEVIATIONS`, and :data:`DEVIATION_RATE` handled by some other unit). Points lie inside the demo
grids (``gridgov.areas.demo.demo_areas``, rectangles), weighted by grid, with hot spots where a
category's problems keep coming back. Dates follow the topics' seasons (heating complaints in Nov–Mar),
fewer reports at weekends, times of day by topic (noise at night, street stalls in the morning).

**Synthetic** (:func:`synthetic`): ``n`` labelled rows for benchmarks, in time order, fast (about a
million rows in 5–7 s on one core), with the same variety; ``categories=120`` splits the 12 categories
into a finer taxonomy by object, for a city-scale benchmark; ``grids=3000`` invents a city of that many
grids instead of the demo district's 370.
"""

from __future__ import annotations

import bisect
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from itertools import accumulate
from zoneinfo import ZoneInfo

from gridgov.areas.demo import demo_areas

TZ = ZoneInfo("Asia/Shanghai")
TYPO_RATE = 0.04  # share of texts with one 同音字/形近字 substitution
MIXED_RATE = 0.08  # share of texts that mention a second problem of another category
MISLABEL_RATE = 0.05  # share of rows whose category label is a plausible wrong one
PERSONAL_RATE = 0.12  # share of texts with personal data (names 6 %, phones 5 %, ID numbers 1 %)
DEVIATION_RATE = 0.03  # share of rows handled by some other unit than the routing gives
MIN_LEN, MAX_LEN = 8, 120
SYNTHETIC_END = date(2026, 1, 1)  # synthetic rows end here (not today: the same seed gives the same rows)

# The demo's leaf categories, in the order of gridgov.cases.demo.CATEGORIES.
CODES = (
    "city_appearance",
    "advertising",
    "construction",
    "street_order",
    "emergency",
    "other",
    "illegal_parking",
    "property_service",
    "neighbour_dispute",
    "heating_water",
    "charging",
    "road_repair",
)
# data: the demo categories' current names (as in gridgov.cases.demo.CATEGORIES)
CATEGORY_NAMES = {
    "city_appearance": "市容环境",
    "advertising": "宣传广告",
    "construction": "施工管理",
    "street_order": "街面秩序",
    "emergency": "突发事件",
    "other": "其他",
    "illegal_parking": "违章停车",
    "property_service": "物业服务",
    "neighbour_dispute": "邻里纠纷",
    "heating_water": "供暖供水",
    "charging": "充电桩",
    "road_repair": "道路维修",
}
# data: the old system's names that differ from the current ones (old name → category code); the old
# system used them before it was renamed, so the history import needs a CategoryAlias for each
OLD_NAMES = {
    "环境卫生": "city_appearance",
    "违停": "illegal_parking",
    "乱贴乱画": "advertising",
    "市政设施": "road_repair",
    "物业管理": "property_service",
    "水电气暖": "heating_water",
}
_OLD_BY_CODE = {code: old for old, code in OLD_NAMES.items()}
RENAMED_AT = 0.45  # the old names were used for this first share of the history period

# data: routing of the demo district (category, area code, lead unit), as gridgov.cases.demo.RULES
ROUTES = [
    ("city_appearance", "610302", "渭滨区城市管理执法局"),
    ("advertising", "610302", "渭滨区城市管理执法局"),
    ("construction", "610302", "渭滨区住房和城乡建设局"),
    ("street_order", "610302", "渭滨区城市管理执法局"),
    ("street_order", "610302003", "渭滨区城市管理执法局"),
    ("illegal_parking", "610302", "渭滨区城市管理执法局"),
    ("emergency", "610302", "渭滨区应急管理局"),
    ("property_service", "610302", "渭滨区住房和城乡建设局"),
    ("property_service", "610302003001", "秦川物业服务有限公司"),
    ("neighbour_dispute", "610302", "渭滨区司法局"),
    ("heating_water", "610302", "渭滨区住房和城乡建设局"),
    ("charging", "610302", "渭滨区住房和城乡建设局"),
    ("road_repair", "610302", "渭滨区住房和城乡建设局"),
]
DEFAULT_UNIT = "渭滨区民政局"  # "other" has no routing rule: the old system sent most of it here
# data: who else handled a category's cases in an area, and how often (category, area prefix, unit, share)
DEVIATIONS = [
    ("illegal_parking", "610302003", "姜谭路派出所", 0.30),
    ("street_order", "610302003", "姜谭路派出所", 0.10),
    ("advertising", "610302", "渭滨区市场监督管理局", 0.15),
    ("construction", "610302", "渭滨区城市管理执法局", 0.15),
    ("emergency", "610302", "渭滨区城市管理执法局", 0.12),
    ("charging", "610302003001", "秦川物业服务有限公司", 0.45),
    ("neighbour_dispute", "610302003", "姜谭路派出所", 0.10),
    ("neighbour_dispute", "610302", "宝鸡市律师协会", 0.06),
    ("other", "610302", "渭滨区城市管理执法局", 0.30),
]
# data: every unit of the demo (gridgov.accounts.demo.DEMO_UNITS and gridgov.cases.demo.EXTRA_UNITS)
UNITS = (
    "渭滨区城市管理执法局",
    "渭滨区住房和城乡建设局",
    "渭滨区市场监督管理局",
    "渭滨区民政局",
    "姜谭路派出所",
    "秦川物业服务有限公司",
    "宝鸡市律师协会",
    "渭滨区应急管理局",
    "渭滨区司法局",
)
# data: categories a dispatcher plausibly confuses a category with (mislabelling), and that a report of a
# category plausibly also mentions (mixed texts)
CONFUSED = {
    "city_appearance": ("street_order", "property_service", "advertising", "other"),
    "advertising": ("city_appearance", "street_order"),
    "construction": ("street_order", "road_repair", "neighbour_dispute"),
    "street_order": ("city_appearance", "illegal_parking", "construction"),
    "emergency": ("road_repair", "heating_water", "other"),
    "other": ("city_appearance", "property_service", "street_order"),
    "illegal_parking": ("street_order", "property_service"),
    "property_service": ("neighbour_dispute", "heating_water", "city_appearance"),
    "neighbour_dispute": ("property_service", "other"),
    "heating_water": ("property_service", "emergency"),
    "charging": ("property_service", "emergency"),
    "road_repair": ("city_appearance", "emergency", "construction"),
}
# data: relative yearly volume of each category (synthetic rows; history has per_category of each)
VOLUME = {
    "city_appearance": 1.6,
    "advertising": 0.6,
    "construction": 0.7,
    "street_order": 1.2,
    "emergency": 0.25,
    "other": 0.6,
    "illegal_parking": 1.4,
    "property_service": 1.5,
    "neighbour_dispute": 0.7,
    "heating_water": 1.0,
    "charging": 0.5,
    "road_repair": 0.9,
}

# data: relative month weights (Jan … Dec) of a topic's reports
SEASONS = {
    "": (0.95, 0.85, 1.0, 1.0, 1.05, 1.1, 1.1, 1.1, 1.0, 1.0, 0.95, 0.95),
    "winter": (1.5, 1.1, 0.45, 0.03, 0.02, 0.02, 0.02, 0.02, 0.02, 0.05, 1.0, 1.4),
    "summer": (0.2, 0.2, 0.35, 0.6, 0.9, 1.4, 1.7, 1.5, 1.0, 0.5, 0.3, 0.2),
    "warm": (0.35, 0.45, 0.9, 1.15, 1.2, 1.2, 1.1, 1.1, 1.15, 1.0, 0.8, 0.45),
    "newyear": (2.0, 2.2, 0.3, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.1, 0.1, 0.4),
}
# data: relative hour weights (0 … 23) of a topic's reports
HOURS = {
    "day": (
        0.05,
        0.02,
        0.02,
        0.02,
        0.03,
        0.1,
        0.3,
        0.8,
        1.4,
        1.8,
        1.9,
        1.6,
        1.0,
        0.9,
        1.4,
        1.7,
        1.6,
        1.3,
        0.9,
        0.8,
        0.7,
        0.5,
        0.3,
        0.12,
    ),  # fmt: skip
    "night": (
        0.9,
        0.5,
        0.2,
        0.1,
        0.05,
        0.05,
        0.1,
        0.3,
        0.5,
        0.6,
        0.5,
        0.5,
        0.5,
        0.5,
        0.5,
        0.5,
        0.5,
        0.6,
        0.7,
        0.9,
        1.2,
        1.6,
        1.9,
        1.6,
    ),  # fmt: skip
    "morning": (
        0.02,
        0.02,
        0.02,
        0.05,
        0.2,
        0.6,
        1.4,
        1.9,
        1.9,
        1.5,
        1.1,
        0.8,
        0.6,
        0.5,
        0.6,
        0.6,
        0.6,
        0.7,
        0.8,
        0.7,
        0.5,
        0.3,
        0.15,
        0.05,
    ),  # fmt: skip
    "any": (
        0.6,
        0.5,
        0.4,
        0.4,
        0.4,
        0.5,
        0.7,
        0.9,
        1.1,
        1.2,
        1.2,
        1.1,
        1.0,
        1.0,
        1.1,
        1.2,
        1.2,
        1.2,
        1.1,
        1.1,
        1.0,
        0.9,
        0.8,
        0.7,
    ),  # fmt: skip
}
WEEKDAYS = (1.15, 1.05, 1.0, 1.0, 0.95, 0.72, 0.66)  # Monday … Sunday


def _t(objects=(), problems=(), phrases=(), *, effects=(), where=(), when=(), season="", hours="day", weight=1.0):  # fmt: skip
    return {
        "clauses": tuple(o + p for o in objects for p in problems) + tuple(phrases),
        "objects": tuple(objects),
        "problems": tuple(problems),
        "phrases": tuple(phrases),
        "effects": tuple(effects),
        "where": tuple(where),
        "when": tuple(when),
        "season": season,
        "hours": hours,
        "weight": weight,
    }


# data: what residents complain about, per category: topics (objects × problems and whole phrases, with
# the topic's own consequences, places, times of day and season)
TOPICS: dict[str, list[dict]] = {
    "city_appearance": [
        _t(
            ("垃圾桶", "垃圾箱", "分类垃圾桶", "垃圾池", "垃圾站", "拉圾桶"),
            (
                "满了没人清运",
                "满得溢出来了",
                "好几天没人倒了",
                "周边脏得很",
                "臭得不行",
                "坏了也没人换",
                "旁边苍蝇蚊子成堆",
            ),
            where=("楼下", "小区门口", "单元门口", "菜市场旁边", "巷子口", "小区后门"),
            weight=2.2,
        ),
        _t(
            ("建筑垃圾", "装修垃圾", "大件家具", "旧沙发床垫", "渣土", "杂物"),
            ("堆在路边没人管", "乱堆乱放", "堆了一大堆", "占着通道没人清", "倒在绿化带里", "扔在空地上"),
            weight=1.5,
        ),
        _t(
            phrases=(
                "绿化带里白色垃圾很多",
                "路边有死猫没人清理",
                "公厕脏乱差没人打扫",
                "公厕没水冲不了",
                "有人在路边焚烧垃圾冒黑烟",
                "河道里漂着很多垃圾",
                "饭馆油烟直排熏得人受不了",
                "狗屎到处都是没人清理",
                "路面一大片油污",
                "烧烤摊油烟呛人",
                "楼道里的垃圾好久没人收了",
                "树叶落了一地没人扫",
                "下水口堵了污水横流",
                "墙上乱涂乱画很难看",
            ),
            when=("每天晚上", "一到傍晚", "天一热"),
            weight=1.5,
        ),
        _t(
            phrases=(
                "烟花爆竹碎屑满地没人扫",
                "过年的垃圾堆成山了",
                "鞭炮皮和纸箱子到处都是",
                "年货包装盒扔得满地都是",
            ),
            season="newyear",
            weight=0.5,
        ),
    ],
    "advertising": [
        _t(
            ("小广告", "办证广告", "开锁小广告", "贷款广告", "牛皮癣广告", "疏通下水道的广告"),
            (
                "贴得到处都是",
                "贴满了单元门",
                "刚清理完又贴上了",
                "喷在墙上擦不掉",
                "贴满了电线杆",
                "塞满了门缝",
            ),
            where=("单元门口", "楼道里", "电线杆上", "公交站牌上", "小区围墙上", "电梯里"),
            weight=2.0,
        ),
        _t(
            ("广告牌", "店铺招牌", "门头牌匾", "户外广告", "灯箱"),
            (
                "摇摇欲坠",
                "被风吹歪了快掉下来",
                "破损严重",
                "晚上灯光太刺眼",
                "私自搭在人行道上",
                "挡住了我家窗户",
            ),
            effects=("怕砸到人", "刮风的时候吓人"),
        ),
        _t(
            phrases=(
                "有人在路口发传单扔了一地",
                "宣传横幅破了耷拉下来",
                "商铺门口放大音响做促销",
                "流动广告车喇叭声太吵",
                "广告三轮车堵在路口吆喝",
                "楼体上挂的条幅被风刮烂了",
                "地上喷的广告怎么也洗不掉",
            ),
        ),
    ],
    "construction": [
        _t(
            ("工地", "施工队", "搅拌机", "打桩机", "旁边的工地", "地铁工地"),
            (
                "晚上十一点多还在施工",
                "半夜施工噪音扰民",
                "凌晨还在作业吵得睡不着",
                "一大早六点就开工",
                "噪音特别大",
            ),
            hours="night",
            where=("小区旁边", "我家对面", "楼后面", "路对面", ""),
            season="warm",
            weight=1.8,
        ),
        _t(
            ("工地", "施工现场", "拆迁工地", "建筑工地"),
            ("扬尘特别大", "围挡破了尘土飞扬", "裸土没有覆盖", "车辆带泥上路", "污水直接排到路上"),
            where=("小区旁边", "路对面", "我家对面", "路边"),
            season="warm",
            weight=1.3,
        ),
        _t(
            phrases=(
                "渣土车沿路撒漏",
                "施工占道没有警示标志",
                "挖开的沟好多天没人回填",
                "施工把路面挖坏了没恢复",
                "楼上装修违规拆承重墙",
                "有人私搭乱建彩钢房",
                "小区里有人违建阳光房",
                "施工材料堆在人行道上",
                "楼顶有人加盖房子",
            ),
            where=("", "路边", "小区里", "路口"),
            season="warm",
        ),
    ],
    "street_order": [
        _t(
            ("流动摊贩", "早市摊点", "水果摊", "卖菜的", "夜市摊位", "小商贩"),
            ("占道经营", "把路都堵了", "摆到马路中间了", "占用人行道", "堵住了消防通道"),
            when=("每天早上", "一到晚上", "周末", "天天"),
            where=("菜市场旁边", "路口", "小区门口", "学校门口", "天桥下"),
            hours="morning",
            weight=1.8,
        ),
        _t(
            ("门店", "饭馆", "修车铺", "五金店", "超市", "烧烤店"),
            ("跨门经营", "把货物摆到人行道上", "在路边洗车污水横流", "占道修车", "在门口支桌子摆摊"),
        ),
        _t(
            phrases=(
                "共享单车乱停堵住盲道",
                "广场舞音响声音太大",
                "路边有人乞讨强行要钱",
                "有人遛狗不拴绳",
                "流浪狗成群吓人",
                "有人在绿地里种菜",
                "晾衣绳拉到了人行道上",
                "有人在路边喝酒闹事",
                "有人在路边卖活禽",
            ),
            hours="any",
        ),
    ],
    "emergency": [
        _t(
            phrases=(
                "闻到很大的燃气味",
                "燃气管道好像漏气了",
                "电线冒火花了",
                "配电箱冒烟了",
                "楼道里着火了冒着浓烟",
                "有人被困在电梯里",
                "外墙瓷砖掉下来差点砸到人",
                "有老人摔倒昏迷了",
                "楼顶有人情绪激动要往下跳",
                "一栋老楼墙体裂缝越来越大",
            ),
            where=("", "小区里", "楼下", "单元门口"),
            hours="any",
            weight=1.5,
        ),
        _t(
            phrases=(
                "暴雨积水倒灌进了地下室",
                "大树被风刮倒压住了电线",
                "下水道冒水淹了路面",
                "桥洞下积水很深车都熄火了",
                "山坡上泥石流冲下来了",
                "河水暴涨快漫过河堤了",
                "广告牌被大风刮倒了",
                "路面突然塌陷了一个大坑",
            ),
            where=("", "小区里", "路边", "路口", "楼下"),
            season="summer",
            hours="any",
        ),
    ],
    "other": [
        _t(
            phrases=(
                "想咨询一下高龄补贴怎么申请",
                "询问低保怎么办理",
                "桥洞里有流浪人员睡着",
                "建议在路口增设公交站",
                "广场健身器材坏了",
                "想问一下社区疫苗接种时间",
                "楼下有个老人走失了在找家",
                "小区想建个老年食堂",
                "建议增加社区活动室开放时间",
                "询问居住证怎么办理",
                "有人在小区里养鸽子",
                "建议小区里装几个休息椅",
                "咨询老旧小区改造什么时候开始",
                "询问加装电梯的补贴政策",
                "反映社区工作人员态度不好",
                "想给社区提个建议",
            ),
            effects=("不知道该找谁", "问了好几个地方都说不清", "麻烦给个答复"),
            where=("",),
        ),
    ],
    "illegal_parking": [
        _t(
            ("车辆", "私家车", "一辆白色轿车", "货车", "面包车", "大货车", "出租车", "外地牌照的车"),
            (
                "乱停乱放",
                "堵住了消防通道",
                "停在小区门口堵路",
                "长期占用人行道",
                "停在盲道上",
                "双排停车把路堵死了",
                "停在公交站台上",
            ),  # fmt: skip
            where=("小区门口", "消防通道", "路边", "学校门口", "医院门口", "单元门口", "路口"),
            weight=2.2,
        ),
        _t(("僵尸车", "废弃车辆", "报废车"), ("长期停放没人管", "落满灰尘好几个月不动", "占着车位一年多了")),
        _t(
            phrases=(
                "有人用地锁私占公共车位",
                "有人用石墩子占车位",
                "电动车停满了人行道",
                "有车停在我家车库门口出不去",
                "晚上大车停在路边挡光线",
                "早晚高峰接孩子的车乱停",
            ),
        ),
    ],
    "property_service": [
        _t(
            ("电梯", "3号楼电梯", "二单元电梯", "小区的电梯"),
            ("经常停运", "运行有异响", "三天两头坏", "困过好几次人", "门关不上", "年检过期了"),
            effects=("老人上下楼很困难", "每天爬十几层楼", "太不安全了"),
            weight=1.5,
        ),
        _t(
            ("楼道灯", "声控灯", "单元门禁", "门禁", "监控", "道闸", "单元门"),
            ("坏了一个月没人修", "坏了物业不管", "不亮了", "报修好几次都没人来"),
        ),
        _t(
            phrases=(
                "物业乱收费",
                "物业费涨了也没公示",
                "物业不打扫卫生",
                "化粪池满了物业不清理",
                "下水道堵了物业推诿",
                "楼顶漏水物业不管",
                "小区绿化没人管杂草丛生",
                "物业保安态度恶劣",
                "停车费收得不合理",
                "物业不给开发票",
                "物业撤走了小区没人管",
                "公共维修基金使用不公开",
            ),
            weight=1.5,
        ),
    ],
    "neighbour_dispute": [
        _t(
            ("楼上住户", "楼上邻居", "隔壁邻居", "对门邻居", "楼下住户", "隔壁那家"),
            (
                "装修噪音扰民",
                "半夜蹦跳吵得睡不着",
                "漏水到我家协商不成",
                "在楼道里堆放杂物",
                "养的狗天天叫",
                "占用公共楼道",
                "空调外机对着我家窗户",
                "把垃圾放在门口",
            ),  # fmt: skip
            hours="night",
            where=("", "", "我们楼", "二单元", "家里"),
            weight=2.0,
        ),
        _t(
            phrases=(
                "邻居私自在公共绿地种菜引发矛盾",
                "两家因为停车位吵起来了",
                "邻居家的狗咬伤了人协商不成",
                "楼上往下扔东西",
                "邻居在楼道里装摄像头对着我家",
                "因为漏水赔偿和邻居谈不拢",
                "邻居把楼道窗户拆了",
            ),
        ),
    ],
    "heating_water": [
        _t(
            ("暖气", "家里暖气", "卧室暖气片", "供暖", "我家的暖气"),
            ("不热", "温度不达标", "一点都不热", "时冷时热", "漏水了", "室温只有十几度", "到现在还没来"),
            phrases=("交了暖气费还是不热", "暖气管道爆了", "供暖公司说排气了还是不热", "整栋楼暖气都是凉的"),
            effects=("家里老人孩子冻得受不了", "只能穿着羽绒服在家", "孩子都冻感冒了"),
            season="winter",
            weight=2.2,
        ),
        _t(
            ("自来水", "家里的水", "小区供水", "水管", "楼里的水"),
            ("浑浊发黄", "有异味", "水压太小", "经常停水", "爆管了", "停水也不通知"),
            phrases=(
                "高楼层水压不够上不去水",
                "二次供水水箱好久没清洗",
                "小区停水两天了",
                "楼下水管爆了一直在冒水",
            ),
            effects=("做饭洗衣都成问题", "烧开水都有沉淀", "没法正常生活"),
            season="summer",
            weight=1.2,
        ),
    ],
    "charging": [
        _t(
            ("充电桩", "电动车充电桩", "汽车充电桩", "充电棚", "小区的充电口"),
            ("数量不够", "坏了没人修", "扫码充不上电", "收费太贵", "被燃油车占了", "插座烧坏了"),
            weight=1.5,
        ),
        _t(
            phrases=(
                "有人私拉电线飞线充电",
                "居民把电动车推进楼道充电",
                "有人从楼上吊电线下来充电",
                "有人把电瓶车推进电梯",
                "小区想安装充电桩物业不同意",
                "充电的时候跳闸了",
            ),
            where=("小区里", "车棚里", "楼道里", "单元门口", ""),
            effects=("存在很大的火灾隐患", "太危险了"),
        ),
    ],
    "road_repair": [
        _t(
            ("井盖", "窨井盖", "下水井盖", "雨水篦子"),
            ("松动了车一过就响", "缺失了很危险", "破损了", "下沉了", "被人偷了"),
            weight=1.5,
        ),
        _t(
            ("人行道地砖", "路面", "马路牙子", "盲道", "小区道路"),
            ("破损严重", "坑坑洼洼", "塌陷了", "翘起来了容易绊倒", "一下雨就积水"),
            weight=1.5,
        ),
        _t(
            ("路灯", "红绿灯", "护栏", "减速带", "交通标志牌"),
            ("不亮了", "坏了好几天", "歪了快倒了", "被撞坏了", "一闪一闪的"),
        ),
    ],
}
# data: consequences residents add, per category
EFFECTS = {
    "city_appearance": ("味道特别大", "影响小区环境", "招蚊子苍蝇", "路过都得捂鼻子", "太影响市容了"),
    "advertising": ("影响市容", "看着特别乱", "清理了又贴", "大家都很反感"),
    "construction": ("晚上根本睡不着", "孩子没法学习", "窗户都不敢开", "家里全是灰", "老人心脏受不了"),
    "street_order": ("行人只能走机动车道", "出行很不方便", "早高峰特别堵", "消防车根本进不来", "环境脏乱差"),
    "emergency": ("情况很紧急", "太危险了", "随时可能出事", "现在还在持续"),
    "other": ("不知道该找谁", "麻烦给个答复"),
    "illegal_parking": ("车出不去", "救护车都进不来", "孩子上学很危险", "行人没法走", "堵了半个多小时"),
    "property_service": ("交了物业费却没有服务", "物业一直推脱", "住户意见很大", "晚上回家黑乎乎的"),
    "neighbour_dispute": (
        "协商了好几次都没用",
        "严重影响休息",
        "找物业也没用",
        "双方吵得很厉害",
        "都快打起来了",
    ),
    "heating_water": ("没法正常生活", "找了好几次没人管"),
    "charging": ("大家充电很不方便", "排队都排不上", "存在火灾隐患"),
    "road_repair": ("晚上看不清容易摔倒", "车开过去颠得厉害", "已经有人摔伤了", "骑车很危险"),
}
# data: places as residents name them
PLACES = (
    "楼下",
    "单元门口",
    "小区东门",
    "小区西门",
    "小区南门",
    "小区北门",
    "楼道里",
    "地下车库",
    "菜市场旁边",
    "某路口",
    "公交站旁边",
    "学校门口",
    "广场上",
    "小区里",
    "我家门口",
    "路边",
    "巷子里",
    "超市门口",
    "医院门口",
    "河堤上",
    "小区后面",
    "幼儿园旁边",
)
# data: how long it has been going on
DURATIONS = (
    "好几天了",
    "一个多月了",
    "半年多了",
    "从上周开始就这样",
    "这两天",
    "已经三天了",
    "反映过好几次了",
    "一直没人管",
    "快一年了",
    "今天早上发现的",
    "昨天晚上开始的",
    "持续很久了",
    "不是一天两天了",
)
# data: pleas at the end of a report
PLEAS = (
    "希望尽快处理",
    "请相关部门管管",
    "麻烦派人来看看",
    "请尽快解决",
    "希望有关部门重视",
    "盼复",
    "谢谢",
    "请帮忙协调一下",
    "希望早日解决",
    "请给个说法",
    "麻烦处理一下",
)
# data: the operator's wording of a hotline caller's request
DEMANDS = ("要求相关部门尽快处理", "希望尽快解决", "要求核实处理", "请职能部门处理", "诉求尽快整改")
# data: feelings
EMOTIONS = ("真是受不了了", "太气人了", "实在没办法了", "忍了很久了", "大家意见很大", "气死人了", "烦死了")
# data: question endings
QUESTIONS = ("有没有人管啊？", "这个归谁管？", "能不能处理一下？", "到底管不管？", "怎么就没人管呢？")
# data: how a report begins in each writing style
HOTLINE = ("市民来电反映：", "来电人反映，", "诉求人称：", "市民反映", "来电人称", "12345转办：市民反映")
PATROL = (
    "网格员巡查发现：",
    "网格员日常巡查时发现",
    "巡查发现，",
    "网格员入户走访时居民反映，",
    "楼栋长反映",
)
POSTS = ("【随手拍】", "#随手拍# ", "【我要反映】", "")
HANDOFF = ("，已拍照上报", "，需协调处置", "，请相关部门处理", "，已告知物业", "")
# data: separators residents use
SEPARATORS = ("，",) * 16 + (" ", " ", ",", ",", "。", "！")
# data: a second problem joined to the first
JOINS = ("，另外", "，还有", "；顺便反映一下，", "，而且", "。另：")

# data: typos (同音字/形近字) as residents and operators make them: (right, wrong)
TYPOS = (
    ("垃圾", "拉圾"),
    ("井盖", "井概"),
    ("漏水", "露水"),
    ("暖气", "暧气"),
    ("噪音", "燥音"),
    ("电梯", "电悌"),
    ("物业", "物叶"),
    ("占道", "站道"),
    ("广告", "广吿"),
    ("施工", "施功"),
    ("充电桩", "充电装"),
    ("小区", "小去"),
    ("已经", "以经"),
    ("反映", "反应"),
    ("楼道", "楼到"),
    ("维修", "维休"),
    ("处理", "处里"),
    ("影响", "影向"),
    ("路灯", "路登"),
    ("堵塞", "赌塞"),
    ("清理", "清里"),
    ("扰民", "扰明"),
    ("邻居", "临居"),
    ("装修", "装休"),
    ("供暖", "共暖"),
    ("车位", "车为"),
    ("消防", "消访"),
    ("积水", "机水"),
    ("坑洼", "坑挖"),
    ("停车", "亭车"),
    ("摊贩", "滩贩"),
    ("破损", "破捐"),
    ("浑浊", "混浊"),
    ("燃气", "然气"),
    ("门口", "门囗"),
)
# data: single characters, when a text has none of the words above
TYPO_CHARS = (
    ("的", "得"),
    ("在", "再"),
    ("了", "啦"),
    ("坏", "怀"),
    ("楼", "搂"),
    ("没", "沒"),
    ("理", "里"),
)

# data: personal data (fake): surnames, given names and forms of address
SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯董程曹袁邓许沈曾彭吕苏卢蒋蔡贾丁魏薛叶余潘杜戴夏"
)
GIVEN = (
    "建国",
    "秀英",
    "志强",
    "丽华",
    "桂兰",
    "海燕",
    "军",
    "伟",
    "红梅",
    "建华",
    "文斌",
    "玉兰",
    "小龙",
    "淑芬",
)
ADDRESS = ("先生", "女士", "阿姨", "大爷", "师傅", "大姐", "奶奶", "老师")
MOBILE_PREFIXES = ("130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153", "155", "156", "158", "159", "177", "180", "181", "182", "183", "186", "187", "188", "189", "199")  # fmt: skip
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)

# data: how a unit writes what it did (处置结果), per category
RESULTS = {
    "city_appearance": (
        "已安排环卫人员清运完毕",
        "已清理干净，恢复整洁",
        "已责令责任单位清理，现场已整改",
        "已增加清运频次",
    ),
    "advertising": (
        "已清除小广告",
        "已责令商户整改，广告牌已拆除加固",
        "已铲除清洗完毕",
        "已对发布者进行约谈",
    ),
    "construction": (
        "已责令施工单位夜间停工",
        "已督促工地覆盖裸土、修复围挡",
        "已下达整改通知书，现场已整改",
        "已立案查处",
    ),
    "street_order": ("已劝离占道摊贩", "已责令商户退店经营", "已现场整治，恢复通行", "已纳入日常巡查重点"),
    "emergency": (
        "已联系燃气公司抢修，险情排除",
        "已组织人员抢险，现场已处置",
        "已疏散群众并处置完毕",
        "已联系供电部门处置",
    ),
    "other": ("已电话答复诉求人", "已告知办理流程", "已转相关部门研究", "已联系社区跟进"),
    "illegal_parking": ("已联系车主挪车", "已张贴违停告知单", "已对违停车辆依法处理", "已清理僵尸车辆"),
    "property_service": (
        "已督促物业维修完毕",
        "物业已安排维修，恢复正常",
        "已约谈物业公司限期整改",
        "已协调物业公开收费明细",
    ),
    "neighbour_dispute": (
        "经调解双方达成一致",
        "已组织双方协商，矛盾化解",
        "已上门调解，当事人表示理解",
        "已告知通过法律途径解决",
    ),
    "heating_water": (
        "已联系供热公司排气，温度达标",
        "已联系自来水公司抢修，恢复供水",
        "已督促清洗水箱",
        "经检测水质合格，已答复",
    ),
    "charging": ("已拆除飞线", "已协调增设充电桩", "已维修充电设施，恢复使用", "已开展电动车安全宣传"),
    "road_repair": ("已补齐井盖", "已修复破损路面", "已列入维修计划并设置警示", "已更换路灯，恢复照明"),
}
GENERIC_RESULTS = (
    "已现场处置完毕",
    "经核实情况属实，已处置完毕",
    "已电话回访诉求人，对处理结果表示满意",
    "已办结",
)

# data: roads of each demo street (west → east)
ROADS = {
    "610302001": ("经二路", "经一路", "公园路", "红旗路", "滨河大道", "新华路"),
    "610302002": ("清姜路", "益门路", "神农路", "渭工路", "茵香路"),
    "610302003": ("姜谭路", "宝福路", "石坝河路", "化工路", "电厂路"),
    "610302004": ("火炬路", "桥南路", "龙山路", "晨光路", "东岭路"),
    "610302005": ("金陵路", "胜利路", "幸福路", "团结路", "铁路街"),
    "610302006": ("马营路", "旭光路", "太寅路", "蟠龙大道"),
    "610302007": ("石鼓路", "峪口路", "安居路", "康乐路"),
    "610302008": ("高家路", "八鱼路", "冯家山路", "梨园路"),
}
ESTATE_SUFFIXES = ("小区", "家属院", "新村", "花园", "佳苑", "生活区", "公寓", "名苑")
# data: where a category's problems keep coming back (hot spots): {estate}, {road}, {road2}, {stem}, {b}
SPOTS = {
    "city_appearance": (
        "{estate}垃圾站",
        "{stem}菜市场",
        "{road}公厕",
        "{estate}东门",
        "{road}与{road2}交叉口",
    ),
    "advertising": ("{estate}{b}号楼单元门", "{road}公交站", "{stem}小学门口", "{estate}围墙"),
    "construction": ("{road}北侧工地", "{estate}旁边的工地", "{road}{b}号地块"),
    "street_order": ("{stem}菜市场", "{road}夜市", "{stem}小学门口", "{road}与{road2}交叉口"),
    "emergency": ("{road}桥洞", "{estate}{b}号楼", "{road}与{road2}交叉口"),
    "other": ("{stem}社区服务中心", "{stem}广场"),
    "illegal_parking": ("{stem}医院门口", "{estate}南门", "{stem}小学门口", "{road}{b}号"),
    "property_service": ("{estate}{b}号楼", "{estate}"),
    "neighbour_dispute": ("{estate}{b}号楼", "{estate}{b}号楼二单元"),
    "heating_water": ("{estate}{b}号楼", "{estate}"),
    "charging": ("{estate}车棚", "{estate}{b}号楼"),
    "road_repair": ("{road}{b}号门前", "{road}与{road2}交叉口", "{estate}北门"),
}
CN_NUMBERS = "零一二三四五六七八九十"


def _t_(msg: str) -> str:
    """``msg`` translated when Django is set up, else as written (the module also runs without Django)."""
    try:
        from django.utils.translation import gettext

        return gettext(msg)
    except Exception:  # noqa: BLE001 - settings not configured: the Chinese source string
        return msg


# ---------------------------------------------------------------- compiled tables


@dataclass(frozen=True)
class Topic:
    clauses: tuple[str, ...]
    effects: tuple[str, ...]
    where: tuple[str, ...]
    when: tuple[str, ...]
    season: str
    hours: str
    weight: float


@dataclass(frozen=True)
class Category:
    code: str  # the label
    base: str  # one of CODES (routing, results, confusion)
    topics: tuple[Topic, ...]
    volume: float


def _topic(base: str, spec: dict, clauses: tuple[str, ...] | None = None) -> Topic:
    return Topic(
        clauses=clauses if clauses is not None else spec["clauses"],
        effects=spec["effects"] + EFFECTS[base],
        where=spec["where"],
        when=spec["when"],
        season=spec["season"],
        hours=spec["hours"],
        weight=spec["weight"],
    )


@lru_cache(maxsize=1)
def demo_categories() -> tuple[Category, ...]:
    """The 12 demo categories with their topics."""
    return tuple(
        Category(code, code, tuple(_topic(code, s) for s in TOPICS[code]), VOLUME[code]) for code in CODES
    )


@lru_cache(maxsize=8)
def fine_categories(n: int) -> tuple[Category, ...]:
    """``n`` finer categories made from the 12 (codes ``<base>.<k>``): each topic's objects (or whole
    phrases) become categories of their own, then pairs of problems of an object, until there are ``n``;
    taken round-robin over the 12 so every base category has its share."""
    if n < 1:
        raise ValueError(_t_("类别数量至少为 1"))
    per_base: dict[str, list[tuple[Topic, float]]] = {}
    for base in CODES:
        coarse, finer = [], []
        for spec in TOPICS[base]:
            for obj in spec["objects"]:
                coarse.append(_topic(base, spec, tuple(obj + p for p in spec["problems"])))
                probs = spec["problems"]
                for i in range(0, len(probs), 2):
                    finer.append(_topic(base, spec, tuple(obj + p for p in probs[i : i + 2])))
            phrases = spec["phrases"]
            for i in range(0, len(phrases), 3):
                topic = _topic(base, spec, phrases[i : i + 3])
                coarse.append(topic)
                finer.append(topic)
        per_base[base] = [(t, 1.0) for t in coarse] + [(t, 0.0) for t in finer]
    pool: list[tuple[str, Topic]] = []
    depth = 0
    while len(pool) < n:
        added = False
        for base in CODES:
            if depth < len(per_base[base]):
                pool.append((base, per_base[base][depth][0]))
                added = True
        if not added:
            raise ValueError(_t_("最多可以合成 %(max)s 个类别") % {"max": len(pool)})
        depth += 1
    pool = pool[:n]
    counts: dict[str, int] = {}
    out = []
    for base, _ in pool:
        counts[base] = counts.get(base, 0) + 1
    seen: dict[str, int] = {}
    for base, topic in pool:
        k = seen[base] = seen.get(base, 0) + 1
        # a base category's volume split over its finer ones, the first ones larger (Zipf-like)
        weight = VOLUME[base] * (1.0 / k) / sum(1.0 / i for i in range(1, counts[base] + 1))
        out.append(Category(f"{base}.{k:02d}", base, (topic,), weight))
    return tuple(out)


def _categories(categories) -> tuple[Category, ...]:
    if categories is None:
        return demo_categories()
    if isinstance(categories, int):
        return fine_categories(categories)
    by_code = {c.code: c for c in demo_categories()}
    missing = [c for c in categories if c not in by_code]
    if missing:
        raise ValueError(_t_("未知的类别：%(codes)s") % {"codes": "、".join(missing)})
    return tuple(by_code[c] for c in categories)


def route(category: str, area_code: str) -> str:
    """The lead unit of the most specific demo routing rule for ``category`` (a base code) at ``area_code``."""
    best, unit = -1, DEFAULT_UNIT
    for cat, prefix, lead in ROUTES:
        if cat == category and area_code.startswith(prefix) and len(prefix) > best:
            best, unit = len(prefix), lead
    return unit


@lru_cache(maxsize=4096)
def _deviations(category: str, area_code: str) -> tuple[tuple[float, str], ...]:
    """(cumulative share, unit) of the deviations that apply at ``area_code``."""
    out, acc = [], 0.0
    for cat, prefix, unit, share in DEVIATIONS:
        if cat == category and area_code.startswith(prefix):
            acc += share
            out.append((acc, unit))
    return tuple(out)


@lru_cache(maxsize=4096)
def _others(category: str, area_code: str) -> tuple[str, ...]:
    """Units that plausibly handled a case of ``category`` although the routing says another: the lead
    units of the categories it is confused with, else the two big departments."""
    lead = route(category, area_code)
    out = {route(c, area_code) for c in CONFUSED[category]} - {lead}
    return tuple(sorted(out)) or tuple(
        u for u in ("渭滨区城市管理执法局", "渭滨区住房和城乡建设局") if u != lead
    )


def handling_unit(category: str, area_code: str, r: float, r2: float) -> str:
    """The unit that handled a case: the routing's lead unit, a known deviation (by ``r``, uniform 0–1),
    or in :data:`DEVIATION_RATE` of the cases some other unit (``r2`` picks it)."""
    if r < DEVIATION_RATE:
        others = _others(category, area_code)
        return others[int(r2 * len(others))]
    r = (r - DEVIATION_RATE) / (1 - DEVIATION_RATE)
    for acc, unit in _deviations(category, area_code):
        if r < acc:
            return unit
    return route(category, area_code)


# ---------------------------------------------------------------- texts


def _pick(seq, r):
    return seq[int(r() * len(seq))]


def _building(r) -> str:
    b = int(r() * 24) + 1
    x = r()
    if x < 0.55:
        return f"{b}号楼"
    if x < 0.75 and b <= 10:
        return f"{CN_NUMBERS[b]}号楼"
    if x < 0.9:
        return f"{b}栋"
    return f"{b}#楼"


def fake_mobile(r) -> str:
    """A random mobile number (11 digits, 1[3-9]x prefix): fake, in the format masking finds."""
    return _pick(MOBILE_PREFIXES, r) + f"{int(r() * 100_000_000):08d}"


def fake_id_number(r) -> str:
    """A random 18-character ID number of the demo district (610302, born 1940–2004, valid check)."""
    born = date(1940, 1, 1) + timedelta(days=int(r() * 23_700))
    first17 = f"610302{born:%Y%m%d}{int(r() * 1000):03d}"
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return first17 + "10X98765432"[total % 11]


def id_number_valid(value: str) -> bool:
    """Whether an 18-character ID number's check character is right."""
    if len(value) != 18 or not value[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(value[:17], _ID_WEIGHTS, strict=True))
    return "10X98765432"[total % 11] == value[17].upper()


def _personal(r) -> tuple[str, str, str, str]:
    """(prefix, suffix, kind, value) of one piece of personal data; kind is name, phone or id."""
    x = r()
    surname = _pick(SURNAMES, r)
    if x < 0.5:
        if r() < 0.7:
            form = _pick(ADDRESS, r)
            value = surname + form
            if r() < 0.5:
                return value + _pick(("反映：", "说", "来电反映，", "称"), r), "", "name", value
            if r() < 0.5:
                return "", "，联系人" + value, "name", value
            return "", f"（{value}）", "name", value
        value = surname + _pick(GIVEN, r)
        if r() < 0.5:
            return _pick(("我是", "我叫", "本人"), r) + value + "，", "", "name", value
        return "", "，联系人" + value, "name", value
    if x < 0.92:
        number = fake_mobile(r)
        y = r()
        shown = (
            f"{number[:3]} {number[3:7]} {number[7:]}"
            if y < 0.12
            else (f"{number[:3]}-{number[3:7]}-{number[7:]}" if y < 0.22 else number)
        )
        lead = _pick(("，联系电话", "，电话", "，联系电话：", "，有事打我电话", "，回电", "，手机号"), r)
        return "", lead + shown, "phone", number
    number = fake_id_number(r)
    return "", _pick(("，身份证号", "，身份证号码：", "，本人身份证"), r) + number, "id", number


def add_typo(text: str, r) -> str | None:
    """``text`` with one typo (a word of :data:`TYPOS`, else a character of :data:`TYPO_CHARS`), or None
    when it has nothing to misspell."""
    n = len(TYPOS)
    start = int(r() * n)
    for i in range(n):
        right, wrong = TYPOS[(start + i) % n]
        if right in text:
            return text.replace(right, wrong, 1)
    for right, wrong in TYPO_CHARS:
        if right in text:
            return text.replace(right, wrong, 1)
    return None


@dataclass
class Text:
    """A generated text and what was done to it (the truth the tests and benchmarks can check)."""

    text: str
    typo: bool = False
    mixed: str = ""  # the base code of the second problem's category
    personal: tuple[str, str] | None = None  # (kind, value)


def compose(
    category: Category,
    topic: Topic,
    r,
    *,
    place: str = "",
    address: str = "",
    typo_rate: float = TYPO_RATE,
    mixed_rate: float = MIXED_RATE,
    personal_rate: float = PERSONAL_RATE,
) -> Text:
    """One report of ``topic`` of ``category`` (``r`` is a ``random.Random().random``). ``place`` is how
    the resident names the place, ``address`` the address an operator writes (both invented when empty)."""
    clause = _pick(topic.clauses, r)
    if topic.when and r() < 0.3:
        clause = _pick(topic.when, r) + clause
    if not place:
        x = r()
        if topic.where:  # the topic's own places ("" among them: none)
            if x < 0.65:
                place = _pick(topic.where, r)
            elif x < 0.85:
                place = _building(r) + _pick(("下", "门口", "前面", ""), r)
        elif x < 0.4:
            place = _pick(PLACES, r)
        elif x < 0.6:
            place = _building(r) + _pick(("下", "门口", "前面", "后面", ""), r)
    sep = _pick(SEPARATORS, r)
    dur = _pick(DURATIONS, r) if r() < 0.55 else ""
    eff = _pick(topic.effects, r) if r() < 0.5 else ""
    mixed_text, mixed_code = "", ""
    if r() < mixed_rate:
        other = _pick(CONFUSED[category.base], r)
        other_topic = _pick(TOPICS[other], r)
        mixed_text = _pick(JOINS, r) + _pick(other_topic["clauses"], r)
        mixed_code = other
        clause += mixed_text
    style = r()
    formal = 0.36 <= style < 0.68  # an operator's or a grid worker's wording
    if style < 0.36:  # a resident's own words
        parts = [_pick(EMOTIONS, r) if r() < 0.12 else "", place + clause, dur, eff]
        tail = _pick(PLEAS, r) if r() < 0.6 else ""
        text = sep.join(p for p in (*parts, tail) if p)
    elif style < 0.56:  # a hotline operator's transcript
        where = address or place
        text = _pick(HOTLINE, r) + where + clause + ("，" + dur if dur else "") + "。"
        if eff and r() < 0.5:
            text += eff + "。"
        text += "诉求：" + _pick(DEMANDS, r) + "。"
    elif style < 0.68:  # a grid worker's patrol report
        where = address or place
        text = _pick(PATROL, r) + where + clause + ("，" + eff if eff else "") + _pick(HANDOFF, r) + "。"
    elif style < 0.80:  # a one-liner
        text = (place + clause) if place else clause
        if r() < 0.3:
            text += _pick(("！", "!!", "。", "…"), r)
    elif style < 0.9:  # a question
        text = place + clause + ("，" + dur if dur else "") + "，" + _pick(QUESTIONS, r)
    else:  # a post in the app
        text = _pick(POSTS, r) + place + clause + (sep + eff if eff else "") + (sep + _pick(PLEAS, r) if r() < 0.5 else "")  # fmt: skip
    while len(text) < MIN_LEN:
        text += "，" + _pick(PLEAS, r)
    out = Text(text, mixed=mixed_code)
    if r() < typo_rate:
        typoed = add_typo(out.text, r)
        if typoed is not None:
            out.text, out.typo = typoed, True
    if r() < personal_rate:
        prefix, suffix, kind, value = _personal(r)
        if formal and prefix:  # an operator writes the caller's name after the report
            prefix, suffix = "", "联系人：" + value
        out.personal = (kind, value)
        body = out.text
        if suffix.startswith("，") and body[-1:] in "。！!？?…":
            suffix = suffix[1:]
        room = MAX_LEN - len(prefix) - len(suffix)
        if len(body) > room:
            body = body[:room]
        out.text = prefix + body + suffix
    if len(out.text) > MAX_LEN:
        out.text = out.text[:MAX_LEN]
    return out


def text_for(category: str, rng: random.Random) -> str:
    """A resident's report of demo category ``category`` (a code of :data:`CODES`), or "" for a code the
    corpus does not know (callers with their own categories fall back to their own texts)."""
    by_code = {c.code: c for c in demo_categories()}
    cat = by_code.get(category)
    if cat is None:
        return ""
    r = rng.random
    topic = _choose_topic(cat, r)
    return compose(cat, topic, r).text


def _choose_topic(cat: Category, r, month: int | None = None) -> Topic:
    if len(cat.topics) == 1:
        return cat.topics[0]
    weights = [t.weight * (SEASONS[t.season][month - 1] if month else 1.0) for t in cat.topics]
    x = r() * sum(weights)
    for topic, w in zip(cat.topics, weights, strict=True):
        x -= w
        if x < 0:
            return topic
    return cat.topics[-1]


def _mislabel(base: str, code: str, categories: Sequence[Category], r) -> str:
    """A plausible wrong label for a case of ``code`` (base ``base``): a category it is confused with,
    among ``categories``; a sibling of the same base for the finer taxonomy."""
    siblings = [c.code for c in categories if c.base == base and c.code != code]
    if siblings and r() < 0.5:
        return _pick(siblings, r)
    confused = [c.code for c in categories if c.base in CONFUSED[base] and c.code != code]
    if not confused:
        confused = [c.code for c in categories if c.code != code] or [code]
    return _pick(confused, r)


# ---------------------------------------------------------------- the demo district's places


@dataclass(frozen=True)
class Grid:
    code: str
    name: str
    community: str
    street: str
    box: tuple[float, float, float, float]  # west, south, east, north
    weight: float

    @property
    def stem(self) -> str:
        return self.community.removesuffix("社区").removesuffix("村")


@lru_cache(maxsize=1)
def demo_grids() -> tuple[Grid, ...]:
    """The demo district's grids (``gridgov.areas.demo.demo_areas``) with a weight each: how much the
    grid reports (the demo street 姜谭路街道 most, the towns least, each grid its own share)."""
    rng = random.Random("corpus-grids")
    names = {}
    out = []
    for a in demo_areas():
        names[a["code"]] = a.get("name", "")
        if a["level"] != "grid":
            continue
        ring = a["boundary"]["coordinates"][0]
        xs, ys = [p[0] for p in ring], [p[1] for p in ring]
        street = a["code"][:9]
        weight = rng.lognormvariate(0, 0.6)
        weight *= 3.0 if street == "610302003" else (0.5 if street >= "610302006" else 1.0)
        out.append(
            Grid(
                a["code"],
                a["name"],
                names[a["code"][:12]],
                names[street],
                (min(xs), min(ys), max(xs), max(ys)),
                weight,
            )
        )
    return tuple(out)


def _estates(grid: Grid) -> tuple[str, ...]:
    rng = random.Random(f"estates:{grid.code[:12]}")
    suffixes = rng.sample(ESTATE_SUFFIXES, 3)
    return tuple(grid.stem + s for s in suffixes)


def _point(grid: Grid, r, fx: float | None = None, fy: float | None = None) -> tuple[float, float]:
    x0, y0, x1, y1 = grid.box
    fx = 0.05 + 0.9 * r() if fx is None else fx
    fy = 0.05 + 0.9 * r() if fy is None else fy
    return round(x0 + (x1 - x0) * fx, 6), round(y0 + (y1 - y0) * fy, 6)


@dataclass(frozen=True)
class Spot:
    """A hot spot: a place where a category's problems keep coming back."""

    grid: Grid
    fx: float
    fy: float
    label: str


def _spots(code: str, grids: Sequence[Grid], cum: list[float], rng: random.Random, n: int = 40) -> list[Spot]:
    out = []
    for _ in range(n):
        grid = grids[bisect.bisect(cum, rng.random() * cum[-1])]
        roads = ROADS.get(grid.code[:9], ("中心路", "建设路"))
        road, road2 = rng.sample(roads, 2)
        label = rng.choice(SPOTS[code]).format(
            estate=rng.choice(_estates(grid)), road=road, road2=road2, stem=grid.stem, b=rng.randint(1, 18)
        )
        out.append(Spot(grid, rng.uniform(0.1, 0.9), rng.uniform(0.1, 0.9), label))
    return out


# ---------------------------------------------------------------- the demo history


def _weighted(table: Sequence[float]) -> list[float]:
    return list(accumulate(table))


def _hour(r, cum: list[float]) -> int:
    return min(bisect.bisect(cum, r() * cum[-1]), 23)


def history_rows(
    *,
    seed: int,
    per_category: int = 2000,
    years: int = 3,
    today: date | None = None,
    truth: bool = False,
    typo_rate: float = TYPO_RATE,
    mixed_rate: float = MIXED_RATE,
    mislabel_rate: float = MISLABEL_RATE,
    personal_rate: float = PERSONAL_RATE,
) -> list[dict]:
    """The demo district's old work orders: ``per_category`` per demo category reported in the ``years``
    years before ``today`` (default: the local date), in time order (see the module's docstring for the
    keys). With ``truth``, each row also has ``truth``: the true category code, whether the label is wrong,
    the typo, the second problem's category and the personal data put in (for tests and benchmarks; the
    history import ignores the key)."""
    today = today or date.today()
    rng = random.Random(f"corpus-history:{seed}")
    r = rng.random
    grids = demo_grids()
    cum_grids = _weighted([g.weight for g in grids])
    categories = demo_categories()
    first = today - timedelta(days=round(365.25 * years))
    span = (today - first).days
    renamed = first + timedelta(days=int(span * RENAMED_AT))
    hour_tables = {k: _weighted(v) for k, v in HOURS.items()}
    end = datetime.combine(today, time(), tzinfo=TZ) - timedelta(minutes=1)
    rows = []
    for cat in categories:
        spots = _spots(cat.code, grids, cum_grids, random.Random(f"corpus-spots:{seed}:{cat.code}"))
        spot_cum = _weighted([1.0 / (i + 1) ** 0.8 for i in range(len(spots))])
        for _ in range(per_category):
            topic = _choose_topic(cat, r)
            season = SEASONS[topic.season]
            top = max(season) * max(WEEKDAYS)
            while True:  # the day: season × weekday × slowly growing use of the platform
                day = first + timedelta(days=int(r() * span))
                w = (
                    season[day.month - 1]
                    * WEEKDAYS[day.weekday()]
                    * (0.75 + 0.25 * (day - first).days / span)
                )
                if r() * top < w:
                    break
            reported = datetime.combine(
                day, time(_hour(r, hour_tables[topic.hours]), int(r() * 60), int(r() * 60)), tzinfo=TZ
            )
            if r() < 0.35:  # at a hot spot
                spot = spots[bisect.bisect(spot_cum, r() * spot_cum[-1])]
                grid = spot.grid
                jx = min(max(spot.fx + (r() - 0.5) * 0.06, 0.02), 0.98)
                jy = min(max(spot.fy + (r() - 0.5) * 0.06, 0.02), 0.98)
                lng, lat = _point(grid, r, jx, jy)
                place = spot.label
                address = f"渭滨区{grid.street}{grid.community}{spot.label}"
            else:
                grid = grids[bisect.bisect(cum_grids, r() * cum_grids[-1])]
                lng, lat = _point(grid, r)
                estate = _pick(_estates(grid), r)
                building = _building(r)
                place = ""
                if r() < 0.3:
                    place = estate + (building if r() < 0.5 else "")
                address = f"渭滨区{grid.street}{grid.community}{estate}{building}"
            text = compose(
                cat,
                topic,
                r,
                place=place,
                address=address.removeprefix("渭滨区") if r() < 0.5 else address,
                typo_rate=typo_rate,
                mixed_rate=mixed_rate,
                personal_rate=personal_rate,
            )
            label = cat.code
            wrong = r() < mislabel_rate
            if wrong:
                label = _mislabel(cat.base, cat.code, categories, r)
            unit = handling_unit(label, grid.code, r(), r())
            old = _OLD_BY_CODE.get(label)
            name = old if old and (day < renamed and r() < 0.9) else CATEGORY_NAMES[label]
            closed = reported + _handling_time(cat.base, r)
            if closed > end:
                closed = max(reported, min(reported + timedelta(hours=2), end))
            result_pool = RESULTS[label] if r() < 0.85 else GENERIC_RESULTS
            row = {
                "ref": "",
                "reported_at": reported,
                "text": text.text,
                "category": name,
                "unit": unit,
                "result": _pick(result_pool, r),
                "closed_at": closed,
                "address": address,
                "lng": lng,
                "lat": lat,
                "grid": grid.code,
            }
            if truth:
                row["truth"] = {
                    "category": cat.code,
                    "mislabelled": wrong and label != cat.code,
                    "typo": text.typo,
                    "mixed": text.mixed,
                    "personal": text.personal,
                }
            rows.append(row)
    rows.sort(key=lambda row: (row["reported_at"], row["grid"], row["text"]))
    counts: dict[date, int] = {}
    for row in rows:  # the old system's numbers: 12345 + date + the day's running number
        day = row["reported_at"].date()
        counts[day] = counts.get(day, 0) + 1
        row["ref"] = f"WB12345-{day:%Y%m%d}-{counts[day]:04d}"
    return rows


# data: how long handling took, per category (hours, low … high; a skewed draw in between)
HANDLING_HOURS = {
    "emergency": (0.5, 12),
    "street_order": (2, 48),
    "illegal_parking": (0.5, 24),
    "city_appearance": (3, 72),
    "advertising": (4, 96),
    "construction": (8, 240),
    "property_service": (6, 240),
    "neighbour_dispute": (24, 400),
    "heating_water": (3, 96),
    "charging": (24, 720),
    "road_repair": (12, 720),
    "other": (4, 200),
}


def _handling_time(base: str, r) -> timedelta:
    low, high = HANDLING_HOURS[base]
    return timedelta(seconds=int(3600 * (low + (high - low) * r() ** 2.5)))


# ---------------------------------------------------------------- synthetic rows for benchmarks


def _city_grids(n: int) -> tuple[list[str], list[float]]:
    """``n`` grid codes of an invented city (30 grids a community, 10 communities a street)."""
    rng = random.Random(f"corpus-city:{n}")
    codes = [f"610302{1 + i // 300:03d}{1 + i // 30 % 10:03d}{1 + i % 30:03d}" for i in range(n)]
    return codes, _weighted([rng.lognormvariate(0, 0.6) for _ in codes])


def synthetic(
    n: int,
    *,
    seed: int,
    categories: int | Sequence[str] | None = None,
    grids: int | None = None,
    years: int = 2,
    end: date = SYNTHETIC_END,
    typo_rate: float = TYPO_RATE,
    mixed_rate: float = MIXED_RATE,
    mislabel_rate: float = MISLABEL_RATE,
    personal_rate: float = PERSONAL_RATE,
) -> Iterator[tuple[datetime, str, str, str, str]]:
    """``n`` labelled reports in time order over the ``years`` years before ``end``: tuples ``(reported
    at (aware, Asia/Shanghai), text, category code (the label, mislabelled at the rate), unit name,
    grid code)``. ``categories``: None for the 12 demo ones, a number for that many finer ones
    (:func:`fine_categories`), or a list of demo codes. ``grids``: None for the demo district's grids, a
    number for an invented city of that many (city management and police units then work per street:
    ``渭滨区城市管理执法局（第N中队）``). The categories' volumes differ, their topics follow the seasons
    and times of day as in :func:`history_rows`."""
    cats = _categories(categories)
    rng = random.Random(f"corpus-synthetic:{seed}")
    r = rng.random
    if grids is None:
        demo = demo_grids()
        grid_codes = [g.code for g in demo]
        cum_grids = _weighted([g.weight for g in demo])
        squads = False
    else:
        grid_codes, cum_grids = _city_grids(grids)
        squads = True
    total_grid = cum_grids[-1]
    hour_tables = {k: _weighted(v) for k, v in HOURS.items()}
    # per month: which category, then which topic of it
    month_cats, month_topics = [], []
    for month in range(1, 13):
        month_cats.append(
            _weighted(
                [c.volume * sum(t.weight * SEASONS[t.season][month - 1] for t in c.topics) for c in cats]
            )
        )
        month_topics.append(
            [_weighted([t.weight * SEASONS[t.season][month - 1] for t in c.topics]) for c in cats]
        )
    first = end - timedelta(days=round(365.25 * years))
    days = [first + timedelta(days=i) for i in range(max((end - first).days, 1))]
    day_w = [
        WEEKDAYS[d.weekday()] * (month_cats[d.month - 1][-1]) * (0.75 + 0.25 * i / len(days))
        for i, d in enumerate(days)
    ]
    cum_days = _weighted(day_w)
    scale = n / cum_days[-1]
    made = 0
    for i, day in enumerate(days):
        k = round(cum_days[i] * scale) - made if i < len(days) - 1 else n - made
        if k <= 0:
            continue
        made += k
        mc, mt = month_cats[day.month - 1], month_topics[day.month - 1]
        top_c = mc[-1]
        batch = []
        for _ in range(k):
            ci = bisect.bisect(mc, r() * top_c)
            if ci >= len(cats):
                ci = len(cats) - 1
            cat = cats[ci]
            tt = mt[ci]
            topic = cat.topics[min(bisect.bisect(tt, r() * tt[-1]), len(tt) - 1)]
            second = bisect.bisect(hour_tables[topic.hours], r() * hour_tables[topic.hours][-1]) * 3600 + int(
                r() * 3600
            )
            grid = grid_codes[min(bisect.bisect(cum_grids, r() * total_grid), len(grid_codes) - 1)]
            text = compose(
                cat, topic, r, typo_rate=typo_rate, mixed_rate=mixed_rate, personal_rate=personal_rate
            ).text
            label, base = cat.code, cat.base
            if r() < mislabel_rate:
                label = _mislabel(cat.base, cat.code, cats, r)
                base = label.split(".")[0]
            unit = handling_unit(base, grid, r(), r())
            if squads and unit in ("渭滨区城市管理执法局", "姜谭路派出所"):
                unit = f"{unit}（第{int(grid[6:9])}中队）"
            batch.append((min(second, 86_399), text, label, unit, grid))
        batch.sort(key=lambda row: row[0])
        midnight = datetime.combine(day, time(), tzinfo=TZ)
        for second, text, label, unit, grid in batch:
            yield midnight + timedelta(seconds=second), text, label, unit, grid
