"""Case KPIs (SPEC M5) over a data set built with the real actions; docs/kpi.md walks through the same
data set. Time is frozen with time_machine; the categories use urgent hours so no calendar is involved."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from gridgov.accounts.models import Unit, User
from gridgov.api import api
from gridgov.cases import actions
from gridgov.cases.kpis import case_kpis
from gridgov.cases.models import Category
from gridgov.cases.sla import sla_sweep
from gridgov.testing.api import ApiClient
from gridgov.testing.factories import make_tree, make_user

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")
PHONE = "13800138000"


def at(month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=TZ)


NOW = at(4, 1, 8)  # when the KPIs are read (and the last deadline sweep ran)
MARCH = "start=2026-03-01&end=2026-03-31"
G111, G112, G121, G211 = "610302001001001", "610302001001002", "610302001002001", "610302002001001"


def do(when: datetime, fn, **kwargs):
    with time_machine.travel(when, tick=False):
        return fn(**kwargs)


@dataclass
class World:
    admin: User
    units: dict[str, Unit]
    refs: dict[str, str] = field(default_factory=dict)


@pytest.fixture
def world() -> World:
    """Thirteen cases reported in March 2026 under district 610302 (c1–c13) and two just outside it."""
    tree = make_tree()
    admin = tree.admin
    district = tree["610302"]
    Category.objects.create(
        code="road",
        name="道路破损",
        sort=1,
        response_limit=Decimal(2),
        response_unit="urgent_hours",
        resolution_limit=Decimal(24),
        resolution_unit="urgent_hours",
    )
    Category.objects.create(
        code="garbage",
        name="垃圾清运",
        sort=2,
        response_limit=Decimal(2),
        response_unit="urgent_hours",
        resolution_limit=Decimal(24),
        resolution_unit="urgent_hours",
    )
    u1 = Unit.objects.create(name="市政养护中心", kind="department", area=district)
    u2 = Unit.objects.create(name="环卫所", kind="department", area=district)
    u3 = Unit.objects.create(name="城管执法队", kind="department", area=district)
    make_user(admin, "st1", "street", area=tree["610302001"])
    make_user(admin, "st2", "street", area=tree["610302002"])
    h1 = make_user(admin, "h1", "unit", unit=u1)
    h2 = make_user(admin, "h2", "unit", unit=u2)
    make_user(admin, "h3", "unit", unit=u3)
    make_user(admin, "resident", "resident")
    w = World(admin=admin, units={"u1": u1, "u2": u2, "u3": u3})
    tokens: dict[str, str] = {}

    def report(name: str, when: datetime, category: str, grid: str | None) -> str:
        kwargs = {"grid_code": grid} if grid else {}
        intake = do(
            when,
            actions.case_report,
            by=admin,
            category_code=category,
            description=f"{name}：现场问题需要处理",
            reporter_phone=PHONE,
            **kwargs,
        )
        w.refs[name], tokens[name] = intake.case.ref, intake.rate_token
        return intake.case.ref

    def accept_dispatch(ref: str, when: datetime, unit: Unit) -> None:
        do(when, actions.case_accept, ref=ref, by=admin)
        do(when, actions.case_dispatch, ref=ref, by=admin, lead_unit_id=unit.pk)

    def handle(ref: str, handler: User, claim: datetime, resolve_at: datetime) -> None:
        do(claim, actions.case_claim, ref=ref, by=handler)
        do(claim, actions.case_start, ref=ref, by=handler)
        do(resolve_at, actions.case_resolve, ref=ref, by=handler, result="已处置完毕")

    def verify_close(ref: str, when: datetime) -> None:
        do(when, actions.case_verify, ref=ref, by=admin)
        do(when, actions.case_close, ref=ref, by=admin)

    def rate(name: str, when: datetime, rating: str) -> None:
        do(when, actions.case_rate, ref=w.refs[name], token=tokens[name], rating=rating)

    # x1: the evening before the period (local time) — outside.
    do(at(2, 28, 23, 30), actions.case_accept, ref=report("x1", at(2, 28, 23, 30), "road", G111), by=admin)
    # c13: at the first instant of the period; handled, closed, rated unsatisfied, then reopened.
    c13 = report("c13", at(3, 1, 0, 0), "road", G121)
    accept_dispatch(c13, at(3, 1, 9), u1)
    handle(c13, h1, at(3, 1, 9, 30), at(3, 1, 12))
    verify_close(c13, at(3, 1, 13))
    rate("c13", at(3, 1, 14), "unsatisfied")
    do(at(3, 1, 15), actions.case_reopen, ref=c13, token=tokens["c13"], reason="问题没有解决")
    # c1: everything on time, satisfied.
    c1 = report("c1", at(3, 2, 8), "road", G111)
    accept_dispatch(c1, at(3, 2, 9), u1)
    handle(c1, h1, at(3, 2, 10), at(3, 2, 15))
    verify_close(c1, at(3, 2, 16))
    rate("c1", at(3, 2, 17), "satisfied")
    # c2: claimed late (response limit 2 h), resolved late (resolution limit 24 h), rated basic.
    c2 = report("c2", at(3, 3, 8), "road", G112)
    accept_dispatch(c2, at(3, 3, 9), u1)
    handle(c2, h1, at(3, 3, 12), at(3, 4, 15))
    verify_close(c2, at(3, 4, 16))
    rate("c2", at(3, 4, 17), "basic")
    # c3: verification fails once (rework), resolved again in time, rated unsatisfied.
    c3 = report("c3", at(3, 4, 8), "garbage", G121)
    accept_dispatch(c3, at(3, 4, 9), u2)
    handle(c3, h2, at(3, 4, 9, 30), at(3, 4, 12))
    do(at(3, 4, 13), actions.case_rework, ref=c3, by=admin, reason="现场仍有垃圾")
    do(at(3, 4, 15), actions.case_resolve, ref=c3, by=h2, result="已再次清运")
    verify_close(c3, at(3, 4, 16))
    rate("c3", at(3, 4, 17), "unsatisfied")
    # c4 (street 2): extended by 24 h, resolved after the first deadline but before the extended one.
    c4 = report("c4", at(3, 5, 8), "garbage", G211)
    accept_dispatch(c4, at(3, 5, 9), u2)
    do(at(3, 5, 9, 30), actions.case_claim, ref=c4, by=h2)
    do(at(3, 5, 9, 30), actions.case_start, ref=c4, by=h2)
    do(at(3, 5, 20), actions.case_extend, ref=c4, by=admin, amount=24, reason="需要协调清运车辆")
    do(at(3, 6, 15), actions.case_resolve, ref=c4, by=h2, result="已清运")
    verify_close(c4, at(3, 6, 16))
    # c5: claimed in time, still in progress long after its deadline (the sweep marks it overdue, escalates).
    c5 = report("c5", at(3, 6, 8), "garbage", G111)
    accept_dispatch(c5, at(3, 6, 9), u1)
    do(at(3, 6, 9, 30), actions.case_claim, ref=c5, by=h1)
    do(at(3, 6, 10), actions.case_start, ref=c5, by=h1)
    # c6: whistle (吹哨) to U1 (lead) and U3; U1 reports in and handles it, U3 never reports in.
    c6 = report("c6", at(3, 7, 8), "road", G112)
    do(at(3, 7, 8, 30), actions.case_accept, ref=c6, by=admin)
    do(at(3, 7, 9), actions.case_whistle, ref=c6, by=admin, unit_ids=[u1.pk, u3.pk], lead_unit_id=u1.pk)
    do(at(3, 7, 9, 20), actions.case_report_in, ref=c6, by=h1)
    handle(c6, h1, at(3, 7, 9, 30), at(3, 7, 15))
    verify_close(c6, at(3, 7, 16))
    # c7: dispatched and never claimed (the sweep marks it overdue, escalates).
    c7 = report("c7", at(3, 9, 8), "road", G121)
    accept_dispatch(c7, at(3, 9, 9), u1)
    # c8 (street 2): rejected.
    do(
        at(3, 10, 9),
        actions.case_reject,
        ref=report("c8", at(3, 10, 8), "garbage", G211),
        by=admin,
        reason="不属于受理范围",
    )
    # c9: accepted, then merged into c7 as a duplicate.
    c9 = report("c9", at(3, 11, 8), "road", G111)
    do(at(3, 11, 9), actions.case_accept, ref=c9, by=admin)
    do(at(3, 11, 10), actions.case_merge, ref=c9, by=admin, into=c7, reason="同一问题")
    # c10: accepted, not dispatched yet.
    do(at(3, 12, 9), actions.case_accept, ref=report("c10", at(3, 12, 8), "garbage", G112), by=admin)
    # c11: no location given, so it is located at the district itself; handled on time, satisfied.
    c11 = report("c11", at(3, 13, 8), "road", None)
    accept_dispatch(c11, at(3, 13, 9), u2)
    handle(c11, h2, at(3, 13, 9, 30), at(3, 13, 15))
    verify_close(c11, at(3, 13, 16))
    rate("c11", at(3, 13, 17), "satisfied")
    # c12: the last day; in progress, its deadline (1 April 09:00) not reached when the KPIs are read.
    c12 = report("c12", at(3, 31, 8), "garbage", G111)
    accept_dispatch(c12, at(3, 31, 9), u1)
    do(at(3, 31, 9, 30), actions.case_claim, ref=c12, by=h1)
    do(at(3, 31, 9, 30), actions.case_start, ref=c12, by=h1)
    # x2: the first instant after the period — outside.
    report("x2", at(4, 1, 0, 0), "road", G111)
    result = sla_sweep(NOW)
    assert (result.overdue, result.escalated, result.missed_reports) == (2, 2, 1)
    return w


def get(username: str, query: str):
    with time_machine.travel(NOW, tick=False):
        return ApiClient(username).get(f"/kpis?{query}")


def ok(username: str, query: str) -> dict:
    response = get(username, query)
    assert response.status_code == 200, response.content.decode()
    return response.json()


def r(numerator: int, denominator: int, rate: float | None) -> dict:
    return {"numerator": numerator, "denominator": denominator, "rate": rate}


def block(
    reported,
    accepted,
    rejected,
    merged,
    closed,
    overdue,
    escalated,
    whistle_missed,
    *,
    response,
    resolution,
    satisfaction,
    on_time_closure,
    closure,
    rework,
    extension,
) -> dict:
    return {
        "reported": reported,
        "accepted": accepted,
        "rejected": rejected,
        "merged": merged,
        "closed": closed,
        "overdue": overdue,
        "escalated": escalated,
        "whistle_missed": whistle_missed,
        "response_rate": r(*response),
        "resolution_rate": r(*resolution),
        "satisfaction_rate": r(*satisfaction),
        "on_time_closure_rate": r(*on_time_closure),
        "closure_rate": r(*closure),
        "rework_rate": r(*rework),
        "extension_rate": r(*extension),
    }


NONE = (0, 0, None)
# fmt: off
# Plain counts in order: reported, accepted, rejected, merged, closed, overdue, escalated, whistle_missed;
# rates as (numerator, denominator, rate). docs/kpi.md derives every figure case by case.
TOTAL = block(13, 11, 1, 1, 6, 2, 2, 1,
              response=(8, 10, 0.8), resolution=(6, 11, 0.5455), satisfaction=(3, 4, 0.75),
              on_time_closure=(5, 8, 0.625), closure=(6, 11, 0.5455), rework=(1, 7, 0.1429),
              extension=(1, 10, 0.1))
DISTRICT_ITSELF = block(1, 1, 0, 0, 1, 0, 0, 0,  # c11
                        response=(1, 1, 1.0), resolution=(1, 1, 1.0), satisfaction=(1, 1, 1.0),
                        on_time_closure=(1, 1, 1.0), closure=(1, 1, 1.0), rework=(0, 1, 0.0),
                        extension=(0, 1, 0.0))
STREET1 = block(10, 9, 0, 1, 4, 2, 2, 1,  # c1 c2 c3 c5 c6 c7 c9 c10 c12 c13
                response=(6, 8, 0.75), resolution=(4, 9, 0.4444), satisfaction=(2, 3, 0.6667),
                on_time_closure=(3, 6, 0.5), closure=(4, 9, 0.4444), rework=(1, 5, 0.2),
                extension=(0, 8, 0.0))
STREET2 = block(2, 1, 1, 0, 1, 0, 0, 0,  # c4 c8
                response=(1, 1, 1.0), resolution=(1, 1, 1.0), satisfaction=NONE,
                on_time_closure=(1, 1, 1.0), closure=(1, 1, 1.0), rework=(0, 1, 0.0),
                extension=(1, 1, 1.0))
U1 = block(6, 6, 0, 0, 3, 2, 2, 0,  # c1 c2 c5 c6 c7 c12
           response=(4, 6, 0.6667), resolution=(3, 6, 0.5), satisfaction=(2, 2, 1.0),
           on_time_closure=(2, 5, 0.4), closure=(3, 6, 0.5), rework=(0, 3, 0.0), extension=(0, 6, 0.0))
U2 = block(3, 3, 0, 0, 3, 0, 0, 0,  # c3 c4 c11
           response=(3, 3, 1.0), resolution=(3, 3, 1.0), satisfaction=(1, 2, 0.5),
           on_time_closure=(3, 3, 1.0), closure=(3, 3, 1.0), rework=(1, 3, 0.3333), extension=(1, 3, 0.3333))
U3 = block(0, 0, 0, 0, 0, 0, 0, 1,  # no lead case; missed its report-in on c6
           response=NONE, resolution=NONE, satisfaction=NONE, on_time_closure=NONE, closure=NONE,
           rework=NONE, extension=NONE)
NO_UNIT = block(4, 2, 1, 1, 0, 0, 0, 0,  # c8 c9 c10 c13
                response=(1, 1, 1.0), resolution=(0, 2, 0.0), satisfaction=NONE, on_time_closure=NONE,
                closure=(0, 2, 0.0), rework=(0, 1, 0.0), extension=(0, 1, 0.0))
ROAD = block(7, 6, 0, 1, 4, 1, 1, 1,  # c1 c2 c6 c7 c9 c11 c13
             response=(4, 6, 0.6667), resolution=(4, 6, 0.6667), satisfaction=(3, 3, 1.0),
             on_time_closure=(3, 5, 0.6), closure=(4, 6, 0.6667), rework=(0, 5, 0.0), extension=(0, 6, 0.0))
GARBAGE = block(6, 5, 1, 0, 2, 1, 1, 0,  # c3 c4 c5 c8 c10 c12
                response=(4, 4, 1.0), resolution=(2, 5, 0.4), satisfaction=(0, 1, 0.0),
                on_time_closure=(2, 3, 0.6667), closure=(2, 5, 0.4), rework=(1, 2, 0.5),
                extension=(1, 4, 0.25))
EMPTY = block(0, 0, 0, 0, 0, 0, 0, 0, response=NONE, resolution=NONE, satisfaction=NONE,
              on_time_closure=NONE, closure=NONE, rework=NONE, extension=NONE)
# fmt: on


def test_totals(world):
    body = ok("root", f"area=610302&{MARCH}")
    assert body == {
        "area": "610302",
        "areas": ["610302"],
        "start": "2026-03-01",
        "end": "2026-03-31",
        "group_by": None,
        "category": None,
        "totals": TOTAL,
        "groups": [],
    }
    assert ok("root", MARCH)["totals"] == TOTAL  # the admin's default area is the district


def test_grouped_by_child_area(world):
    body = ok("root", f"area=610302&{MARCH}&group_by=child")
    assert body["totals"] == TOTAL
    assert body["groups"] == [
        {"key": "610302", "name": "渭滨区", **DISTRICT_ITSELF},  # the case located at the district itself
        {"key": "610302001", "name": "街道1", **STREET1},
        {"key": "610302002", "name": "街道2", **STREET2},
    ]
    # every active child is listed, also one without any case
    street2 = ok("root", f"area=610302002&{MARCH}&group_by=child")
    assert street2["totals"] == STREET2
    assert street2["groups"] == [
        {"key": "610302002001", "name": "社区2-1", **STREET2},
        {"key": "610302002002", "name": "社区2-2", **EMPTY},
    ]


def test_grouped_by_lead_unit(world):
    u = world.units
    body = ok("root", f"{MARCH}&group_by=unit")
    assert body["totals"] == TOTAL
    groups = {g["key"]: g for g in body["groups"]}
    assert groups == {
        u["u1"].pk: {"key": u["u1"].pk, "name": "市政养护中心", **U1},
        u["u2"].pk: {"key": u["u2"].pk, "name": "环卫所", **U2},
        u["u3"].pk: {"key": u["u3"].pk, "name": "城管执法队", **U3},  # only its missed report-in
        None: {"key": None, "name": "未指定主办单位", **NO_UNIT},
    }
    assert [g["name"] for g in body["groups"]] == [
        *sorted(["市政养护中心", "环卫所", "城管执法队"]),
        "未指定主办单位",
    ]


def test_grouped_by_category_and_filtered_by_category(world):
    body = ok("root", f"{MARCH}&group_by=category")
    assert body["totals"] == TOTAL
    assert body["groups"] == [
        {"key": "road", "name": "道路破损", **ROAD},
        {"key": "garbage", "name": "垃圾清运", **GARBAGE},
    ]
    only = ok("root", f"{MARCH}&category=garbage")
    assert only["category"] == "garbage" and only["totals"] == GARBAGE


def test_period_is_by_local_report_date(world):
    assert ok("root", "start=2026-03-01&end=2026-03-01")["totals"]["reported"] == 1  # c13 at 00:00
    assert ok("root", "start=2026-02-28&end=2026-02-28")["totals"]["reported"] == 1  # x1 at 23:30
    assert ok("root", "start=2026-04-01&end=2026-04-01")["totals"]["reported"] == 1  # x2 at 00:00
    # A period reaching past now: c12's deadline (1 April 09:00) is inside the period but not reached yet
    # at 08:00, so it is not due; x2 (reported only) joins the reported count.
    running = ok("root", "start=2026-03-01&end=2026-04-30")["totals"]
    assert running == {**TOTAL, "reported": 14}
    assert running["on_time_closure_rate"] == r(5, 8, 0.625)


def test_street_scope(world):
    body = ok("st1", MARCH)
    assert body["area"] == "610302001" and body["totals"] == STREET1
    grouped = ok("st1", f"{MARCH}&group_by=child")
    assert [(g["key"], g["reported"]) for g in grouped["groups"]] == [
        ("610302001001", 7),
        ("610302001002", 3),
    ]
    assert ok("st2", MARCH)["totals"] == STREET2
    for area in ("610302002", "610302", "610302002001001", "999999"):
        response = get("st1", f"area={area}&{MARCH}")
        assert response.status_code == 404
        assert response.json()["code"] == "not_found" and response.json()["field"] == "area"


def test_backup_covering_an_away_colleague_sees_both_streets(world):
    User.objects.filter(username="st2").update(backup=User.objects.get(username="st1"), is_away=True)
    body = ok("st1", f"{MARCH}&group_by=child")
    assert body["area"] is None and body["areas"] == ["610302001", "610302002"]
    assert body["totals"] == block(
        12, 10, 1, 1, 5, 2, 2, 1,
        response=(7, 9, 0.7778), resolution=(5, 10, 0.5), satisfaction=(2, 3, 0.6667),
        on_time_closure=(4, 7, 0.5714), closure=(5, 10, 0.5), rework=(1, 6, 0.1667),
        extension=(1, 9, 0.1111),
    )  # fmt: skip
    assert [(g["key"], g["reported"]) for g in body["groups"]] == [
        ("610302001001", 7),
        ("610302001002", 3),
        ("610302002001", 2),
        ("610302002002", 0),
    ]


def test_unit_handlers_see_their_lead_cases_and_own_missed_report_ins(world):
    assert ok("h1", MARCH)["totals"] == U1
    assert ok("h2", f"{MARCH}&group_by=unit")["groups"] == [
        {"key": world.units["u2"].pk, "name": "环卫所", **U2}
    ]
    assert ok("h3", MARCH)["totals"] == U3


def test_roles_without_kpis(world):
    response = get("resident", MARCH)
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    with time_machine.travel(NOW, tick=False):
        anonymous = ApiClient().get(f"/kpis?{MARCH}")
    assert anonymous.status_code == 401


@pytest.mark.parametrize(
    ("query", "status", "field"),
    [
        ("start=2026-03-31&end=2026-03-01", 400, "end"),
        ("start=2023-03-31&end=2026-03-31", 400, "end"),  # more than 3 years
        (f"{MARCH}&group_by=street", 400, "group_by"),
        (f"{MARCH}&category=nope", 400, "category"),
        ("start=2026-13-01&end=2026-03-31", 400, "start"),
    ],
)
def test_bad_input(world, query, status, field):
    response = get("root", query)
    assert response.status_code == status, response.content.decode()
    assert response.json()["field"] == field
    assert response.json()["message"]


def test_three_years_is_the_limit(world):
    totals = ok("root", "start=2023-04-01&end=2026-03-31")["totals"]
    assert (totals["reported"], totals["accepted"]) == (14, 12)  # March and x1 (accepted on 28 February)


def test_one_aggregate_query_plus_names(world, django_assert_num_queries):
    admin = world.admin
    with time_machine.travel(NOW, tick=False):
        with django_assert_num_queries(3):  # the area, the aggregate, the group names
            body = case_kpis(
                admin,
                area="610302",
                start=date(2026, 3, 1),
                end=date(2026, 3, 31),
                group_by="unit",
                category=None,
            )
        with django_assert_num_queries(2):  # the area, the aggregate
            case_kpis(
                admin,
                area="610302",
                start=date(2026, 3, 1),
                end=date(2026, 3, 31),
                group_by=None,
                category=None,
            )
    assert body["totals"] == TOTAL


def test_openapi_describes_the_kpis():
    schema = api.get_openapi_schema()
    operation = next(p["get"] for route, p in schema["paths"].items() if route.rstrip("/").endswith("/kpis"))
    assert {p["name"] for p in operation["parameters"]} == {"area", "start", "end", "group_by", "category"}
    block_schema = schema["components"]["schemas"]["KpiBlock"]
    assert {"response_rate", "on_time_closure_rate", "whistle_missed"} <= set(block_schema["properties"])


def test_the_period_defaults_to_the_current_month_like_every_report(world):
    """Without ``start``/``end`` the KPIs are the current month so far; with an end alone, its month."""
    now = ok("root", "")
    assert (now["start"], now["end"]) == ("2026-04-01", "2026-04-01")
    assert now["totals"]["reported"] == ok("root", "start=2026-04-01&end=2026-04-01")["totals"]["reported"]
    march = ok("root", "end=2026-03-31")
    assert (march["start"], march["end"]) == ("2026-03-01", "2026-03-31")
    assert march["totals"] == ok("root", MARCH)["totals"]
