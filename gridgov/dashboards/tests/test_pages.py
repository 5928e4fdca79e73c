"""The command centre's pages (/command/) over the docs/kpi.md world, read at 1 April 2026 08:00: every page
for staff at each level, scope, refusals, the tiles' polling fragment, the cases behind a figure, and turning
a recurring problem into a project or a deliberation topic."""

from __future__ import annotations

import re

import pytest
import time_machine
from django.test import Client

from gridgov.accounts.models import User
from gridgov.areas.models import Area
from gridgov.cases.models import Case, Category
from gridgov.dashboards.models import Hotspot
from gridgov.deliberation.models import Topic
from gridgov.projects.models import Project

from .conftest import C11, DISTRICT, G111, G121, NOW, STREET1, STREET2, at

pytestmark = pytest.mark.django_db

PAGES = ("", "tiles/", "cases/overdue/", "map/", "screen/", "hotspots/")


def client_for(username: str | None) -> Client:
    client = Client()
    if username:
        client.force_login(User.objects.get(username=username))
    return client


def get(username: str | None, path: str, **extra):
    with time_machine.travel(NOW, tick=False):
        return client_for(username).get(path, **extra)


def text(response) -> str:
    return response.content.decode()


def overdue_refs(world) -> list[str]:
    return sorted(Case.objects.filter(sla="overdue").exclude(state="closed").values_list("ref", flat=True))


def make_hotspot(world, grid: str = G111, names: tuple[str, ...] = ("c1", "c9", "x2")) -> Hotspot:
    """A recurring problem of road damage around grid ``grid`` (what detection would keep), made directly."""
    ids = list(Case.objects.filter(ref__in=[world.refs[n] for n in names]).values_list("pk", flat=True))
    return Hotspot.objects.create(
        category=Category.objects.get(code="road"),
        area=Area.objects.get(code=grid),
        area_code=grid,
        lat=34.02,
        lng=107.02,
        radius_m=60,
        first_at=at(3, 2, 8),
        last_at=at(4, 1, 0),
        count=len(ids),
        previous_count=1,
        case_ids=ids,
        detected_at=NOW,
        updated_at=NOW,
    )


@pytest.mark.parametrize(
    "username, code", [("dist", DISTRICT), ("st1", STREET1), ("comm", C11), ("gw", G111)]
)
def test_every_page_opens_for_staff_in_scope(refreshed, username, code):
    for page in PAGES:
        response = get(username, f"/command/{code}/{page}")
        assert response.status_code == 200, (page, response.status_code)
    home = get(username, "/command/")
    assert home.status_code == 200
    assert f'href="/command/{code}/map/"' in text(home)


def test_the_landing_page_of_the_district(refreshed):
    body = text(get("dist", f"/command/{DISTRICT}/"))
    assert 'id="dash-title"' in body and "渭滨区" in body
    for link in ("map/", "screen/", "hotspots/", "reports/"):
        assert f'href="/command/{DISTRICT}/{link}"' in body
    # each tile links to its list; the overdue tile shows the two overdue cases
    assert f'href="/command/{DISTRICT}/cases/overdue/"' in body
    assert re.search(
        r"dash-tile-overdue[^>]*>\s*<span[^>]*>[^<]*<span[^<]*</span></span>\s*<strong[^>]*>2<", body
    )
    # the children table links to each street's dashboard and its overdue list
    for street in (STREET1, STREET2):
        assert f'href="/command/{street}/"' in body
        assert f'href="/command/{street}/cases/overdue/"' in body
    assert 'id="dash-charts"' in body and '"trend"' in body  # the charts' figures, as json_script
    assert "30 天合计：新上报 12" in body


def test_the_home_page_is_the_readers_own_top_area(refreshed):
    body = text(get("st2", "/command/"))
    assert f'href="/command/{STREET2}/map/"' in body and f"/command/{STREET1}/" not in body


def test_out_of_scope_is_404(refreshed):
    for page in PAGES:
        assert get("st2", f"/command/{STREET1}/{page}").status_code == 404, page
        assert get("comm", f"/command/{DISTRICT}/{page}").status_code == 404, page
    assert get("gw", f"/command/{G121}/").status_code == 404
    spot = make_hotspot(refreshed)
    assert get("st2", f"/command/hotspots/{spot.pk}/").status_code == 404


def test_residents_and_units_are_refused(refreshed):
    for username in ("resident", "h1"):
        assert get(username, "/command/").status_code == 403
        for page in PAGES:
            assert get(username, f"/command/{DISTRICT}/{page}").status_code == 403, (username, page)
    anonymous = get(None, f"/command/{DISTRICT}/")
    assert anonymous.status_code == 302 and anonymous.url.startswith("/login/")


def test_the_tiles_refresh_themselves(refreshed):
    response = get("st1", f"/command/{STREET1}/tiles/", HTTP_HX_REQUEST="true")
    body = text(response)
    assert body.startswith('<section class="dash-tiles" id="tiles"')
    assert f'hx-get="/command/{STREET1}/tiles/"' in body and 'hx-trigger="every 60s"' in body
    assert "<html" not in body
    assert 'data-key="overdue"' in body and 'data-value="2"' in body  # c5 and c7, both in street 1
    landing = text(get("st1", f"/command/{STREET1}/"))
    assert 'hx-trigger="every 60s"' in landing


def test_the_list_behind_a_tile_is_the_cases_counted(refreshed):
    expected = overdue_refs(refreshed)
    assert len(expected) == 2
    body = text(get("dist", f"/command/{DISTRICT}/cases/overdue/"))
    listed = sorted(re.findall(r'<tr class="sla-[a-z]*" data-ref="([^"]+)"', body))
    assert listed == expected
    assert '<dd id="figure-count">2</dd>' in body
    for ref in expected:
        assert f'href="/cases/{ref}/"' in body
    reported = text(get("dist", f"/command/{DISTRICT}/cases/reported/?day=2026-03-02"))
    assert re.findall(r'data-ref="([^"]+)"', reported) == [refreshed.refs["c1"]]
    # a grid's overdue list (what a click on the map opens): only its own
    grid = text(get("st1", f"/command/{G121}/cases/overdue/"))
    assert re.findall(r'data-ref="([^"]+)"', grid) == [refreshed.refs["c7"]]
    assert get("dist", f"/command/{DISTRICT}/cases/sleeping/").status_code == 404


def test_the_map_page_gives_the_script_its_addresses(refreshed):
    body = text(get("st1", f"/command/{STREET1}/map/?period=2026-03&indicator=open_overdue"))
    assert 'data-api="/api/v1/command/"' in body and f'data-code="{STREET1}"' in body
    assert 'data-period="2026-03"' in body and 'data-indicator="open_overdue"' in body
    assert 'data-cases-url="/command/__code__/cases/__figure__/"' in body
    assert 'name="period"' in body and 'maxlength="24"' in body
    assert '<option value="open_overdue" selected>' in body
    wrong = text(get("st1", f"/command/{STREET1}/map/?period=March"))
    assert 'class="error" role="alert"' in wrong and 'data-period="2026-04"' in wrong


def test_the_big_screen_has_no_navigation_and_reloads_itself(refreshed):
    body = text(get("dist", f"/command/{DISTRICT}/screen/"))
    assert 'class="nav"' not in body and "topbar" not in body
    assert f'hx-get="/command/{DISTRICT}/screen/"' in body and 'hx-trigger="every 60s"' in body
    assert 'id="grid-map"' in body and 'data-refresh="60"' in body
    live = text(get("dist", f"/command/{DISTRICT}/screen/", HTTP_HX_REQUEST="true"))
    assert live.startswith('<div class="screen-live" id="screen-live"') and "grid-map" not in live


def test_hotspot_pages_and_conversion_to_a_project(refreshed):
    spot = make_hotspot(refreshed)
    listing = text(get("st1", f"/command/{STREET1}/hotspots/"))
    assert f'href="/command/hotspots/{spot.pk}/"' in listing
    assert f'href="/command/hotspots/{spot.pk}/"' in text(get("dist", f"/command/{DISTRICT}/"))
    page = text(get("comm", f"/command/hotspots/{spot.pk}/"))
    assert sorted(re.findall(r'data-ref="([^"]+)"', page)) == sorted(
        refreshed.refs[n] for n in ("c1", "c9", "x2")
    )
    assert f'action="/command/hotspots/{spot.pk}/project/"' in page
    with time_machine.travel(NOW, tick=False):
        client = client_for("comm")
        response = client.post(f"/command/hotspots/{spot.pk}/project/")
        assert response.status_code == 302 and response.url == f"/command/hotspots/{spot.pk}/"
        after = text(client.get(response.url))
    spot.refresh_from_db()
    project = Project.objects.get(pk=spot.project_id)
    assert spot.state == Hotspot.State.PROJECT and project.area_code == C11
    assert f'href="/lists/projects/{project.pk}/"' in after
    assert (
        "已转为项目草稿" in after
        and "project/" not in after.split('id="hotspot-facts"')[1].split("</section>")[0]
    )
    # converting again is refused (no button; a stale form is told why)
    with time_machine.travel(NOW, tick=False):
        again = client_for("comm").post(f"/command/hotspots/{spot.pk}/topic/", follow=True)
    assert 'class="notice notice-error"' in text(again)
    spot.refresh_from_db()
    assert spot.state == Hotspot.State.PROJECT and not spot.topic_ref


def test_hotspot_conversion_to_a_topic(refreshed):
    spot = make_hotspot(refreshed)
    with time_machine.travel(NOW, tick=False):
        client = client_for("st1")
        response = client.post(f"/command/hotspots/{spot.pk}/topic/")
        assert response.status_code == 302
        after = text(client.get(response.url))
    spot.refresh_from_db()
    topic = Topic.objects.get(ref=spot.topic_ref)
    assert spot.state == Hotspot.State.TOPIC
    assert f'href="{topic.get_absolute_url()}"' in after


def test_grid_workers_see_hotspots_but_may_not_convert_them(refreshed):
    spot = make_hotspot(refreshed)
    page = text(get("gw", f"/command/hotspots/{spot.pk}/"))
    assert 'id="hotspot-title"' in page and "/project/" not in page and "/topic/" not in page
    with time_machine.travel(NOW, tick=False):
        client = client_for("gw")
        assert client.post(f"/command/hotspots/{spot.pk}/project/").status_code == 403
        assert client.post(f"/command/hotspots/{spot.pk}/topic/").status_code == 403
        assert client.get(f"/command/hotspots/{spot.pk}/project/").status_code == 405
        assert client_for("st2").post(f"/command/hotspots/{spot.pk}/project/").status_code == 404
        assert client_for("resident").post(f"/command/hotspots/{spot.pk}/project/").status_code == 403
    spot.refresh_from_db()
    assert spot.state == Hotspot.State.ACTIVE and spot.project_id is None


def test_staff_land_on_the_command_centre(refreshed):
    response = get("st1", "/")
    assert response.status_code == 302 and response.url == "/command/"
    assert get("resident", "/").status_code == 200
    nav = text(get("st1", f"/command/{STREET1}/"))
    assert '<a href="/command/" data-nav="command" aria-current="page">指挥中心</a>' in nav
    assert 'href="/command/"' not in text(get("resident", "/"))
