"""The suggester engine (M14): category and handling-unit suggestions learned from the district's history.

Pure Python + numpy/scipy/scikit-learn, no Django ORM: :mod:`gridgov.assist.training` feeds it examples
read from the database and stores what it returns.

**Features.** Every text goes through :func:`gridgov.core.text.clean` (normalised, personal data masked
into placeholder characters) and is cut into character 1-, 2- and 3-grams inside clauses; a placeholder
breaks a clause, so no n-gram holds one, and nothing of a phone number, an ID number, an e-mail address or
a masked name reaches a feature, the stored weights or an explanation. The n-grams are hashed into
``n_features`` columns (``FeatureHasher``, no stored vocabulary) and the text's row is scaled to unit
length. The unit model adds the case's context at weight 1: its category, grid, street (the grid code's
first 9 digits), and the category × street and category × grid crosses — what routing rules are made of.

**Models.** Two linear classifiers (``SGDClassifier(loss="log_loss")``, one-vs-rest), trained with
``partial_fit`` over shuffled chunks so memory stays bounded, one epoch on a large history and more on a
small one. The confidence of a label is its sigmoid score over the sum of all labels' (sums to 1).

**Evaluation.** The examples are ordered by time; the last ``test_fraction`` are the test set (ties at the
boundary go to training, so every test example is later than every training example). The figures:
per-class precision/recall/F1/support, macro-F1, top-1 and top-3 accuracy, against baselines measured on
the same test set — the most frequent training class, and for units the routing rules (``rule_unit``).
The per-category confidence curves say, for each threshold, how many test cases the model would label
itself and how precisely.

**Storage.** A zip of ``.npy`` arrays (``numpy.load(allow_pickle=False)`` reads it: loading cannot run
code) and a JSON header; only the feature rows that carry a weight are stored, as float32, compressed.
The file is byte-identical for the same data and seed (fixed zip timestamps, deterministic training).
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import re
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from gridgov.core.text import clean

if TYPE_CHECKING:  # scikit-learn is imported where a model is trained or a text hashed: not by every process
    from sklearn.linear_model import SGDClassifier

FORMAT = 1
N_FEATURES = 2**18
NGRAMS = (1, 2, 3)
CHUNK = 20_000  # examples per partial_fit / prediction batch
CACHE_ROWS = 100_000  # up to this many training rows are featurized once for several passes
# Confidence thresholds of the curves (the admin's threshold page offers exactly these).
THRESHOLDS = tuple(round(0.50 + 0.05 * i, 2) for i in range(10)) + (0.99,)
CONTEXT = "\x01"  # prefix of the unit model's context tokens (never in a cleaned text's n-grams)
# A clause: a run of letters and digits; white space, punctuation and the placeholders break it.
_CLAUSE = re.compile(r"[^\W_]+")
WORDS = 5


@dataclass(slots=True)
class Example:
    """One labelled case. ``text`` is the description as written (cleaned here with ``names``, the
    reporter's) or, with ``cleaned=True``, already the output of :func:`~gridgov.core.text.clean`."""

    text: str
    at: datetime
    category: str
    unit: str | None = None
    area_code: str = ""
    names: tuple[str, ...] = ()
    cleaned: bool = False

    def clean_text(self) -> str:
        return self.text if self.cleaned else clean(self.text, self.names)


@dataclass(frozen=True)
class Guess:
    """One suggestion: the label (a category code, or a unit id as a string), its confidence (over all
    labels the confidences sum to 1) and up to five n-grams of the text that pushed most toward it."""

    label: str
    confidence: float
    words: tuple[str, ...]


class TooLittleData(ValueError):
    """Not enough examples or classes to train and test on (the message says which, in English; the
    caller words it for people)."""

    def __init__(self, code: str, **figures) -> None:
        super().__init__(f"{code}: {figures}")
        self.code = code
        self.figures = figures


# ---------------------------------------------------------------- features


def text_grams(cleaned: str) -> list[str]:
    """The character 1-, 2- and 3-grams of a cleaned text within clauses (no gram holds a placeholder)."""
    out: list[str] = []
    for clause in _CLAUSE.findall(cleaned):
        n = len(clause)
        out.extend(clause)
        if n >= 2:
            out.extend([clause[i : i + 2] for i in range(n - 1)])
        if n >= 3:
            out.extend([clause[i : i + 3] for i in range(n - 2)])
    return out


def street_of(area_code: str) -> str:
    return (area_code or "")[:9]


def context_tokens(category: str, area_code: str) -> list[str]:
    """The unit model's context: category, grid, street and the crosses routing rules are made of."""
    street = street_of(area_code)
    return [
        f"{CONTEXT}c{category}",
        f"{CONTEXT}g{area_code}",
        f"{CONTEXT}s{street}",
        f"{CONTEXT}cs{category}|{street}",
        f"{CONTEXT}cg{category}|{area_code}",
    ]


class Featurizer:
    """Hashed n-gram rows (unit length) plus, for the unit model, context tokens at weight 1."""

    def __init__(self, n_features: int = N_FEATURES) -> None:
        self.n_features = n_features
        from sklearn.feature_extraction import FeatureHasher

        self._hasher = FeatureHasher(
            n_features=n_features, input_type="string", alternate_sign=False, dtype=np.float64
        )

    def _hash(self, token_lists: Iterable[list[str]]) -> sp.csr_matrix:
        return self._hasher.transform(token_lists).tocsr()

    def texts(self, gram_lists: list[list[str]]) -> sp.csr_matrix:
        x = self._hash(gram_lists)
        norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        return sp.csr_matrix(sp.diags(1.0 / norms) @ x)

    def contexts(self, pairs: list[tuple[str, str]]) -> sp.csr_matrix:
        return self._hash(context_tokens(c, a) for c, a in pairs)

    def index(self, tokens: list[str]) -> np.ndarray:
        """The column of each token."""
        if not tokens:
            return np.zeros(0, dtype=np.int64)
        return self._hash([[t] for t in tokens]).indices.astype(np.int64)


# ---------------------------------------------------------------- the model as stored and used


@dataclass
class Linear:
    """One one-vs-rest linear model over hashed features: ``rows`` (the columns carrying a weight, sorted)
    and ``weights[i, c]`` for ``rows[i]`` and class ``c``; ``dense`` is the full table for scoring."""

    classes: list[str]
    rows: np.ndarray  # int32
    weights: np.ndarray  # float32, len(rows) × len(classes)
    intercept: np.ndarray  # float32, len(classes)
    n_features: int
    dense: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.dense = np.zeros((self.n_features, len(self.classes)), dtype=np.float32)
        if len(self.rows):
            self.dense[self.rows] = self.weights

    @classmethod
    def from_sgd(cls, clf: SGDClassifier, classes: list[str], n_features: int) -> Linear:
        coef = np.asarray(clf.coef_, dtype=np.float32)
        intercept = np.asarray(clf.intercept_, dtype=np.float32)
        if len(classes) == 2:  # a binary SGD keeps one row: the second class's score; the first gets minus
            coef = np.vstack([-coef[0], coef[0]])
            intercept = np.array([-intercept[0], intercept[0]], dtype=np.float32)
        table = coef.T  # features × classes
        rows = np.flatnonzero(np.any(table != 0, axis=1)).astype(np.int32)
        return cls(classes, rows, np.ascontiguousarray(table[rows]), intercept, n_features)

    def proba(self, x: sp.csr_matrix) -> np.ndarray:
        """Confidences (rows sum to 1): each class's sigmoid score over the sum of all."""
        z = np.asarray(x.astype(np.float32) @ self.dense) + self.intercept
        s = 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
        total = s.sum(axis=1, keepdims=True)
        total[total == 0] = 1.0
        return s / total

    def proba_one(self, idx: np.ndarray, vals: np.ndarray) -> np.ndarray:
        z = vals.astype(np.float32) @ self.dense[idx] + self.intercept if len(idx) else self.intercept.copy()
        s = 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
        return s / s.sum()


class Suggester:
    """A trained suggester as used: :meth:`categories` and :meth:`units` for one text, ``*_proba`` for
    batches (evaluation). ``version`` is the model's number (0 before it is stored)."""

    def __init__(self, category: Linear, unit: Linear | None, meta: dict, version: int = 0) -> None:
        self.category = category
        self.unit = unit
        self.meta = meta
        self.version = version
        self.featurizer = Featurizer(int(meta.get("n_features", N_FEATURES)))

    # -- one text

    def _one(self, cleaned: str, context: list[str] | None):
        grams = text_grams(cleaned)
        counts = Counter(grams)
        uniq = list(counts)
        cols = self.featurizer.index(uniq)
        acc: dict[int, float] = {}
        for col, g in zip(cols.tolist(), uniq, strict=True):
            acc[col] = acc.get(col, 0.0) + counts[g]
        norm = math.sqrt(sum(v * v for v in acc.values())) or 1.0
        for col in acc:
            acc[col] /= norm
        text_vals = dict(acc)
        if context:
            for col in self.featurizer.index(context).tolist():
                acc[col] = acc.get(col, 0.0) + 1.0
        idx = np.fromiter(acc.keys(), dtype=np.int64, count=len(acc))
        vals = np.fromiter(acc.values(), dtype=np.float64, count=len(acc))
        return uniq, cols, text_vals, idx, vals

    def _guesses(self, model: Linear, cleaned: str, context: list[str] | None, k: int) -> list[Guess]:
        uniq, cols, text_vals, idx, vals = self._one(cleaned, context)
        p = model.proba_one(idx, vals)
        top = np.argsort(-p, kind="stable")[:k]
        out = []
        for c in top.tolist():
            out.append(
                Guess(model.classes[c], float(p[c]), self._words(model, c, cleaned, uniq, cols, text_vals))
            )
        return out

    @staticmethod
    def _words(
        model: Linear, c: int, cleaned: str, uniq: list[str], cols: np.ndarray, text_vals: dict
    ) -> tuple[str, ...]:
        """Up to five words of the text that pushed most toward class ``c``: the n-grams (two or three
        characters) whose weight × value is positive, the strongest ``2 * WORDS`` of them, joined where
        they overlap in the text into the runs a person reads (two overlapping trigrams make one run of four characters), strongest
        first. A run holds only characters of such n-grams, so never a placeholder."""
        if not uniq:
            return ()
        weights = model.dense[cols, c].astype(np.float64)
        strength = {
            g: float(w) * text_vals[col]
            for g, w, col in zip(uniq, weights.tolist(), cols.tolist(), strict=True)
            if len(g) >= 2 and w > 0
        }
        strong = sorted(strength, key=lambda g: (-strength[g], g))[: 2 * WORDS]
        if not strong:
            return ()
        score = [0.0] * len(cleaned)
        covered = [False] * len(cleaned)
        for g in strong:
            start = cleaned.find(g)
            while start >= 0:
                for i in range(start, start + len(g)):
                    covered[i] = True
                    score[i] = max(score[i], strength[g])
                start = cleaned.find(g, start + 1)
        runs: dict[str, float] = {}
        i = 0
        while i < len(cleaned):
            if not covered[i]:
                i += 1
                continue
            j = i
            while j < len(cleaned) and covered[j]:
                j += 1
            word = cleaned[i:j]
            runs[word] = max(runs.get(word, 0.0), max(score[i:j]))
            i = j
        return tuple(sorted(runs, key=lambda w: (-runs[w], w))[:WORDS])

    def categories(self, text: str, names: Iterable[str] = (), k: int = 3) -> list[Guess]:
        """The ``k`` likeliest categories (codes) for a report's text, ``names`` masked wherever they are."""
        return self._guesses(self.category, clean(text or "", names), None, k)

    def units(
        self, text: str, category: str, area_code: str, names: Iterable[str] = (), k: int = 3
    ) -> list[Guess]:
        """The ``k`` likeliest lead units (ids as strings) for a text, its category and its grid."""
        if self.unit is None:
            return []
        return self._guesses(
            self.unit, clean(text or "", names), context_tokens(category or "", area_code or ""), k
        )

    # -- batches

    def category_proba(self, cleaned: list[str]) -> np.ndarray:
        return self.category.proba(self.featurizer.texts([text_grams(t) for t in cleaned]))

    def unit_proba(self, cleaned: list[str], pairs: list[tuple[str, str]]) -> np.ndarray:
        assert self.unit is not None
        f = self.featurizer
        return self.unit.proba(f.texts([text_grams(t) for t in cleaned]) + f.contexts(pairs))

    # -- storage

    def to_bytes(self) -> bytes:
        """The stored form: a zip of .npy arrays with fixed timestamps (the same model → the same bytes)."""
        arrays: dict[str, np.ndarray] = {}
        meta = dict(self.meta, format=FORMAT, category_classes=self.category.classes)
        for name, model in (("category", self.category), ("unit", self.unit)):
            if model is None:
                continue
            arrays[f"{name}_rows"] = model.rows.astype(np.int32)
            arrays[f"{name}_weights"] = model.weights.astype(np.float32)
            arrays[f"{name}_intercept"] = model.intercept.astype(np.float32)
        meta["unit_classes"] = self.unit.classes if self.unit is not None else None
        arrays["meta"] = np.frombuffer(
            json.dumps(meta, sort_keys=True, ensure_ascii=False).encode(), np.uint8
        )
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for name in sorted(arrays):
                info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                out = io.BytesIO()
                np.lib.format.write_array(out, np.ascontiguousarray(arrays[name]), allow_pickle=False)
                zf.writestr(info, out.getvalue(), compresslevel=6)
        return buf.getvalue()

    def save(self, path: str | Path) -> tuple[str, int]:
        """Write the model to ``path`` (through a temporary file); returns its sha256 and size."""
        data = self.to_bytes()
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
        return hashlib.sha256(data).hexdigest(), len(data)

    @classmethod
    def load(cls, path: str | Path, sha256: str | None = None, version: int | None = None) -> Suggester:
        """Read a stored model (no pickles: arrays and JSON only). With ``sha256``, refuse a file whose
        digest differs (``ValueError``). ``version`` defaults to the number in the file name
        (``suggester-v12.npz``): the file itself does not carry it, so the same data and seed give the
        same bytes whatever the version."""
        data = Path(path).read_bytes()
        if version is None:
            m = re.search(r"-v(\d+)\.", Path(path).name)
            version = int(m.group(1)) if m else 0
        return cls.from_bytes(data, sha256=sha256, version=version)

    @classmethod
    def from_bytes(cls, data: bytes, sha256: str | None = None, version: int = 0) -> Suggester:
        if sha256 is not None and hashlib.sha256(data).hexdigest() != sha256:
            raise ValueError("suggester file does not match its sha256")
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
        meta = json.loads(arrays["meta"].tobytes().decode())
        if meta.get("format") != FORMAT:
            raise ValueError(f"unknown suggester format {meta.get('format')!r}")
        n = int(meta["n_features"])

        def linear(name: str, classes) -> Linear | None:
            if classes is None or f"{name}_rows" not in arrays:
                return None
            return Linear(
                list(classes),
                arrays[f"{name}_rows"],
                arrays[f"{name}_weights"],
                arrays[f"{name}_intercept"],
                n,
            )

        cat = linear("category", meta["category_classes"])
        assert cat is not None
        return cls(cat, linear("unit", meta.get("unit_classes")), meta, version=version)


# ---------------------------------------------------------------- figures


def classification_figures(
    truth: Sequence[str], ranked: Sequence[Sequence[str]], classes: Iterable[str] = ()
) -> dict:
    """Per-class precision/recall/F1/support, macro-F1 (over the classes in the truth or predicted),
    top-1 and top-3 accuracy. ``ranked[i]`` is the labels offered for case ``i``, best first (may be
    empty: nothing offered counts as wrong)."""
    n = len(truth)
    top1 = [r[0] if r else None for r in ranked]
    tp: Counter = Counter()
    pred: Counter = Counter()
    support = Counter(truth)
    for t, p in zip(truth, top1, strict=True):
        if p is not None:
            pred[p] += 1
            if p == t:
                tp[p] += 1
    labels = sorted(set(support) | set(pred) | set(classes))
    per: dict[str, dict] = {}
    f1s = []
    for label in labels:
        p = tp[label] / pred[label] if pred[label] else 0.0
        r = tp[label] / support[label] if support[label] else 0.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        per[label] = {
            "precision": round(p, 6),
            "recall": round(r, 6),
            "f1": round(f1, 6),
            "support": support[label],
            "predicted": pred[label],
        }
        if support[label] or pred[label]:
            f1s.append(f1)
    top3 = sum(1 for t, r in zip(truth, ranked, strict=True) if t in list(r)[:3])
    return {
        "n": n,
        "accuracy": round(sum(tp.values()) / n, 6) if n else 0.0,
        "top3": round(top3 / n, 6) if n else 0.0,
        "macro_f1": round(sum(f1s) / len(f1s), 6) if f1s else 0.0,
        "classes": per,
    }


def _summary(figures: dict) -> dict:
    return {k: figures[k] for k in ("accuracy", "top3", "macro_f1")}


def curves(truth: Sequence[str], top1: Sequence[str], confidence: Sequence[float]) -> dict[str, list[dict]]:
    """Per predicted category, for each threshold t: ``n`` test cases whose top suggestion is the category
    at confidence ≥ t, ``precision`` (how many of them truly are; None when n is 0) and ``coverage`` (the
    share of the category's test cases that would be labelled — rightly — automatically at t)."""
    support = Counter(truth)
    conf = np.asarray(confidence, dtype=np.float64)
    pred = np.asarray(top1, dtype=object)
    right = np.asarray([t == p for t, p in zip(truth, top1, strict=True)], dtype=bool)
    out: dict[str, list[dict]] = {}
    for label in sorted(set(support) | set(top1)):
        mine = pred == label
        points = []
        for t in THRESHOLDS:
            sel = mine & (conf >= t - 1e-9)
            n = int(sel.sum())
            good = int((sel & right).sum())
            points.append(
                {
                    "threshold": t,
                    "n": n,
                    "precision": round(good / n, 6) if n else None,
                    "coverage": round(good / support[label], 6) if support[label] else 0.0,
                }
            )
        out[label] = points
    return out


def _ranked(proba: np.ndarray, classes: list[str], k: int = 3) -> tuple[list[list[str]], np.ndarray]:
    order = np.argsort(-proba, axis=1, kind="stable")[:, :k]
    ranked = [[classes[c] for c in row] for row in order.tolist()]
    return ranked, proba[np.arange(len(proba)), order[:, 0]] if len(proba) else np.zeros(0)


def evaluate(
    suggester: Suggester,
    test: Sequence[Example],
    *,
    cleaned: list[str] | None = None,
    with_curves: bool = False,
) -> dict:
    """The figures of ``suggester`` on ``test``: ``{"category": …, "unit": … | None}`` (and ``"curves"``).
    Used on the new model and on the active one, with the same test set."""
    if cleaned is None:
        cleaned = [e.clean_text() for e in test]
    truth = [e.category for e in test]
    ranked: list[list[str]] = []
    top1: list[str] = []
    conf: list[float] = []
    for start in range(0, len(test), CHUNK):
        p = suggester.category_proba(cleaned[start : start + CHUNK])
        r, c = _ranked(p, suggester.category.classes)
        ranked.extend(r)
        top1.extend(x[0] for x in r)
        conf.extend(c.tolist())
    out: dict = {"category": classification_figures(truth, ranked), "unit": None}
    if with_curves:
        out["curves"] = curves(truth, top1, conf)
    with_unit = [i for i, e in enumerate(test) if e.unit]
    if with_unit:
        utruth = [test[i].unit for i in with_unit]
        uranked: list[list[str]] = []
        if suggester.unit is not None:
            for start in range(0, len(with_unit), CHUNK):
                idx = with_unit[start : start + CHUNK]
                p = suggester.unit_proba(
                    [cleaned[i] for i in idx], [(test[i].category, test[i].area_code) for i in idx]
                )
                uranked.extend(_ranked(p, suggester.unit.classes)[0])
        else:
            uranked = [[] for _ in with_unit]
        out["unit"] = classification_figures(utruth, uranked)
    return out


def baselines(
    train_categories: Counter,
    train_units: Counter,
    test: Sequence[Example],
    rule_unit: Callable[[str, str], str | None] | None,
) -> dict:
    """The baselines on the test set: the most frequent training class (top-3: the three most frequent)
    for categories and units, and the routing rules alone for units (the rule's lead unit for the true
    category and the case's grid; no rule → nothing offered, counted wrong). Rules propose no category."""
    truth = [e.category for e in test]
    frequent = [c for c, _ in sorted(train_categories.items(), key=lambda t: (-t[1], t[0]))[:3]]
    cat = classification_figures(truth, [frequent] * len(truth))
    out: dict = {
        "category": {
            "most_frequent": dict(_summary(cat), label=frequent[0] if frequent else None),
            "rules": None,  # routing rules map a category to a unit; they propose no category
        },
        "unit": None,
    }
    units = [e for e in test if e.unit]
    if units:
        utruth = [e.unit for e in units]
        ufreq = [u for u, _ in sorted(train_units.items(), key=lambda t: (-t[1], t[0]))[:3]]
        mf = classification_figures(utruth, [ufreq] * len(units))
        out["unit"] = {"most_frequent": dict(_summary(mf), label=ufreq[0] if ufreq else None), "rules": None}
        if rule_unit is not None:
            proposals = []
            memo: dict[tuple[str, str], str | None] = {}
            for e in units:
                key = (e.category, e.area_code)
                if key not in memo:
                    memo[key] = rule_unit(*key)
                proposals.append([memo[key]] if memo[key] else [])
            rf = classification_figures(utruth, proposals)
            covered = sum(1 for p in proposals if p)
            out["unit"]["rules"] = dict(_summary(rf), covered=round(covered / len(units), 6))
    return out


# ---------------------------------------------------------------- training


@dataclass
class Trained:
    """What :func:`train` returns: the suggester (``version`` 0 until stored), its figures and curves on
    the held-out test set, the split and the parameters, and the test examples (to measure the active
    model on the same set)."""

    suggester: Suggester
    metrics: dict
    curves: dict
    train_size: int
    test_size: int
    split_at: datetime | None
    params: dict
    test: list[Example]
    test_cleaned: list[str]


MIN_EXAMPLES = 50
MIN_CLASSES = 2
MIN_TEST = 10


def split(examples: Sequence[Example], test_fraction: float) -> tuple[list[int], list[int]]:
    """Indices of the training and test examples: time order, the last ``test_fraction`` for test, ties
    at the boundary moved to training (so every test example is strictly later than every training one)."""
    order = sorted(range(len(examples)), key=lambda i: examples[i].at)
    n = len(order)
    cut = n - max(1, int(round(n * test_fraction)))
    cut = max(1, min(cut, n - 1))
    while cut < n and examples[order[cut]].at == examples[order[cut - 1]].at:
        cut += 1
    return order[:cut], order[cut:]


def _fit(
    featurize: Callable[[list[int]], sp.csr_matrix],
    labels: np.ndarray,
    n_classes: int,
    index: list[int],
    *,
    seed: int,
    alpha: float,
    epochs: int,
    chunk: int,
) -> SGDClassifier:
    from sklearn.linear_model import SGDClassifier

    clf = SGDClassifier(loss="log_loss", alpha=alpha, random_state=seed, shuffle=True, average=False)
    rng = np.random.default_rng(seed)
    classes = np.arange(n_classes)
    positions = np.asarray(index, dtype=np.int64)
    # A small history is featurized once and its rows reused every pass; a large one (one pass) per chunk.
    whole = featurize(positions.tolist()) if epochs > 1 and len(positions) <= CACHE_ROWS else None
    for _epoch in range(epochs):
        perm = rng.permutation(len(positions))
        for start in range(0, len(perm), chunk):
            part = perm[start : start + chunk]
            x = whole[part] if whole is not None else featurize(positions[part].tolist())
            clf.partial_fit(x, labels[positions[part]], classes=classes)
    return clf


def epochs_for(n_train: int) -> int:
    """One pass over a large history, more over a small one (about 300,000 updates, at most 20 passes)."""
    return int(min(20, max(1, math.ceil(300_000 / max(1, n_train)))))


def train(
    examples: Sequence[Example],
    *,
    seed: int = 0,
    test_fraction: float = 0.2,
    rule_unit: Callable[[str, str], str | None] | None = None,
    n_features: int = N_FEATURES,
    alpha: float = 1e-6,
    epochs: int | None = None,
    chunk: int = CHUNK,
    min_examples: int = MIN_EXAMPLES,
    on_progress: Callable[[str], None] | None = None,
) -> Trained:
    """Train the category and unit models on the past and measure them on the most recent examples.
    Raises :class:`TooLittleData` when there are too few examples or classes."""
    n = len(examples)
    if n < min_examples:
        raise TooLittleData("too_few_examples", n=n, needed=min_examples)
    train_idx, test_idx = split(examples, test_fraction)
    if len(test_idx) < min(MIN_TEST, n // 5) or not test_idx:
        raise TooLittleData("too_few_test", n=len(test_idx))
    tick = on_progress or (lambda stage: None)
    cleaned = [e.clean_text() for e in examples]
    tick("cleaned")
    grams_of = text_grams
    featurizer = Featurizer(n_features)

    cat_counts = Counter(examples[i].category for i in train_idx)
    if len(cat_counts) < MIN_CLASSES:
        raise TooLittleData("too_few_classes", classes=len(cat_counts), needed=MIN_CLASSES)
    cat_classes = sorted(cat_counts)
    cat_pos = {c: i for i, c in enumerate(cat_classes)}
    y_cat = np.full(n, -1, dtype=np.int64)
    for i in train_idx:
        y_cat[i] = cat_pos[examples[i].category]
    n_epochs = epochs or epochs_for(len(train_idx))

    def text_x(part: list[int]) -> sp.csr_matrix:
        return featurizer.texts([grams_of(cleaned[i]) for i in part])

    clf = _fit(
        text_x, y_cat, len(cat_classes), train_idx, seed=seed, alpha=alpha, epochs=n_epochs, chunk=chunk
    )
    category = Linear.from_sgd(clf, cat_classes, n_features)
    del clf
    tick("category")

    unit_train = [i for i in train_idx if examples[i].unit]
    unit_counts = Counter(examples[i].unit for i in unit_train)
    unit: Linear | None = None
    if len(unit_counts) >= MIN_CLASSES:
        unit_classes = sorted(unit_counts)
        unit_pos = {u: i for i, u in enumerate(unit_classes)}
        y_unit = np.full(n, -1, dtype=np.int64)
        for i in unit_train:
            y_unit[i] = unit_pos[examples[i].unit]

        def unit_x(part: list[int]) -> sp.csr_matrix:
            return text_x(part) + featurizer.contexts(
                [(examples[i].category, examples[i].area_code) for i in part]
            )

        uclf = _fit(
            unit_x,
            y_unit,
            len(unit_classes),
            unit_train,
            seed=seed,
            alpha=alpha,
            epochs=epochs or epochs_for(len(unit_train)),
            chunk=chunk,
        )
        unit = Linear.from_sgd(uclf, unit_classes, n_features)
        del uclf
    tick("unit")

    params = {
        "features": "char 1-3 grams of clean(text), hashed",
        "n_features": n_features,
        "ngrams": list(NGRAMS),
        "model": "SGDClassifier(loss=log_loss) one-vs-rest, partial_fit",
        "alpha": alpha,
        "epochs": n_epochs,
        "chunk": chunk,
        "seed": seed,
        "test_fraction": test_fraction,
    }
    suggester = Suggester(category, unit, {"n_features": n_features, "params": params})
    test = [examples[i] for i in test_idx]
    test_cleaned = [cleaned[i] for i in test_idx]
    figures = evaluate(suggester, test, cleaned=test_cleaned, with_curves=True)
    tick("evaluated")
    base = baselines(cat_counts, unit_counts, test, rule_unit)
    metrics = {
        "category": dict(figures["category"], baselines=base["category"], train_classes=len(cat_classes)),
        "unit": (
            dict(figures["unit"], baselines=base["unit"], train_classes=len(unit.classes) if unit else 0)
            if figures["unit"] is not None
            else None
        ),
    }
    split_at = examples[test_idx[0]].at if test_idx else None
    return Trained(
        suggester,
        metrics,
        figures["curves"],
        len(train_idx),
        len(test_idx),
        split_at,
        params,
        test,
        test_cleaned,
    )


# ---------------------------------------------------------------- the not-worse rule


def headline(figures: dict) -> dict:
    """The two figures the not-worse rule compares: category macro-F1 and unit top-1 accuracy."""
    unit = figures.get("unit")
    return {
        "category_macro_f1": figures["category"]["macro_f1"],
        "unit_accuracy": unit["accuracy"] if unit else None,
    }


def not_worse(new: dict, old: dict | None, tolerance: float = 0.0) -> bool:
    """Whether a new model (its figures) may replace the active one measured on the SAME test set: its
    category macro-F1 and its unit top-1 accuracy are each at least the old one's minus ``tolerance``
    (a figure the old model has and the new one lacks counts as worse; no old model: yes)."""
    if old is None:
        return True
    a, b = headline(new), headline(old)
    if a["category_macro_f1"] < b["category_macro_f1"] - tolerance:
        return False
    old_unit, new_unit = b["unit_accuracy"], a["unit_accuracy"]
    return old_unit is None or (new_unit is not None and new_unit >= old_unit - tolerance)
