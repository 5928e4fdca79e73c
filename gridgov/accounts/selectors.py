from __future__ import annotations

from gridgov.accounts.models import Role, User
from gridgov.core.scope import scope_prefixes

# ---------------------------------------------------------------- recipients of notifications


def unit_handlers(unit_ids) -> list[User]:
    """The active handlers of these units (who a unit's notifications go to)."""
    return list(User.objects.filter(role=Role.UNIT, unit_id__in=list(unit_ids), is_active=True))


def area_staff(area_code: str) -> list[User]:
    """The staff bound to exactly this area (its command centre), plus the backups of those away."""
    staff = list(
        User.objects.filter(area__code=area_code, is_active=True)
        .exclude(role=Role.RESIDENT)
        .select_related("backup")
    )
    return staff + [u.backup for u in staff if u.is_away and u.backup_id]


def user_profile(user: User) -> dict:
    return {
        "username": user.username,
        "display_name": user.display_name or user.username,
        "role": user.role,
        "role_label": str(Role(user.role).label),
        "area": (
            {"code": user.area.code, "name": user.area.name, "level": user.area.level}
            if user.area_id
            else None
        ),
        "unit": user.unit.name if user.unit_id else None,
        "phone": user.masked_phone,
        "scope": scope_prefixes(user),
    }
