"""Scoring a pool: pure arithmetic over a scheme's definition and each member's inputs (docs/assessment.md,
"How a score is made", with its worked example).

Nothing here reads the database: the same ``score_pool(definition, members, inputs)`` makes a live
ranking, freezes a round and recomputes a frozen one from what it kept, so a frozen period always gives the
same numbers. Arithmetic is exact (``Fraction``); a total is rounded half up to 0.01 once, at the end, and
members are ranked on that rounded total, equal totals sharing a rank (1, 2, 2, 4).

- An indicator's **value** is ``factor × numerator ÷ denominator`` (no denominator: ``factor ×
  numerator``); a denominator of 0 is "no data".
- **Target** scoring, higher is better: ``100 × min(1, value ÷ target)`` (a target of 0 or less: 100).
  Lower is better: 100 at or under the target, else ``100 × target ÷ value`` (0 when the target is 0).
- **Min–max** scoring within the pool (members with data): higher is better ``100 × (value − min) ÷ (max −
  min)``, lower is better ``100 × (max − value) ÷ (max − min)``; all equal: 100 each.
- A **qualitative** item's score is the mean of its evaluators' marks.
- A **group's** score is the weighted mean of its items that have data; the **total** is the weighted mean
  of the groups that have data. An item or group without data is left out and the others' weights are
  scaled up (a member is neither punished nor rewarded for what cannot be measured); a member of whom no
  element counted anything (a grid without a single case, visit or wish in the period) has no data for any
  quantitative item — a count indicator does not read its zero as a perfect figure — and a member with no
  data at all has no total and no rank.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from gridgov.assessment.formula import Formula, parse

HUNDRED = Fraction(100)
CENT = Decimal("0.01")
TEN_THOUSANDTH = Decimal("0.0001")


def as_decimal(value: Fraction | None, places: Decimal = TEN_THOUSANDTH) -> str | None:
    """A fraction as a decimal string rounded half up (``None`` stays ``None``)."""
    if value is None:
        return None
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return str(exact.quantize(places, rounding=ROUND_HALF_UP))


def _fraction(text) -> Fraction | None:
    return None if text is None or text == "" else Fraction(str(text))


def _formulas(indicator: Mapping) -> tuple[Formula, Formula | None]:
    def known(_name: str) -> bool:
        return True

    numerator = parse(indicator["numerator"], field="numerator", known=known)
    denominator = (
        parse(indicator["denominator"], field="denominator", known=known)
        if indicator.get("denominator")
        else None
    )
    return numerator, denominator


def indicator_value(
    indicator: Mapping, values: Mapping[str, object], formulas: tuple[Formula, Formula | None] | None = None
) -> tuple[Fraction | None, Fraction | None, Fraction | None]:
    """(numerator, denominator, value) of an indicator for one member's element values."""
    numerator_f, denominator_f = formulas or _formulas(indicator)
    factor = Fraction(str(indicator.get("factor") or 1))
    numerator = numerator_f.evaluate(values)
    if denominator_f is None:
        return numerator, None, None if numerator is None else factor * numerator
    denominator = denominator_f.evaluate(values)
    if numerator is None or denominator is None or denominator == 0:
        return numerator, denominator, None
    return numerator, denominator, factor * numerator / denominator


def target_score(value: Fraction, target: Fraction, direction: str) -> Fraction:
    if direction == "lower":
        if value <= target:
            return HUNDRED
        return HUNDRED * target / value if target > 0 else Fraction(0)
    if target <= 0:
        return HUNDRED
    return HUNDRED * min(Fraction(1), value / target)


def minmax_score(value: Fraction, low: Fraction, high: Fraction, direction: str) -> Fraction:
    if high == low:
        return HUNDRED
    if direction == "lower":
        return HUNDRED * (high - value) / (high - low)
    return HUNDRED * (value - low) / (high - low)


def _weighted(parts: Iterable[tuple[Fraction, Fraction | None]]) -> Fraction | None:
    """Weighted mean over the parts that have a score; ``None`` when none has."""
    present = [(w, s) for w, s in parts if s is not None and w > 0]
    weights = sum((w for w, _s in present), Fraction(0))
    if not present or weights == 0:
        return None
    return sum((w * s for w, s in present), Fraction(0)) / weights


def score_pool(
    definition: Mapping, members: list[tuple[str, str]], inputs: Mapping[str, Mapping]
) -> list[dict]:
    """Score and rank every member ``(key, name)`` from ``inputs[key] = {"elements": {name: value},
    "marks": {item id: [score, …]}}``. Returns one row per member, ranked, with every figure as a decimal
    string: ``{"key", "name", "total", "rank", "groups": {group id: score}, "items": {item id: {"numerator",
    "denominator", "value", "score"}}}``."""
    items = list(definition["items"])
    parsed = {str(i["id"]): _formulas(i["indicator"]) for i in items if i["kind"] != "qualitative"}
    values: dict[str, dict[str, tuple]] = {key: {} for key, _name in members}
    for item in items:
        iid = str(item["id"])
        for key, _name in members:
            given = inputs.get(key, {})
            if item["kind"] == "qualitative":
                marks = [Fraction(str(m)) for m in given.get("marks", {}).get(iid, [])]
                mean = sum(marks, Fraction(0)) / len(marks) if marks else None
                values[key][iid] = (None, None, mean)
            elif not given.get("elements"):
                # Nothing of the member was counted at all (a grid without a single case): no data, so a
                # count indicator does not read its zero as a perfect figure.
                values[key][iid] = (None, None, None)
            else:
                values[key][iid] = indicator_value(item["indicator"], given.get("elements", {}), parsed[iid])

    scores: dict[str, dict[str, Fraction | None]] = {key: {} for key, _name in members}
    for item in items:
        iid = str(item["id"])
        if item["kind"] == "qualitative":
            for key, _name in members:
                scores[key][iid] = values[key][iid][2]
            continue
        direction = item["indicator"].get("direction", "higher")
        present = [values[key][iid][2] for key, _name in members if values[key][iid][2] is not None]
        target = _fraction(item.get("target"))
        low, high = (min(present), max(present)) if present else (None, None)  # once per item: linear
        for key, _name in members:
            value = values[key][iid][2]
            if value is None:
                scores[key][iid] = None
            elif item.get("normalisation") == "minmax":
                scores[key][iid] = minmax_score(value, low, high, direction)
            else:
                scores[key][iid] = target_score(
                    value, target if target is not None else Fraction(0), direction
                )

    rows = []
    for key, name in members:
        group_scores: dict[str, Fraction | None] = {}
        for group in definition["groups"]:
            parts = [
                (Fraction(str(item["weight"])), scores[key][str(item["id"])])
                for item in items
                if item["group"] == group["id"]
            ]
            group_scores[str(group["id"])] = _weighted(parts)
        total = _weighted(
            (Fraction(str(g["weight"])), group_scores[str(g["id"])]) for g in definition["groups"]
        )
        rows.append(
            {
                "key": key,
                "name": name,
                "total": as_decimal(total, CENT),
                "rank": None,
                "groups": {gid: as_decimal(s, CENT) for gid, s in group_scores.items()},
                "items": {
                    iid: {
                        "numerator": as_decimal(v[0]),
                        "denominator": as_decimal(v[1]),
                        "value": as_decimal(v[2]),
                        "score": as_decimal(scores[key][iid], CENT),
                    }
                    for iid, v in values[key].items()
                },
            }
        )
    rank_rows(rows)
    return rows


def rank_rows(rows: list[dict]) -> None:
    """Order by total (highest first; members without a total last, unranked) and rank, ties equal."""
    rows.sort(key=lambda r: (r["total"] is None, -Decimal(r["total"] or 0), r["key"]))
    previous, rank = None, 0
    for position, row in enumerate(rows, start=1):
        if row["total"] is None:
            row["rank"] = None
            continue
        if row["total"] != previous:
            rank, previous = position, row["total"]
        row["rank"] = rank
