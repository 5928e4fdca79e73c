"""The demo district, modelled on Weibin district, Baoji (渭滨区, 610302): 8 streets/towns,
68 communities, 365 basic grids and 5 dedicated grids whose rectangles tile the district exactly.

The layout is generated from a fixed seed, so every run builds the same tree with the same codes.
"""

from __future__ import annotations

import random

DISTRICT = ("610302", "渭滨区")
# West → east. (name, number of communities); 9+9+8+9+8+9+8+8 = 68.
STREETS = [
    ("经二路街道", 9),
    ("清姜路街道", 9),
    ("姜谭路街道", 8),
    ("桥南街道", 9),
    ("金陵街道", 8),
    ("马营镇", 9),
    ("石鼓镇", 8),
    ("高家镇", 8),
]
COMMUNITY_STEMS = [
    # 经二路街道
    "经一路",
    "经三路",
    "公园路",
    "滨河",
    "红旗",
    "新华",
    "东风",
    "和平",
    "金台观",
    # 清姜路街道
    "清姜",
    "益门",
    "渭工",
    "塔稍",
    "茵香河",
    "陈仓",
    "神农",
    "火炬",
    "峪泉",
    # 姜谭路街道 (姜谭路西 appears in the source reports)
    "姜谭路西",
    "姜谭路东",
    "宝氮",
    "秦川",
    "石坝河",
    "电厂",
    "化工",
    "姜城堡",
    # 桥南街道
    "桥南",
    "晨光",
    "南坡",
    "东岭",
    "龙山",
    "卧龙",
    "燎原",
    "联盟",
    "建设",
    # 金陵街道
    "金陵",
    "胜利",
    "幸福",
    "团结",
    "光明",
    "长青",
    "宏文",
    "铁路",
    # 马营镇
    "马营",
    "旭光",
    "太寅",
    "蟠龙",
    "福临",
    "兴隆",
    "永乐",
    "槐花",
    "杏林",
    # 石鼓镇
    "石鼓",
    "峪口",
    "安居",
    "康乐",
    "雅居",
    "翠苑",
    "锦绣",
    "桃园",
    # 高家镇
    "高家",
    "八鱼",
    "冯家山",
    "金渭",
    "梨园",
    "民主",
    "文化",
    "新村",
]
BASIC_GRIDS = 365
# (community stem, name, grid type) — each takes one extra cell of its community as a dedicated grid.
DEDICATED = [
    ("经一路", "经二路商圈网格", "business"),
    ("公园路", "宝鸡中学专属网格", "unit"),
    ("渭工", "市中心医院专属网格", "unit"),
    ("晨光", "火炬路商圈网格", "business"),
    ("马营", "马营工业园专属网格", "unit"),
]
# The district rectangle (WGS-84).
WEST, EAST, SOUTH, NORTH = 107.00, 107.35, 34.28, 34.45
SEED = 610302


def _cuts(rng: random.Random, low: float, high: float, parts: int) -> list[float]:
    """``parts + 1`` increasing cut points from ``low`` to ``high`` with uneven spacing."""
    weights = [rng.uniform(0.7, 1.3) for _ in range(parts)]
    total = sum(weights)
    cuts, acc = [low], low
    for w in weights[:-1]:
        acc += (high - low) * w / total
        cuts.append(round(acc, 6))
    cuts.append(high)
    return cuts


def _rect(x0: float, y0: float, x1: float, y1: float) -> dict:
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


def demo_areas() -> list[dict]:
    """Every demo area, parents before children, as dicts ready for ``area_create``."""
    rng = random.Random(SEED)
    code, name = DISTRICT
    out = [
        {
            "code": code,
            "name": name,
            "level": "district",
            "parent_code": None,
            "kind": "",
            "grid_type": "",
            "boundary": _rect(WEST, SOUTH, EAST, NORTH),
        }
    ]
    assert len(COMMUNITY_STEMS) == sum(n for _, n in STREETS) == 68
    # 365 basic grids over 68 communities: 25 communities get 6, the rest 5 (25*6 + 43*5 = 365).
    basic_counts = [6] * 25 + [5] * 43
    rng.shuffle(basic_counts)
    dedicated = {stem: (gname, gtype) for stem, gname, gtype in DEDICATED}
    x_cuts = _cuts(rng, WEST, EAST, len(STREETS))
    community_index = 0
    for s, (street_name, n_comm) in enumerate(STREETS):
        street_code = f"{code}{s + 1:03d}"
        x0, x1 = x_cuts[s], x_cuts[s + 1]
        out.append(
            {
                "code": street_code,
                "name": street_name,
                "level": "street",
                "parent_code": code,
                "kind": "",
                "grid_type": "",
                "boundary": _rect(x0, SOUTH, x1, NORTH),
            }
        )
        y_cuts = _cuts(rng, SOUTH, NORTH, n_comm)
        is_town = street_name.endswith("镇")
        for c in range(n_comm):
            stem = COMMUNITY_STEMS[community_index]
            n_basic = basic_counts[community_index]
            community_index += 1
            suffix = "村" if is_town and c % 2 == 1 else "社区"
            comm_name = f"{stem}{suffix}"
            comm_code = f"{street_code}{c + 1:03d}"
            y0, y1 = y_cuts[c], y_cuts[c + 1]
            out.append(
                {
                    "code": comm_code,
                    "name": comm_name,
                    "level": "community",
                    "parent_code": street_code,
                    "kind": "",
                    "grid_type": "",
                    "boundary": _rect(x0, y0, x1, y1),
                }
            )
            cells = n_basic + (1 if stem in dedicated else 0)
            g_cuts = _cuts(rng, x0, x1, cells)
            for g in range(cells):
                grid = {
                    "code": f"{comm_code}{g + 1:03d}",
                    "level": "grid",
                    "parent_code": comm_code,
                    "boundary": _rect(g_cuts[g], y0, g_cuts[g + 1], y1),
                }
                if g == cells - 1 and stem in dedicated:
                    gname, gtype = dedicated[stem]
                    grid.update(name=gname, kind="dedicated", grid_type=gtype)
                else:
                    grid.update(name=f"{comm_name}第{g + 1}网格", kind="basic", grid_type="residential")
                out.append(grid)
    return out


JIANGTAN_STREET = "610302003"
JIANGTAN_WEST = "610302003001"


def load_demo_areas(admin) -> int:
    """Create the demo tree's areas that do not exist yet; returns how many were created."""
    from gridgov.areas.actions import area_create
    from gridgov.areas.models import Area

    existing = set(Area.objects.values_list("code", flat=True))
    created = 0
    for spec in demo_areas():
        if spec["code"] in existing:
            continue
        area_create(
            by=admin,
            code=spec["code"],
            name=spec["name"],
            parent_code=spec["parent_code"],
            boundary=spec["boundary"],
            kind=spec["kind"],
            grid_type=spec["grid_type"],
            reason="载入演示数据",
        )
        created += 1
    return created
