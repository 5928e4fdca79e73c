"""Deadlines granted by hand (extensions); the clocks themselves are the workflow's Phases (cases.workflow)."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from gridgov.accounts.models import User
from gridgov.cases.models import (
    Case,
    State,
)
from gridgov.cases.workflow import MACHINE, RESOLUTION
from gridgov.core import cleaners
from gridgov.core.calendar import add_limit
from gridgov.core.cleaners import REASON_LIMIT
from gridgov.core.deadlines import Due, arm, deadline_fields, warn_moment
from gridgov.core.errors import DomainError


def case_extend(*, ref: str, by: User, amount: Decimal | float | int, reason: str) -> Case:
    """Extension: the dispatcher grants more time, in the category's resolution unit; counted. The extension is
    kept on the timeline, and the resolution clock's declared limit adds it again wherever it is computed."""
    reason = cleaners.text(reason, "reason", limit=REASON_LIMIT)
    fields = [*deadline_fields(Case, RESOLUTION), "extension_count"]
    with transaction.atomic():
        case = MACHINE.lock(by, ref=ref)
        with MACHINE.transition(case, "extend", by=by, reason=reason, fields=fields) as s:
            try:
                amount = Decimal(str(amount))
            except ArithmeticError as exc:
                raise DomainError("invalid", _("延期时长必须是数字"), "amount") from exc
            if not amount.is_finite() or amount <= 0 or amount > 365:
                raise DomainError("invalid", _("延期时长必须大于 0"), "amount")
            cat = case.category
            old_due = case.resolution_due
            d = add_limit(old_due, amount, cat.resolution_unit)
            warn_at = warn_moment(case.dispatched_at, d.due, cat.warning_ratio, cat.resolution_unit)
            sla = case.sla
            arm(case, RESOLUTION, due=Due(d.due, warn_at, case.deadline_provisional or d.provisional))
            if case.state == State.DISPATCHED:  # the response clock runs on: its colour stays
                case.sla = sla
            case.extension_count += 1
            s.data = {
                "amount": str(amount),
                "unit": cat.resolution_unit,
                "from": old_due.isoformat(),
                "to": d.due.isoformat(),
            }
    return case
