"""Members are people of the ledger (or unit employees): membership is the one source of a resident's
political status; the ledger shows it, derived, and refuses to change it by hand."""

from __future__ import annotations

import pytest

from gridgov.core.errors import Conflict, DomainError, NotFound
from gridgov.ledger.actions import resident_update
from gridgov.ledger.models import Resident
from gridgov.party import actions, selectors
from gridgov.party.models import Member


def test_registering_a_resident_makes_the_ledger_status_derived(world, orgs):
    resident = world.masses[0]
    assert resident.political_status == "masses"
    member = actions.member_create(
        by=world.community, org=orgs.group.pk, status="probationary", resident=resident.pk
    )
    resident.refresh_from_db()
    assert resident.political_status == "probationary" and resident.political_status_by_party
    assert member.display_name == resident.name and member.name == ""  # the name is the ledger's, not copied
    with pytest.raises(Conflict) as exc:
        resident_update(by=world.community, resident=resident, political_status="masses")
    assert exc.value.field == "political_status"
    resident_update(by=world.community, resident=resident, workplace="姜谭路小学")  # other fields still edit
    actions.member_update(by=world.community, member_id=member.pk, status="full")  # 转正
    resident.refresh_from_db()
    assert resident.political_status == "party_member"


def test_leaving_releases_the_status_and_a_resident_is_registered_once(world, orgs):
    resident = world.party[0]
    member = actions.member_create(by=world.community, org=orgs.group.pk, status="full", resident=resident.pk)
    with pytest.raises(Conflict):
        actions.member_create(by=world.community, org=orgs.group.pk, status="full", resident=resident.pk)
    actions.member_leave(by=world.community, member_id=member.pk, reason="transfer", note="转往市直机关")
    resident.refresh_from_db()
    assert not resident.political_status_by_party and resident.political_status == "party_member"
    resident_update(by=world.community, resident=resident, political_status="masses")
    with pytest.raises(Conflict):
        actions.member_leave(by=world.community, member_id=member.pk, reason="other")


def test_waiting_list_is_the_ledgers_party_members_not_yet_registered(world, orgs):
    waiting = set(selectors.unregistered_party_residents(world.community))
    assert waiting == set(world.party)
    actions.member_create(by=world.community, org=orgs.group.pk, status="full", resident=world.party[0].pk)
    assert set(selectors.unregistered_party_residents(world.community)) == set(world.party[1:])
    assert list(selectors.unregistered_party_residents(world.other_community)) == []


def test_a_unit_employee_is_a_name_and_a_unit(world, orgs):
    with pytest.raises(DomainError) as exc:
        actions.member_create(by=world.community, org=orgs.committee.pk, status="full", name="王立军")
    assert exc.value.field == "unit"
    with pytest.raises(DomainError) as exc:
        actions.member_create(by=world.community, org=orgs.committee.pk, status="full")
    assert exc.value.field == "name"
    member = actions.member_create(
        by=world.community, org=orgs.committee.pk, status="full", name="王立军", unit=world.partner.pk
    )
    assert member.is_in_work and member.resident is None and member.display_name == "王立军"


def test_bad_choices_name_their_field(world, orgs):
    for kw, field in (
        ({"status": "member"}, "status"),
        ({"office": "boss"}, "office"),
        ({"joined_on": "昨天"}, "joined_on"),
    ):
        args = {"status": "full", **kw}
        with pytest.raises(DomainError) as exc:
            actions.member_create(by=world.community, org=orgs.group.pk, resident=world.party[1].pk, **args)
        assert exc.value.field == field
    assert not Member.objects.exists()


def test_the_ledger_import_does_not_overwrite_a_derived_status(world, orgs, settings, tmp_path):
    settings.LEDGER_JOBS_INLINE = True
    settings.MEDIA_ROOT = tmp_path
    from gridgov.ledger.imports import ledger_import_create
    from gridgov.ledger.tests.test_import import xlsx

    resident = world.masses[0]
    actions.member_create(by=world.community, org=orgs.group.pk, status="full", resident=resident.pk)
    household = resident.household
    row = {
        "name": resident.name,
        "id_number": resident.id_number,
        "building": household.building.code,
        "unit": household.unit,
        "room": household.room,
        "relation": "配偶",
        "political_status": "群众",
        "workplace": "新单位",
    }
    job = ledger_import_create(by=world.community, kind="residents", area=world.tree["610302001001"].code,
                               file=xlsx("residents", [row]), mode="valid_rows")  # fmt: skip
    job.refresh_from_db()
    resident.refresh_from_db()
    assert job.state == "done", job.errors
    assert resident.workplace == "新单位" and resident.political_status == "party_member"


def test_members_are_read_in_scope(world, orgs):
    member = actions.member_create(
        by=world.community, org=orgs.group.pk, status="full", resident=world.party[0].pk
    )
    assert list(selectors.members_visible(world.worker)) == [member]
    assert list(selectors.members_visible(world.other_community)) == []
    with pytest.raises(NotFound):
        selectors.member_get(world.other_community, member.pk)
    with pytest.raises(NotFound):
        actions.member_update(by=world.other_community, member_id=member.pk, status="full")
    assert Resident.objects.get(pk=world.party[0].pk).political_status_by_party
