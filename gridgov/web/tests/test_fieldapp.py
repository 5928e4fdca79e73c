"""The field app's server side (issue 13): manifest, service worker script, icons, offline state, 待发送."""

from __future__ import annotations

import json
import struct
import zlib

import pytest

from gridgov.ledger.actions import building_create, household_create
from gridgov.testing.factories import make_tree, make_user
from gridgov.web.fieldapp import icon_png, user_tag

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree():
    return make_tree()


@pytest.fixture
def worker(tree):
    return make_user(tree.admin, "wangge", "grid_worker", tree["610302001001001"], phone="13800000005")


def test_every_page_links_the_manifest_and_offline_js(client):
    html = client.get("/login/").content.decode()
    assert '<link rel="manifest" href="/manifest.webmanifest">' in html
    assert 'src="/static/gridgov/offline.js"' in html


def test_manifest_is_installable_and_translated(client):
    response = client.get("/manifest.webmanifest")
    assert response["Content-Type"] == "application/manifest+json"
    data = json.loads(response.content)
    assert data["name"] == "网格化基层治理平台" and data["display"] == "standalone"
    assert data["start_url"] == "/visits/worklist/" and data["scope"] == "/"
    sizes = {icon["sizes"] for icon in data["icons"]}
    assert {"192x192", "512x512"} <= sizes
    english = json.loads(client.get("/manifest.webmanifest", HTTP_ACCEPT_LANGUAGE="en").content)
    assert english["start_url"] == "/visits/worklist/"


def test_service_worker_is_served_from_the_root(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert response["Cache-Control"] == "no-cache"
    body = response.content.decode()
    first = body.split("\n", 1)[0]
    config = json.loads(first.removeprefix("self.GRIDGOV_OFFLINE = ").removesuffix(";"))
    assert (
        "/static/gridgov/app.css" in config["shell"]
        and "/static/vendor/leaflet/leaflet.js" in config["shell"]
    )
    assert config["state"] == "/offline/state.json"
    assert 'addEventListener("fetch"' in body


@pytest.mark.parametrize("size", [192, 512])
def test_icons_are_real_pngs(client, size):
    response = client.get(f"/icons/{size}.png")
    assert response["Content-Type"] == "image/png"
    data = response.content
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (size, size)
    # the pixel data inflates to exactly one filter byte and three bytes per pixel per row
    idat_length = struct.unpack(">I", data[33:37])[0]
    raw = zlib.decompress(data[41 : 41 + idat_length])
    assert len(raw) == size * (1 + 3 * size)
    assert data == icon_png(size)
    assert client.get("/icons/100.png").status_code == 404


def test_offline_state_names_no_one_and_lists_the_grid_pages(client, tree, worker):
    admin = tree.admin
    building = building_create(by=admin, code="A-1", name="A号楼", grid="610302001001001")
    inside = household_create(by=admin, building=building.code, unit="1", room="101")
    far = building_create(by=admin, code="B-1", name="B号楼", grid="610302002001001")
    outside = household_create(by=admin, building=far.code, unit="1", room="101")

    anonymous = client.get("/offline/state.json")
    assert anonymous["Cache-Control"] == "no-store"
    assert json.loads(anonymous.content)["user"] == "" and json.loads(anonymous.content)["pages"] == []

    client.force_login(worker)
    response = client.get("/offline/state.json")
    data = json.loads(response.content)
    assert data["user"] == user_tag(worker) and len(data["user"]) == 20
    assert data["csrf"]
    assert "/visits/worklist/" in data["pages"] and "/cases/" in data["pages"]
    assert f"/ledger/households/{inside.pk}/" in data["pages"]
    assert f"/visits/new/?household={inside.pk}" in data["pages"]
    assert f"/ledger/households/{outside.pk}/" not in data["pages"]
    text = response.content.decode()
    assert "wangge" not in text and "13800000005" not in text and str(worker.pk) not in data["user"]


def test_queue_page_is_for_whoever_is_signed_in(client, tree, worker):
    assert client.get("/offline/queue/").status_code == 302  # sign in first
    client.force_login(worker)
    html = client.get("/offline/queue/").content.decode()
    assert "待发送" in html and "data-offline-queue-list" in html
    resident = make_user(tree.admin, "jumin", "resident")  # a resident's report may wait on the phone too
    client.force_login(resident)
    assert "data-offline-queue-list" in client.get("/offline/queue/").content.decode()


def test_messages_are_translated(client):
    data = json.loads(client.get("/offline/messages.json").content)
    assert data["queued"] == "已保存在本机，恢复网络后自动发送"
    assert "%(time)s" in data["banner"]


def test_the_report_form_is_marked_for_the_offline_queue_when_signed_in(client, tree):
    anonymous = client.get("/report/").content.decode()
    # signed out, nothing could be sent later under the same person: the form goes the ordinary way
    assert "data-offline-queue" not in anonymous and 'name="idempotency_key"' in anonymous
    client.force_login(make_user(tree.admin, "jumin", "resident"))
    html = client.get("/report/").content.decode()
    assert 'data-offline-queue="report"' in html and 'name="idempotency_key"' in html
