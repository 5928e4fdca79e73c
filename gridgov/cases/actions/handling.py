"""Triage, dispatch and handling (accept, dispatch, claim, handle, verify, close), and the reporter's rating and reopening."""

from __future__ import annotations

import math
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.accounts.models import Unit, User
from gridgov.accounts.selectors import area_staff, unit_handlers
from gridgov.cases.actions.shared import hash_token, reporters, tell_case, units_of
from gridgov.cases.events import step as case_step
from gridgov.cases.models import (
    OPEN_STATES,
    Case,
    CaseReporter,
    Dispatch,
    Rating,
    Sla,
    State,
)
from gridgov.cases.selectors import case_dispatchers, propose_routing
from gridgov.cases.workflow import MACHINE, PHASES, RESOLUTION, RESPONSE
from gridgov.core import cleaners, ratelimit, uploads
from gridgov.core.cleaners import REASON_LIMIT, limit
from gridgov.core.deadlines import arm, deadline_fields, disarm
from gridgov.core.errors import Conflict, DomainError, NotFound
from gridgov.core.models import Upload
from gridgov.notify.models import Kind

# ---------------------------------------------------------------- triage


def _stamped(ref: str, by: User, action: str, column: str, note: str = "") -> Case:
    """A step whose only other change is the moment it was taken (``column``)."""
    note = cleaners.text(note, "note", limit=REASON_LIMIT)
    with transaction.atomic():
        case = MACHINE.lock(by, ref=ref)
        with MACHINE.transition(case, action, by=by, note=note, fields=[column]) as s:
            setattr(case, column, s.at)
    return case


def case_accept(*, ref: str, by: User, note: str = "") -> Case:
    """Accept the case."""
    return _stamped(ref, by, "accept", "accepted_at", note)


def case_reject(*, ref: str, by: User, reason: str) -> Case:
    """Reject the case (reason required; the reporters are told)."""
    reason = cleaners.text(reason, "reason", limit=REASON_LIMIT)
    with transaction.atomic():
        case = MACHINE.lock(by, ref=ref)
        with MACHINE.transition(case, "reject", by=by, reason=reason, fields=[]):
            pass
        tell_case(reporters(case), Kind.CLOSED, case, gettext_lazy("不予受理"), reason)
    return case


def case_recategorise(*, ref: str, by: User, category_code: str, note: str = "") -> Case:
    """Change the category of a case not yet dispatched: the report chose one, the dispatcher — or a
    suggestion the dispatcher accepted — another. The limits are the new category's from the dispatch on;
    the step keeps both codes."""
    from gridgov.cases import category_cache

    note = cleaners.text(note, "note", limit=REASON_LIMIT)
    category = category_cache.active_category((category_code or "").strip())
    if category is None:
        raise DomainError(
            "invalid_category",
            _("事项分类「%(code)s」不存在") % {"code": (category_code or "")[:40]},
            "category",
        )
    with transaction.atomic():
        case = MACHINE.lock(by, ref=ref)
        if case.category_id == category.pk:
            raise DomainError(
                "unchanged", _("事件已是「%(category)s」分类") % {"category": category.name}, "category"
            )
        with MACHINE.transition(case, "recategorise", by=by, note=note, fields=["category"]) as s:
            s.data = {"from": case.category.code, "to": category.code}
            case.category = category
    return case


def case_merge(*, ref: str, by: User, into: str, reason: str) -> Case:
    """Merge a duplicate into another open case, for a stated reason (required: why the two are one
    problem), kept on both timelines; all its reporters become reporters of the target and are told where
    to follow it."""
    reason = cleaners.text(reason, "reason", limit=REASON_LIMIT)
    if not into or into == ref:
        raise DomainError("invalid", _("请选择要合并到的另一个事件"), "into")
    if not reason:
        raise DomainError("required", _("合并必须填写原因（为什么是同一问题）"), "reason")
    with transaction.atomic():
        case = MACHINE.lock(by, ref=ref)
        with MACHINE.transition(case, "merge", by=by, reason=reason, fields=["merged_into"]) as s:
            target = MACHINE.lock(by, ref=into)
            if target.state not in OPEN_STATES:
                raise Conflict(
                    "invalid_target", _("目标事件 %(ref)s 已办结，不能合并到它") % {"ref": into}, "into"
                )
            if target.merged_into_id:
                raise Conflict("invalid_target", _("目标事件 %(ref)s 本身已被合并") % {"ref": into}, "into")
            case.merged_into = target
            s.data = {"into": target.ref}
        for rep in case.reporters.all():
            CaseReporter.objects.get_or_create(
                case=target,
                source=rep.source,
                defaults={
                    "user": rep.user,
                    "name": rep.name,
                    "phone": rep.phone,
                    "phone_hash": rep.phone_hash,
                },
            )
        case_step(target, by, "merge", target.state, reason, data={"merged": case.ref})
        tell_case(
            reporters(case),
            Kind.MERGED,
            case,
            gettext_lazy("已与 %(target)s 合并办理"),
            gettext_lazy(
                "您反映的问题与 %(target)s 为同一问题，已合并办理，请通过 /track/%(target)s 查看进度。"
            ),
            params={"target": target.ref},
        )
    return case


# ---------------------------------------------------------------- dispatch and handling


def open_round(case: Case, by, now, lead: Unit | None, assists: list[Unit], candidates: list[Unit]) -> int:
    case.dispatches.filter(state=Dispatch.DState.PENDING).update(state=Dispatch.DState.WITHDRAWN)
    rnd = (case.dispatches.order_by("-round").values_list("round", flat=True).first() or 0) + 1
    rows = [Dispatch(case=case, unit=lead, role=Dispatch.Role.LEAD)] if lead else []
    rows += [Dispatch(case=case, unit=u, role=Dispatch.Role.CANDIDATE) for u in candidates]
    rows += [Dispatch(case=case, unit=u, role=Dispatch.Role.ASSIST) for u in assists]
    for row in rows:
        row.round, row.dispatched_at, row.dispatched_by = rnd, now, by
    Dispatch.objects.bulk_create(rows)
    return rnd


DISPATCH_FIELDS = [
    "lead_unit",
    "dispatched_at",
    "claimed_at",
    "started_at",
    "first_dispatched_at",
    "first_response_due",
    *deadline_fields(Case, *PHASES),
]


def dispatch_to(case: Case, lead: Unit | None, at: datetime) -> None:
    """The case is (again) with units from ``at``: both clocks start from the category's limits."""
    case.lead_unit, case.dispatched_at = lead, at
    case.claimed_at = case.started_at = None
    if case.first_dispatched_at is None:
        case.first_dispatched_at = at
    arm(case, RESPONSE, RESOLUTION)
    if case.first_response_due is None:
        case.first_response_due = case.response_due


def _resolution_sla(case: Case) -> str:
    """The colour of the resolution clock, which keeps running through claim and rework."""
    return RESOLUTION.sla(case)


def case_dispatch(
    *,
    ref: str,
    by: User,
    lead_unit_id: int | None = None,
    assist_unit_ids=(),
    candidate_unit_ids=(),
    note: str = "",
) -> Case:
    """Dispatch to a lead unit (with optional assist units), or to several candidate units of which the first
    to claim leads. Without any unit, the routing rule's proposal is used."""
    note = cleaners.text(note, "note", limit=REASON_LIMIT)
    with transaction.atomic():
        case = MACHINE.lock(by, ref=ref)
        s = MACHINE.begin(case, "dispatch", by=by, note=note)
        candidates = units_of(candidate_unit_ids, "candidate_unit_ids")
        assists = units_of(assist_unit_ids, "assist_unit_ids")
        lead = units_of([lead_unit_id], "lead_unit_id")[0] if lead_unit_id else None
        if lead and candidates:
            raise DomainError("invalid", _("指定主办单位时不能再设候选主办单位"), "candidate_unit_ids")
        if len(candidates) == 1:
            raise DomainError(
                "invalid", _("候选主办单位至少两个（只有一个时请直接指定主办单位）"), "candidate_unit_ids"
            )
        if lead is None and not candidates:
            lead, proposed = propose_routing(case)
            if lead is None:
                raise DomainError("required", _("没有适用的派单规则，请选择主办单位"), "lead_unit_id")
            assists = assists or proposed
        main = {u.pk for u in ([lead] if lead else candidates)}
        assists = [u for u in assists if u.pk not in main]
        rnd = open_round(case, by, s.at, lead, assists, candidates)
        dispatch_to(case, lead, s.at)
        data = {
            "round": rnd,
            "lead_unit": lead.name if lead else None,
            "candidate_units": [u.name for u in candidates],
            "assist_units": [u.name for u in assists],
            "response_due": case.response_due.isoformat(),
            "resolution_due": case.resolution_due.isoformat(),
            "provisional": case.deadline_provisional,
        }
        s.data = data
        MACHINE.complete(case, s, fields=DISPATCH_FIELDS)
        tell_case(
            unit_handlers(u.pk for u in [*([lead] if lead else []), *candidates, *assists]),
            Kind.DISPATCH,
            case,
            gettext_lazy("新派单"),
            gettext_lazy("%(category)s：%(description)s（签收时限 %(due)s）"),
            params={
                "category": case.category.name,
                "description": case.description[:80],
                "due": f"{timezone.localtime(case.response_due):%m-%d %H:%M}",
            },
        )
    return case


def case_claim(*, ref: str, by: User) -> Case:
    """Claim. The first claim wins; a second (another candidate unit, or the same unit twice) gets 409."""
    fields = ["lead_unit", "claimed_at", "first_claimed_at", "sla"]
    with transaction.atomic():
        case = MACHINE.lock(by, ref=ref)
        with MACHINE.transition(case, "claim", by=by, fields=fields) as s:
            rows = list(
                case.dispatches.select_for_update()
                .filter(state=Dispatch.DState.PENDING, unit_id=by.unit_id)
                .exclude(role=Dispatch.Role.ASSIST)
            )
            if not rows:
                raise MACHINE.conflict(case, "already_claimed", _("该派单已被签收"))
            mine = rows[0]
            mine.state, mine.claimed_at, mine.claimed_by = Dispatch.DState.CLAIMED, s.at, by
            if mine.role == Dispatch.Role.CANDIDATE:
                mine.role = Dispatch.Role.LEAD
                case.dispatches.filter(
                    round=mine.round, role=Dispatch.Role.CANDIDATE, state=Dispatch.DState.PENDING
                ).exclude(pk=mine.pk).update(state=Dispatch.DState.WITHDRAWN)
            mine.save(update_fields=["state", "claimed_at", "claimed_by", "role"])
            case.lead_unit, case.claimed_at = mine.unit, s.at
            if case.first_claimed_at is None:
                case.first_claimed_at = s.at
            case.sla = _resolution_sla(case)
            s.data = {"unit": mine.unit.name, "on_time": s.at <= case.response_due}
    return case


def case_return(*, ref: str, by: User, reason: str) -> Case:
    """Hand back: the lead unit sends the case back for re-dispatch."""
    reason = cleaners.text(reason, "reason", limit=REASON_LIMIT)
    fields = ["lead_unit", "return_count", *deadline_fields(Case, *PHASES)]
    with transaction.atomic():
        case = MACHINE.lock(by, ref=ref)
        with MACHINE.transition(case, "return", by=by, reason=reason, fields=fields) as s:
            case.dispatches.filter(
                unit_id=by.unit_id, state__in=[Dispatch.DState.PENDING, Dispatch.DState.CLAIMED]
            ).update(state=Dispatch.DState.RETURNED)
            case.dispatches.filter(state=Dispatch.DState.PENDING).update(state=Dispatch.DState.WITHDRAWN)
            case.lead_unit = None
            case.return_count += 1
            disarm(case, RESPONSE, RESOLUTION)
            s.data = {"unit": by.unit.name}
        tell_case(
            area_staff(case.handling_area.code),
            Kind.RETURNED,
            case,
            gettext_lazy("被%(unit)s退回"),
            reason,
            params={"unit": by.unit.name},
        )
    return case


def case_start(*, ref: str, by: User) -> Case:
    """Start handling."""
    return _stamped(ref, by, "start", "started_at")


def case_resolve(*, ref: str, by: User, result: str, evidence: list | None = None) -> Case:
    """Report the result and optional evidence photos; the grid/community verifies next."""
    # decoded before the case is locked; a refusal is raised after the checks that come first
    checked = uploads.prepare(evidence, "evidence", refuse_later=True)
    with transaction.atomic():
        case = MACHINE.lock(by, ref=ref)
        with MACHINE.transition(case, "resolve", by=by, fields=["resolved_at", "result", "sla"]) as s:
            result = cleaners.text(result, "result", limit=limit(Case, "result"))
            if len(result) < 2:
                raise DomainError("required", _("请填写处置结果"), "result")
            checked.require()
            case.resolved_at, case.result, case.sla = s.at, result, Sla.NORMAL
            s.note = result
            s.data = {"on_time": s.at <= case.resolution_due}
        uploads.save(checked, owner=case, role=Upload.Role.EVIDENCE, step=s.event, by=by, at=s.at)
        tell_case(
            _verifiers(case, by),
            Kind.RESOLVED,
            case,
            gettext_lazy("已处置，请核实"),
            result[:120],
        )
    return case


def _verifiers(case: Case, by) -> list[User]:
    """Who is asked to verify a resolution: the case's dispatchers (who verify and close), not its reporters
    nor whoever resolved it."""
    skip = {by.pk, case.entered_by_id, *(r.user_id for r in case.reporters.all() if r.user_id)}
    return [u for u in case_dispatchers(case) if u.pk not in skip]


def case_verify(*, ref: str, by: User, note: str = "") -> Case:
    """Verified."""
    return _stamped(ref, by, "verify", "verified_at", note)


def case_rework(*, ref: str, by: User, reason: str) -> Case:
    """Rework: verification failed; back to the lead unit, counted."""
    reason = cleaners.text(reason, "reason", limit=REASON_LIMIT)
    fields = ["rework_count", "resolved_at", "sla"]
    with transaction.atomic():
        case = MACHINE.lock(by, ref=ref)
        with MACHINE.transition(case, "rework", by=by, reason=reason, fields=fields) as s:
            case.rework_count += 1
            case.resolved_at = None
            case.sla = _resolution_sla(case)
            s.data = {"rework_count": case.rework_count}
        tell_case(
            unit_handlers([case.lead_unit_id]), Kind.REWORK, case, gettext_lazy("核实未通过，需返工"), reason
        )
    return case


def case_close(*, ref: str, by: User, note: str = "") -> Case:
    """Close; the reporters are asked to rate."""
    note = cleaners.text(note, "note", limit=REASON_LIMIT)
    with transaction.atomic():
        case = MACHINE.lock(by, ref=ref)
        with MACHINE.transition(case, "close", by=by, note=note, fields=["closed_at"]) as s:
            case.closed_at = s.at
            on_time = case.resolution_due and case.resolved_at and case.resolved_at <= case.resolution_due
            s.data = {"on_time": bool(on_time)}
        tell_case(reporters(case), Kind.CLOSED, case, gettext_lazy("已结案，请评价"), case.result[:120])
    return case


def _code_matches(stored_hash: str, token: str) -> bool:
    return bool(stored_hash) and secrets.compare_digest(stored_hash, hash_token(token))


def _bad_code(ref: str) -> NotFound:
    return NotFound(_("事件 %(ref)s 不存在或评价码无效") % {"ref": ref}, field="token")


def _code_attempt(ref: str, token: str) -> None:
    """Count an attempt with a rating code on ``ref``, before the action's transaction (so a wrong code
    stays counted): ``RATING_CODE_ATTEMPTS`` wrong codes within ``RATING_CODE_WINDOW_SECONDS`` lock the code
    for this case — rating codes cannot be guessed by brute force. The right code is not counted."""
    stored = Case.objects.filter(ref=ref).values_list("rate_token_hash", flat=True).first()
    if stored is None:
        raise _bad_code(ref)
    counted = ratelimit.hit(
        "rating_code",
        ref,
        limit=settings.RATING_CODE_ATTEMPTS,
        seconds=settings.RATING_CODE_WINDOW_SECONDS,
    )
    if counted.exceeded:
        raise DomainError(
            "code_locked",
            _("评价码输错次数过多，已暂停使用。请 %(minutes)s 分钟后再试，或联系所在社区办理评价或重办")
            % {"minutes": math.ceil(counted.retry_after / 60)},
            "token",
            status=429,
            extra={"retry_after": counted.retry_after},
        )
    if not _code_matches(stored, token):
        raise _bad_code(ref)
    ratelimit.release(counted)


def _reporter_or_token(ref: str, by, token: str | None) -> tuple[Case, object]:
    """The reporter acts either signed in or with the one-time token given at intake."""
    if token:
        case = Case.objects.select_for_update().filter(ref=ref).first()
        if case is None or not _code_matches(case.rate_token_hash, token):
            raise _bad_code(ref)
        return case, None
    if by is None or not getattr(by, "is_authenticated", False):
        raise DomainError("required", _("请输入评价码"), "token", status=401)
    return MACHINE.lock(by, ref=ref), by


def _refuse_historical(case: Case) -> None:
    """A historical case (an old system's work order) is a record only: nobody rates or reopens it."""
    if case.historical:
        raise MACHINE.conflict(case, "historical", _("历史工单仅作记录，不能评价或重办"))


def case_rate(
    *, ref: str, by: User | None = None, token: str | None = None, rating: str, comment: str = ""
) -> Case:
    """Rate: the reporter rates a closed case, signed in or with the code given at intake."""
    if rating not in Rating.values:
        raise DomainError(
            "invalid", _("评价只能是：%(values)s") % {"values": ", ".join(Rating.values)}, "rating"
        )
    comment = cleaners.text(comment, "comment", limit=limit(Case, "rating_comment"))
    if token:
        _code_attempt(ref, token)
    with transaction.atomic():
        case, actor = _reporter_or_token(ref, by, token)
        _refuse_historical(case)
        if case.state != State.CLOSED:
            raise MACHINE.conflict(
                case,
                "wrong_state",
                _("事件当前状态为「%(state)s」，结案后才能评价") % {"state": case.get_state_display()},
            )
        if case.rated_at:
            raise MACHINE.conflict(case, "already_rated", _("事件已评价"), "rating")
        fields = ["rating", "rating_comment", "rated_at"]
        with MACHINE.transition(
            case, "rate", by=actor, note=comment, fields=fields, check=actor is not None
        ) as s:
            case.rating, case.rating_comment, case.rated_at = rating, comment, s.at
            s.data = {"rating": rating}
    return case


REOPEN_FIELDS = [
    "reopen_count",
    "lead_unit",
    "resolved_at",
    "verified_at",
    "closed_at",
    "rated_at",
    "rating",
    "rating_comment",
    *deadline_fields(Case, *PHASES),
]


def case_reopen(*, ref: str, by: User | None = None, token: str | None = None, reason: str) -> Case:
    """Reopen: an unsatisfied reporter (or the dispatcher for them) reopens within the category's window."""
    reason = cleaners.text(reason, "reason", limit=REASON_LIMIT)
    if token:
        _code_attempt(ref, token)
    with transaction.atomic():
        case, actor = _reporter_or_token(ref, by, token)
        _refuse_historical(case)
        if actor is None:  # with the code: the checks the machine makes of a person
            if case.state != State.CLOSED:
                raise MACHINE.conflict(case, "wrong_state", _("只有已结案的事件才能重办"))
            if case.rating != Rating.UNSATISFIED:
                raise MACHINE.conflict(case, "not_allowed_now", _("只有评价为不满意的事件才能重办"))
            if not reason:
                raise DomainError("required", _("重办必须填写原因"), "reason")
        check = actor is not None
        with MACHINE.transition(
            case, "reopen", by=actor, reason=reason, fields=REOPEN_FIELDS, check=check
        ) as s:
            window = timedelta(days=case.category.reopen_window_days)
            if s.at > (case.rated_at or case.closed_at) + window:
                raise Conflict(
                    "reopen_window_passed",
                    _("已超过 %(days)s 天的重办期限") % {"days": case.category.reopen_window_days},
                    "state",
                )
            case.reopen_count += 1
            case.lead_unit = None
            case.resolved_at = case.verified_at = case.closed_at = case.rated_at = None
            case.rating, case.rating_comment = "", ""
            disarm(case, RESPONSE, RESOLUTION)
            s.data = {"reopen_count": case.reopen_count}
        tell_case(
            area_staff(case.handling_area.code),
            Kind.REOPENED,
            case,
            gettext_lazy("居民不满意，已重办"),
            reason,
        )
    return case
