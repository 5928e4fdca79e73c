"""The home pages (issue 13): the public front door, the resident's home and the role homes, with what
each shows, where its links go and how many queries it takes."""

from __future__ import annotations

import re

import pytest

from gridgov.cases import actions
from gridgov.cases.tests.conftest import World, build_world, report
from gridgov.testing.factories import make_ledger, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db, clock) -> World:  # noqa: ARG001
    return build_world()


@pytest.fixture
def clock():
    import time_machine

    from gridgov.cases.tests.conftest import T0

    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def page(client, user, path="/"):
    client.force_login(user)
    response = client.get(path)
    return response, response.content.decode()


def main_of(body: str) -> str:
    return body[body.index("<main") : body.index("</main>")]


# ---------------------------------------------------------------- public


def test_signed_out_visitors_get_the_front_door_not_the_login_form(
    client, world, django_assert_max_num_queries
):
    case = report(world, by=None, description="门口路灯坏了").case
    with django_assert_max_num_queries(2):
        response = client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "请使用工作账号登录" not in body
    for href in (
        "/report/",
        "/track/",
        "/wishes/",
        "/deliberation/",
        "/grid/",
        "/resident/signin/",
        "/login/",
    ):
        assert f'href="{href}' in body, href
    assert 'action="/track/"' in body and 'name="ref"' in body
    # nothing about anybody: no reporter's phone, no case, no staff name
    assert "13800001111" not in body and "1380000" not in body
    assert case.ref not in body and "门口路灯坏了" not in body
    assert "worker" not in main_of(body)


def test_the_front_door_answers_head_and_the_favicon_is_served(client, db):
    assert client.head("/").status_code == 200
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("/gridgov/favicon.svg")
    assert 'rel="icon" type="image/svg+xml"' in client.get("/").content.decode()


def test_the_login_page_sends_residents_to_the_phone_sign_in(client, db):
    body = client.get("/login/").content.decode()
    assert "居民请用手机号登录" in body and 'href="/resident/signin/"' in body


def test_the_public_grid_lookup_names_the_grid_and_its_workers_only(client, world):
    make_ledger(
        world.tree.admin, "610302001001001", "A"
    )  # A号楼 in 网格1-1-1 of 社区1-1, a head with a phone
    response = client.get("/grid/", {"community": "社区1-1", "building": "A号"})
    body = response.content.decode()
    assert response.status_code == 200
    found = body[body.index('id="grid-found"') :]
    assert "A号楼" in found and "网格1-1-1" in found and "社区1-1" in found
    assert "worker" in found  # the grid worker's name (the duty card shows it too)
    assert "13912345678" not in body and "139" not in found and "王建国" not in body


def test_the_grid_lookup_says_which_field_is_missing(client, db):
    response = client.get("/grid/", {"community": "社区1-1", "building": " "})
    assert response.status_code == 400
    assert "请填写楼栋名称" in response.content.decode()
    long = client.get("/grid/", {"community": "社" * 500, "building": "A"})
    assert long.status_code == 200 and 'value="' + "社" * 50 + '"' in long.content.decode()


# ---------------------------------------------------------------- resident


def test_the_resident_home_shows_reports_in_their_words_orders_points_and_binding(
    client, world, django_assert_max_num_queries
):
    case = report(world, by=world.resident, description="楼道灯不亮").case
    actions.case_accept(ref=case.ref, by=world.worker)
    actions.case_dispatch(ref=case.ref, by=world.worker)
    client.force_login(world.resident)
    with django_assert_max_num_queries(12):
        response = client.get("/")
    body = response.content.decode()
    assert response.status_code == 200
    mine = body[body.index('id="my-reports"') :]
    assert f'href="/track/{case.ref}"' in mine and "办理中" in mine
    assert "前办结" in mine  # the deadline, in words
    for href in (
        "/report/",
        "/orders/services/",
        "/orders/mine/",
        "/wishes/new/",
        "/volunteer/",
        "/resident/household/",
    ):
        assert href in body, href
    assert "尚未绑定户籍" in body
    assert "我的积分：0 分" in body
    for staff_word in ("管辖范围", "工作台", "未绑定管辖区域", "指挥中心"):
        assert staff_word not in body, staff_word


def test_a_volunteer_gets_the_resident_home(client, world):
    volunteer = make_user(world.tree.admin, "vol", "volunteer", phone="13700000000")
    response, body = page(client, volunteer)
    assert response.status_code == 200 and 'id="my-reports"' in body and "13700000000" not in body


# ---------------------------------------------------------------- staff homes


def test_the_grid_worker_home_lists_due_visits_and_open_cases_by_deadline(
    client, world, django_assert_max_num_queries
):
    first = report(world, by=None).case
    second = report(world, by=None).case
    actions.case_accept(ref=second.ref, by=world.worker)
    actions.case_dispatch(ref=second.ref, by=world.worker)
    client.force_login(world.worker)
    with django_assert_max_num_queries(16):
        response = client.get("/")
    body = response.content.decode()
    assert response.status_code == 200  # no redirect to the command centre any more
    cases = body[body.index('id="grid-cases"') :]
    assert cases.index(second.ref) < cases.index(first.ref)  # the running deadline first
    assert "网格待办 2 件" in cases and "时限" in cases
    assert 'id="due-visits"' in body and 'href="/visits/worklist/"' in body
    assert 'href="/report/"' in main_of(body)


def test_the_community_home_counts_what_waits_for_it_with_links_to_the_filtered_worklist(
    client, world, django_assert_max_num_queries
):
    report(world, by=None)
    report(world, by=None)
    back = report(world, by=None).case
    accepted = report(world, by=None).case  # accepted, never returned: not in the "returned" list
    actions.case_accept(ref=accepted.ref, by=world.community)
    actions.case_accept(ref=back.ref, by=world.community)
    actions.case_dispatch(ref=back.ref, by=world.community)
    actions.case_return(ref=back.ref, by=world.handler_a, reason="不属于本单位职责")
    client.force_login(world.community)
    with django_assert_max_num_queries(12):
        response = client.get("/")
    body = response.content.decode()
    assert response.status_code == 200

    def count(name):
        m = re.search(rf'href="([^"]+)" data-count="{name}"><strong>(\d+)</strong>', body)
        return m.group(1).replace("&amp;", "&"), int(m.group(2))

    assert count("new") == ("/cases/?state=reported", 2)
    assert count("returned") == ("/cases/?returned=1", 1)
    assert count("overdue") == ("/cases/?overdue=1", 0)
    # the filtered worklists behind the counts hold exactly those cases
    listed = client.get("/cases/?state=reported").content.decode()
    assert listed.count('class="case-row') == 2
    returned = client.get("/cases/?returned=1").content.decode()
    assert returned.count('class="case-row') == 1 and back.ref in returned and accepted.ref not in returned
    assert 'name="returned" value="1" checked' in returned


def test_the_community_counts_are_one_query(world, django_assert_num_queries):
    from gridgov.web.homes import community_counts

    user = type(world.community).objects.get(pk=world.community.pk)
    user.area  # noqa: B018 - loaded before counting
    with django_assert_num_queries(2):  # the scope (backups away) and the aggregate
        community_counts(user)


def test_the_unit_home_shows_what_was_dispatched_to_it(client, world, django_assert_max_num_queries):
    case = report(world, by=None).case
    actions.case_accept(ref=case.ref, by=world.worker)
    actions.case_dispatch(ref=case.ref, by=world.worker)
    client.force_login(world.handler_a)
    with django_assert_max_num_queries(12):
        response = client.get("/")
    body = response.content.decode()
    assert response.status_code == 200
    assert re.search(r'data-count="pending"><strong>1</strong>', body)
    assert re.search(r'data-count="soon"><strong>1</strong>', body)  # 2 urgent hours to claim
    assert case.ref in body[body.index('id="unit-cases"') :]
    # another unit sees nothing of it
    _response, other = page(client, world.handler_c)
    assert case.ref not in other and re.search(r'data-count="pending"><strong>0</strong>', other)


@pytest.mark.parametrize("who", ["street", "district"])
def test_street_and_district_land_on_the_command_centre(client, world, who):
    client.force_login(getattr(world, who))
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == "/command/"


def test_admin_lands_on_the_command_centre(client, world):
    client.force_login(world.tree.admin)
    assert client.get("/")["Location"] == "/command/"
