"""The deliberation rules on worked examples: thresholds of a share, ties, abstentions, the two bases."""

from __future__ import annotations

import pytest

from gridgov.deliberation.rules import Base, PassRule, Quorum, Tally, needed, outcome, quorate


@pytest.mark.parametrize(
    ("rule", "base", "need"),
    [
        (PassRule.MAJORITY, 10, 6),  # more than half: 5 of 10 is a tie, not a majority
        (PassRule.MAJORITY, 9, 5),
        (PassRule.MAJORITY, 1, 1),
        (PassRule.TWO_THIRDS, 9, 6),  # at least two thirds: exactly 6 of 9 passes
        (PassRule.TWO_THIRDS, 10, 7),  # 6.67 → 7
        (PassRule.THREE_QUARTERS, 8, 6),
        (PassRule.THREE_QUARTERS, 10, 8),  # 7.5 → 8
        (PassRule.THREE_QUARTERS, 0, 0),
    ],
)
def test_what_each_rule_needs(rule, base, need):
    assert needed(rule, base) == need


def test_a_tie_fails_a_simple_majority():
    assert not outcome(PassRule.MAJORITY, Base.CAST, Tally(yes=5, no=5, abstain=0, entitled=12)).passed
    assert outcome(PassRule.MAJORITY, Base.CAST, Tally(yes=6, no=5, abstain=0, entitled=12)).passed


def test_abstentions_take_part_in_the_vote_cast():
    # 6 for, 3 against, 3 abstaining: 6 of 12 cast is not more than half, though 6 of 9 for-or-against is
    result = outcome(PassRule.MAJORITY, Base.CAST, Tally(yes=6, no=3, abstain=3, entitled=20))
    assert (result.passed, result.base, result.needed) == (False, 12, 7)


def test_the_entitled_base_counts_absentees_as_not_for():
    tally = Tally(yes=8, no=1, abstain=0, entitled=15)
    assert outcome(PassRule.TWO_THIRDS, Base.CAST, tally).passed  # 8 of 9 cast
    result = outcome(PassRule.TWO_THIRDS, Base.ENTITLED, tally)
    assert (result.passed, result.needed) == (False, 10)  # 8 of 15 entitled


def test_three_quarters_at_the_edge():
    assert outcome(PassRule.THREE_QUARTERS, Base.CAST, Tally(yes=6, no=2, abstain=0, entitled=8)).passed
    assert not outcome(PassRule.THREE_QUARTERS, Base.CAST, Tally(yes=5, no=2, abstain=0, entitled=8)).passed


def test_nothing_cast_never_passes():
    assert not outcome(PassRule.MAJORITY, Base.CAST, Tally(yes=0, no=0, abstain=0, entitled=0)).passed


@pytest.mark.parametrize(
    ("rule", "present", "entitled", "ok"),
    [
        (Quorum.MAJORITY, 5, 10, False),
        (Quorum.MAJORITY, 6, 10, True),
        (Quorum.TWO_THIRDS, 6, 9, True),
        (Quorum.TWO_THIRDS, 6, 10, False),
        (Quorum.MAJORITY, 0, 0, False),
    ],
)
def test_quorum(rule, present, entitled, ok):
    assert quorate(rule, present, entitled) is ok
