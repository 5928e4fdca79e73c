"""The chain of responsibility (五级包联): every household's named contact, coverage per grid, and the hand-over when a member leaves —
the ledger's move-out of a member triggers it in the same transaction."""

from __future__ import annotations

import pytest

from gridgov.core.errors import DomainError, NotFound
from gridgov.ledger.actions import resident_move_out
from gridgov.ledger.sections import household_contacts
from gridgov.notify.models import Notification
from gridgov.party import actions, selectors
from gridgov.party.models import Contact

from .conftest import GRID, GRID2


@pytest.fixture
def members(world, orgs):
    return [
        actions.member_create(by=world.community, org=orgs.group.pk, status="full", resident=r.pk)
        for r in world.party
    ]


def _coverage(user, grid=GRID):
    return next(c for c in selectors.coverage(user) if c.area.code == grid)


def test_coverage_counts_households_with_a_member_or_a_worker(world, members):
    assert (_coverage(world.community).households, _coverage(world.community).covered) == (4, 0)
    hh = [h.pk for h in world.households]
    assert actions.contacts_assign(by=world.worker, households=hh[:3], member=members[0].pk) == 3
    actions.contacts_assign(by=world.community, households=hh[3:], worker=world.worker.pk)
    row = _coverage(world.community)
    assert (row.by_member, row.by_worker, row.uncovered, row.percent) == (3, 1, 0, 100)
    assert _coverage(world.community, GRID2).households == 0
    assert selectors.coverage(world.other_community) and all(
        c.households == 0 for c in selectors.coverage(world.other_community)
    )
    assert list(selectors.uncovered_households(world.community, grid=GRID)) == []
    actions.contacts_clear(by=world.community, households=hh[:1])
    assert list(selectors.uncovered_households(world.community, grid=GRID)) == [world.households[0]]


def test_contacts_show_on_the_worklist_and_the_household_chain(world, orgs, members):
    actions.org_update(by=world.community, org_id=orgs.branch.pk, liaison=world.street.pk)
    actions.contacts_assign(by=world.community, households=[world.households[0].pk], member=members[1].pk)
    labels = household_contacts(world.worker, [h.pk for h in world.households])
    assert labels == {world.households[0].pk: f"{members[1].display_name}（党员）"}
    assert household_contacts(world.resident, [world.households[0].pk]) == {}
    chain = selectors.chain_of(world.households[0])
    names = [name for _role, name in chain.links]
    assert names == [
        f"{members[1].display_name}（党员）",
        "1号楼党小组",
        "第1网格党支部",
        str(world.street),
        "社区党委",
    ]


def test_assigning_is_checked(world, members, orgs):
    hh = [world.households[0].pk]
    with pytest.raises(DomainError) as exc:
        actions.contacts_assign(by=world.community, households=hh)
    assert exc.value.field == "member"
    with pytest.raises(DomainError) as exc:
        actions.contacts_assign(by=world.community, households=[], member=members[0].pk)
    assert exc.value.field == "households"
    with pytest.raises(NotFound):
        actions.contacts_assign(by=world.other_community, households=hh, member=members[0].pk)
    with pytest.raises(DomainError) as exc:
        actions.contacts_assign(by=world.community, households=hh, worker=world.resident.pk)
    assert exc.value.field == "worker"
    other_grid = actions.org_create(
        by=world.community, kind="branch", name="第2网格党支部", area=GRID2, parent=orgs.committee.pk
    )
    outsider = actions.member_create(
        by=world.community, org=other_grid.pk, status="full", resident=world.masses[0].pk
    )
    with pytest.raises(DomainError) as exc:  # a member of another grid's branch does not look after this grid
        actions.contacts_assign(by=world.community, households=hh, member=outsider.pk)
    assert exc.value.field == "households"
    assert not Contact.objects.exists()


def test_a_member_moving_out_hands_their_households_to_the_grid_worker(world, members):
    hh = [h.pk for h in world.households]
    actions.contacts_assign(by=world.community, households=hh[:2], member=members[0].pk)
    actions.contacts_assign(by=world.community, households=hh[2:], member=members[1].pk)
    resident_move_out(by=world.community, resident=world.party[0], reason="搬到外地")
    members[0].refresh_from_db()
    assert not members[0].is_active and members[0].left_reason == "moved_out"
    handed = Contact.objects.filter(household_id__in=hh[:2])
    assert {(c.member_id, c.worker_id) for c in handed} == {(None, world.worker.pk)}
    assert Contact.objects.filter(member=members[1]).count() == 2  # the other member's stay
    told = Notification.objects.get(user=world.community)
    assert "2" in told.title and members[0].display_name in told.title
    assert _coverage(world.community).covered == 4  # nobody lost their contact


def test_without_a_grid_worker_the_households_wait_for_a_new_contact(world, members):
    world.worker.is_active = False
    world.worker.save(update_fields=["is_active"])
    actions.contacts_assign(by=world.community, households=[world.households[0].pk], member=members[0].pk)
    actions.member_leave(by=world.community, member_id=members[0].pk, reason="deceased")
    assert not Contact.objects.exists()
    assert [h.pk for h in selectors.uncovered_households(world.community, grid=GRID)][:1] == [
        world.households[0].pk
    ]


def test_a_refused_hand_over_undoes_the_move_out(world, members, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("hand-over failed")

    monkeypatch.setattr(actions, "contacts_hand_over", broken)
    with pytest.raises(RuntimeError):
        resident_move_out(by=world.community, resident=world.party[0], reason="搬走")
    world.party[0].refresh_from_db()
    members[0].refresh_from_db()
    assert world.party[0].is_active and members[0].is_active
