"""GB 11643 ID numbers and GB 32100 credit codes: check characters, derived birth date and gender."""

from datetime import date

import pytest

from gridgov.core.errors import DomainError
from gridgov.core.validators import (
    credit_check_char,
    normalise_credit_code,
    parse_id_number,
    synthetic_id_number,
)

# The worked example of GB 11643-1999 (appendix): 11010519491231002 → check character X.
STANDARD_EXAMPLE = "11010519491231002X"


def test_standard_example_has_check_character_x():
    parsed = parse_id_number(STANDARD_EXAMPLE)
    assert parsed.value == STANDARD_EXAMPLE
    assert parsed.birth_date == date(1949, 12, 31)
    assert parsed.gender == "F"  # 17th digit 2 is even


def test_lowercase_x_and_spaces_are_normalised():
    assert parse_id_number(" 110105 19491231 002x ").value == STANDARD_EXAMPLE


def test_odd_seventeenth_digit_is_male():
    number = synthetic_id_number("610302", date(1980, 5, 17), 123)
    parsed = parse_id_number(number)
    assert parsed.gender == "M"
    assert parsed.birth_date == date(1980, 5, 17)


@pytest.mark.parametrize("seq", range(0, 1000, 37))
def test_synthetic_numbers_always_validate(seq):
    number = synthetic_id_number("610302", date(1990, 1, 1), seq)
    assert parse_id_number(number).value == number


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("110105194912310021", "校验位"),  # wrong check digit
        ("11010519491231002", "18 位"),  # too short
        ("1101051949123100211", "18 位"),  # too long
        ("11010519491231002Y", "无效字符"),
        ("01010519491231002X", "无效字符"),  # region cannot start with 0
        ("110105194902300027", "不存在"),  # 30 February
        ("110105209901010021", "不合理"),  # born in the future
        ("", "18 位"),
    ],
)
def test_bad_numbers_are_refused_with_a_reason(value, fragment):
    with pytest.raises(DomainError) as exc:
        parse_id_number(value, field="id_number")
    assert exc.value.field == "id_number"
    assert fragment in exc.value.message


def test_every_single_digit_change_is_caught():
    good = synthetic_id_number("610302", date(1975, 8, 8), 456)
    for i in range(17):
        digit = int(good[i])
        bad = good[:i] + str((digit + 1) % 10) + good[i + 1 :]
        try:
            parsed = parse_id_number(bad)
        except DomainError:
            continue
        pytest.fail(f"{bad} was accepted as {parsed}")


def test_credit_code_check_character():
    # A real published code: 91350100M000100Y43 (GB 32100 check character 3).
    assert credit_check_char("91350100M000100Y4") == "3"
    assert normalise_credit_code("91350100m000100y43") == "91350100M000100Y43"
    with pytest.raises(DomainError) as exc:
        normalise_credit_code("91350100M000100Y44")
    assert exc.value.field == "credit_code"
    assert normalise_credit_code("") == ""
