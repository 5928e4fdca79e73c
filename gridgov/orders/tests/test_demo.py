"""The demo loader: the nine categories, the street's and the community's services, orders in every state,
nothing doubled on a second run."""

from __future__ import annotations

from datetime import time

from gridgov.accounts.models import Unit
from gridgov.areas.actions import area_create
from gridgov.orders.demo import load_demo_orders
from gridgov.orders.models import Order, ServiceItem, State
from gridgov.projects.models import Need
from gridgov.services.models import ServiceCategory
from gridgov.testing.factories import make_admin, make_user, rect


def _demo_corner():
    admin = make_admin("admin")
    for code, name, parent in (
        ("610302", "渭滨区", None),
        ("610302003", "姜谭路街道", "610302"),
        ("610302003001", "姜谭路西社区", "610302003"),
        ("610302003001001", "姜谭路西社区第一网格", "610302003001"),
    ):
        extra = {"kind": "basic", "grid_type": "residential"} if len(code) == 15 else {}
        area_create(
            by=admin, code=code, name=name, parent_code=parent, boundary=rect(107, 34, 107.1, 34.1), **extra
        )
    from gridgov.areas.models import Area

    lawyers = Unit.objects.create(name="宝鸡市律师协会", kind="partner", area=Area.objects.get(code="610302"))
    make_user(admin, "community", "community", Area.objects.get(code="610302003001"))
    make_user(admin, "resident", "resident", phone="13800000007")
    make_user(admin, "volunteer", "volunteer", phone="13800000008")
    make_user(admin, "lawyer", "unit", unit=lawyers)
    return admin


def test_demo_orders_load_once(db, clock):  # noqa: ARG001
    admin = _demo_corner()
    first = load_demo_orders(admin)
    assert first["categories"] == 9 and first["items"] >= 14 and first["orders"] >= 14
    codes = set(ServiceCategory.objects.values_list("code", flat=True))
    assert codes == {
        "legal",
        "employment",
        "psychology",
        "notary",
        "meals",
        "elderly",
        "nursery",
        "repair",
        "culture",
    }
    lawyer_item = ServiceItem.objects.get(name="律师坐班法律咨询")
    assert lawyer_item.area_code == "610302003" and lawyer_item.fee == "free"
    assert [str(p) for p in lawyer_item.providers.all()] == ["宝鸡市律师协会"]
    row = lawyer_item.schedules.get()
    assert (row.weekday, row.start, row.end, row.capacity) == (2, time(14), time(17, 30), 6)
    meals = ServiceItem.objects.get(name="老年助餐")
    assert meals.area_code == "610302003001" and meals.fee_label == "低偿 12 元"
    assert ServiceItem.objects.filter(area_code="610302003001").count() >= 12
    states = set(Order.objects.values_list("state", flat=True))
    assert states == set(State.values)
    assert Order.objects.filter(decline_count=1, state="ordered").exists()
    assert Need.objects.filter(source="order").count() == 1
    assert Order.objects.filter(state="closed").exclude(rating="").exists()

    again = load_demo_orders(admin)
    assert again == {"categories": 0, "items": 0, "orders": 0}
    assert Order.objects.count() == first["orders"]


def test_demo_without_the_demo_area_loads_only_categories(db):
    assert load_demo_orders(make_admin()) == {"categories": 9, "items": 0, "orders": 0}
