"""The points sweep (registered as "points" in the shared deadline sweep): reminds signed-up volunteers the
day before a task starts, once, and expires points a community's policy says are too old, once.

Reminders run on :func:`gridgov.core.deadlines.sweep_phases`: ``remind_at`` (start − 1 day) is the warn-at
moment and ``reminded_at`` its mark; ``starts_at`` is the due moment and ``started_mark`` its mark. A task
first swept after it has started gets both marks and no reminder (it would come too late).

Expiry (积分过期) is FIFO per volunteer account: the points the volunteer has given out (redemptions,
corrections debiting them) are taken from their oldest credits first; the part of a credit older than its
community's ``expiry_months`` that is not covered that way expires: one expiry entry (debit volunteer, credit
the community pool) that names the credit it expires — a credit is expired at most once (unique), whatever
the sweep is run again or twice at once. A credit that was reversed, and its reversal, take no part.
"""

from __future__ import annotations

from calendar import monthrange
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from gridgov.core.deadlines import Phase, register_sweep, sweep_phases
from gridgov.core.i18n import message
from gridgov.core.timeline import step
from gridgov.notify.actions import tell
from gridgov.notify.models import Kind
from gridgov.points.actions import pool_account, post_entry
from gridgov.points.models import (
    LIVE_TASK_STATES,
    AccountKind,
    EntryKind,
    PointsAccount,
    PointsEntry,
    PointsPolicy,
    SignupState,
    VolunteerTask,
)

REMINDER = Phase(
    tuple(LIVE_TASK_STATES), "starts_at", "remind_at", "reminded_at", "started_mark", gettext_lazy("开始")
)


def _remind(task: VolunteerTask, phase: Phase, now: datetime) -> None:  # noqa: ARG001
    volunteers = [
        s.volunteer for s in task.signups.filter(state=SignupState.SIGNED_UP).select_related("volunteer")
    ]
    start = timezone.localtime(task.starts_at)
    tell(
        volunteers,
        Kind.TASK,
        task,
        gettext_lazy("明天参加志愿服务：%(title)s"),
        gettext_lazy("时间：%(start)s；地点：%(place)s"),
        params={"title": task.title, "start": f"{start:%m-%d %H:%M}", "place": task.place},
        at=now,
    )
    note = message(gettext_noop("已提醒 %(count)s 名志愿者"), count=str(len(volunteers)))
    step(task, None, "remind", task.state, note=note, at=now)


def _started(task: VolunteerTask, phase: Phase, now: datetime) -> None:  # noqa: ARG001
    """Nothing to do at the start itself: the mark only keeps a late reminder from going out."""


def months_before(moment: datetime, months: int) -> datetime:
    total = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(total, 12)
    month += 1
    return moment.replace(year=year, month=month, day=min(moment.day, monthrange(year, month)[1]))


def _expire_account(account_id: int, cutoffs: dict[str, datetime], now: datetime) -> tuple[int, int]:
    made = points = 0
    with transaction.atomic():
        account = PointsAccount.objects.select_for_update().filter(pk=account_id).first()
        mine = PointsEntry.objects.filter(Q(debit=account) | Q(credit=account))
        reversed_ids = set(mine.filter(reversed_by__isnull=False).values_list("pk", flat=True))
        expired = dict(mine.filter(kind=EntryKind.EXPIRY, debit=account).values_list("expires_id", "amount"))
        # Redemptions and other debits not reversed; a correction debiting the account reverses one of
        # its credits, so that pair (like a reversed debit and its correction) is left out on both sides.
        spent = sum(
            amount
            for pk, amount in mine.filter(debit=account)
            .exclude(kind__in=[EntryKind.EXPIRY, EntryKind.CORRECTION])
            .values_list("pk", "amount")
            if pk not in reversed_ids
        )
        remaining = spent
        lots = mine.filter(credit=account).exclude(kind=EntryKind.CORRECTION).order_by("at", "id")
        for lot in lots:
            if lot.pk in reversed_ids:
                continue
            if lot.pk in expired:
                remaining -= lot.amount - expired[lot.pk]
                continue
            used = min(lot.amount, max(remaining, 0))
            remaining -= used
            unspent = lot.amount - used
            cutoff = cutoffs.get(lot.area_code[:12])
            if unspent <= 0 or cutoff is None or lot.at > cutoff:
                continue
            try:
                with transaction.atomic():
                    post_entry(
                        debit=account,
                        credit=pool_account(lot.area_code),
                        amount=unspent,
                        kind=EntryKind.EXPIRY,
                        area_code=lot.area_code,
                        memo=(
                            _("积分过期（%(at)s %(memo)s）")
                            % {"at": f"{timezone.localtime(lot.at):%Y-%m-%d}", "memo": lot.memo}
                        )[:200],
                        at=now,
                        expires=lot,
                    )
            except IntegrityError:
                continue
            made += 1
            points += unspent
    return made, points


def expire_points(now: datetime) -> dict:
    cutoffs = {
        code: months_before(now, months)
        for code, months in PointsPolicy.objects.filter(expiry_months__isnull=False).values_list(
            "area__code", "expiry_months"
        )
    }
    if not cutoffs:
        return {"expired_entries": 0, "expired_points": 0}
    where = Q()
    for code, cutoff in cutoffs.items():
        where |= Q(area_code__startswith=code, at__lte=cutoff)
    accounts = (
        PointsEntry.objects.filter(where, credit__kind=AccountKind.VOLUNTEER, expired_by__isnull=True)
        .exclude(kind=EntryKind.CORRECTION)
        .values_list("credit_id", flat=True)
        .distinct()
    )
    made = points = 0
    for account_id in list(accounts):
        m, p = _expire_account(account_id, cutoffs, now)
        made, points = made + m, points + p
    return {"expired_entries": made, "expired_points": points}


@register_sweep("points")
def points_sweep(now: datetime | None = None) -> dict:
    now = now or timezone.now()
    counts = sweep_phases(
        VolunteerTask, [REMINDER], now, on_overdue=_started, on_warning=_remind, related=("area",)
    )
    return {"reminded": counts.warned, "started": counts.overdue, **expire_points(now)}
