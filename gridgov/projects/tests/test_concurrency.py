"""Races with real threads and transactions: two units claiming one project, a resident evaluating twice at
once, two need_record calls for one source."""

from __future__ import annotations

import pytest

from gridgov.cases.tests.test_concurrency import race
from gridgov.core.models import TimelineEvent
from gridgov.projects import actions
from gridgov.projects.models import Need, ProjectEvaluation
from gridgov.testing.api import ApiClient

from .conftest import project

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_units_claim_one_project_one_wins(world):
    p = actions.project_publish(by=world.community, project=project(world))
    a, b = ApiClient("handler"), ApiClient("handler_b")
    responses = race(lambda: a.post(f"/projects/{p.pk}/claim"), lambda: b.post(f"/projects/{p.pk}/claim"))
    assert sorted(r.status_code for r in responses) == [200, 409], [r.content for r in responses]
    p.refresh_from_db()
    assert p.state == "in_progress" and p.owner_unit_id in (world.unit.pk, world.unit_b.pk)
    assert (
        TimelineEvent.objects.filter(subject="projects.project", subject_id=p.pk, action="claim").count() == 1
    )


def test_a_resident_evaluates_once_even_at_once(world):
    p = actions.project_assign(by=world.community, project=project(world), owner_unit=world.unit.pk)
    actions.project_complete(by=world.handler, project=p, summary="完成")
    one, two = ApiClient("resident"), ApiClient("resident")
    responses = race(
        lambda: one.post(f"/projects/{p.pk}/evaluations", {"score": 5}),
        lambda: two.post(f"/projects/{p.pk}/evaluations", {"score": 4}),
    )
    assert sorted(r.status_code for r in responses) == [201, 409], [r.content for r in responses]
    assert ProjectEvaluation.objects.filter(project=p).count() == 1


def test_need_record_from_one_source_at_once_makes_one_need(world):
    body = {
        "title": "助餐",
        "category": "meals",
        "area": "610302001001001",
        "source": "wish",
        "source_id": 42,
    }
    one, two = ApiClient("community"), ApiClient("worker")
    responses = race(lambda: one.post("/needs", body), lambda: two.post("/needs", body))
    assert sorted(r.status_code for r in responses) == [200, 201], [r.content for r in responses]
    assert Need.objects.count() == 1
