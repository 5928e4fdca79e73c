"""Bad input to the API is a 400 naming the field, never a 500."""

from __future__ import annotations

import pytest

from gridgov.testing.api import ApiClient
from gridgov.testing.factories import make_tree, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def street():
    tree = make_tree()
    make_user(tree.admin, "street", "street", tree["610302001"])
    return ApiClient("street")


@pytest.mark.parametrize("path", ["/cases", "/orders", "/wishes", "/residents", "/visits", "/inbox"])
def test_a_page_number_too_large_for_the_database_is_a_400_on_page(street, path):
    response = street.get(f"{path}?page=99999999999999999999")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid" and response.json()["field"] == "page"


def test_a_page_size_over_the_cap_is_a_400_on_page_size(street):
    response = street.get("/cases?page_size=100000")
    assert response.status_code == 400 and response.json()["field"] == "page_size"


def test_the_last_page_that_can_exist_is_an_empty_list(street):
    response = street.get("/cases?page=1000000")
    assert response.status_code == 200 and response.json()["items"] == []


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/visits?recorded_by=-6993041485293017890816", "recorded_by"),
        ("/visits?household=99999999999999999999", "household"),
        ("/residents?household=99999999999999999999", "household"),
    ],
)
def test_a_number_too_large_for_the_database_in_a_query_is_a_400_on_its_field(street, path, field):
    response = street.get(path)
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid" and response.json()["field"] == field


def test_a_number_too_large_for_the_database_in_a_body_is_a_400_on_its_field(street):
    response = street.post("/cases/610302-20260101-000001/dispatch", {"lead_unit_id": 2**70})
    assert response.status_code == 400, response.content
    assert response.json()["field"] == "lead_unit_id"
