"""The suggester engine without a database: features, training, the time-ordered split, figures against
hand-computed values, baselines, curves, storage and the not-worse rule."""

from __future__ import annotations

import hashlib
import random
import zipfile
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from gridgov.assist import engine
from gridgov.assist.engine import Example, Guess, Suggester
from gridgov.core.text import MARKS

T0 = datetime(2024, 1, 1, tzinfo=UTC)
WORDS = {
    "road": ["井盖松动", "路面塌陷", "人行道破损"],
    "light": ["路灯不亮", "路灯闪烁", "灯杆倾斜"],
    "noise": ["施工噪音扰民", "晚上太吵", "广场舞噪音"],
    "water": ["下水道堵塞", "污水外溢", "水管爆裂"],
}
PLACES = ["小区门口", "楼下", "幸福路", "东门附近", "三号楼旁边"]
GRIDS = ["610302001001001", "610302001001002", "610302002002001", "610302002002002"]
UNIT = {("road", "610302001"): "11", ("road", "610302002"): "12", ("light", "610302001"): "13"}


def unit_for(category: str, grid: str) -> str:
    return UNIT.get((category, grid[:9]), "10")


def examples(n: int = 400, seed: int = 1, pii: bool = False) -> list[Example]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        category = rng.choice(sorted(WORDS))
        grid = rng.choice(GRIDS)
        text = f"{rng.choice(PLACES)}{rng.choice(WORDS[category])}，请尽快处理"
        names: tuple[str, ...] = ()
        if pii:
            text += "，联系电话13812345678，身份证610302199001011234，我是欧阳明辉"
            names = ("欧阳明辉",)
        out.append(Example(text, T0 + timedelta(hours=i), category, unit_for(category, grid), grid, names))
    return out


@pytest.fixture(scope="module")
def trained() -> engine.Trained:
    return engine.train(examples(), seed=7, rule_unit=unit_for)


def test_grams_are_1_to_3_characters_within_clauses_and_never_hold_a_placeholder():
    cleaned = engine.clean("井盖松动，电话13812345678")
    grams = engine.text_grams(cleaned)
    assert "井盖松" in grams and "松动" in grams and "井" in grams
    assert not any(len(g) > 3 for g in grams)
    assert not any(m in g for g in grams for m in MARKS)
    assert not any("，" in g or "138" in g for g in grams)


def test_same_data_and_seed_give_the_same_bytes_and_figures(trained):
    again = engine.train(examples(), seed=7, rule_unit=unit_for)
    assert again.suggester.to_bytes() == trained.suggester.to_bytes()
    assert again.metrics == trained.metrics and again.curves == trained.curves
    other = engine.train(examples(), seed=8, rule_unit=unit_for)
    assert other.suggester.to_bytes() != trained.suggester.to_bytes()


def test_every_test_example_is_later_than_every_training_example():
    data = examples(100)
    for e in data[78:83]:  # a tie across the 80 % boundary goes to training
        e.at = T0 + timedelta(hours=79)
    random.Random(3).shuffle(data)
    train_idx, test_idx = engine.split(data, 0.2)
    assert len(train_idx) + len(test_idx) == 100
    assert max(data[i].at for i in train_idx) < min(data[i].at for i in test_idx)
    assert len(test_idx) == 17


def test_figures_match_hand_computed_values():
    truth = ["a", "a", "a", "b", "b", "c"]
    ranked = [["a", "b"], ["a"], ["b", "a"], ["b"], ["a", "c", "b"], []]
    f = engine.classification_figures(truth, ranked)
    # a: tp 2, predicted 3 (rows 0, 1, 4), support 3 → P 2/3, R 2/3, F1 2/3
    assert f["classes"]["a"] == {
        "precision": 0.666667,
        "recall": 0.666667,
        "f1": 0.666667,
        "support": 3,
        "predicted": 3,
    }
    # b: tp 1, predicted 2, support 2 → P 1/2, R 1/2; c: nothing predicted → 0
    assert f["classes"]["b"]["f1"] == 0.5 and f["classes"]["c"]["f1"] == 0.0
    assert f["macro_f1"] == round((2 / 3 + 0.5 + 0) / 3, 6)
    assert f["accuracy"] == 0.5  # 3 of 6
    assert f["top3"] == round(5 / 6, 6)  # all but the empty row


def test_curves_count_precision_and_coverage_per_threshold():
    c = engine.curves(["a", "a", "b", "a"], ["a", "a", "a", "b"], [0.9, 0.6, 0.97, 0.99])
    at = {p["threshold"]: p for p in c["a"]}
    assert at[0.5] == {"threshold": 0.5, "n": 3, "precision": round(2 / 3, 6), "coverage": round(2 / 3, 6)}
    assert at[0.9] == {"threshold": 0.9, "n": 2, "precision": 0.5, "coverage": round(1 / 3, 6)}
    assert at[0.99] == {"threshold": 0.99, "n": 0, "precision": None, "coverage": 0.0}
    assert [p["threshold"] for p in c["b"]] == list(engine.THRESHOLDS)
    assert engine.THRESHOLDS[0] == 0.5 and engine.THRESHOLDS[-2:] == (0.95, 0.99)


def test_figures_and_baselines_are_kept_with_the_model(trained):
    cat, unit = trained.metrics["category"], trained.metrics["unit"]
    assert cat["macro_f1"] > 0.9 and cat["top3"] == 1.0
    assert set(cat["classes"]) == set(WORDS)
    mf = cat["baselines"]["most_frequent"]
    assert mf["label"] in WORDS and mf["accuracy"] < 0.5
    assert cat["baselines"]["rules"] is None  # the rules propose no category
    assert unit["accuracy"] > 0.9
    assert unit["baselines"]["rules"]["accuracy"] == 1.0  # the synthetic units follow the rules exactly
    assert unit["baselines"]["most_frequent"]["label"] == "10"
    assert trained.train_size + trained.test_size == 400 and trained.test_size == 80
    assert set(trained.curves) == set(WORDS)


def test_suggestions_top_three_with_confidences_summing_to_one_and_words_from_the_text(trained):
    s = trained.suggester
    guesses = s.categories("东门附近的井盖松动了，车一过就响")
    assert len(guesses) == 3 and isinstance(guesses[0], Guess)
    assert guesses[0].label == "road" and guesses[0].confidence > 0.5
    assert guesses[0].words and all(w in "东门附近的井盖松动了，车一过就响" for w in guesses[0].words)
    assert len(guesses[0].words) <= 5
    everything = s.categories("井盖松动", k=10)
    assert abs(sum(g.confidence for g in everything) - 1.0) < 1e-5
    units = s.units("井盖松动", "road", "610302002002001")
    assert units[0].label == "12"
    assert abs(sum(g.confidence for g in s.units("井盖松动", "road", GRIDS[0], k=10)) - 1.0) < 1e-5


def test_stored_weights_round_trip_without_pickles_and_check_the_digest(trained, tmp_path):
    sha, size = trained.suggester.save(tmp_path / "suggester-v4.npz")
    data = (tmp_path / "suggester-v4.npz").read_bytes()
    assert hashlib.sha256(data).hexdigest() == sha and len(data) == size
    with zipfile.ZipFile(tmp_path / "suggester-v4.npz") as zf:
        assert all(n.endswith(".npy") for n in zf.namelist())
    with np.load(tmp_path / "suggester-v4.npz", allow_pickle=False) as z:
        assert z["category_weights"].dtype == np.float32
        assert z["category_rows"].size < 2**18  # only rows that carry a weight
    loaded = Suggester.load(tmp_path / "suggester-v4.npz", sha256=sha)
    assert loaded.version == 4
    assert loaded.categories("路灯不亮") == trained.suggester.categories("路灯不亮")
    with pytest.raises(ValueError):
        Suggester.load(tmp_path / "suggester-v4.npz", sha256="0" * 64)


def test_no_personal_data_reaches_features_weights_or_explanations(tmp_path):
    data = examples(200, pii=True)
    t = engine.train(data, seed=1)
    t.suggester.save(tmp_path / "m.npz")
    loaded = Suggester.load(tmp_path / "m.npz")
    featurizer = engine.Featurizer()
    legit = set()
    for e in data:
        legit.update(featurizer.index(engine.text_grams(e.clean_text())).tolist())
    secrets = ["13812345678", "610302199001011234", "欧阳明辉"]
    secret_grams = {s[i : i + n] for s in secrets for n in (1, 2, 3) for i in range(len(s) - n + 1)}
    cols = featurizer.index(sorted(secret_grams)).tolist()
    unshared = [c for c in cols if c not in legit]
    assert len(unshared) > len(cols) // 2  # most do not collide with a word of the texts
    stored = set(loaded.category.rows.tolist()) | set(loaded.unit.rows.tolist())
    assert not stored & set(unshared)
    assert not np.any(loaded.category.dense[unshared]) and not np.any(loaded.unit.dense[unshared])
    text = "幸福路井盖松动，联系电话13812345678，身份证610302199001011234，我是欧阳明辉"
    for g in loaded.categories(text, names=["欧阳明辉"], k=4) + loaded.units(
        text, "road", GRIDS[0], names=["欧阳明辉"]
    ):
        for w in g.words:
            assert not any(m in w for m in MARKS)
            assert not any(ch.isdigit() for ch in w) and "欧阳" not in w and "明辉" not in w


def test_not_worse_compares_category_macro_f1_and_unit_top1():
    def figures(f1, acc):
        return {"category": {"macro_f1": f1}, "unit": {"accuracy": acc} if acc is not None else None}

    assert engine.not_worse(figures(0.8, 0.7), None)
    assert engine.not_worse(figures(0.8, 0.7), figures(0.8, 0.7))
    assert not engine.not_worse(figures(0.79, 0.9), figures(0.8, 0.7))
    assert not engine.not_worse(figures(0.9, 0.69), figures(0.8, 0.7))
    assert engine.not_worse(figures(0.79, 0.7), figures(0.8, 0.7), tolerance=0.02)
    assert not engine.not_worse(figures(0.9, None), figures(0.8, 0.7))
    assert engine.not_worse(figures(0.9, 0.1), figures(0.8, None))


def test_too_little_data_or_a_single_class_is_refused():
    with pytest.raises(engine.TooLittleData) as few:
        engine.train(examples(20), seed=1)
    assert few.value.code == "too_few_examples"
    one = [Example("井盖松动", T0 + timedelta(hours=i), "road") for i in range(100)]
    with pytest.raises(engine.TooLittleData) as single:
        engine.train(one, seed=1)
    assert single.value.code == "too_few_classes"
