"""Suggester training (SPEC M14) on a large history: ``gridgov.assist.engine.train`` on N synthetic cases,
or the figures on a labelled history file.

Run from the repository root::

    .venv/bin/python -m bench.assist_train [--cases 1000000] [--seed 1] [--test-fraction 0.2]
    .venv/bin/python -m bench.assist_train --from-file history.xlsx|history.csv

Synthetic history: ``--cases`` residents' reports over two years, in time order, of 24 categories in a city
of 3,000 grids (30 streets); each text is a place, one of the category's problem phrases (a few shared
between two categories), often a filler clause, and for a quarter a phone number, an ID number or a name
(masked before features); 8 % of the categories are deliberately wrong (dispatchers disagree), and the lead
unit is the street's unit for the category, or 10 % of the time another one. Texts come from
``gridgov.assist.corpus`` when that module is there, else from the generator below.

The measurement: the whole ``train`` call (cleaning, featurizing, two models, evaluation with curves and
baselines) plus writing the file — wall time, CPU time of the process and peak RSS (``getrusage``), pinned
to one core. Targets: 1,000,000 cases in < 10 minutes on one core with < 2 GB. Prints one JSON object.

``--from-file`` reads a history file in the import format (``gridgov.assist.history_file.read_rows``;
Django is set up for it), uses its categories and units as written, and reports the same figures.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

CATEGORIES = {
    "litter": ["垃圾堆放多日没人清运", "垃圾桶满了溢出来", "有人乱倒建筑垃圾"],
    "manhole": ["井盖松动车一过就响", "井盖缺失很危险", "窨井盖破损"],
    "road": ["路面塌陷有个大坑", "人行道地砖破损", "马路坑洼不平"],
    "streetlight": ["路灯不亮晚上很黑", "路灯一闪一闪的", "灯杆倾斜快倒了"],
    "noise": ["工地晚上施工噪音扰民", "广场舞音响太吵", "商铺喇叭声音太大"],
    "sewer": ["下水道堵塞污水外溢", "化粪池满了臭气熏天", "雨水井堵了积水"],
    "water": ["水管爆裂一直漏水", "停水了没有通知", "自来水发黄有异味"],
    "parking": ["车辆乱停堵住消防通道", "电动车乱停放", "僵尸车长期占用车位"],
    "vendor": ["占道经营摆摊", "流动商贩堵路", "店铺把货物摆到人行道上"],
    "greening": ["树枝挡住窗户需要修剪", "绿化带被踩坏", "大树倒伏压住电线"],
    "elevator": ["电梯经常停运困人", "电梯异响", "电梯门关不上"],
    "leak": ["楼上漏水到我家天花板", "屋顶渗水墙皮脱落", "卫生间漏水"],
    "heating": ["暖气不热", "暖气管道漏水", "供暖温度不达标"],
    "pets": ["小区流浪狗咬人", "有人遛狗不拴绳", "狗粪没人清理"],
    "smoke": ["烧烤油烟扰民", "饭店油烟直排", "有人焚烧垃圾冒黑烟"],
    "graffiti": ["墙上到处贴小广告", "乱涂乱画", "电线杆上贴满广告"],
    "fire": ["楼道堆放杂物有火灾隐患", "电动车在楼道充电", "消防栓损坏"],
    "building": ["违章搭建彩钢棚", "私自拆改承重墙", "阳台违建"],
    "traffic": ["红绿灯坏了", "路口缺少斑马线", "交通标志被遮挡"],
    "toilet": ["公厕脏乱差", "公厕没有水", "公厕门锁坏了"],
    "property": ["物业不作为", "物业乱收费", "小区门禁坏了没人修"],
    "dust": ["工地扬尘严重", "渣土车撒漏", "裸土没有覆盖"],
    "drain": ["路边排水沟堵塞", "雨后严重积水", "排水井盖下陷"],
    "security": ["楼道灯坏了很不安全", "小区围墙破了有人翻墙", "监控坏了"],
}
# Phrases two categories share (the hard cases).
SHARED = {
    "manhole": "井盖",
    "drain": "井盖",
    "leak": "漏水",
    "water": "漏水",
    "noise": "太吵",
    "pets": "太吵",
}
PLACES = [
    "小区门口",
    "三号楼下",
    "幸福路口",
    "东门附近",
    "菜市场旁边",
    "学校门口",
    "公交站",
    "二单元楼道",
    "广场",
]
FILLERS = [
    "已经好几天了",
    "请尽快处理",
    "影响居民出行",
    "反映多次没人管",
    "希望有关部门来看看",
    "老人孩子很危险",
    "",
]
SURNAMES = "王李张刘陈杨黄赵吴周"
GIVEN = ["建国", "秀英", "志强", "丽华", "明", "伟", "小红", "海燕"]


def synthetic(n: int, seed: int = 1):
    """``n`` examples in time order (see the module's docstring)."""
    from gridgov.assist.engine import Example

    try:  # realistic texts when the corpus module is there
        from gridgov.assist import corpus  # type: ignore[attr-defined]
    except ImportError:
        corpus = None
    rng = random.Random(seed)
    cats = sorted(CATEGORIES)
    streets = [f"610302{s:03d}" for s in range(1, 31)]
    grids = [f"{s}{c:03d}{g:03d}" for s in streets for c in range(1, 11) for g in range(1, 11)]
    units = {(c, s): str(100 + (hash_int(c) + i) % 60) for c in cats for i, s in enumerate(streets)}
    start = datetime(2023, 1, 1, tzinfo=UTC)
    step = timedelta(days=730) / max(n, 1)
    out = []
    for i in range(n):
        cat = (
            cats[min(int(rng.paretovariate(1.2)) - 1, len(cats) - 1)]
            if rng.random() < 0.5
            else rng.choice(cats)
        )
        grid = rng.choice(grids)
        text = None
        if corpus is not None and hasattr(corpus, "text_for"):
            text = corpus.text_for(cat, rng)  # pragma: no cover - when the corpus exists
        if not text:
            phrase = rng.choice(CATEGORIES[cat])
            if cat in SHARED and rng.random() < 0.3:
                phrase = SHARED[cat] + rng.choice(["有问题", "坏了", "的事"])
            text = f"{rng.choice(PLACES)}{phrase}，{rng.choice(FILLERS)}"
        names: tuple[str, ...] = ()
        r = rng.random()
        if r < 0.1:
            text += f"，电话1{rng.randint(3, 9)}{rng.randint(100000000, 999999999)}"
        elif r < 0.15:
            text += f"，身份证6103{rng.randint(10**13, 10**14 - 1)}"
        elif r < 0.25:
            name = rng.choice(SURNAMES) + rng.choice(GIVEN)
            text += f"，联系人{name}"
            names = (name,)
        label = cat if rng.random() > 0.08 else rng.choice(cats)
        unit = units[(label, grid[:9])] if rng.random() > 0.1 else str(100 + rng.randrange(60))
        out.append(Example(text, start + step * i, label, unit, grid, names))
    return out, (lambda c, a: units.get((c, a[:9])))


def hash_int(s: str) -> int:
    return sum(ord(ch) * (i + 1) for i, ch in enumerate(s))


def from_file(path: str):
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
    django.setup()
    from gridgov.assist import history, history_file
    from gridgov.assist.engine import Example

    out = []
    for _number, row in history_file.read_rows(path):
        try:
            at = history.parse_moment(row.get("reported_at"), "reported_at", required=True)
        except Exception:
            continue
        text, category = str(row.get("text") or ""), str(row.get("category") or "").strip()
        if not text or not category or at is None:
            continue
        unit = str(row.get("unit") or "").strip() or None
        out.append(Example(text, at, category, unit, str(row.get("grid") or "").strip()))
    out.sort(key=lambda e: e.at)
    return out, None


def summary(figures: dict | None) -> dict | None:
    if figures is None:
        return None
    return {k: v for k, v in figures.items() if k != "classes"}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--cases", type=int, default=1_000_000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--test-fraction", type=float, default=0.2)
    p.add_argument("--from-file", default=None)
    p.add_argument("--classes", action="store_true", help="include the per-class figures")
    args = p.parse_args(argv)
    with contextlib.suppress(AttributeError, OSError):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    from gridgov.assist import engine

    t = time.perf_counter()
    if args.from_file:
        examples, rule_unit = from_file(args.from_file)
    else:
        examples, rule_unit = synthetic(args.cases, args.seed)
    generated = time.perf_counter() - t
    rss_data = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    stages: dict[str, float] = {}
    t0 = time.perf_counter()
    c0 = time.process_time()

    def tick(stage: str) -> None:
        stages[stage] = round(time.perf_counter() - t0, 2)

    trained = engine.train(
        examples, seed=args.seed, test_fraction=args.test_fraction, rule_unit=rule_unit, on_progress=tick
    )
    with tempfile.TemporaryDirectory() as tmp:
        sha, size = trained.suggester.save(Path(tmp) / "suggester-v1.npz")
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result = {
        "bench": "assist_train",
        "cores": 1,
        "source": args.from_file or "synthetic",
        "cases": len(examples),
        "train_size": trained.train_size,
        "test_size": trained.test_size,
        "generate_s": round(generated, 2),
        "train_wall_s": round(wall, 2),
        "train_cpu_s": round(cpu, 2),
        "stages_s": stages,
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "rss_after_data_mb": round(rss_data / 1024, 1),
        "file_bytes": size,
        "sha256": sha,
        "category": summary(trained.metrics["category"]),
        "unit": summary(trained.metrics["unit"]),
        "targets": {"train_wall_s": 600, "peak_rss_mb": 2048},
    }
    if args.classes:
        result["category_classes"] = trained.metrics["category"]["classes"]
    result["ok"] = wall < 600 and result["peak_rss_mb"] < 2048
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
