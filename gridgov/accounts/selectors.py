from __future__ import annotations

from gridgov.accounts.models import HouseholdBinding, Role, User
from gridgov.core.scope import filter_in_scope, is_command_staff, scope_prefixes

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


# ---------------------------------------------------------------- residents' household bindings


def mask_name(name: str) -> str:
    """王建国 → 王**: enough for the community to recognise, not enough for a stranger."""
    return name[:1] + "*" * (len(name) - 1) if name else ""


def binding_of(user: User):
    """The resident's latest binding request (with the ledger person and household), or ``None``."""
    return (
        HouseholdBinding.objects.filter(user=user)
        .select_related("resident__household__building")
        .order_by("-created_at", "-pk")
        .first()
    )


def binding_row(binding) -> dict:
    """What a page or the API shows of a binding: the person's name masked, the household's address."""
    resident = binding.resident
    return {
        "id": binding.pk,
        "state": binding.state,
        "state_label": str(binding.get_state_display()),
        "name": mask_name(resident.name),
        "household": resident.household.label,
        "area_code": binding.area_code,
        "reason": binding.reason,
        "created_at": binding.created_at,
        "decided_at": binding.decided_at,
        "applicant": binding.user.display_name or binding.user.username,
    }


def bindings_to_decide(user: User, state: str | None = "pending"):
    """The binding requests of the households in ``user``'s scope (command staff only; others see none)."""
    if not is_command_staff(user):
        return HouseholdBinding.objects.none()
    qs = filter_in_scope(HouseholdBinding.objects.all(), user, "area_code").select_related(
        "user", "resident__household__building"
    )
    if state:
        qs = qs.filter(state=state)
    return qs.order_by("created_at", "pk")
