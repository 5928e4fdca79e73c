"""What the case actions share: the area codes of each level, the rating code's hash, telling people about a case, its reporters, the units a request names."""

from __future__ import annotations

import hashlib

from django.utils.translation import gettext as _

from gridgov.accounts.models import Unit
from gridgov.areas.models import Area, Level
from gridgov.cases.models import (
    Case,
)
from gridgov.core.errors import DomainError
from gridgov.notify.actions import tell

CODE_LEN = {Level.DISTRICT: 6, Level.STREET: 9, Level.COMMUNITY: 12, Level.GRID: 15}


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def tell_case(users, kind: str, case: Case, title, body="", *, params=None) -> None:
    """Tell ``users`` about a step of ``case`` (the description when there is nothing else to say)."""
    tell(users, kind, case, title, body or case.description[:120], params=params, case=case)


def ancestor(case: Case, level: str) -> Area:
    return Area.objects.get(code=case.area_code[: CODE_LEN[level]])


def reporters(case: Case) -> list:
    return [r.user for r in case.reporters.select_related("user") if r.user]


def units_of(ids, field: str) -> list[Unit]:
    ids = list(dict.fromkeys(int(i) for i in ids or []))
    units = {u.pk: u for u in Unit.objects.filter(pk__in=ids, is_active=True)}
    missing = [i for i in ids if i not in units]
    if missing:
        raise DomainError("invalid_unit", _("单位 %(id)s 不存在或已停用") % {"id": missing[0]}, field)
    return [units[i] for i in ids]
