"""Every transition of a service order and every refusal: wrong role (403), out of scope (404), wrong state
(409 naming the allowed actions), missing reason or field (400 naming the field); the timeline and audit
rows each step leaves; who is notified."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gridgov.core import uploads
from gridgov.core.errors import DomainError
from gridgov.core.models import AuditEntry, TimelineEvent
from gridgov.notify.models import Notification
from gridgov.orders import actions
from gridgov.orders.models import Order, ServiceSlot
from gridgov.orders.workflow import MACHINE, allowed_actions
from gridgov.projects.models import Need
from gridgov.testing import images

from .conftest import COMMUNITY, GRID, STREET, WEDNESDAY, at, order_consult, order_fix


def refused(fn, **kw) -> DomainError:
    with pytest.raises(DomainError) as info:
        fn(**kw)
    return info.value


def steps(order: Order) -> list[tuple[str, str, str]]:
    return list(
        TimelineEvent.objects.filter(subject="orders.order", subject_id=order.pk).values_list(
            "action", "from_state", "to_state"
        )
    )


def inbox(user, kind: str | None = None) -> list[str]:
    qs = Notification.objects.filter(user=user)
    if kind:
        qs = qs.filter(kind=kind)
    return list(qs.values_list("title", flat=True))


def test_the_whole_loop_order_dispatch_accept_deliver_rate(world, clock):
    order = order_consult(world)
    assert order.ref.startswith("FW-20261123-") and order.ref.endswith("000001")
    assert order.state == "ordered" and order.area_code == GRID
    assert order.slot.taken == 1 and order.contact_name == "resident"
    assert order.masked_phone == "139****0000"
    assert any("请派单" in t for t in inbox(world.community, "order"))
    assert allowed_actions(world.resident, order) == ["cancel"]
    assert allowed_actions(world.community, order) == ["dispatch", "unservable"]

    order = actions.order_dispatch(by=world.community, ref=order.ref, provider_unit_id=world.lawyers.pk)
    assert order.state == "dispatched" and order.provider_unit == world.lawyers
    assert order.accept_due is not None and order.accept_warn_at <= order.accept_due
    assert inbox(world.lawyer, "order") and inbox(world.lawyer2, "order") and not inbox(world.firm)
    assert allowed_actions(world.lawyer, order) == ["accept", "decline"]

    clock.shift(timedelta(hours=1))
    order = actions.order_accept(by=world.lawyer, ref=order.ref)
    assert order.state == "accepted"
    # A booked session's end is the delivery deadline; the reminder comes when it starts.
    assert order.deliver_due == at(WEDNESDAY, 17, 30) and order.deliver_warn_at == at(WEDNESDAY, 14)
    assert any("已接单" in t for t in inbox(world.resident, "order"))

    clock.move_to(at(WEDNESDAY, 16))
    order = actions.order_deliver(by=world.lawyer2, ref=order.ref, notes="解答了租赁合同解除的条件和押金退还")
    assert order.state == "delivered" and order.delivered_on_time is True
    assert any("请评价" in t for t in inbox(world.resident, "order"))
    assert allowed_actions(world.resident, order) == ["rate"]

    order = actions.order_rate(by=world.resident, ref=order.ref, rating="satisfied", comment="律师很耐心")
    assert order.state == "closed" and order.rating == "satisfied" and order.closed_at == order.rated_at
    assert steps(order) == [
        ("order", "", "ordered"),
        ("dispatch", "ordered", "dispatched"),
        ("accept", "dispatched", "accepted"),
        ("deliver", "accepted", "delivered"),
        ("rate", "delivered", "closed"),
    ]
    verbs = list(AuditEntry.objects.filter(object_id=order.ref).order_by("id").values_list("verb", flat=True))
    assert verbs == ["order.order", "order.dispatch", "order.accept", "order.deliver", "order.rate"]


def test_dispatch_needs_one_of_the_items_providers(world):
    order = order_consult(world)
    err = refused(actions.order_dispatch, by=world.community, ref=order.ref, provider_unit_id=None)
    assert (err.status, err.code, err.field) == (400, "required", "provider_unit")
    err = refused(
        actions.order_dispatch, by=world.community, ref=order.ref, provider_unit_id=world.repair_co.pk
    )
    assert (err.status, err.field) == (400, "provider_unit")
    assert Order.objects.get(pk=order.pk).state == "ordered"


def test_who_may_dispatch(world):
    order = order_consult(world)
    # The resident, a provider (not yet its provider: cannot even see it) and staff elsewhere.
    assert refused(actions.order_dispatch, by=world.resident, ref=order.ref, provider_unit_id=1).status == 403
    assert refused(actions.order_dispatch, by=world.lawyer, ref=order.ref, provider_unit_id=1).status == 404
    assert (
        refused(actions.order_dispatch, by=world.neighbour, ref=order.ref, provider_unit_id=1).status == 404
    )
    assert (
        refused(actions.order_dispatch, by=world.other_street, ref=order.ref, provider_unit_id=1).status
        == 404
    )
    # The street above the community may dispatch too.
    actions.order_dispatch(by=world.street, ref=order.ref, provider_unit_id=world.law_firm.pk)


def test_an_order_without_a_grid_belongs_to_the_items_area(world):
    order = order_consult(world, grid=None)
    assert order.area_code == STREET
    assert (
        refused(actions.order_dispatch, by=world.community, ref=order.ref, provider_unit_id=1).status == 404
    )
    actions.order_dispatch(by=world.street, ref=order.ref, provider_unit_id=world.lawyers.pk)


def test_wrong_state_is_409_with_the_allowed_actions(world):
    order = order_fix(world)
    err = refused(actions.order_accept, by=world.repairer, ref=order.ref)
    assert err.status == 404  # not dispatched to it yet: it cannot see the order
    actions.order_dispatch(by=world.community, ref=order.ref, provider_unit_id=world.repair_co.pk)
    err = refused(actions.order_deliver, by=world.repairer, ref=order.ref, notes="修好了")
    assert (err.status, err.code) == (409, "wrong_state")
    assert err.extra["allowed_actions"] == ["accept", "decline", "cancel"]
    err = refused(
        actions.order_dispatch, by=world.community, ref=order.ref, provider_unit_id=world.repair_co.pk
    )
    assert err.status == 409 and err.extra["state"] == "dispatched"


def test_only_the_provider_accepts(world):
    order = order_consult(world)
    actions.order_dispatch(by=world.community, ref=order.ref, provider_unit_id=world.lawyers.pk)
    assert refused(actions.order_accept, by=world.firm, ref=order.ref).status == 404
    assert refused(actions.order_accept, by=world.stranger, ref=order.ref).status == 404
    assert refused(actions.order_accept, by=world.community, ref=order.ref).status == 403
    assert refused(actions.order_accept, by=world.resident, ref=order.ref).status == 403


def test_decline_requires_a_reason_and_goes_back_for_redispatch(world):
    order = order_consult(world)
    actions.order_dispatch(by=world.community, ref=order.ref, provider_unit_id=world.lawyers.pk)
    err = refused(actions.order_decline, by=world.lawyer, ref=order.ref, reason="  ")
    assert (err.status, err.code, err.field) == (400, "required", "reason")
    order = actions.order_decline(by=world.lawyer, ref=order.ref, reason="当天值班律师临时出庭")
    assert order.state == "ordered" and order.provider_unit is None and order.decline_count == 1
    assert order.accept_due is None and order.slot.taken == 1  # the booked place is kept
    assert any("拒单" in t for t in inbox(world.community, "declined"))
    assert inbox(world.resident, "declined")
    # The unit that declined no longer sees the order; another provider can be chosen.
    assert refused(actions.order_accept, by=world.lawyer, ref=order.ref).status == 404
    actions.order_dispatch(by=world.community, ref=order.ref, provider_unit_id=world.law_firm.pk)
    actions.order_accept(by=world.firm, ref=order.ref)
    event = TimelineEvent.objects.get(subject_id=order.pk, action="decline")
    assert event.note == "当天值班律师临时出庭" and event.data == {"provider": "宝鸡市律师协会"}


def test_a_provider_may_decline_after_accepting(world):
    order = order_fix(world)
    actions.order_dispatch(by=world.community, ref=order.ref, provider_unit_id=world.repair_co.pk)
    actions.order_accept(by=world.repairer, ref=order.ref)
    order = actions.order_decline(by=world.repairer, ref=order.ref, reason="缺少配件")
    assert order.state == "ordered" and order.deliver_due is None and order.accepted_at is None


def test_deliver_requires_notes_and_keeps_evidence(world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    order = order_fix(world)
    actions.order_dispatch(by=world.community, ref=order.ref, provider_unit_id=world.repair_co.pk)
    actions.order_accept(by=world.repairer, ref=order.ref)
    err = refused(actions.order_deliver, by=world.repairer, ref=order.ref, notes="")
    assert (err.status, err.field) == (400, "notes")
    bad = SimpleUploadedFile("a.txt", b"not an image at all", content_type="text/plain")
    err = refused(actions.order_deliver, by=world.repairer, ref=order.ref, notes="修好了", evidence=[bad])
    assert (err.code, err.field) == ("not_an_image", "evidence[0]")
    png = SimpleUploadedFile("done.png", images.PNG, content_type="image/png")
    order = actions.order_deliver(by=world.repairer, ref=order.ref, notes="更换了排水泵", evidence=[png])
    assert order.state == "delivered" and uploads.of(order).count() == 1
    assert uploads.of(order).get().path.startswith("orders/")


def test_late_delivery_is_not_on_time(world, clock):
    order = order_fix(world)
    actions.order_dispatch(by=world.community, ref=order.ref, provider_unit_id=world.repair_co.pk)
    actions.order_accept(by=world.repairer, ref=order.ref)
    clock.shift(timedelta(days=10))
    order = actions.order_deliver(by=world.repairer, ref=order.ref, notes="修好了")
    assert order.delivered_on_time is False


def _delivered(world):
    order = order_fix(world)
    actions.order_dispatch(by=world.community, ref=order.ref, provider_unit_id=world.repair_co.pk)
    actions.order_accept(by=world.repairer, ref=order.ref)
    return actions.order_deliver(by=world.repairer, ref=order.ref, notes="修好了")


def test_rate_refusals(world):
    order = _delivered(world)
    assert refused(actions.order_rate, by=world.resident2, ref=order.ref, rating="satisfied").status == 404
    assert refused(actions.order_rate, by=world.community, ref=order.ref, rating="satisfied").status == 403
    err = refused(actions.order_rate, by=world.resident, ref=order.ref, rating="")
    assert (err.status, err.field) == (400, "rating")
    err = refused(actions.order_rate, by=world.resident, ref=order.ref, rating="great")
    assert (err.status, err.field) == (400, "rating")
    actions.order_rate(by=world.resident, ref=order.ref, rating="unsatisfied", comment="来晚了")
    assert any("不满意" in t for t in inbox(world.community))
    err = refused(actions.order_rate, by=world.resident, ref=order.ref, rating="satisfied")
    assert (err.status, err.code) == (409, "wrong_state")


def test_centre_closes_an_unrated_order_only_after_the_rating_period(world, clock):
    order = _delivered(world)
    err = refused(actions.order_close, by=world.community, ref=order.ref)
    assert (err.status, err.code) == (409, "not_allowed_now")
    clock.shift(timedelta(days=7, minutes=1))
    assert refused(actions.order_close, by=world.resident, ref=order.ref).status == 403
    assert refused(actions.order_close, by=world.repairer, ref=order.ref).status == 403
    order = actions.order_close(by=world.community, ref=order.ref, note="居民七天未评价")
    assert order.state == "closed" and order.rating == "" and order.closed_at is not None
    assert steps(order)[-1] == ("close", "delivered", "closed")


def test_cancel_gives_the_place_back(world):
    order = order_consult(world)
    other = order_consult(world, by=world.resident2)
    assert ServiceSlot.objects.get().taken == 2
    assert refused(actions.order_cancel, by=world.resident2, ref=order.ref).status == 404
    assert refused(actions.order_cancel, by=world.community, ref=order.ref).status == 403
    actions.order_cancel(by=world.resident, ref=order.ref)  # no reason needed
    assert ServiceSlot.objects.get().taken == 1
    actions.order_dispatch(by=world.community, ref=other.ref, provider_unit_id=world.lawyers.pk)
    other = actions.order_cancel(by=world.resident2, ref=other.ref, reason="已自行解决")
    assert other.state == "cancelled" and ServiceSlot.objects.get().taken == 0
    assert any("取消" in t for t in inbox(world.lawyer))


def test_cannot_cancel_once_accepted(world):
    order = order_fix(world)
    actions.order_dispatch(by=world.community, ref=order.ref, provider_unit_id=world.repair_co.pk)
    actions.order_accept(by=world.repairer, ref=order.ref)
    err = refused(actions.order_cancel, by=world.resident, ref=order.ref)
    assert err.status == 409 and "cancel" not in err.extra["allowed_actions"]


def test_unservable_needs_a_reason_releases_the_place_and_records_a_need(world):
    order = order_consult(world)
    err = refused(actions.order_unservable, by=world.community, ref=order.ref, reason="")
    assert (err.status, err.field) == (400, "reason")
    assert refused(actions.order_unservable, by=world.resident, ref=order.ref, reason="x").status == 403
    order = actions.order_unservable(by=world.community, ref=order.ref, reason="律师协会本月名额已满")
    assert order.state == "unserved" and order.slot.taken == 0
    need = Need.objects.get(source="order", source_id=order.pk)
    assert need.category.code == "legal" and need.area_code == GRID
    assert "律师坐班法律咨询" in need.title
    assert steps(order)[-1] == ("unservable", "ordered", "unserved")
    err = refused(
        actions.order_dispatch, by=world.community, ref=order.ref, provider_unit_id=world.lawyers.pk
    )
    assert err.status == 409 and err.extra["allowed_actions"] == []


def test_the_state_table_documents_every_action():
    rows = MACHINE.table({})
    assert [r[0] for r in rows] == [
        "dispatch",
        "accept",
        "decline",
        "deliver",
        "rate",
        "cancel",
        "close",
        "unservable",
    ]


def test_community_staff_are_the_community_of_a_grid_order(world):
    order = order_consult(world)
    assert actions.dispatch_area_code(order) == COMMUNITY
