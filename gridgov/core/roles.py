"""The roles of an account (角色) and what each role means for areas and staff.

They are kept in core, below every app, so that scope, timelines and every app's permission checks can
ask about roles without importing ``accounts``; ``accounts.models.User.role`` takes its choices from here.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("系统管理员")
    DISTRICT = "district", _("区级工作人员")
    STREET = "street", _("街道工作人员")
    COMMUNITY = "community", _("社区工作人员")
    GRID_CHIEF = "grid_chief", _("网格长")
    GRID_WORKER = "grid_worker", _("网格员")
    UNIT = "unit", _("单位经办人")
    VOLUNTEER = "volunteer", _("党员/志愿者")
    RESIDENT = "resident", _("居民")
    EVALUATOR = "evaluator", _("考核员")


# Which area levels an account of each role may be bound to.
ROLE_AREA_LEVELS: dict[str, tuple[str, ...]] = {
    Role.DISTRICT: ("district",),
    Role.STREET: ("street",),
    Role.COMMUNITY: ("community",),
    Role.GRID_CHIEF: ("community", "grid"),
    Role.GRID_WORKER: ("grid", "microgrid"),
    Role.EVALUATOR: ("district", "street"),
}
AREA_ROLES = frozenset(ROLE_AREA_LEVELS)
STAFF_ROLES = frozenset({Role.DISTRICT, Role.STREET, Role.COMMUNITY, Role.GRID_CHIEF, Role.GRID_WORKER})
# Staff who may reshape the tree below their own area (the command centres).
AREA_MANAGER_ROLES = frozenset({Role.DISTRICT, Role.STREET, Role.COMMUNITY})
