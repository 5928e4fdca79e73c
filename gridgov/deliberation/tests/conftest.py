"""A world for deliberation: the party tests' district and ledger, the community's staff, and a dozen
resident accounts to propose, support, sit on a roster and vote. The clock stands still."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from gridgov.accounts.models import User
from gridgov.deliberation import actions
from gridgov.party.tests.conftest import COMMUNITY, GRID, T0, World, make_world
from gridgov.testing.factories import make_user

__all__ = ["COMMUNITY", "GRID", "T0"]


@dataclass
class Deliberation:
    base: World
    residents: list[User]

    def __getattr__(self, name):
        return getattr(self.base, name)


def make_deliberation() -> Deliberation:
    base = make_world()
    residents = [make_user(base.admin, f"r{i:02d}", "resident") for i in range(12)]
    return Deliberation(base, residents)


@pytest.fixture
def clock():
    import time_machine

    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def dw(db, clock, settings) -> Deliberation:  # noqa: ARG001
    settings.DELIBERATION_SUPPORT = {"microgrid": 2, "grid": 3, "community": 5, "street": 10}
    settings.DELIBERATION_NOTICE_DAYS = 7
    return make_deliberation()


def on_agenda(dw: Deliberation, title: str = "加装电梯"):
    topic = actions.topic_propose(
        by=dw.residents[0], title=title, description="三号楼老人上下楼难", area=GRID
    )
    for r in dw.residents[1:4]:
        actions.topic_support(by=r, ref=topic.ref)
    topic.refresh_from_db()
    return topic


def meeting_with(dw: Deliberation, topics, roster: int = 10, **kw):
    meeting = actions.meeting_create(
        by=dw.community, kind="residents", title="居民议事会", area=GRID, starts_at="2026-11-23T19:00",
        place="议事亭", topics=[t.ref for t in topics], **kw,
    )  # fmt: skip
    places = [
        actions.participant_add(by=dw.community, ref=meeting.ref, role="resident_rep", user=r.pk)
        for r in dw.residents[:roster]
    ]
    return meeting, places
