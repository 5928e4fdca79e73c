"""Recording, correcting and deleting visits: the happy path, every refusal, the audit record, the photo."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gridgov.core import uploads
from gridgov.core.errors import DomainError
from gridgov.core.models import AuditEntry
from gridgov.ledger.actions import resident_move_out, retire
from gridgov.testing import images
from gridgov.testing.factories import make_user
from gridgov.visits.actions import visit_delete, visit_record, visit_update
from gridgov.visits.models import Visit
from gridgov.visits.tests.conftest import T0, at, days_ago, record

PNG = images.PNG  # a real image: every upload is decoded


def upload(data: bytes = PNG, name: str = "door.png"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="image/png")


def test_worker_records_a_visit_with_colleague_and_photo(world, settings):
    visit = record(
        world,
        world.h1,
        T0 - timedelta(hours=1),
        duration_minutes=35,
        kind="must",
        needs="想报名社区老年食堂",
        problems="楼道灯坏了两周",
        skills="会修收音机",
        visitors=[world.community.pk],
        photo=upload(),
    )
    visit.refresh_from_db()
    assert visit.area_code == world.h1.area_code
    assert visit.recorded_by == world.worker
    assert set(visit.visitors.all()) == {world.worker, world.community}
    photo = uploads.of(visit).get()
    assert photo.path.startswith("visits/") and (settings.MEDIA_ROOT / photo.path).is_file()
    entry = AuditEntry.objects.get(verb="visits.visit.record")
    assert entry.actor == world.worker and entry.object_id == str(visit.pk)
    assert entry.after["problems"] == "楼道灯坏了两周" and entry.after["kind"] == "must"


@pytest.mark.parametrize("who", ["resident", "handler"])
def test_only_staff_record_visits(world, who):
    with pytest.raises(DomainError) as exc:
        record(world, world.h1, days_ago(1), by=getattr(world, who))
    assert exc.value.status == 403


def test_household_out_of_scope_is_not_found(world):
    with pytest.raises(DomainError) as exc:
        record(world, world.h4, days_ago(1))  # grid 112: not the worker's grid
    assert exc.value.status == 404 and exc.value.field == "household"
    with pytest.raises(DomainError) as exc:
        record(world, world.h5, days_ago(1), by=world.community)  # other street
    assert exc.value.status == 404


def test_retired_household_is_refused(world):
    retire(by=world.admin, obj=world.h3, reason="房屋拆除")
    with pytest.raises(DomainError) as exc:
        record(world, world.h3, days_ago(1))
    assert exc.value.status == 409


def test_future_and_too_old_dates_are_refused(world):
    with pytest.raises(DomainError) as exc:
        record(world, world.h1, T0 + timedelta(hours=1))
    assert exc.value.field == "visited_at" and exc.value.code == "invalid_date"
    record(world, world.h1, T0 + timedelta(minutes=2))  # a phone's clock a little ahead is fine
    with pytest.raises(DomainError) as exc:
        record(world, world.h1, days_ago(91))
    assert exc.value.field == "visited_at"
    record(world, world.h1, at(days_ago(89)))


def test_empty_content_is_refused(world):
    with pytest.raises(DomainError) as exc:
        record(world, world.h1, days_ago(1), situation="  ", needs="", problems="", skills="")
    assert exc.value.code == "required" and exc.value.field == "situation"
    assert not Visit.objects.exists()


def test_bad_duration_kind_and_photo(world):
    for kw, field in (
        ({"duration_minutes": 0}, "duration_minutes"),
        ({"duration_minutes": "abc"}, "duration_minutes"),
        ({"kind": "party"}, "kind"),
        ({"photo": upload(b"GIF89a....", "x.gif")}, "photo[0]"),
        ({"situation": "长" * 2001}, "situation"),
    ):
        with pytest.raises(DomainError) as exc:
            record(world, world.h1, days_ago(1), **kw)
        assert exc.value.field == field, kw
    assert not Visit.objects.exists()


def test_visitor_out_of_scope_or_not_staff_is_refused(world):
    for visitor in (world.worker2, world.resident, world.handler, world.other_street, 999999):
        with pytest.raises(DomainError) as exc:
            record(world, world.h1, days_ago(1), visitors=[getattr(visitor, "pk", visitor)])
        assert exc.value.field == "visitors"
    # the district and the grid's community may go along
    visit = record(world, world.h1, days_ago(1), visitors=[world.district.pk, world.chief.pk])
    assert visit.visitors.count() == 3


def test_update_by_recorder_or_community_staff_is_audited(world):
    visit = record(world, world.h1, days_ago(2))
    visit_update(by=world.worker, visit=visit, problems="下水道堵塞", duration_minutes=40)
    visit.refresh_from_db()
    assert visit.problems == "下水道堵塞" and visit.duration_minutes == 40
    visit_update(by=world.community, visit=visit, kind="special")
    entry = AuditEntry.objects.filter(verb="visits.visit.update").latest("pk")
    assert entry.before["kind"] == "routine" and entry.after["kind"] == "special"
    assert entry.actor == world.community


def test_update_refusals(world):
    visit = record(world, world.h1, days_ago(2))
    colleague = make_user(world.admin, "worker1b", "grid_worker", world.tree["610302001001001"])
    with pytest.raises(DomainError) as exc:
        visit_update(by=colleague, visit=visit, problems="x" * 10)
    assert exc.value.status == 403
    with pytest.raises(DomainError) as exc:
        visit_update(by=world.worker2, visit=visit, problems="x" * 10)
    assert exc.value.status == 404
    with pytest.raises(DomainError) as exc:
        visit_update(by=world.worker, visit=visit, situation="", needs="", problems="", skills="")
    assert exc.value.field == "situation"
    with pytest.raises(DomainError) as exc:
        visit_update(by=world.worker, visit=visit, household=world.h2)
    assert exc.value.field == "household"


def test_delete_by_recorder_within_a_day_or_admin(world, clock):
    visit = record(world, world.h1, days_ago(1))
    with pytest.raises(DomainError) as exc:
        visit_delete(by=world.worker, visit=visit, reason="")
    assert exc.value.field == "reason"
    with pytest.raises(DomainError) as exc:
        visit_delete(by=world.community, visit=visit, reason="录错了")
    assert exc.value.status == 403
    visit_delete(by=world.worker, visit=visit, reason="录错了户")
    assert not Visit.objects.exists()
    entry = AuditEntry.objects.get(verb="visits.visit.delete")
    assert entry.reason == "录错了户" and entry.before["household"] == world.h1.pk

    late = record(world, world.h1, days_ago(1))
    clock.shift(timedelta(hours=25))
    with pytest.raises(DomainError) as exc:
        visit_delete(by=world.worker, visit=late, reason="录错了")
    assert exc.value.status == 403
    visit_delete(by=world.admin, visit=late, reason="管理员清理")


def test_visit_of_household_whose_member_moved_out_still_records(world):
    head = world.h2.head
    resident_move_out(by=world.admin, resident=head, reason="去世")
    visit = visit_record(
        by=world.worker, household=world.h2, visited_at=at(days_ago(0)), problems="户主去世，需更新台账"
    )
    assert visit.pk  # the household stays visitable
