"""The navigation (issue 13): one table (gridgov.web.nav) says which links each role gets; the phone's tab
bar holds the role's most used ones and "更多" the rest; every link of the old top bar stays reachable."""

from __future__ import annotations

import pytest
from django.urls import resolve

from gridgov.testing.factories import make_tree, make_user
from gridgov.web.nav import DESK, TABS, navigation, tab_kind

pytestmark = pytest.mark.django_db

STAFF_LINKS = {
    "home", "command", "cases", "ledger", "visits", "projects", "orders", "wishes", "points", "party",
    "deliberation", "assessment", "areas", "inbox", "report",
}  # fmt: skip
EXPECTED = {
    "district": STAFF_LINKS | {"hooks", "assist"},
    "street": STAFF_LINKS | {"hooks", "assist"},
    "community": STAFF_LINKS | {"hooks", "assist"},
    "grid_chief": STAFF_LINKS,
    "grid_worker": STAFF_LINKS,
    "unit": {"home", "cases", "projects", "orders", "wishes", "points", "deliberation", "areas", "inbox",
             "report", "hooks"},
    "resident": {"home", "cases", "projects", "orders", "wishes", "points", "my_points", "deliberation",
                 "areas", "inbox", "report"},
    "volunteer": {"home", "cases", "projects", "orders", "wishes", "points", "my_points", "party",
                  "deliberation", "areas", "inbox", "report"},
    "evaluator": {"home", "cases", "projects", "orders", "wishes", "points", "deliberation", "assessment",
                  "areas", "inbox", "report"},
}  # fmt: skip
AREAS = {
    "district": "610302",
    "street": "610302001",
    "community": "610302001001",
    "grid_chief": "610302001001",
    "grid_worker": "610302001001001",
    "evaluator": "610302",
}


@pytest.fixture
def people(db):
    from gridgov.accounts.models import Unit

    tree = make_tree()
    unit = Unit.objects.create(name="城管执法局", kind="department", area=tree["610302"])
    users = {
        role: make_user(
            tree.admin, role, role, area=tree[AREAS[role]] if role in AREAS else None,
            unit=unit if role == "unit" else None,
        )
        for role in EXPECTED
    }  # fmt: skip
    users["admin"] = tree.admin
    return users


def keys(links) -> set[str]:
    return {link.key for link, _current in links}


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_each_role_gets_its_links_and_a_tab_bar_of_at_most_five(people, role):
    user = people[role]
    nav = navigation(user, None)
    assert keys(nav["links"]) == EXPECTED[role]
    assert 3 <= len(nav["tabs"]) <= 5
    assert [link.key for link, _c in nav["tabs"]] == [k for k in TABS[tab_kind(user)] if k in EXPECTED[role]]
    # tabs + more and desk + desk_more each hold every link exactly once
    assert keys(nav["tabs"]) | keys(nav["more"]) == EXPECTED[role]
    assert not keys(nav["tabs"]) & keys(nav["more"])
    assert keys(nav["desk"]) | keys(nav["desk_more"]) == EXPECTED[role]
    assert len(nav["desk"]) <= 7
    for link, _current in nav["links"]:
        resolve(link.url.split("?")[0])


def test_the_admin_gets_everything_staff_get_and_the_admin_site(people):
    assert keys(navigation(people["admin"], None)["links"]) == STAFF_LINKS | {"hooks", "assist", "admin"}


def test_the_role_decides_the_tab_bar(people):
    tabs = {role: [link.key for link, _c in navigation(u, None)["tabs"]] for role, u in people.items()}
    assert tabs["resident"] == ["home", "report", "cases", "orders", "inbox"]
    assert tabs["grid_worker"] == ["home", "visits", "cases", "report", "inbox"]
    assert tabs["community"] == ["home", "command", "cases", "inbox"]
    assert tabs["unit"] == ["home", "cases", "orders", "inbox"]
    assert set(DESK) == set(TABS)


def test_the_current_page_is_marked(people):
    match = resolve("/cases/")
    current = [link.key for link, is_current in navigation(people["community"], match)["links"] if is_current]
    assert current == ["cases"]


def test_signed_out_visitors_get_the_public_links(client, db):
    from django.contrib.auth.models import AnonymousUser

    nav = navigation(AnonymousUser(), None)
    assert keys(nav["links"]) == {"home", "report", "track", "wishes", "deliberation"}
    body = client.get("/wishes/").content.decode()
    assert 'class="tabbar"' in body and 'href="/login/"' in body


@pytest.mark.parametrize("role", ["resident", "grid_worker", "community", "unit"])
def test_the_page_renders_each_link_once_in_the_header_and_once_in_the_tab_bar(client, people, role):
    client.force_login(people[role])
    body = client.get("/cases/").content.decode()
    header = body[body.index('<nav class="nav"') : body.index("</header>")]
    tabbar = body[body.index('<nav class="tabbar"') : body.index("<main")]
    for key in EXPECTED[role]:
        assert header.count(f'data-nav="{key}"') == 1, key
        assert tabbar.count(f'data-nav="{key}"') == 1, key
    assert '<details class="nav-more' in tabbar and "<summary>更多</summary>" in tabbar
    assert 'aria-current="page"' in header
