"""The corpus of residents' reports (SPEC M14): deterministic, varied, with typos, mixed texts, wrong labels
and fake personal data at the configured rates, points inside the demo grids, seasons and routing."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, datetime

import pytest

from gridgov.areas.demo import demo_areas
from gridgov.assist import corpus
from gridgov.core.text import mask

TODAY = date(2026, 1, 14)
NAME_TO_CODE = {name: code for code, name in corpus.CATEGORY_NAMES.items()} | corpus.OLD_NAMES
PHONE = re.compile(r"1[3-9]\d(?:[ -]?\d{4}){2}")
DIGITS = re.compile(r"\d[\d -]{4,}\d[\dX]?")


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    return corpus.history_rows(seed=1, per_category=420, today=TODAY, truth=True)


def test_same_seed_same_rows_other_seed_other_rows():
    a = corpus.history_rows(seed=7, per_category=30, today=TODAY)
    b = corpus.history_rows(seed=7, per_category=30, today=TODAY)
    c = corpus.history_rows(seed=8, per_category=30, today=TODAY)
    assert a == b and a != c
    assert list(corpus.synthetic(500, seed=3)) == list(corpus.synthetic(500, seed=3))
    assert list(corpus.synthetic(500, seed=3)) != list(corpus.synthetic(500, seed=4))


def test_rows_have_the_import_columns_in_time_order(rows):
    from gridgov.assist.history_file import COLUMNS

    assert len(rows) == 420 * 12
    assert {k for k in rows[0] if k != "truth"} == {c.name for c in COLUMNS}
    assert [r["reported_at"] for r in rows] == sorted(r["reported_at"] for r in rows)
    assert len({r["ref"] for r in rows}) == len(rows)
    start = datetime(2023, 1, 1, tzinfo=corpus.TZ)
    end = datetime(2026, 1, 14, tzinfo=corpus.TZ)
    for r in rows:
        assert r["reported_at"].tzinfo is corpus.TZ
        assert start <= r["reported_at"] <= r["closed_at"] < end
        assert r["result"] and r["address"].startswith(("渭滨区", r["address"][:2]))
    assert Counter(r["truth"]["category"] for r in rows) == dict.fromkeys(corpus.CODES, 420)


def test_texts_are_varied_and_within_length(rows):
    texts = [r["text"] for r in rows[:5000]]
    assert len(set(texts)) / len(texts) > 0.9
    assert all(corpus.MIN_LEN <= len(t) <= corpus.MAX_LEN for t in texts)
    # the writing styles are all there
    for opener in ("市民来电反映", "网格员", "随手拍", "？"):
        assert sum(opener in t for t in texts) > 20, opener


def test_typos_mixed_texts_and_wrong_labels_at_their_rates(rows):
    truths = [r["truth"] for r in rows]
    n = len(rows)
    assert 0.025 < sum(t["typo"] for t in truths) / n < 0.055
    assert any("拉圾" in r["text"] for r in rows) and any("井概" in r["text"] for r in rows)
    assert 0.06 < sum(bool(t["mixed"]) for t in truths) / n < 0.10
    assert all(t["mixed"] != t["category"] for t in truths if t["mixed"])
    wrong = [r for r in rows if r["truth"]["mislabelled"]]
    assert 0.035 < len(wrong) / n < 0.065
    for r in rows:
        code = NAME_TO_CODE[r["category"]]
        if r["truth"]["mislabelled"]:
            assert code in corpus.CONFUSED[r["truth"]["category"]]
        else:
            assert code == r["truth"]["category"]
    clean = corpus.history_rows(
        seed=1, per_category=40, today=TODAY, truth=True, typo_rate=0, mislabel_rate=0
    )
    assert not any(r["truth"]["typo"] or r["truth"]["mislabelled"] for r in clean)


def test_personal_data_is_fake_in_known_formats_and_masked(rows):
    kinds = Counter(r["truth"]["personal"][0] for r in rows if r["truth"]["personal"])
    n = len(rows)
    assert 0.08 < sum(kinds.values()) / n < 0.16
    assert kinds["name"] > kinds["id"] > 0 and kinds["phone"] > kinds["id"]
    for r in rows:
        text, personal = r["text"], r["truth"]["personal"]
        runs = [m.group(0) for m in DIGITS.finditer(text) if sum(ch.isdigit() for ch in m.group(0)) >= 6]
        if personal is None:
            assert not runs, text
            continue
        kind, value = personal
        if kind == "phone":
            assert (
                PHONE.fullmatch(value)
                and len(runs) == 1
                and runs[0].replace(" ", "").replace("-", "") == value
            )
        elif kind == "id":
            assert value.startswith("610302") and corpus.id_number_valid(value) and runs == [value]
        else:
            assert value in text and not runs
        masked = mask(text)
        assert value not in masked, text
        assert not re.search(r"\d{6,}", masked)


def test_points_fall_inside_their_grids_with_hot_spots(rows):
    boxes = {}
    for a in demo_areas():
        if a["level"] == "grid":
            ring = a["boundary"]["coordinates"][0]
            xs, ys = [p[0] for p in ring], [p[1] for p in ring]
            boxes[a["code"]] = (min(xs), min(ys), max(xs), max(ys))
    for r in rows:
        x0, y0, x1, y1 = boxes[r["grid"]]
        assert x0 < r["lng"] < x1 and y0 < r["lat"] < y1
    grids = Counter(r["grid"] for r in rows)
    assert len(grids) > 300  # spread over the district
    assert grids.most_common(1)[0][1] > 8 * len(rows) / len(boxes)  # and hot spots
    repeated = Counter((r["address"], r["truth"]["category"]) for r in rows)
    assert repeated.most_common(1)[0][1] >= 20  # a place where the same problem keeps coming back


def test_seasons_weekdays_and_hours(rows):
    heating = [r for r in rows if r["truth"]["category"] == "heating_water"]
    winter = {11, 12, 1, 2, 3}
    assert sum(r["reported_at"].month in winter for r in heating) / len(heating) > 0.6
    radiators = [r for r in heating if "暖气" in r["text"]]
    assert radiators and sum(r["reported_at"].month in winter for r in radiators) / len(radiators) > 0.9
    days = Counter(r["reported_at"].weekday() for r in rows)
    assert days[0] > days[6] * 1.3
    hours = Counter(r["reported_at"].hour for r in rows)
    assert hours[10] > 5 * hours[3]
    noise = [r for r in rows if "噪音" in r["text"] and r["truth"]["category"] == "construction"]
    assert sum(r["reported_at"].hour >= 20 or r["reported_at"].hour < 2 for r in noise) / len(noise) > 0.4


def test_old_category_names_then_the_current_ones(rows):
    names = Counter(r["category"] for r in rows)
    assert set(names) <= set(NAME_TO_CODE)
    assert set(corpus.OLD_NAMES) <= set(names)
    assert set(corpus.OLD_NAMES.values()) <= set(corpus.CODES)
    last = [r["category"] for r in rows[-500:]]
    assert not set(last) & set(corpus.OLD_NAMES)


def test_units_follow_the_demo_routing_mostly(rows):
    from gridgov.cases.demo import RULES

    assert [(c, a, lead) for c, a, lead, _ in RULES] == corpus.ROUTES
    units = {r["unit"] for r in rows}
    assert units <= set(corpus.UNITS)
    routed = sum(r["unit"] == corpus.route(NAME_TO_CODE[r["category"]], r["grid"]) for r in rows)
    assert 0.8 < routed / len(rows) < 0.97
    qinchuan = [
        r
        for r in rows
        if NAME_TO_CODE[r["category"]] == "property_service" and r["grid"].startswith("610302003001")
    ]
    assert qinchuan and sum(r["unit"] == "秦川物业服务有限公司" for r in qinchuan) / len(qinchuan) > 0.8


def test_synthetic_rows():
    rows = list(corpus.synthetic(3000, seed=5))
    assert len(rows) == 3000
    assert [r[0] for r in rows] == sorted(r[0] for r in rows)
    grid_codes = {g.code for g in corpus.demo_grids()}
    for at, text, label, unit, grid in rows:
        assert (
            at.tzinfo is corpus.TZ and label in corpus.CODES and unit in corpus.UNITS and grid in grid_codes
        )
        assert corpus.MIN_LEN <= len(text) <= corpus.MAX_LEN
    assert len({r[1] for r in rows}) / len(rows) > 0.9
    volumes = Counter(r[2] for r in rows)
    assert volumes["city_appearance"] > 3 * volumes["emergency"]
    two = list(corpus.synthetic(300, seed=5, categories=["heating_water", "road_repair"]))
    assert {r[2] for r in two} == {"heating_water", "road_repair"}


def test_synthetic_finer_taxonomy_and_city():
    fine = corpus.fine_categories(120)
    assert len({c.code for c in fine}) == 120 and {c.base for c in fine} == set(corpus.CODES)
    rows = list(corpus.synthetic(12_000, seed=2, categories=120, grids=3000))
    labels = Counter(r[2] for r in rows)
    assert set(labels) <= {c.code for c in fine} and len(labels) > 100
    assert len({r[4] for r in rows}) > 2000 and all(len(r[4]) == 15 for r in rows)
    with pytest.raises(ValueError):
        corpus.fine_categories(100_000)
    with pytest.raises(ValueError):
        list(corpus.synthetic(1, seed=1, categories=["nope"]))


def test_text_for_known_and_unknown_categories():
    import random

    rng = random.Random(1)
    assert corpus.text_for("litter", rng) == ""
    texts = {corpus.text_for("road_repair", rng) for _ in range(50)}
    assert len(texts) > 40 and all(texts)
