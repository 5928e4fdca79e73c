"""Suggestion latency (SPEC M14): ``Suggester.categories`` and ``Suggester.units`` for one text with a
trained model loaded from its file.

Run from the repository root::

    .venv/bin/python -m bench.assist_suggest [--train 100000] [--texts 3000] [--seed 1]

A model is trained on ``--train`` synthetic cases (the generator of ``bench.assist_train``: 24 categories,
60 units, 3,000 grids), saved and loaded back with its sha256 checked, as ``assist.training.active`` does.
Then ``--texts`` new texts (another seed, with phone numbers and names as residents write them) are
suggested for, one call at a time, after 200 untimed calls: the category call (clean, n-grams, hashing,
scores, top 3 with their words) and the unit call for the text's category and grid. Reported: p50 / p95 /
p99 / max per call in milliseconds, the model file's size and load time. Target: p95 < 20 ms. Pinned to
one core. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return round(values[min(len(values) - 1, int(q * len(values)))] * 1000, 3)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--train", type=int, default=100_000)
    p.add_argument("--texts", type=int, default=3000)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args(argv)
    with contextlib.suppress(AttributeError, OSError):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    from bench.assist_train import synthetic
    from gridgov.assist import engine

    examples, _rule = synthetic(args.train, args.seed)
    t = time.perf_counter()
    trained = engine.train(examples, seed=args.seed)
    train_s = time.perf_counter() - t
    del examples
    texts, _ = synthetic(args.texts + 200, args.seed + 1)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "suggester-v1.npz"
        sha, size = trained.suggester.save(path)
        t = time.perf_counter()
        s = engine.Suggester.load(path, sha256=sha)
        load_s = time.perf_counter() - t
    for e in texts[:200]:
        s.categories(e.text, names=e.names)
        s.units(e.text, e.category, e.area_code, names=e.names)
    cat_times, unit_times = [], []
    for e in texts[200:]:
        t = time.perf_counter()
        s.categories(e.text, names=e.names)
        cat_times.append(time.perf_counter() - t)
        t = time.perf_counter()
        s.units(e.text, e.category, e.area_code, names=e.names)
        unit_times.append(time.perf_counter() - t)
    result = {
        "bench": "assist_suggest",
        "cores": 1,
        "train_cases": args.train,
        "train_s": round(train_s, 2),
        "texts": len(cat_times),
        "file_bytes": size,
        "load_ms": round(load_s * 1000, 1),
        "categories_ms": {q: pct(cat_times, v) for q, v in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))}
        | {"max": round(max(cat_times) * 1000, 3)},
        "units_ms": {q: pct(unit_times, v) for q, v in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))}
        | {"max": round(max(unit_times) * 1000, 3)},
        "target_p95_ms": 20,
    }
    result["ok"] = result["categories_ms"]["p95"] < 20 and result["units_ms"]["p95"] < 20
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
