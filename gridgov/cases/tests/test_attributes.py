"""Category attributes (事项属性): their definitions, and the values intake checks and keeps."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from gridgov.cases.actions import case_report
from gridgov.cases.models import Case, Category, CategoryAttribute
from gridgov.core.errors import DomainError
from gridgov.testing.factories import PASSWORD

from .conftest import IN_GRID_111, report

pytestmark = pytest.mark.django_db


@pytest.fixture
def plate(world):
    return CategoryAttribute.objects.create(
        category=world.category, code="plate", label="车牌号", datatype="string", required=True
    )


def test_a_channel_that_asks_must_give_the_required_attributes(world, plate):  # noqa: ARG001
    with pytest.raises(DomainError) as info:
        report(world, attributes={})
    assert (info.value.code, info.value.field) == ("required", "attribute[plate]")
    case = report(world, attributes={"plate": " 陕C12345 "}).case
    assert Case.objects.get(pk=case.pk).attributes == {"plate": "陕C12345"}


def test_a_channel_that_does_not_ask_is_not_refused(world, plate):  # noqa: ARG001
    case = report(world).case
    assert Case.objects.get(pk=case.pk).attributes == {}


def test_an_attribute_the_category_lacks_is_refused(world, plate):  # noqa: ARG001
    with pytest.raises(DomainError) as info:
        report(world, attributes={"plate": "陕C1", "colour": "red"})
    assert (info.value.code, info.value.field) == ("unknown_attribute", "attribute[colour]")


def test_a_parents_attribute_applies_to_its_sub_categories(world):
    child = Category.objects.create(
        code="litter_big",
        name="大件垃圾",
        parent=world.category,
        response_limit=world.category.response_limit,
        response_unit="urgent_hours",
        resolution_limit=world.category.resolution_limit,
        resolution_unit="urgent_hours",
    )
    CategoryAttribute.objects.create(category=world.category, code="bags", label="袋数", datatype="number")
    CategoryAttribute.objects.create(
        category=child, code="bags", label="件数", datatype="number", required=True
    )

    def report_child(**attributes):
        return case_report(
            by=None,
            category_code=child.code,
            description="楼道里堆了很多大件垃圾",
            lng=IN_GRID_111[0],
            lat=IN_GRID_111[1],
            reporter_phone="13800001111",
            attributes=attributes,
        )

    with pytest.raises(DomainError) as info:
        report_child()
    assert "件数" in info.value.message  # the sub-category's own definition wins
    case = report_child(bags="3").case
    assert Case.objects.get(pk=case.pk).attributes == {"bags": "3"}


@pytest.mark.parametrize(
    ("datatype", "values", "ok"),
    [
        ("string", [], True),
        ("string", [{"key": "a", "name": "甲"}], False),
        ("singlevaluelist", [], False),
        ("singlevaluelist", [{"key": "a", "name": "甲"}, {"key": "b", "name": "乙"}], True),
        ("multivaluelist", [{"key": "a", "name": "甲"}, {"key": "a", "name": "乙"}], False),
        ("singlevaluelist", [{"key": "a b", "name": "甲"}], False),
        ("singlevaluelist", [{"key": "a", "name": ""}], False),
        ("singlevaluelist", [{"key": "a"}], False),
        ("singlevaluelist", "a,b", False),
    ],
)
def test_a_definitions_choices_fit_its_datatype(world, datatype, values, ok):
    attribute = CategoryAttribute(
        category=world.category, code="x", label="某项", datatype=datatype, values=values
    )
    if ok:
        attribute.full_clean()
    else:
        with pytest.raises(ValidationError) as info:
            attribute.full_clean()
        assert "values" in info.value.message_dict


def test_the_admin_edits_attributes_inline(client, world):
    admin = world.tree.admin
    client.login(username=admin.username, password=PASSWORD)
    url = f"/admin/cases/category/{world.category.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    assert "attributes-TOTAL_FORMS" in page.content.decode()


def test_staff_see_the_values_on_the_case(client, world, plate):  # noqa: ARG001
    CategoryAttribute.objects.create(
        category=world.category,
        code="kind",
        label="垃圾种类",
        datatype="multivaluelist",
        values=[{"key": "food", "name": "厨余"}, {"key": "bulky", "name": "大件"}],
    )
    case = report(world, attributes={"plate": "陕C12345", "kind": ["bulky", "food"]}).case
    client.login(username=world.community.username, password=PASSWORD)
    page = client.get(f"/cases/{case.ref}/").content.decode()
    assert "<dt>车牌号</dt><dd>陕C12345</dd>" in page
    assert "<dt>垃圾种类</dt><dd>大件、厨余</dd>" in page
    from gridgov.testing.api import ApiClient

    detail = ApiClient("community").get(f"/cases/{case.ref}").json()
    assert detail["attributes"] == {"plate": "陕C12345", "kind": ["bulky", "food"]}


def test_the_api_takes_the_attributes_a_category_asks_for(world, plate):  # noqa: ARG001
    from gridgov.testing.api import ApiClient

    api = ApiClient("worker")
    body = {
        "category": world.category.code,
        "description": "小区门口车辆违停堵塞消防通道",
        "lng": IN_GRID_111[0],
        "lat": IN_GRID_111[1],
        "reporter_phone": "13912345678",
    }
    missing = api.post("/cases", {**body, "attributes": {}})
    assert missing.status_code == 400
    assert missing.json()["field"] == "attribute[plate]"
    unknown = api.post("/cases", {**body, "attributes": {"plate": "陕C1", "colour": "red"}})
    assert unknown.status_code == 400 and unknown.json()["field"] == "attribute[colour]"
    made = api.post("/cases", {**body, "attributes": {"plate": "陕C12345"}})
    assert made.status_code == 201
    assert Case.objects.get(ref=made.json()["ref"]).attributes == {"plate": "陕C12345"}
    assert api.post("/cases", body).status_code == 201  # a client that does not ask is not refused
