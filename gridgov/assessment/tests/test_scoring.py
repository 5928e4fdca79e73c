"""Weights, normalisation and ties on the worked example of docs/assessment.md ("How a score is made"):
five communities, a departments group (70) of a target-scored and a min–max-scored indicator, and a
party-organisation group (30) of one qualitative item scored by two evaluators."""

from __future__ import annotations

from fractions import Fraction

from gridgov.assessment.scoring import minmax_score, score_pool, target_score

DEFINITION = {
    "version": 1,
    "groups": [
        {"id": 1, "name": "部门考核", "weight": "70"},
        {"id": 2, "name": "社区党组织评价", "weight": "30"},
    ],
    "items": [
        {
            "id": 11,
            "group": 1,
            "kind": "quantitative",
            "name": "按期结案率",
            "weight": "60",
            "normalisation": "target",
            "target": "90",
            "indicator": {
                "numerator": "cases.closed_on_time",
                "denominator": "cases.due",
                "factor": "100",
                "direction": "higher",
            },
        },
        {
            "id": 12,
            "group": 1,
            "kind": "quantitative",
            "name": "满意率",
            "weight": "40",
            "normalisation": "minmax",
            "target": None,
            "indicator": {
                "numerator": "cases.satisfied",
                "denominator": "cases.rated",
                "factor": "100",
                "direction": "higher",
            },
        },
        {
            "id": 21,
            "group": 2,
            "kind": "qualitative",
            "name": "支部建设",
            "weight": "100",
            "normalisation": "target",
            "target": None,
        },
    ],
}
MEMBERS = [("A", "社区A"), ("B", "社区B"), ("C", "社区C"), ("D", "社区D"), ("E", "社区E")]


def inputs(on_time, due, satisfied, rated, marks) -> dict:
    return {
        "elements": {
            "cases.closed_on_time": on_time,
            "cases.due": due,
            "cases.satisfied": satisfied,
            "cases.rated": rated,
        },
        "marks": {"21": marks},
    }


INPUTS = {
    "A": inputs(18, 20, 45, 50, ["90", "80"]),
    "B": inputs(16, 20, 40, 50, ["95", "95"]),
    "C": inputs(9, 10, 19, 20, ["70", "60"]),
    "D": inputs(0, 0, 17, 20, ["80"]),  # nothing came due: no on-time closure figure
    "E": inputs(18, 20, 45, 50, ["90", "80"]),  # the same as A: ranked equal
}


def test_the_worked_example():
    rows = {r["key"]: r for r in score_pool(DEFINITION, MEMBERS, INPUTS)}
    # Item values and scores (docs/assessment.md, table 1).
    assert rows["A"]["items"]["11"] == {
        "numerator": "18.0000",
        "denominator": "20.0000",
        "value": "90.0000",
        "score": "100.00",
    }
    assert rows["B"]["items"]["11"]["score"] == "88.89"  # 100 × 80 / 90
    assert rows["D"]["items"]["11"] == {
        "numerator": "0.0000",
        "denominator": "0.0000",
        "value": None,
        "score": None,
    }
    assert [rows[k]["items"]["12"]["score"] for k in "ABCDE"] == ["66.67", "0.00", "100.00", "33.33", "66.67"]
    assert [rows[k]["items"]["21"]["score"] for k in "ABCDE"] == ["85.00", "95.00", "65.00", "80.00", "85.00"]
    # Group scores: D's departments group is its satisfaction alone (the missing item's weight is spread).
    assert [rows[k]["groups"]["1"] for k in "ABCDE"] == ["86.67", "53.33", "100.00", "33.33", "86.67"]
    # Totals from the exact values, rounded once: A = 0.7 × 86⅔ + 0.3 × 85 = 86.1666… → 86.17.
    assert [rows[k]["total"] for k in "ABCDE"] == ["86.17", "65.83", "89.50", "47.33", "86.17"]
    # Ties share a rank and the next rank is skipped.
    assert [(r["key"], r["rank"]) for r in score_pool(DEFINITION, MEMBERS, INPUTS)] == [
        ("C", 1),
        ("A", 2),
        ("E", 2),
        ("B", 4),
        ("D", 5),
    ]


def test_a_member_without_any_data_has_no_total_and_no_rank():
    rows = score_pool(DEFINITION, [*MEMBERS, ("F", "社区F")], {**INPUTS, "F": inputs(0, 0, 0, 0, [])})
    assert rows[-1]["key"] == "F"
    assert (rows[-1]["total"], rows[-1]["rank"]) == (None, None)


def test_target_scores():
    assert target_score(Fraction(80), Fraction(90), "higher") == Fraction(800, 9)
    assert target_score(Fraction(95), Fraction(90), "higher") == 100  # capped
    assert target_score(Fraction(5), Fraction(0), "higher") == 100
    assert target_score(Fraction(4), Fraction(5), "lower") == 100
    assert target_score(Fraction(10), Fraction(5), "lower") == 50
    assert target_score(Fraction(1), Fraction(0), "lower") == 0


def test_minmax_scores():
    assert minmax_score(Fraction(85), Fraction(80), Fraction(95), "higher") == Fraction(100, 3)
    assert minmax_score(Fraction(85), Fraction(80), Fraction(95), "lower") == Fraction(200, 3)
    assert minmax_score(Fraction(7), Fraction(7), Fraction(7), "lower") == 100  # all equal


def test_a_member_of_whom_nothing_was_counted_is_not_perfect_on_a_count():
    """A grid without a single case has no overdue case, but that is no data, not the best figure."""
    definition = {
        "version": 1,
        "groups": [{"id": 1, "name": "部门考核", "weight": "100"}],
        "items": [
            {
                "id": 1,
                "group": 1,
                "kind": "quantitative",
                "name": "超时未办结事件数",
                "weight": "1",
                "normalisation": "minmax",
                "target": None,
                "indicator": {
                    "numerator": "cases.overdue",
                    "denominator": "",
                    "factor": "1",
                    "direction": "lower",
                },
            }
        ],
    }
    inputs = {
        "busy": {"elements": {"cases.reported": "9", "cases.overdue": "3"}},
        "calm": {"elements": {"cases.reported": "4"}},  # cases, none overdue: a real zero
        "empty": {"elements": {}},
    }
    rows = {
        r["key"]: r for r in score_pool(definition, [("busy", "甲"), ("calm", "乙"), ("empty", "丙")], inputs)
    }
    assert (rows["calm"]["rank"], rows["calm"]["total"]) == (1, "100.00")
    assert (rows["busy"]["rank"], rows["busy"]["total"]) == (2, "0.00")
    assert (rows["empty"]["rank"], rows["empty"]["total"]) == (None, None)
