"""Two people turning the same visit into a case at the same moment get one case (real threads and
transactions: SQLite serialises writers, PostgreSQL locks the visit row)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gridgov.cases.models import Case
from gridgov.cases.tests.test_concurrency import race
from gridgov.testing.api import ApiClient
from gridgov.visits.tests.conftest import T0, record

pytestmark = pytest.mark.django_db(transaction=True)


def test_simultaneous_clicks_make_one_case(world):
    visit = record(world, world.h1, T0 - timedelta(hours=1), problems="电梯停运三天，老人无法下楼")
    worker, community = ApiClient("worker"), ApiClient("community")
    body = {"category": "property_service"}
    responses = race(
        lambda: worker.post(f"/visits/{visit.pk}/case", body),
        lambda: community.post(f"/visits/{visit.pk}/case", body),
        lambda: worker.post(f"/visits/{visit.pk}/case", body),
    )
    assert sorted(r.status_code for r in responses) == [200, 200, 201], [r.content for r in responses]
    assert len({r.json()["case"]["ref"] for r in responses}) == 1
    assert Case.objects.count() == 1 and visit.cases.count() == 1
