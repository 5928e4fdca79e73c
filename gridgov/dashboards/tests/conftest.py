"""The command centre's world: the KPI worked example's thirteen March cases (docs/kpi.md; built with the
real actions, the sweep run at 1 April 08:00), staff at every level, and the figures refreshed as of then."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine

from gridgov.cases.tests.test_kpis import NOW, World, at, world  # noqa: F401
from gridgov.dashboards import figures
from gridgov.testing.factories import make_user

DISTRICT, STREET1, STREET2 = "610302", "610302001", "610302002"
C11, C12, C21 = "610302001001", "610302001002", "610302002001"
G111, G112, G121, G211 = "610302001001001", "610302001001002", "610302001002001", "610302002001001"


@pytest.fixture
def staff(world):  # noqa: F811
    """district, community (c11), grid worker (g111) accounts beside the world's st1, st2, h1–h3, resident."""
    from gridgov.areas.models import Area

    areas = {a.code: a for a in Area.objects.filter(code__in=[DISTRICT, C11, G111])}
    return {
        "district": make_user(world.admin, "dist", "district", area=areas[DISTRICT]),
        "community": make_user(world.admin, "comm", "community", area=areas[C11]),
        "grid": make_user(world.admin, "gw", "grid_worker", area=areas[G111]),
    }


@pytest.fixture
def refreshed(world, staff):  # noqa: F811
    """The figures of every day from 28 February to 1 April, as the refresh at 1 April 08:00 left them."""
    with time_machine.travel(NOW, tick=False):
        figures.refresh(NOW, since=date(2026, 2, 28))
    return world


__all__ = [
    "NOW",
    "World",
    "at",
    "world",
    "DISTRICT",
    "STREET1",
    "STREET2",
    "C11",
    "C12",
    "C21",
    "G111",
    "G112",
    "G121",
    "G211",
]
