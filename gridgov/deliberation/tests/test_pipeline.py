"""The pipeline (提 → 议 → 定 → 示 → 办 → 评) through the actions: support thresholds, quorum, votes, the computed result,
the notice period with objections, the decision carried out as a project, residents' ratings."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gridgov.core.errors import Conflict, DomainError, NotFound
from gridgov.core.timeline import TimelineEvent
from gridgov.deliberation import actions
from gridgov.deliberation.models import AgendaItem, Decision, Topic

from .conftest import GRID, meeting_with, on_agenda


def test_support_reaching_the_threshold_puts_a_topic_on_the_agenda(dw):
    topic = actions.topic_propose(
        by=dw.residents[0], title="楼道堆物清理", description="消防通道被占", area=GRID
    )
    assert (topic.source, topic.threshold, topic.state) == ("resident", 3, "proposed")
    with pytest.raises(Conflict):
        actions.topic_support(by=dw.residents[0], ref=topic.ref)  # not one's own
    actions.topic_support(by=dw.residents[1], ref=topic.ref)
    with pytest.raises(Conflict) as exc:
        actions.topic_support(by=dw.residents[1], ref=topic.ref)
    assert exc.value.code == "already_supported"
    actions.topic_support(by=dw.residents[2], ref=topic.ref)
    assert Topic.objects.get(pk=topic.pk).state == "proposed"
    topic = actions.topic_support(by=dw.residents[3], ref=topic.ref)
    assert (topic.state, topic.supporters) == ("agenda", 3)
    with pytest.raises(Conflict):
        actions.topic_support(by=dw.residents[4], ref=topic.ref)
    steps = list(
        TimelineEvent.objects.filter(subject="deliberation.topic", subject_id=topic.pk).values_list(
            "action", flat=True
        )
    )
    assert steps == ["propose", "reach"]


def test_who_may_propose_and_place(dw):
    with pytest.raises(DomainError) as exc:
        actions.topic_propose(by=dw.community, title="x", description="y", area="610302002001")
    assert exc.value.status == 404  # staff: only in scope
    with pytest.raises(DomainError) as exc:
        actions.topic_propose(by=dw.residents[0], title="", description="y", area=GRID)
    assert exc.value.field == "title"
    staff_topic = actions.topic_propose(
        by=dw.community, title="垃圾分类点位调整", description="说明", area=GRID
    )
    assert staff_topic.source == "staff"
    with pytest.raises(DomainError) as exc:
        actions.topic_place(by=dw.residents[0], ref=staff_topic.ref)
    assert exc.value.status == 403
    assert actions.topic_place(by=dw.community, ref=staff_topic.ref).state == "agenda"
    mine = actions.topic_propose(by=dw.residents[5], title="增设晾衣架", description="说明", area=GRID)
    with pytest.raises(DomainError) as exc:
        actions.topic_withdraw(by=dw.residents[5], ref=mine.ref, reason="")
    assert exc.value.field == "reason"
    assert actions.topic_withdraw(by=dw.residents[5], ref=mine.ref, reason="已自行解决").state == "withdrawn"


def test_a_meeting_without_quorum_cannot_decide_and_writes_nothing(dw):
    topic = on_agenda(dw)
    meeting, places = meeting_with(dw, [topic], roster=10)
    actions.meeting_open(by=dw.community, ref=meeting.ref)
    for p in places[:5]:  # 5 of 10: not more than half
        actions.sign_in(by=dw.community, ref=meeting.ref, participant=p.pk)
    item = meeting.agenda.get()
    with pytest.raises(Conflict) as exc:
        actions.decide(by=dw.community, ref=meeting.ref, item=item.pk, yes=5, no=0, abstain=0, text="同意")
    assert exc.value.code == "no_quorum" and "5" in exc.value.message
    item.refresh_from_db()
    topic.refresh_from_db()
    assert (item.result, topic.state) == ("pending", "agenda") and not Decision.objects.exists()


def test_ballots_decide_a_tie_fails_and_a_majority_passes(dw):
    tied = on_agenda(dw, "增设充电桩")
    second = actions.topic_propose(by=dw.community, title="小区绿化改造", description="说明", area=GRID)
    actions.topic_place(by=dw.community, ref=second.ref)
    meeting, places = meeting_with(dw, [tied, second], roster=10)
    with pytest.raises(Conflict):
        actions.vote(by=dw.residents[0], ref=meeting.ref, item=meeting.agenda.first().pk, choice="yes")
    actions.meeting_open(by=dw.community, ref=meeting.ref)
    first_item, second_item = meeting.agenda.order_by("order")
    with pytest.raises(Conflict) as exc:
        actions.vote(by=dw.residents[0], ref=meeting.ref, item=first_item.pk, choice="yes")
    assert exc.value.code == "not_signed_in"
    for r in dw.residents[:8]:
        actions.sign_in(by=r, ref=meeting.ref)  # each signs themselves in
    for r, choice in zip(dw.residents[:8], ["yes"] * 4 + ["no"] * 4, strict=True):
        actions.vote(by=r, ref=meeting.ref, item=first_item.pk, choice=choice)
    with pytest.raises(Conflict) as exc:
        actions.vote(by=dw.residents[0], ref=meeting.ref, item=first_item.pk, choice="no")
    assert exc.value.code == "already_voted"
    result = actions.decide(
        by=dw.community, ref=meeting.ref, item=first_item.pk, yes=99
    )  # counts ignored: ballots
    assert (result.result, result.yes, result.no, result.present, result.entitled) == (
        "not_passed",
        4,
        4,
        8,
        10,
    )
    assert Topic.objects.get(pk=tied.pk).state == "not_passed"
    for r, choice in zip(dw.residents[:8], ["yes"] * 5 + ["abstain"] * 3, strict=True):
        actions.vote(by=r, ref=meeting.ref, item=second_item.pk, choice=choice)
    with pytest.raises(DomainError) as exc:  # a passed item needs what was decided
        actions.decide(by=dw.community, ref=meeting.ref, item=second_item.pk)
    assert exc.value.field == "text"
    assert AgendaItem.objects.get(pk=second_item.pk).result == "pending"
    result = actions.decide(by=dw.community, ref=meeting.ref, item=second_item.pk, text="秋季完成绿化改造")
    assert result.result == "passed"  # 5 of 8 cast is more than half
    decision = Decision.objects.get()
    assert decision.state == "notice" and decision.notice_until - decision.published_at == timedelta(days=7)
    with pytest.raises(Conflict):
        actions.decide(by=dw.community, ref=meeting.ref, item=second_item.pk, text="再来一次")
    closed = actions.meeting_close(by=dw.community, ref=meeting.ref, minutes="两项议题，一项通过")
    assert closed.state == "closed"


def test_a_show_of_hands_is_counts_within_those_present(dw):
    topic = on_agenda(dw)
    meeting, places = meeting_with(dw, [topic], roster=6, rule="two_thirds", base="entitled")
    actions.meeting_open(by=dw.community, ref=meeting.ref)
    for p in places[:5]:
        actions.sign_in(by=dw.community, ref=meeting.ref, participant=p.pk)
    item = meeting.agenda.get()
    with pytest.raises(DomainError) as exc:
        actions.decide(by=dw.community, ref=meeting.ref, item=item.pk, yes=4, no=2, abstain=0, text="x")
    assert exc.value.field == "yes"  # six hands from five people
    result = actions.decide(
        by=dw.community, ref=meeting.ref, item=item.pk, yes=4, no=1, abstain=0, text="同意加装"
    )
    assert result.result == "passed"  # 4 of 6 entitled is two thirds


def test_notice_objections_project_and_rating(dw, clock):
    topic = on_agenda(dw)
    meeting, places = meeting_with(dw, [topic], roster=4)
    actions.meeting_open(by=dw.community, ref=meeting.ref)
    for p in places:
        actions.sign_in(by=dw.community, ref=meeting.ref, participant=p.pk)
    item = meeting.agenda.get()
    actions.decide(
        by=dw.community,
        ref=meeting.ref,
        item=item.pk,
        yes=4,
        no=0,
        abstain=0,
        text="加装电梯，费用按楼层分摊",
    )
    objection = actions.decision_object(by=dw.residents[9], ref=topic.ref, reason="一楼住户不应分摊")
    with pytest.raises(Conflict):  # the notice period runs
        actions.decision_carry_out(by=dw.community, ref=topic.ref, year=2026)
    with pytest.raises(Conflict):
        actions.decision_rate(by=dw.residents[9], ref=topic.ref, score=5)
    clock.shift(timedelta(days=8))
    with pytest.raises(Conflict):  # an objection is still unanswered
        actions.decision_carry_out(by=dw.community, ref=topic.ref, year=2026)
    with pytest.raises(Conflict) as exc:
        actions.decision_object(by=dw.residents[8], ref=topic.ref, reason="太晚了")
    assert exc.value.code == "notice_over"
    actions.objection_answer(by=dw.community, objection=objection.pk, answer="一楼住户不分摊，已写入方案")
    decision = actions.decision_carry_out(by=dw.community, ref=topic.ref, year=2026)
    assert decision.state == "carrying_out" and decision.project.title == topic.title
    assert decision.project.area_code == GRID
    rating = actions.decision_rate(by=dw.residents[9], ref=topic.ref, score=4, comment="进度快")
    actions.decision_rate(by=dw.residents[9], ref=topic.ref, score=5)  # replaces
    rating.refresh_from_db()
    assert rating.score == 5 and decision.ratings.count() == 1
    with pytest.raises(DomainError) as exc:
        actions.decision_rate(by=dw.residents[9], ref=topic.ref, score=6)
    assert exc.value.field == "score"
    assert actions.decision_finish(by=dw.community, ref=topic.ref).state == "done"


def test_meetings_are_kept_by_the_areas_staff(dw):
    topic = on_agenda(dw)
    with pytest.raises(DomainError) as exc:
        actions.meeting_create(
            by=dw.worker, kind="residents", title="会", area=GRID, starts_at="2026-11-23T19:00", place="亭",
            topics=[topic.ref],
        )  # fmt: skip
    assert exc.value.status == 403
    proposed = actions.topic_propose(by=dw.residents[0], title="未上会的议题", description="说明", area=GRID)
    with pytest.raises(Conflict):
        actions.meeting_create(
            by=dw.community, kind="residents", title="会", area=GRID, starts_at="2026-11-23T19:00", place="亭",
            topics=[proposed.ref],
        )  # fmt: skip
    meeting, _places = meeting_with(dw, [topic], roster=2)
    with pytest.raises(NotFound):
        actions.meeting_open(by=dw.other_community, ref=meeting.ref)
    actions.meeting_open(by=dw.community, ref=meeting.ref)
    with pytest.raises(Conflict):
        actions.participant_add(by=dw.community, ref=meeting.ref, role="resident_rep", name="迟到的人")


def test_every_step_is_in_the_audit_log_and_a_ballot_keeps_its_choice_out_of_it(dw):
    from gridgov.core.models import AuditEntry

    topic = on_agenda(dw)
    meeting, places = meeting_with(dw, [topic], roster=2)
    actions.meeting_open(by=dw.community, ref=meeting.ref)
    actions.sign_in(by=dw.residents[0], ref=meeting.ref)
    actions.vote(by=dw.residents[0], ref=meeting.ref, item=meeting.agenda.get().pk, choice="no")
    verbs = set(AuditEntry.objects.values_list("verb", flat=True))
    assert {
        "topic.propose", "topic.reach", "deliberation.topic.support", "meeting.create",
        "deliberation.participant.add", "meeting.open", "deliberation.sign_in", "deliberation.vote",
    } <= verbs  # fmt: skip
    ballot_entry = AuditEntry.objects.get(verb="deliberation.vote")
    assert "no" not in str(ballot_entry.after)
