"""Every write to a case, one module per part of the loop: ``intake``, ``handling`` (triage, dispatch,
handling, rating, reopening), ``escalation`` (tiers, the whistle) and ``deadlines`` (extensions). Each
action locks the case through the workflow machine (404 when not visible), which checks state (409 with
the allowed actions), role (403) and reason (400), sets the declared state and writes the timeline step
and audit entry; the action changes the rest in the same transaction and tells whom it concerns."""

from gridgov.cases.actions.deadlines import case_extend
from gridgov.cases.actions.escalation import case_escalate, case_report_in, case_whistle, escalate
from gridgov.cases.actions.handling import (
    case_accept,
    case_claim,
    case_close,
    case_dispatch,
    case_merge,
    case_rate,
    case_recategorise,
    case_reject,
    case_reopen,
    case_resolve,
    case_return,
    case_rework,
    case_start,
    case_verify,
)
from gridgov.cases.actions.intake import Intake, case_add_photos, case_report
from gridgov.cases.actions.shared import tell_case

__all__ = [
    "Intake",
    "case_accept",
    "case_add_photos",
    "case_claim",
    "case_close",
    "case_dispatch",
    "case_escalate",
    "case_extend",
    "case_merge",
    "case_rate",
    "case_recategorise",
    "case_reject",
    "case_reopen",
    "case_report",
    "case_report_in",
    "case_resolve",
    "case_return",
    "case_rework",
    "case_start",
    "case_verify",
    "case_whistle",
    "escalate",
    "tell_case",
]
