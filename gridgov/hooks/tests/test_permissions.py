"""Who manages which subscriptions, the refusals of bad input, and destinations refused when saved."""

from __future__ import annotations

import pytest

from gridgov.core.errors import DomainError
from gridgov.core.models import AuditEntry
from gridgov.hooks import actions, selectors

pytestmark = pytest.mark.django_db

PUBLIC = "https://93.184.215.14/hook"  # a public address: passes without a name to resolve


def _refused(fn, status, code=None, field=None, **kwargs):
    with pytest.raises(DomainError) as info:
        fn(**kwargs)
    assert info.value.status == status, info.value.as_dict()
    if code:
        assert info.value.code == code
    if field:
        assert info.value.field == field
    return info.value


def _create(by, **kw):
    kw.setdefault("name", "接收")
    kw.setdefault("url", PUBLIC)
    kw.setdefault("event_types", ["case.created"])
    return actions.subscription_create(by=by, **kw)


def test_a_unit_subscribes_for_itself_only(world):
    sub, _ = _create(world.handler_a)
    assert sub.unit_id == world.unit_a.pk and sub.area_id is None and sub.created_by == world.handler_a
    _refused(_create, 403, "forbidden", "unit", by=world.handler_a, unit=world.unit_b.pk)
    _refused(_create, 403, "forbidden", "area", by=world.handler_a, area="610302")
    assert AuditEntry.objects.filter(verb="webhook.create", object_id=str(sub.pk)).count() == 1


def test_staff_subscribe_for_areas_of_their_scope_only(world):
    sub, _ = _create(world.street, area="610302001001")
    assert sub.area_code == "610302001001"
    _refused(_create, 404, "not_found", "area", by=world.street, area="610302002")
    _refused(_create, 404, "not_found", "area", by=world.street, area="610302")
    _refused(_create, 403, "forbidden", "unit", by=world.street, unit=world.unit_a.pk)
    _refused(_create, 400, "required", "area", by=world.street)


def test_grid_workers_and_residents_manage_no_subscriptions(world):
    for who in (world.worker, world.resident):
        _refused(_create, 403, "forbidden", by=who, area="610302001001001")
        _refused(selectors.subscription_list, 403, "forbidden", user=who)


def test_admins_subscribe_for_any_area_or_unit(world):
    by_area, _ = _create(world.admin, area="610302002")
    by_unit, _ = _create(world.admin, unit=world.unit_c.pk)
    assert by_area.area_code == "610302002" and by_unit.unit_id == world.unit_c.pk
    _refused(_create, 400, "invalid", "unit", by=world.admin, area="610302", unit=world.unit_c.pk)
    _refused(_create, 404, "not_found", "unit", by=world.admin, unit=999999)
    _refused(_create, 404, "not_found", "area", by=world.admin, area="999999")


def test_a_street_does_not_see_another_streets_subscriptions(world):
    mine, _ = _create(world.street, area="610302001")
    community, _ = _create(world.community, area="610302001001")
    theirs, _ = _create(world.other_street, area="610302002")
    district, _ = _create(world.district, area="610302")
    unit, _ = _create(world.handler_a)
    assert set(selectors.subscription_list(world.street)) == {mine, community}
    assert set(selectors.subscription_list(world.other_street)) == {theirs}
    assert set(selectors.subscription_list(world.district)) == {mine, community, theirs, district}
    assert set(selectors.subscription_list(world.handler_a)) == {unit}
    assert set(selectors.subscription_list(world.handler_b)) == set()
    assert set(selectors.subscription_list(world.admin)) == {mine, community, theirs, district, unit}
    for fn in (
        actions.subscription_disable,
        actions.subscription_rotate_secret,
        actions.subscription_delete,
    ):
        _refused(fn, 404, "not_found", by=world.street, subscription=theirs.pk)
        _refused(fn, 404, "not_found", by=world.street, subscription=district.pk)
        _refused(fn, 404, "not_found", by=world.handler_b, subscription=unit.pk)
    _refused(actions.subscription_update, 404, by=world.street, subscription=theirs.pk, name="x")
    _refused(actions.delivery_replay, 404, by=world.street, subscription=theirs.pk, delivery=1)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://localhost:8000/",
        "http://10.1.2.3/",
        "http://192.168.1.20/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "ftp://example.org/",
        "http://user:secret@93.184.215.14/",
        "not a url",
        "http://no-such-host.invalid/",
    ],
)
def test_destinations_that_must_not_be_reached_are_refused_at_save(world, url, settings):
    settings.OUTBOUND_ALLOW = []
    err = _refused(_create, 400, "refused_destination", "url", by=world.admin, area="610302", url=url)
    assert err.message


def test_an_allowed_network_may_be_subscribed(world, settings):
    settings.OUTBOUND_ALLOW = ["10.0.0.0/8"]
    sub, _ = _create(world.admin, area="610302", url="http://10.1.2.3:8080/in")
    assert sub.url == "http://10.1.2.3:8080/in"
    _refused(
        actions.subscription_update,
        400,
        "refused_destination",
        "url",
        by=world.admin,
        subscription=sub.pk,
        url="http://192.168.0.1/",
    )


def test_bad_input_is_refused_on_its_field(world):
    _refused(_create, 400, "required", "name", by=world.admin, area="610302", name=" ")
    _refused(_create, 400, "required", "url", by=world.admin, area="610302", url="")
    _refused(_create, 400, "required", "event_types", by=world.admin, area="610302", event_types=[])
    _refused(
        _create,
        400,
        "unknown_event_type",
        "event_types",
        by=world.admin,
        area="610302",
        event_types=["case.eaten"],
    )
    _refused(_create, 400, "too_long", "name", by=world.admin, area="610302", name="名" * 101)
    _refused(_create, 400, "too_long", "url", by=world.admin, area="610302", url=PUBLIC + "x" * 500)


def test_updates_keep_the_scope_and_are_audited(world):
    sub, _ = _create(world.street, area="610302001")
    sub = actions.subscription_update(
        by=world.street, subscription=sub.pk, name="新名称", event_types=["case.closed", "case.closed"]
    )
    assert sub.name == "新名称" and sub.event_types == ["case.closed"] and sub.area_code == "610302001"
    entry = AuditEntry.objects.get(verb="webhook.update", object_id=str(sub.pk))
    assert entry.before["name"] == "接收" and entry.after["name"] == "新名称"


def test_disable_twice_and_enable_twice_are_conflicts(world):
    sub, _ = _create(world.admin, area="610302")
    actions.subscription_disable(by=world.admin, subscription=sub.pk)
    _refused(actions.subscription_disable, 409, "already_disabled", by=world.admin, subscription=sub.pk)
    actions.subscription_enable(by=world.admin, subscription=sub.pk)
    _refused(actions.subscription_enable, 409, "already_enabled", by=world.admin, subscription=sub.pk)
