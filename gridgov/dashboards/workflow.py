"""The recurring problem (高发问题) as data, read by the shared :class:`gridgov.core.workflow.Machine`.

高发中 (active: the detection finds it) → 已平息 (quiet: no cluster any more in the rule's window) and back
(the detection finds it again); from either, command staff of its area turn it into a project (已转项目) or
bring it to deliberation (已转议题) — once. The detection's steps are the system's.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from gridgov.core.scope import command_staff_in_scope, in_scope, is_staff
from gridgov.core.workflow import SYSTEM, Machine, Transition
from gridgov.dashboards.models import Hotspot

S = Hotspot.State


def is_decider(user, obj: Hotspot) -> bool:
    """Admins and the district, street or community staff whose scope holds the problem's grid."""
    return command_staff_in_scope(user, obj.area_code)


def hotspot_visible(user, obj: Hotspot) -> bool:
    """Staff whose scope holds the problem's grid (grid workers see it; they do not decide)."""
    return is_staff(user) and in_scope(user, obj.area_code)


HOTSPOT = Machine(
    _("高发问题"),
    (
        Transition("to_project", _("转为项目"), (S.ACTIVE, S.QUIET), S.PROJECT, "decider"),
        Transition("to_topic", _("转为议题"), (S.ACTIVE, S.QUIET), S.TOPIC, "decider"),
        Transition("quiet", _("平息"), (S.ACTIVE,), S.QUIET, SYSTEM),
        Transition("revive", _("再次高发"), (S.QUIET,), S.ACTIVE, SYSTEM),
    ),
    {"decider": is_decider},
    model=Hotspot,
    visible=hotspot_visible,
    related=("category", "area"),
    steps={"detect": _("发现高发问题")},
)
