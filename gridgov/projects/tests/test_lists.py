"""Needs and resources: recording (idempotent per source), scope, the owner rule of resources, the sweep."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from gridgov.core.errors import DomainError
from gridgov.core.models import TimelineEvent
from gridgov.notify.models import Notification
from gridgov.projects import actions
from gridgov.projects.models import Need, Resource
from gridgov.projects.selectors import need_list, resources_visible_to
from gridgov.projects.sweep import project_sweep

from .conftest import COMMUNITY_11, GRID_111, GRID_112, GRID_211, STREET_1, TZ, need, project, resource


def test_need_record_is_idempotent_per_source(world):
    a = need(world, source="order", source_id=7)
    b = need(world, title="别的标题", source="order", source_id=7)
    c = need(world, source="wish", source_id=7)
    assert a.pk == b.pk != c.pk
    assert Need.objects.count() == 2
    assert TimelineEvent.objects.filter(subject="projects.need", action="record").count() == 2
    with pytest.raises(DomainError) as exc:
        need(world, source="order")
    assert exc.value.field == "source_id"


def test_need_record_refusals(world):
    for kw, field in (
        ({"title": ""}, "title"),
        ({"category": "nope"}, "category"),
        ({"urgency": "soon"}, "urgency"),
        ({"beneficiaries": 0}, "beneficiaries"),
        ({"source": "rumour", "source_id": 1}, "source"),
    ):
        with pytest.raises(DomainError) as exc:
            need(world, **kw)
        assert exc.value.field == field
    with pytest.raises(DomainError) as exc:
        need(world, area=GRID_211)
    assert exc.value.status == 404
    for who in (world.handler, world.resident):
        with pytest.raises(DomainError) as exc:
            need(world, by=who)
        assert exc.value.status == 403
    with pytest.raises(DomainError) as exc:
        need(world, source="visit", source_id=999)  # the visit must exist and be visible
    assert exc.value.status == 404 and exc.value.field == "source_id"


def test_need_filters_and_scope(world):
    a = need(world, title="助餐", category="meals", area=GRID_111, urgency="urgent")
    b = need(world, title="法律咨询", category="legal", area=GRID_112)
    c = need(world, title="远处", category="meals", area=GRID_211, by=world.admin)
    assert set(need_list(world.community)) == {a, b}
    assert list(need_list(world.worker)) == [a]
    assert set(need_list(world.admin, category="care")) == {a, c}  # a parent category takes its children
    assert list(need_list(world.community, urgency="urgent")) == [a]
    assert list(need_list(world.community, area=GRID_112)) == [b]
    assert list(need_list(world.handler)) == []


def test_resources_have_exactly_one_owner(world):
    with pytest.raises(DomainError) as exc:
        actions.resource_create(by=world.admin, title="x", category="legal", kind="skill", area=GRID_111)
    assert exc.value.field == "owner"
    with pytest.raises(DomainError) as exc:
        resource(world, "x", "legal", GRID_111, owner_unit=world.unit.pk, owner_user=world.volunteer.pk)
    assert exc.value.field == "owner"
    with pytest.raises(DomainError) as exc:
        resource(world, "x", "legal", GRID_111, owner_user=world.community.pk)
    assert exc.value.field == "owner_user"
    with pytest.raises(DomainError) as exc:
        resource(world, "x", "legal", GRID_111, kind="magic")
    assert exc.value.field == "kind"
    with pytest.raises(DomainError) as exc:
        resource(world, "x", "legal", GRID_111, available_from="2026-12-01", available_until="2026-11-01")
    assert exc.value.field == "available_until"
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():  # the database says so too
        Resource.objects.create(
            title="x",
            category=world.cats["legal"],
            kind="skill",
            area=world.tree[GRID_111],
            area_code=GRID_111,
            created_at=datetime(2026, 11, 23, tzinfo=TZ),
        )


def test_unit_handlers_register_their_own_units_resources(world):
    res = actions.resource_create(
        by=world.handler,
        title="义诊",
        category="elderly",
        kind="skill",
        area=GRID_111,
        availability="每月第一个周六",
    )
    assert res.owner_unit == world.unit
    with pytest.raises(DomainError) as exc:
        actions.resource_create(
            by=world.handler,
            title="x",
            category="elderly",
            kind="skill",
            area=GRID_111,
            owner_unit=world.unit_b.pk,
        )
    assert exc.value.status == 403
    with pytest.raises(DomainError) as exc:
        actions.resource_create(by=world.handler, title="x", category="elderly", kind="skill", area=GRID_211)
    assert exc.value.status == 404
    assert list(resources_visible_to(world.handler)) == [res]
    assert list(resources_visible_to(world.handler_b)) == []
    actions.resource_update(by=world.handler, resource=res, quantity="每次 30 人")
    with pytest.raises(DomainError) as exc:
        actions.resource_update(by=world.handler_b, resource=res, quantity="x")
    assert exc.value.status == 404
    for who in (world.resident,):
        with pytest.raises(DomainError) as exc:
            actions.resource_create(by=who, title="x", category="legal", kind="skill", area=GRID_111)
        assert exc.value.status == 403


def test_staff_see_resources_offered_above_their_area(world):
    street_wide = resource(world, "街道老年餐桌", "meals", STREET_1)
    here = resource(world, "社区食堂", "meals", COMMUNITY_11)
    far = resource(world, "远处", "meals", GRID_211)
    assert set(resources_visible_to(world.worker)) == {street_wide, here}
    assert set(resources_visible_to(world.admin)) == {street_wide, here, far}
    with pytest.raises(DomainError) as exc:  # seen, but not theirs to edit
        actions.resource_update(by=world.worker, resource=street_wide, title="x")
    assert exc.value.status == 404


def test_sweep_warns_and_marks_overdue_once(world):
    p = project(world, end_date=date(2026, 12, 31))
    p = actions.project_assign(by=world.community, project=p, owner_unit=world.unit.pk)
    assert project_sweep(datetime(2026, 12, 24, 23, 0, tzinfo=TZ)) == {"warned": 0, "overdue": 0}
    assert project_sweep(datetime(2026, 12, 25, 0, 0, tzinfo=TZ)) == {"warned": 1, "overdue": 0}
    assert project_sweep(datetime(2026, 12, 26, tzinfo=TZ)) == {"warned": 0, "overdue": 0}
    p.refresh_from_db()
    assert p.sla == "warning"
    assert project_sweep(datetime(2027, 1, 1, 0, 0, tzinfo=TZ)) == {"warned": 0, "overdue": 1}
    assert project_sweep(datetime(2027, 1, 2, tzinfo=TZ)) == {"warned": 0, "overdue": 0}
    p.refresh_from_db()
    assert p.sla == "overdue" and p.overdue_at == datetime(2027, 1, 1, tzinfo=TZ)
    events = TimelineEvent.objects.filter(subject="projects.project", subject_id=p.pk)
    assert [e.action for e in events if e.action in ("warning", "overdue")] == ["warning", "overdue"]
    assert Notification.objects.filter(user=world.handler, kind="warning").count() == 1
    assert Notification.objects.filter(user=world.handler, kind="overdue").count() == 1
    assert Notification.objects.filter(user=world.community, kind="overdue").count() == 1


def test_sweep_ignores_finished_and_undated_projects(world):
    done = actions.project_assign(by=world.community, project=project(world), owner_unit=world.unit.pk)
    actions.project_complete(by=world.handler, project=done, summary="完成")
    undated = project(world, end_date=None, title="无期限")
    actions.project_assign(by=world.community, project=undated, owner_unit=world.unit.pk)
    assert project_sweep(datetime(2027, 2, 1, tzinfo=TZ) + timedelta(days=1)) == {"warned": 0, "overdue": 0}
