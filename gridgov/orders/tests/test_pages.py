"""The order pages through the Django test client: the catalogue with free places, ordering from an item's
page (errors next to the field), my orders, the order page's allowed forms, the worklist's yellow/red
marks, the provider's inbox, the statistics page; other people's orders do not exist."""

from __future__ import annotations

import re

from django.test import Client

from gridgov.core import uploads
from gridgov.orders import actions
from gridgov.orders.models import Order
from gridgov.orders.sweep import order_sweep
from gridgov.testing import images
from gridgov.testing.factories import PASSWORD

from .conftest import GRID, order_consult, order_fix


def login(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


def test_catalogue_shows_items_by_category_with_free_places(world):
    order_consult(world)
    page = login("resident").get("/orders/services/").content.decode()
    assert "法律服务" in page and "律师坐班法律咨询" in page and "家电维修" in page
    assert "剩余 5 个名额" in page and "低偿 20 元" in page and "无偿" in page
    page = login("resident").get("/orders/services/?category=repair").content.decode()
    assert "律师坐班法律咨询" not in page


def test_ordering_from_the_item_page(world):
    client = login("resident")
    page = client.get(f"/orders/services/{world.consult.pk}/").content.decode()
    assert 'value="2026-11-25T14:00"' in page and "剩余 6 个" in page
    key = re.search(r'name="key" value="([0-9a-f]+)"', page).group(1)
    r = client.post(f"/orders/services/{world.consult.pk}/", {"key": key, "grid": GRID, "note": "咨询"})
    assert r.status_code == 400 and "请选择预约时段" in r.content.decode()
    body = {"key": key, "slot": "2026-11-25T14:00", "grid": GRID, "note": "合同纠纷"}
    r = client.post(f"/orders/services/{world.consult.pk}/", body)
    order = Order.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/orders/{order.ref}/"
    # A double submit of the same form lands on the same order.
    r = client.post(f"/orders/services/{world.consult.pk}/", body)
    assert r["Location"] == f"/orders/{order.ref}/" and Order.objects.count() == 1
    page = client.get(f"/orders/{order.ref}/").content.decode()
    assert "点单成功" in page and "已点单" in page and "确认取消" in page and "确认派单" not in page
    assert order.ref in client.get("/orders/mine/").content.decode()
    # Staff do not get an order form.
    assert "提交点单" not in login("community").get(f"/orders/services/{world.consult.pk}/").content.decode()


def test_other_peoples_orders_do_not_exist(world):
    order = order_consult(world)
    for name in ("resident2", "neighbour", "lawyer"):
        assert login(name).get(f"/orders/{order.ref}/").status_code == 404, name
    assert login("resident2").post(f"/orders/{order.ref}/cancel/").status_code == 404


def test_dispatch_form_and_errors_next_to_the_field(world):
    order = order_consult(world)
    client = login("community")
    page = client.get(f"/orders/{order.ref}/").content.decode()
    assert (
        "确认派单" in page
        and "宝鸡市律师协会" in page
        and "秦风律师事务所" in page
        and "确认无法服务" in page
    )
    assert login("resident").post(f"/orders/{order.ref}/dispatch/", {"provider_unit": 1}).status_code == 403
    r = client.post(f"/orders/{order.ref}/dispatch/", {"provider_unit": ""})
    assert r.status_code == 400 and 'id="err-provider_unit"' in r.content.decode()
    r = client.post(f"/orders/{order.ref}/dispatch/", {"provider_unit": world.lawyers.pk})
    assert r.status_code == 302
    r = client.post(f"/orders/{order.ref}/dispatch/", {"provider_unit": world.lawyers.pk})
    assert r.status_code == 409


def test_worklist_marks_warning_and_overdue(world):
    late = order_fix(world)
    actions.order_dispatch(by=world.community, ref=late.ref, provider_unit_id=world.repair_co.pk)
    waiting = order_fix(world, by=world.resident2)
    late.refresh_from_db()
    order_sweep(late.accept_due)
    page = login("community").get("/orders/").content.decode()
    assert f'class="order-row sla-overdue" data-ref="{late.ref}"' in page
    assert f'data-ref="{waiting.ref}"' in page
    assert page.index(late.ref) < page.index(waiting.ref)
    page = login("community").get("/orders/?overdue=1").content.decode()
    assert waiting.ref not in page
    # Residents and units land on their own lists.
    assert login("resident").get("/orders/")["Location"] == "/orders/mine/"
    assert login("repairer").get("/orders/")["Location"] == "/orders/inbox/"


def test_provider_inbox_accept_and_deliver(world):
    order = order_fix(world)
    actions.order_dispatch(by=world.community, ref=order.ref, provider_unit_id=world.repair_co.pk)
    client = login("repairer")
    page = client.get("/orders/inbox/").content.decode()
    assert order.ref in page and "接单" in page
    assert client.post(f"/orders/{order.ref}/accept/").status_code == 302
    page = client.get(f"/orders/{order.ref}/?act=deliver").content.decode()
    assert 'id="act-deliver" open' in page
    r = client.post(f"/orders/{order.ref}/deliver/", {"notes": ""})
    assert r.status_code == 400 and 'id="err-notes"' in r.content.decode()
    assert client.post(f"/orders/{order.ref}/deliver/", {"notes": "修好了"}).status_code == 302
    assert login("community").get("/orders/inbox/").status_code == 404


def test_rating_form(world):
    order = order_fix(world)
    actions.order_dispatch(by=world.community, ref=order.ref, provider_unit_id=world.repair_co.pk)
    actions.order_accept(by=world.repairer, ref=order.ref)
    actions.order_deliver(by=world.repairer, ref=order.ref, notes="修好了")
    client = login("resident")
    assert "确认评价" in client.get(f"/orders/{order.ref}/").content.decode()
    r = client.post(f"/orders/{order.ref}/rate/", {"rating": ""})
    assert r.status_code == 400 and 'id="err-rating"' in r.content.decode()
    r = client.post(f"/orders/{order.ref}/rate/", {"rating": "satisfied", "comment": "很好"})
    page = client.get(r["Location"]).content.decode()
    assert "已结单" in page and "满意：很好" in page


def test_stats_page(world):
    order_fix(world)
    page = login("street").get("/orders/stats/?start=2026-11-01&end=2026-11-30").content.decode()
    assert 'data-key="repair"' in page
    assert login("resident").get("/orders/stats/").status_code == 404
    assert login("neighbour").get("/orders/stats/?area=610302001001").status_code == 404


def test_admin_pages(world):
    from django.test import Client

    order = order_fix(world)
    client = Client()
    client.force_login(world.admin)
    assert client.get("/admin/orders/serviceitem/").status_code == 200
    assert client.get(f"/admin/orders/serviceitem/{world.fix.pk}/change/").status_code == 200
    page = client.get(f"/admin/orders/order/{order.pk}/change/")
    assert page.status_code == 200 and "13912340000" not in page.content.decode()
    assert client.get("/admin/orders/serviceslot/").status_code == 200


def test_delivery_photos_go_to_whoever_sees_the_order(world):
    order = order_fix(world)
    actions.order_dispatch(by=world.community, ref=order.ref, provider_unit_id=world.repair_co.pk)
    actions.order_accept(by=world.repairer, ref=order.ref)
    photo = images.upload("done.png")
    actions.order_deliver(by=world.repairer, ref=order.ref, notes="修好了", evidence=[photo])
    evidence = uploads.of(order).get()
    page = login("resident").get(f"/orders/{order.ref}/").content.decode()
    assert f'href="/files/{evidence.pk}/"' in page and f'src="/files/{evidence.pk}/thumb/"' in page
    for username, status in (
        ("resident", 200),
        ("repairer", 200),
        ("community", 200),
        ("resident2", 404),
        ("neighbour", 404),
        ("lawyer", 404),
    ):
        for url in (evidence.get_absolute_url(), evidence.thumb_url):
            assert login(username).get(url).status_code == status, (username, url)
