"""The service categories: one taxonomy for the catalogue, wishes, needs and resources
(``/api/v1/services/categories`` and the ``active_category`` lookup every app uses)."""

from __future__ import annotations

import pytest

from gridgov.core.errors import DomainError
from gridgov.core.models import AuditEntry
from gridgov.services.demo import load_demo_categories
from gridgov.services.models import ServiceCategory
from gridgov.services.selectors import active_category
from gridgov.testing.api import ApiClient
from gridgov.testing.factories import make_tree, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    tree = make_tree()
    make_user(tree.admin, "district", "district", tree["610302"])
    make_user(tree.admin, "street", "street", tree["610302001"])
    make_user(tree.admin, "resident", "resident")
    ServiceCategory.objects.create(code="legal", name="法律服务", sort=1)
    ServiceCategory.objects.create(code="repair", name="家电维修", sort=8)
    ServiceCategory.objects.create(code="notary", name="公证服务", sort=4, is_active=False)
    return tree


def test_categories_list_and_create(world):
    resident, street = ApiClient("resident"), ApiClient("street")
    r = resident.get("/services/categories")
    assert r.status_code == 200 and [c["code"] for c in r.json()] == ["legal", "repair"]
    assert resident.post("/services/categories", {"code": "meals", "name": "助餐"}).status_code == 403
    assert street.post("/services/categories", {"code": "meals", "name": "助餐"}).status_code == 403
    admin = ApiClient("root")
    r = admin.post("/services/categories", {"code": "Meals!", "name": "助餐"})
    assert (r.status_code, r.json()["field"]) == (400, "code")
    r = admin.post("/services/categories", {"code": "legal", "name": "法律"})
    assert (r.status_code, r.json()["code"]) == (409, "duplicate")
    r = admin.post("/services/categories", {"code": "meals", "name": "助餐", "name_en": "x" * 61})
    assert (r.status_code, r.json()["field"]) == (400, "name_en")
    r = admin.post("/services/categories", {"code": "meals", "name": "助餐", "name_en": "Meals", "sort": 5})
    assert r.status_code == 201 and (r.json()["code"], r.json()["name_en"]) == ("meals", "Meals")
    english = admin.get("/services/categories", headers={"Accept-Language": "en"}).json()
    assert {c["code"]: c["label"] for c in english}["meals"] == "Meals"
    entry = AuditEntry.objects.get(verb="servicecategory.create")
    assert (entry.object_type, entry.object_id) == ("services.servicecategory", "meals")


def test_district_staff_create_a_subcategory_and_see_inactive_ones(world):
    district = ApiClient("district")
    r = district.post("/services/categories", {"code": "legal-aid", "name": "法律援助", "parent": "legal"})
    assert r.status_code == 201 and r.json()["parent"] == "legal"
    r = district.post("/services/categories", {"code": "x", "name": "无上级", "parent": "nope"})
    assert (r.status_code, r.json()["field"]) == (400, "parent")
    r = district.post("/services/categories", {"code": "long", "name": "长" * 61})
    assert (r.status_code, r.json()["code"], r.json()["field"]) == (400, "too_long", "name")
    codes = [c["code"] for c in district.get("/services/categories?include_inactive=true").json()]
    assert codes == ["legal-aid", "legal", "notary", "repair"]  # by sort (0 first), then code
    # only managers see inactive categories
    codes = [
        c["code"] for c in ApiClient("resident").get("/services/categories?include_inactive=true").json()
    ]
    assert "notary" not in codes


def test_active_category_names_the_field_and_the_code(world):
    assert active_category(" legal ").name == "法律服务"
    for code in ("notary", "nope", "", None):
        with pytest.raises(DomainError) as refused:
            active_category(code, field="need_category")
        assert (refused.value.code, refused.value.field) == ("invalid", "need_category")
    with pytest.raises(DomainError) as refused:
        active_category("notary")
    assert "notary" in refused.value.message


def test_demo_categories_load_once():
    assert load_demo_categories() == 9
    assert load_demo_categories() == 0
    assert list(ServiceCategory.objects.values_list("code", flat=True)[:2]) == ["legal", "employment"]
