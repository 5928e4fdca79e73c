"""One ballot per person whatever the channel and the timing: real threads, real transactions."""

from __future__ import annotations

import pytest

from gridgov.core.errors import Conflict
from gridgov.deliberation import actions
from gridgov.deliberation.models import Ballot, Support
from gridgov.testing.concurrency import race

from .conftest import make_deliberation, meeting_with, on_agenda

pytestmark = pytest.mark.django_db(transaction=True)


def _outcome(call):
    try:
        call()
        return "ok"
    except Conflict as exc:
        return exc.code


def test_the_same_ballot_from_a_phone_and_a_paper_entry_counts_once(settings):
    settings.DELIBERATION_SUPPORT = {"microgrid": 2, "grid": 3, "community": 5, "street": 10}
    dw = make_deliberation()
    topic = on_agenda(dw)
    meeting, places = meeting_with(dw, [topic], roster=3)
    actions.meeting_open(by=dw.community, ref=meeting.ref)
    actions.sign_in(by=dw.residents[0], ref=meeting.ref)
    item = meeting.agenda.get()
    results = race(
        lambda: _outcome(
            lambda: actions.vote(by=dw.residents[0], ref=meeting.ref, item=item.pk, choice="yes")
        ),
        lambda: _outcome(
            lambda: actions.vote(
                by=dw.community, ref=meeting.ref, item=item.pk, choice="no", participant=places[0].pk
            )
        ),
    )
    assert sorted(results) == ["already_voted", "ok"]
    assert Ballot.objects.filter(item=item).count() == 1


def test_simultaneous_supports_count_each_person_once(settings):
    settings.DELIBERATION_SUPPORT = {"microgrid": 50, "grid": 50, "community": 50, "street": 50}
    dw = make_deliberation()
    topic = actions.topic_propose(
        by=dw.residents[0], title="议题", description="说明", area="610302001001001"
    )
    results = race(
        *[
            lambda r=r: _outcome(lambda: actions.topic_support(by=r, ref=topic.ref))
            for r in dw.residents[1:4] * 2
        ]
    )
    assert sorted(results).count("ok") == 3
    topic.refresh_from_db()
    assert topic.supporters == 3 == Support.objects.filter(topic=topic).count()


def test_an_online_vote_and_a_paper_entry_of_the_same_person_count_once(settings):
    settings.DELIBERATION_SUPPORT = {"microgrid": 2, "grid": 3, "community": 5, "street": 10}
    dw = make_deliberation()
    topic = on_agenda(dw)
    poll = actions.poll_open(
        by=dw.community, ref=topic.ref, question="是否加装电梯", area=topic.area_code,
        closes_at="2099-01-01T00:00:00+08:00",
    )  # fmt: skip
    number = dw.party[0].id_number
    results = race(
        lambda: _outcome(
            lambda: actions.poll_vote(by=dw.residents[0], poll=poll.pk, id_number=number, choice="yes")
        ),
        lambda: _outcome(
            lambda: actions.poll_vote(by=dw.community, poll=poll.pk, id_number=number, choice="no")
        ),
    )
    assert sorted(results) == ["already_voted", "ok"]
    assert poll.votes.count() == 1
