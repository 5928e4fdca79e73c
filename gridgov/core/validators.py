"""Field rules shared by every app."""

from __future__ import annotations

import re

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
    raise DomainError("invalid_phone", f"电话号码「{raw}」格式不正确（11 位手机号或带区号的固话）", field)
