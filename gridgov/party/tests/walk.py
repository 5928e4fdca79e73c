"""How the workflow contract walks members' reports (``gridgov.testing.contract``)."""

from __future__ import annotations

from gridgov.party import actions
from gridgov.party.models import MemberReport, ReportState
from gridgov.party.workflow import MACHINE
from gridgov.testing.contract import Walker

from .conftest import COMMUNITY, make_orgs, make_world

S = ReportState


def _world():
    world = make_world()
    orgs = make_orgs(world)
    actions.member_create(
        by=world.community,
        org=orgs.group.pk,
        status="full",
        resident=world.party[0].pk,
        user=world.member_user.pk,
    )
    return world


def _new(world) -> MemberReport:
    MemberReport.objects.filter(state__in=[S.PENDING, S.CONFIRMED]).update(state=S.ENDED)
    return actions.report_request(by=world.member_user, community=COMMUNITY)


def _perform(world, report: MemberReport, action: str, branch: bool) -> None:  # noqa: ARG001
    by = world.member_user if action == "withdraw" else world.community
    actions.report_move(by=by, report_id=report.pk, action=action, reason="原因")


WALKER = Walker(
    machine=MACHINE,
    world=_world,
    new=_new,
    paths={S.PENDING: (), S.CONFIRMED: ("confirm",)},
    perform=_perform,
)
