from __future__ import annotations

from gridgov.accounts.models import Role, User
from gridgov.core.scope import scope_prefixes


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
