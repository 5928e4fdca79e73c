"""The one scope filter (管辖范围). Every selector narrows its queryset through here.

A staff account sees exactly the subtree of its area: since area codes are tree paths, "in scope" is
"the area code starts with one of the account's scope prefixes". ``None`` means everything (admins).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from gridgov.core.errors import DomainError
from gridgov.core.roles import AREA_MANAGER_ROLES, AREA_ROLES, STAFF_ROLES, Role

ALL = None


def scope_prefixes(user) -> list[str] | None:
    """The area-code prefixes ``user`` may see; ``None`` for everything, ``[]`` for nothing."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cached = getattr(user, "_scope_prefixes", False)
    if cached is not False:
        return cached
    prefixes: list[str] | None
    if user.is_admin:
        prefixes = ALL
    elif user.role in AREA_ROLES and user.area_id:
        prefixes = [user.area.code]
        # A/B 角: while a colleague is away, their backup works their area as well.
        prefixes += [
            code
            for code in user.backup_for.filter(is_away=True, area__isnull=False).values_list(
                "area__code", flat=True
            )
        ]
    elif user.role == Role.UNIT and user.unit_id:
        prefixes = [user.unit.area.code]
    else:
        prefixes = []
    user._scope_prefixes = prefixes
    return prefixes


def scope_q(user, code_field: str = "area__code") -> Q:
    prefixes = scope_prefixes(user)
    if prefixes is ALL:
        return Q()
    if not prefixes:
        return Q(pk__in=[])
    q = Q()
    for prefix in _minimal(prefixes):
        q |= Q(**{f"{code_field}__startswith": prefix})
    return q


def in_scope(user, code: str) -> bool:
    prefixes = scope_prefixes(user)
    return prefixes is ALL or any(code.startswith(p) for p in prefixes)


def is_staff(user) -> bool:
    """工作人员: a signed-in, active admin, or an account of a staff role (district, street, community,
    grid chief, grid worker) bound to an area. Units, residents, volunteers and evaluators are not staff."""
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.is_active
        and (user.is_admin or (user.role in STAFF_ROLES and user.area_id))
    )


def require_staff(user, message: str) -> None:
    """Refuse (403 ``forbidden``, with ``message``) anyone who is not staff (:func:`is_staff`): the check
    of an action only staff take. Out of scope stays a 404, found by the selector or the machine's lock."""
    if not is_staff(user):
        raise DomainError("forbidden", message, status=403)


def staff_in_scope(user, code: str) -> bool:
    """Staff (:func:`is_staff`) whose scope holds the area ``code``; admins hold every code."""
    return is_staff(user) and in_scope(user, code)


def staff_in_scope_of(user, obj) -> bool:
    """:func:`staff_in_scope` for a row that carries its grid's code (``obj.area_code``): the actor
    predicate of the workflows whose staff act on what their scope holds."""
    return staff_in_scope(user, obj.area_code)


def is_command_staff(user) -> bool:
    """The command centres (指挥中心): a signed-in, active admin, or district, street or community staff
    bound to an area. Grid chiefs and grid workers are staff but not command staff."""
    return is_staff(user) and (user.is_admin or user.role in AREA_MANAGER_ROLES)


def command_staff_in_scope(user, code: str) -> bool:
    """Command staff (:func:`is_command_staff`) whose scope holds the area ``code``."""
    return is_command_staff(user) and in_scope(user, code)


def filter_in_scope(qs: QuerySet, user, code_field: str = "area__code") -> QuerySet:
    return qs.filter(scope_q(user, code_field))


def _minimal(prefixes: list[str]) -> list[str]:
    """Drop prefixes already covered by a shorter one."""
    out: list[str] = []
    for p in sorted(set(prefixes), key=len):
        if not any(p.startswith(o) for o in out):
            out.append(p)
    return out
