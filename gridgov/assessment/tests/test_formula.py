"""The formula grammar: what it reads, exact values, and refusals that say where and why (no ``eval``)."""

from __future__ import annotations

from fractions import Fraction

import pytest

from gridgov.assessment.formula import parse
from gridgov.core.errors import DomainError

KNOWN = {"cases.closed", "cases.accepted", "cases.closed_on_time", "cases.due", "points.volunteer_hours"}


def known(name: str) -> bool:
    return name in KNOWN


def value(text: str, **values) -> Fraction | None:
    return parse(text, known=known).evaluate({k.replace("__", "."): v for k, v in values.items()})


def test_precedence_parentheses_and_unary_minus():
    assert value("1 + 2 * 3") == 7
    assert value("(1 + 2) * 3") == 9
    assert value("10 - 4 - 3") == 3  # left to right
    assert value("12 / 3 / 2") == 2
    assert value("-2 * -3") == 6
    assert value("0.5 * 3") == Fraction(3, 2)


def test_elements_are_read_and_listed_once():
    formula = parse("(cases.closed + cases.closed_on_time) / (cases.accepted + cases.closed)", known=known)
    assert formula.names == ("cases.closed", "cases.closed_on_time", "cases.accepted")
    assert formula.single is None
    assert parse(" cases.due ", known=known).single == "cases.due"
    values = {"cases.closed": 3, "cases.closed_on_time": 1, "cases.accepted": 5}
    assert formula.evaluate(values) == Fraction(4, 8)


def test_division_by_zero_is_no_data_not_an_error():
    assert value("cases.closed / cases.accepted", cases__closed=0, cases__accepted=0) is None
    assert value("1 + cases.closed / cases.accepted", cases__closed=1) is None
    assert value("cases.closed", cases__closed=0) == 0  # an absent element reads as 0


@pytest.mark.parametrize(
    ("text", "code", "where"),
    [
        ("", "required", None),
        ("cases.closed +", "invalid_formula", "第 15 个字符"),
        ("cases.closed cases.due", "invalid_formula", "第 14 个字符"),
        ("(cases.closed", "invalid_formula", "缺少右括号"),
        ("cases.closed)", "invalid_formula", "多余的「)」"),
        ("cases.nothing / cases.due", "invalid_formula", "未知的数据项「cases.nothing」"),
        ("closed / 2", "invalid_formula", "第 1 个字符"),
        ("Cases.closed", "invalid_formula", "模块.数据项"),
        ("cases.closed ** 2", "invalid_formula", "第 15 个字符"),
        ("__import__('os')", "invalid_formula", "第 1 个字符"),
        ("cases.closed; 1", "invalid_formula", "第 13 个字符处：多余的「;」"),
        ("1.", "invalid_formula", "小数点后缺少数字"),
        ("案件数", "invalid_formula", "不能识别的字符「案」"),
        ("(" * 40 + "1" + ")" * 40, "invalid_formula", "括号嵌套过深"),
        ("1+" * 300 + "1", "too_long", None),
    ],
)
def test_refusals_say_where_and_why(text, code, where):
    with pytest.raises(DomainError) as caught:
        parse(text, field="numerator", known=known)
    assert caught.value.code == code
    assert caught.value.field == "numerator"
    if where:
        assert where in caught.value.message, caught.value.message
