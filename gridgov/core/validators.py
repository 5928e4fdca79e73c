"""Field rules shared by every app."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext as _

from gridgov.core.errors import DomainError

MOBILE_RE = re.compile(r"^1[3-9][0-9]{9}$")
LANDLINE_RE = re.compile(r"^0[0-9]{2,3}-?[0-9]{7,8}$")


def normalise_phone(value: str, field: str = "phone") -> str:
    """Return the phone without spaces/dashes between mobile digits, or raise on a bad number."""
    raw = (value or "").strip()
    if not raw:
        return ""
    compact = re.sub(r"[\s]", "", raw)
    if compact.startswith("+86"):
        compact = compact[3:]
    if MOBILE_RE.match(compact.replace("-", "")):
        return compact.replace("-", "")
    if LANDLINE_RE.match(compact):
        return compact
    raise DomainError(
        "invalid_phone",
        (_("电话号码「%(raw)s」格式不正确（11 位手机号或带区号的固话）") % {"raw": raw}),
        field,
    )


# GB 11643-1999 citizen identity number: 17 digits + a check character (ISO 7064 MOD 11-2).
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
ID_RE = re.compile(r"^[1-9][0-9]{16}[0-9X]$")


@dataclass(frozen=True)
class IdNumber:
    value: str
    birth_date: date
    gender: str  # "M" or "F"


def id_check_char(first17: str) -> str:
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def parse_id_number(value: str, field: str = "id_number", today: date | None = None) -> IdNumber:
    """Validate an 18-character resident ID number and derive birth date and gender (odd 17th digit = male)."""
    raw = (value or "").strip()
    compact = raw.replace(" ", "").upper()
    if len(compact) != 18:
        raise DomainError(
            "invalid_id_number",
            (
                _("身份证号「%(raw)s」应为 18 位（现为 %(compact)s 位）")
                % {"raw": raw, "compact": len(compact)}
            ),
            field,
        )
    if not ID_RE.match(compact):
        raise DomainError(
            "invalid_id_number",
            (_("身份证号「%(raw)s」含有无效字符（前 17 位为数字，末位为数字或 X）") % {"raw": raw}),
            field,
        )
    try:
        born = date(int(compact[6:10]), int(compact[10:12]), int(compact[12:14]))
    except ValueError:
        raise DomainError(
            "invalid_id_number",
            (_("身份证号「%(raw)s」中的出生日期 %(date)s 不存在") % {"raw": raw, "date": compact[6:14]}),
            field,
        ) from None
    today = today or date.today()
    if born > today or born.year < 1890:
        raise DomainError(
            "invalid_id_number",
            (_("身份证号「%(raw)s」中的出生日期 %(born)s 不合理") % {"raw": raw, "born": f"{born:%Y-%m-%d}"}),
            field,
        )
    if id_check_char(compact[:17]) != compact[17]:
        raise DomainError("invalid_id_number", (_("身份证号「%(raw)s」校验位不正确") % {"raw": raw}), field)
    return IdNumber(compact, born, "M" if int(compact[16]) % 2 else "F")


# GB 32100-2015 unified social credit code (统一社会信用代码): 17 characters + check (MOD 31).
CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_check_char(first17: str) -> str:
    total = sum(CREDIT_CHARS.index(c) * w for c, w in zip(first17, CREDIT_WEIGHTS, strict=True))
    return CREDIT_CHARS[(31 - total % 31) % 31]


def normalise_credit_code(value: str, field: str = "credit_code") -> str:
    raw = (value or "").strip()
    if not raw:
        return ""
    code = raw.replace(" ", "").upper()
    if len(code) != 18 or any(c not in CREDIT_CHARS for c in code):
        raise DomainError(
            "invalid_credit_code",
            (_("统一社会信用代码「%(raw)s」应为 18 位数字或大写字母") % {"raw": raw}),
            field,
        )
    if credit_check_char(code[:17]) != code[17]:
        raise DomainError(
            "invalid_credit_code", (_("统一社会信用代码「%(raw)s」校验位不正确") % {"raw": raw}), field
        )
    return code


def synthetic_id_number(region: str, born: date, seq: int) -> str:
    """A well-formed ID number for demo data, tests and benchmarks: ``seq`` (0–999) gives the order code,
    whose last digit sets the gender (odd = male); the check character is computed."""
    first17 = f"{region[:6]}{born:%Y%m%d}{seq % 1000:03d}"
    return first17 + id_check_char(first17)
