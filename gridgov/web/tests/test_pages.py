from __future__ import annotations

from dataclasses import dataclass

import pytest

from gridgov.accounts.actions import user_create
from gridgov.areas.actions import area_create
from gridgov.areas.models import Area

PASSWORD = "correct-horse-battery"


def rect(west: float, south: float, east: float, north: float) -> dict:
    """An axis-aligned rectangle as a GeoJSON Polygon (counter-clockwise, closed)."""
    return {
        "type": "Polygon",
        "coordinates": [[[west, south], [east, south], [east, north], [west, north], [west, south]]],
    }


@dataclass
class Tree:
    admin: object
    district: Area
    street: Area
    other_street: Area
    community: Area
    other_community: Area
    grids: list[Area]


def make_tree() -> Tree:
    """渭滨区 with two streets; the first street's first community has a basic and a dedicated grid."""
    admin = user_create(by=None, username="root", password="x", role="admin", validate=False)

    def add(code, name, parent, box, **kinds):
        return area_create(by=admin, code=code, name=name, parent_code=parent, boundary=rect(*box), **kinds)

    district = add("610302", "渭滨区", None, (107.0, 34.2, 107.3, 34.5))
    street = add("610302001", "经二路街道", "610302", (107.0, 34.2, 107.15, 34.5))
    other_street = add("610302002", "清姜街道", "610302", (107.15, 34.2, 107.3, 34.5))
    community = add("610302001001", "红星社区", "610302001", (107.0, 34.2, 107.15, 34.35))
    other_community = add("610302001002", "公园路社区", "610302001", (107.0, 34.35, 107.15, 34.5))
    grids = [
        add(
            "610302001001001",
            "红星第一网格",
            "610302001001",
            (107.0, 34.2, 107.075, 34.35),
            kind="basic",
            grid_type="residential",
        ),
        add(
            "610302001001002",
            "红星小学网格",
            "610302001001",
            (107.075, 34.2, 107.15, 34.35),
            kind="dedicated",
            grid_type="unit",
        ),
    ]
    add("610302002001", "清姜社区", "610302002", (107.15, 34.2, 107.3, 34.35))
    add("610302002001001", "清姜第一网格", "610302002001", (107.15, 34.2, 107.3, 34.35), kind="basic")
    return Tree(admin, district, street, other_street, community, other_community, grids)


def make_staff(tree: Tree, username: str, role: str, area: Area):
    return user_create(
        by=tree.admin,
        username=username,
        password=PASSWORD,
        role=role,
        area=area,
        display_name=f"{username}同志",
        validate=False,
    )


@pytest.fixture
def tree(db) -> Tree:
    return make_tree()


@pytest.fixture
def street_client(client, tree):
    make_staff(tree, "jingerlu", "street", tree.street)
    client.login(username="jingerlu", password=PASSWORD)
    return client


def text(response) -> str:
    return response.content.decode()


# ---- sign-in ----


@pytest.mark.django_db
def test_login_page_renders(client):
    response = client.get("/login/")
    assert response.status_code == 200
    body = text(response)
    assert "网格化基层治理平台" in body
    assert 'name="username"' in body
    assert 'name="password"' in body
    assert 'name="csrfmiddlewaretoken"' in body


@pytest.mark.django_db
def test_login_page_keeps_next(client):
    response = client.get("/login/?next=/areas/")
    assert 'name="next" value="/areas/"' in text(response)


def test_wrong_password_shows_error_and_no_session(client, tree):
    make_staff(tree, "jingerlu", "street", tree.street)
    response = client.post("/login/", {"username": "jingerlu", "password": "wrong-password"})
    assert response.status_code == 400
    body = text(response)
    assert 'class="error" role="alert"' in body
    assert "用户名或密码不正确" in body
    assert 'value="jingerlu"' in body
    assert "_auth_user_id" not in client.session
    assert client.get("/areas/").status_code == 302  # still signed out; "/" is the public front door


def test_successful_login_redirects_home(client, tree):
    make_staff(tree, "jingerlu", "street", tree.street)
    response = client.post("/login/", {"username": "jingerlu", "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == "/"
    home = client.get("/", follow=True)  # staff land on the command centre
    assert home.redirect_chain == [("/command/", 302)]
    assert home.status_code == 200
    body = text(home)
    assert "jingerlu" in body
    assert "街道工作人员" in body
    assert "经二路街道" in body
    assert 'href="/areas/"' in body


def test_login_follows_safe_next_only(client, tree):
    make_staff(tree, "jingerlu", "street", tree.street)
    response = client.post("/login/", {"username": "jingerlu", "password": PASSWORD, "next": "/areas/"})
    assert response.url == "/areas/"
    client.post("/logout/")
    response = client.post(
        "/login/", {"username": "jingerlu", "password": PASSWORD, "next": "https://evil.example/"}
    )
    assert response.url == "/"


def test_logout_needs_post_and_ends_session(street_client):
    assert street_client.get("/logout/").status_code == 405
    response = street_client.post("/logout/")
    assert response.status_code == 302
    assert "_auth_user_id" not in street_client.session


# ---- layout ----


def test_admin_link_only_for_staff(client, street_client, tree):
    assert "/admin/" not in text(street_client.get("/areas/"))
    client.logout()
    client.login(username="root", password="x")
    assert 'href="/admin/"' in text(client.get("/areas/"))


def test_pages_need_login(client, tree):
    for url in ("/areas/", "/areas/610302001/", "/areas/610302001/children/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith("/login/?next="), url


# ---- area browser ----


def test_area_browser_lists_scope_roots(street_client):
    response = street_client.get("/areas/")
    assert response.status_code == 200
    body = text(response)
    assert "经二路街道" in body
    assert 'href="/areas/610302001/"' in body
    assert "清姜街道" not in body
    assert 'data-roots="610302001"' in body


def test_area_browser_lists_children_of_street(street_client):
    response = street_client.get("/areas/610302001/")
    assert response.status_code == 200
    body = text(response)
    assert "红星社区" in body
    assert "公园路社区" in body
    assert "610302001001" in body
    assert "社区/村" in body
    # The breadcrumb starts at the account's own scope: the district above it is not shown.
    assert "渭滨区" not in body
    # The community with grids gets the lazy expand control; the empty one does not.
    assert 'hx-get="/areas/610302001001/children/"' in body
    assert 'hx-get="/areas/610302001002/children/"' not in body
    assert 'data-code="610302001"' in body
    assert "/api/v1/areas/__code__/children.geojson" in body
    assert "vendor/leaflet/leaflet.js" in body
    assert "gridgov/areas.js" in body


def test_area_browser_shows_grid_kinds(street_client):
    body = text(street_client.get("/areas/610302001001/"))
    assert "红星第一网格" in body
    assert "基础网格" in body
    assert "住宅网格" in body
    assert "红星小学网格" in body
    assert "专属网格" in body
    assert "单位网格" in body
    assert 'href="/areas/610302001/"' in body  # breadcrumb back to the street


def test_area_of_another_street_is_not_found(street_client):
    for url in ("/areas/610302002/", "/areas/610302002001/", "/areas/610302002001/children/", "/areas/999/"):
        response = street_client.get(url)
        assert response.status_code == 404, url
    body = text(street_client.get("/areas/610302002/"))
    assert "页面不存在" in body
    assert "清姜街道" not in body


def test_children_partial_returns_grandchildren(street_client):
    response = street_client.get("/areas/610302001001/children/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = text(response)
    assert "<html" not in body
    assert "红星第一网格" in body
    assert "红星小学网格" in body
    assert 'href="/areas/610302001001001/"' in body


def test_children_partial_of_leaf_says_empty(street_client):
    body = text(street_client.get("/areas/610302001001001/children/"))
    assert "没有下级区域" in body


def test_map_geojson_for_street_children(street_client):
    response = street_client.get("/api/v1/areas/610302001/children.geojson")
    assert response.status_code == 200
    codes = [f["properties"]["code"] for f in response.json()["features"]]
    assert codes == ["610302001001", "610302001002"]


def test_admin_sees_district_root(client, tree):
    client.login(username="root", password="x")
    body = text(client.get("/areas/"))
    assert "渭滨区" in body
    assert 'hx-get="/areas/610302/children/"' in body


def test_unbound_account_sees_no_areas(client, tree):
    user_create(by=tree.admin, username="jumin", password=PASSWORD, role="resident", validate=False)
    client.login(username="jumin", password=PASSWORD)
    body = text(client.get("/areas/"))
    assert "没有下级区域" in body
    assert client.get("/areas/610302/").status_code == 404


# ---- static assets ----


@pytest.mark.parametrize(
    "path",
    [
        "/static/gridgov/app.css",
        "/static/gridgov/areas.js",
        "/static/vendor/leaflet/leaflet.js",
        "/static/vendor/leaflet/leaflet.css",
        "/static/vendor/htmx/htmx.min.js",
    ],
)
def test_static_assets_are_served(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert b"".join(response.streaming_content if response.streaming else [response.content])
