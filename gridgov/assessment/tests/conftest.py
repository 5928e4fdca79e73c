"""The assessment world: the KPI worked example's thirteen March cases (docs/kpi.md) under the test
district's four communities, staff at every level, two evaluators, and the district's monthly community
scheme of docs/assessment.md's second example (departments 70: response and on-time closure; party
organisation 30: one qualitative item)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from gridgov.accounts.models import User
from gridgov.areas.models import Area
from gridgov.assessment import actions, catalogue
from gridgov.assessment.models import Item, Round, Scheme
from gridgov.cases.tests.test_kpis import World, world  # noqa: F401
from gridgov.testing.factories import make_user

C11, C12, C21, C22 = "610302001001", "610302001002", "610302002001", "610302002002"


@dataclass
class Assessed:
    kpi: World
    admin: User
    district: User
    scheme: Scheme
    round: Round
    response: Item
    on_time: Item
    branch: Item


def make_scheme(admin, district, *, visibility: str = "own") -> tuple[Scheme, Item, Item, Item]:
    scheme = actions.scheme_create(
        by=district,
        name="2026年社区月度考核",
        area="610302",
        pool="communities",
        period_kind="month",
        visibility=visibility,
    )
    departments = actions.group_add(by=district, scheme=scheme.pk, name="部门考核", weight=70)
    party = actions.group_add(by=district, scheme=scheme.pk, name="社区党组织评价", weight=30)
    response = actions.item_add(
        by=district,
        scheme=scheme.pk,
        kind="quantitative",
        group=departments.pk,
        indicator="response_rate",
        weight=50,
        target=95,
    )
    on_time = actions.item_add(
        by=district,
        scheme=scheme.pk,
        kind="quantitative",
        group=departments.pk,
        indicator="on_time_closure_rate",
        weight=50,
        target=90,
    )
    branch = actions.item_add(
        by=district,
        scheme=scheme.pk,
        kind="qualitative",
        group=party.pk,
        name="支部建设",
        weight=100,
        guidance="组织生活、为民办事",
    )
    for username in ("ev1", "ev2"):
        actions.evaluator_add(by=district, scheme=scheme.pk, username=username)
    scheme.refresh_from_db()
    return scheme, response, on_time, branch


@pytest.fixture
def aw(world) -> Assessed:  # noqa: F811
    admin = world.admin
    catalogue.install()  # a transactional test elsewhere may have flushed the migration's rows
    area = {a.code: a for a in Area.objects.all()}
    district = make_user(admin, "dist", "district", area=area["610302"])
    make_user(admin, "co11", "community", area=area[C11])
    make_user(admin, "co12", "community", area=area[C12])
    make_user(admin, "co21", "community", area=area[C21])
    make_user(admin, "gw111", "grid_worker", area=area["610302001001001"])
    make_user(admin, "ev1", "evaluator", area=area["610302"])
    make_user(admin, "ev2", "evaluator", area=area["610302"])
    make_user(admin, "ev_street", "evaluator", area=area["610302002"])
    scheme, response, on_time, branch = make_scheme(admin, district)
    rnd = actions.round_open(by=district, scheme=scheme.pk, period="2026-03")
    return Assessed(world, admin, district, scheme, rnd, response, on_time, branch)


def give_marks(aw: Assessed) -> None:
    """ev1 and ev2 score 支部建设: 社区1-1 90/80, 社区1-2 70/50, 社区2-1 95/95, 社区2-2 88 (ev1 only)."""
    ev1, ev2 = User.objects.get(username="ev1"), User.objects.get(username="ev2")
    item = aw.branch.pk
    actions.marks_save(
        by=ev1,
        round=aw.round.pk,
        marks=[
            {"item": item, "key": C11, "score": "90"},
            {"item": item, "key": C12, "score": "70"},
            {"item": item, "key": C21, "score": "95"},
            {"item": item, "key": C22, "score": "88"},
        ],
    )
    actions.marks_save(
        by=ev2,
        round=aw.round.pk,
        marks=[
            {"item": item, "key": C11, "score": "80"},
            {"item": item, "key": C12, "score": "50", "comment": "组织生活不规范，三会一课缺两次"},
            {"item": item, "key": C21, "score": "95"},
        ],
    )
