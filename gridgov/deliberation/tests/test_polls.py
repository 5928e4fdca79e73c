"""Resident-wide votes: one vote per person (or per household), matched on the ledger by the keyed hash of
the ID number, online or from paper, never twice — under concurrency too; the result computed over the
ledger's entitled count; the record exported and the sign-in sheet printed."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from gridgov.core.errors import Conflict, DomainError
from gridgov.deliberation import actions
from gridgov.deliberation.models import Decision, PollVote
from gridgov.notify.models import Notification
from gridgov.testing.factories import PASSWORD

from .conftest import GRID, meeting_with, on_agenda


@pytest.fixture
def poll(dw):
    topic = on_agenda(dw)
    return actions.poll_open(
        by=dw.community,
        ref=topic.ref,
        question="是否加装电梯",
        area=GRID,
        closes_at="2026-11-30T18:00:00+08:00",
    )


def test_one_vote_per_person_whatever_the_channel(dw, poll):
    assert poll.entitled == 8  # the ledger's active residents of the grid
    head = dw.party[0]
    vote = actions.poll_vote(by=dw.residents[0], poll=poll.pk, id_number=head.id_number, choice="yes")
    assert vote.channel == "online" and vote.voter == f"r{head.pk}"
    assert head.id_number not in str(PollVote.objects.values_list())  # the number is not kept
    with pytest.raises(Conflict) as exc:  # the same person on paper, entered by the convener
        actions.poll_vote(by=dw.community, poll=poll.pk, id_number=head.id_number, choice="no")
    assert exc.value.code == "already_voted"
    paper = actions.poll_vote(by=dw.community, poll=poll.pk, id_number=dw.masses[0].id_number, choice="no")
    assert paper.channel == "paper"
    with pytest.raises(DomainError) as exc:
        actions.poll_vote(by=dw.residents[0], poll=poll.pk, id_number="110101199001011234", choice="yes")
    assert exc.value.field == "id_number"


def test_one_vote_per_household_where_the_rule_says_so(dw):
    topic = on_agenda(dw)
    poll = actions.poll_open(
        by=dw.community, ref=topic.ref, question="是否改造", area=GRID, per="household",
        closes_at="2026-11-30T18:00:00+08:00",
    )  # fmt: skip
    assert poll.entitled == 4
    household = dw.households[0]
    head, spouse = household.members.order_by("id")[:2]
    actions.poll_vote(by=dw.residents[0], poll=poll.pk, id_number=head.id_number, choice="yes")
    with pytest.raises(Conflict) as exc:
        actions.poll_vote(by=dw.residents[1], poll=poll.pk, id_number=spouse.id_number, choice="no")
    assert "户" in exc.value.message


def test_closing_computes_the_result_over_the_entitled(dw, poll, clock):
    voters = dw.party + dw.masses[:2]  # 5 of 8
    for person in voters:
        actions.poll_vote(by=dw.community, poll=poll.pk, id_number=person.id_number, choice="yes")
    with pytest.raises(DomainError) as exc:
        actions.poll_close(by=dw.community, poll=poll.pk)
    assert exc.value.field == "text"
    closed = actions.poll_close(by=dw.community, poll=poll.pk, text="加装电梯")
    assert closed.result == "passed" and Decision.objects.get().poll == closed
    with pytest.raises(Conflict):
        actions.poll_vote(by=dw.community, poll=poll.pk, id_number=dw.masses[3].id_number, choice="no")
    assert Notification.objects.filter(user=dw.residents[0]).exists()  # the proposer is told


def test_a_late_vote_is_refused(dw, poll, clock):
    clock.shift(timedelta(days=10))
    with pytest.raises(Conflict) as exc:
        actions.poll_vote(by=dw.community, poll=poll.pk, id_number=dw.party[0].id_number, choice="yes")
    assert exc.value.code == "poll_closed"


def test_invitations_record_and_sign_in_sheet(client, dw):
    topic = on_agenda(dw)
    meeting, places = meeting_with(dw, [topic], roster=3)
    assert Notification.objects.filter(user=dw.residents[0], title__contains=meeting.title).count() == 1
    actions.meeting_open(by=dw.community, ref=meeting.ref)
    for p in places:
        actions.sign_in(by=dw.community, ref=meeting.ref, participant=p.pk)
    item = meeting.agenda.get()
    actions.vote(by=dw.community, ref=meeting.ref, item=item.pk, choice="yes", participant=places[0].pk)
    actions.vote(by=dw.community, ref=meeting.ref, item=item.pk, choice="yes", participant=places[1].pk)
    actions.decide(by=dw.community, ref=meeting.ref, item=item.pk, text='=HYPERLINK("x")')
    client.login(username="community", password=PASSWORD)
    response = client.get(f"/deliberation/meetings/{meeting.ref}/record.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert book.sheetnames == ["会议", "签到", "表决", "投票明细"]
    assert [row[3] for row in book["表决"].iter_rows(min_row=2, values_only=True)] == [2]
    assert len(list(book["投票明细"].iter_rows(min_row=2))) == 2
    sheet = client.get(f"/deliberation/meetings/{meeting.ref}/sheet/").content.decode()
    assert all(p.name in sheet for p in places)
    client.login(username="r05", password=PASSWORD)
    assert client.get(f"/deliberation/meetings/{meeting.ref}/record.xlsx").status_code == 404


def test_topic_photos_and_meeting_attachments_follow_their_owner(client, dw, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from gridgov.core.models import Upload
    from gridgov.testing import images

    settings.MEDIA_ROOT = tmp_path / "media"

    def png():
        return SimpleUploadedFile("p.png", images.PNG, content_type="image/png")

    topic = actions.topic_propose(
        by=dw.residents[0], title="井盖松动", description="北门井盖松动", area=GRID, photos=[png()]
    )
    photo = Upload.objects.get(owner="deliberation.topic")
    meeting, places = meeting_with(dw, [actions.topic_place(by=dw.community, ref=topic.ref)], roster=2)
    actions.meeting_open(by=dw.community, ref=meeting.ref)
    actions.meeting_close(by=dw.community, ref=meeting.ref, minutes="改期再议", attachments=[png()])
    attachment = Upload.objects.get(owner="deliberation.meeting")
    client.login(username="r09", password=PASSWORD)  # signed in, not on the roster
    assert client.get(f"/files/{photo.pk}/thumb/").status_code == 200
    assert client.get(f"/files/{attachment.pk}/").status_code == 404
    client.login(username="r01", password=PASSWORD)  # on the roster
    assert client.get(f"/files/{attachment.pk}/").status_code == 200
    with pytest.raises(DomainError) as exc:
        actions.topic_propose(
            by=dw.residents[0], title="x", description="y", area=GRID,
            photos=[SimpleUploadedFile("x.png", b"not an image", content_type="image/png")],
        )  # fmt: skip
    assert exc.value.field.startswith("photos")
