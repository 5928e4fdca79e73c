"""A case's free texts have their maximum lengths in the API schema, the action and the model; a value one
character over is a 400 naming the field and nothing is written."""

from __future__ import annotations

import pytest

from gridgov.cases.models import Case
from gridgov.core.cleaners import REASON_LIMIT
from gridgov.testing.api import ApiClient

from .conftest import IN_GRID_111, report

pytestmark = pytest.mark.django_db


def test_a_description_over_its_limit_is_refused_on_its_field(world):
    limit = Case._meta.get_field("description").max_length
    body = {"category": world.category.code, "lng": IN_GRID_111[0], "lat": IN_GRID_111[1]}
    api = ApiClient("resident")
    refused = api.post("/cases", {**body, "description": "堆" * (limit + 1)})
    assert refused.status_code == 400 and refused.json()["field"] == "description"
    assert not Case.objects.exists()
    assert api.post("/cases", {**body, "description": "堆" * limit}).status_code == 201


def test_a_reason_over_the_limit_is_refused_before_any_step(world):
    case = report(world, by=world.resident).case
    refused = ApiClient("community").post(f"/cases/{case.ref}/reject", {"reason": "否" * (REASON_LIMIT + 1)})
    assert refused.status_code == 400 and refused.json()["field"] == "reason"
    assert Case.objects.get(pk=case.pk).state == "reported"


def test_the_document_declares_the_limits(world):  # noqa: ARG001
    from gridgov.api import api

    schemas = api.get_openapi_schema()["components"]["schemas"]
    assert schemas["CaseIn"]["properties"]["description"]["maxLength"] == 2000
    assert schemas["CaseReasonIn"]["properties"]["reason"]["maxLength"] == REASON_LIMIT
