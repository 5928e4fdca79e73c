"""An in-work member reporting to their community (在职党员进社区, a member's 双报到) as data, read by the shared :class:`gridgov.core.workflow.Machine`.

An in-work member asks to report to the community where they live; that community's staff confirm or
refuse (with a reason); the member, or the community, ends a confirmed report (the member moved, changed
jobs). While confirmed, what the member does in the community counts for them and for their unit.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from gridgov.core.scope import command_staff_in_scope, staff_in_scope
from gridgov.core.workflow import Machine, Transition
from gridgov.party.models import MemberReport, ReportState

S = ReportState

TRANSITIONS: tuple[Transition, ...] = (
    Transition("confirm", _("确认报到"), (S.PENDING,), S.CONFIRMED, "community"),
    Transition("refuse", _("不予确认"), (S.PENDING,), S.REFUSED, "community", needs_reason=True),
    Transition("withdraw", _("撤回申请"), (S.PENDING,), S.ENDED, "member"),
    Transition("end", _("结束报到"), (S.CONFIRMED,), S.ENDED, "member_or_community", needs_reason=True),
)


def is_community(user, report: MemberReport) -> bool:
    """The staff of the community the member reports to (or of the street or district above it)."""
    return command_staff_in_scope(user, report.area_code)


def is_member(user, report: MemberReport) -> bool:
    return user is not None and getattr(user, "pk", None) is not None and report.member.user_id == user.pk


ACTORS = {
    "community": is_community,
    "member": is_member,
    "member_or_community": lambda user, report: is_member(user, report) or is_community(user, report),
}


def _visible(user, report: MemberReport) -> bool:
    return is_member(user, report) or staff_in_scope(user, report.area_code)


MACHINE = Machine(
    _("报到申请"),
    TRANSITIONS,
    ACTORS,
    model=MemberReport,
    visible=_visible,
    related=("member",),
    steps={"request": _("申请报到")},
)
