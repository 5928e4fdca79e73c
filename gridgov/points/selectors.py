"""Every read of tasks, sign-ups, points and rewards, narrowed to what the reader may see.

Staff see the tasks, pools, stations and rewards of their scope (anything else is 404). Volunteers and
residents have no area: they see every published task and every active reward, and only their own
sign-ups, account and redemptions. A volunteer's account may be read by staff (the exchange station needs
it); its entries carry the community they came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts.models import User
from gridgov.core.errors import DomainError, NotFound
from gridgov.core.scope import filter_in_scope, in_scope, is_staff
from gridgov.points.actions import balance
from gridgov.points.models import (
    AccountKind,
    EntryKind,
    PointsAccount,
    PointsEntry,
    Redemption,
    Reward,
    Signup,
    SignupState,
    TaskState,
    VolunteerTask,
)
from gridgov.points.workflow import VOLUNTEER_ROLES

# ---------------------------------------------------------------- tasks


def task_is_visible(user, task: VolunteerTask) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if is_staff(user):
        return in_scope(user, task.area_code)
    return task.state != TaskState.DRAFT


def tasks_visible_to(user) -> QuerySet[VolunteerTask]:
    qs = VolunteerTask.objects.select_related("area")
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    if is_staff(user):
        return filter_in_scope(qs, user, "area_code")
    return qs.exclude(state=TaskState.DRAFT)


def task_list(
    user,
    *,
    state: str | None = None,
    area: str | None = None,
    upcoming: bool = False,
    now: datetime | None = None,
) -> QuerySet[VolunteerTask]:
    qs = tasks_visible_to(user)
    if state:
        qs = qs.filter(state=state)
    if area:
        qs = qs.filter(area_code__startswith=area)
    if upcoming:
        qs = qs.filter(state__in=[TaskState.OPEN, TaskState.FULL], starts_at__gt=now or timezone.now())
        return qs.order_by("starts_at", "id")
    return qs


def task_get_visible(user, pk: int) -> VolunteerTask:
    task = VolunteerTask.objects.select_related("area", "created_by").filter(pk=pk).first()
    if task is None or not task_is_visible(user, task):
        raise NotFound(_("志愿任务不存在或不在您的管辖范围内"), field="task")
    return task


def signups_of(task: VolunteerTask) -> QuerySet[Signup]:
    return task.signups.select_related("volunteer", "confirmed_by").order_by("state", "signed_at", "id")


def my_signup(user, task: VolunteerTask) -> Signup | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return task.signups.filter(volunteer=user).exclude(state=SignupState.WITHDRAWN).first()


def my_signups(user) -> QuerySet[Signup]:
    return Signup.objects.filter(volunteer=user).select_related("task").order_by("-task__starts_at", "-id")


def hours_of(user) -> Decimal:
    """Total hours of the volunteer's attended tasks (志愿服务时长)."""
    hours = Signup.objects.filter(volunteer=user, state=SignupState.ATTENDED).aggregate(h=Sum("hours"))["h"]
    return Decimal(hours or 0).quantize(Decimal("0.01"))


# ---------------------------------------------------------------- accounts and entries


def account_of(user) -> PointsAccount | None:
    return PointsAccount.objects.filter(kind=AccountKind.VOLUNTEER, user=user).first()


def account_get_visible(user, pk: int) -> PointsAccount:
    account = PointsAccount.objects.select_related("area", "user").filter(pk=pk).first()
    ok = account is not None and (
        (account.kind == AccountKind.VOLUNTEER and (account.user_id == user.pk or is_staff(user)))
        or (account.kind != AccountKind.VOLUNTEER and is_staff(user) and in_scope(user, account.area.code))
    )
    if not ok:
        raise NotFound(_("积分账户不存在或不在您的管辖范围内"), field="account")
    return account


@dataclass
class Line:
    """One entry as seen from one account: ``change`` is + for a credit, − for a debit."""

    entry: PointsEntry
    change: int
    balance: int
    reversed: bool = False  # a correction has reversed this entry


def history(account: PointsAccount | None, limit: int | None = None) -> list[Line]:
    """The account's entries, newest first, each with the running balance after it."""
    if account is None:
        return []
    entries = list(
        PointsEntry.objects.filter(Q(debit=account) | Q(credit=account))
        .select_related("debit__area", "credit__area", "debit__user", "credit__user", "redemption__reward")
        .order_by("at", "id")
    )
    reversed_ids = set(
        PointsEntry.objects.filter(Q(reverses__debit=account) | Q(reverses__credit=account)).values_list(
            "reverses_id", flat=True
        )
    )
    lines, running = [], 0
    for e in entries:
        change = e.amount if e.credit_id == account.pk else -e.amount
        running += change
        lines.append(Line(e, change, running, e.pk in reversed_ids))
    lines.reverse()
    return lines[:limit] if limit else lines


def entry_get_visible(user, pk: int) -> PointsEntry:
    entry = PointsEntry.objects.filter(pk=pk).first()
    if entry is None or not is_staff(user) or not in_scope(user, entry.area_code):
        raise NotFound(_("积分流水不存在或不在您的管辖范围内"), field="entry")
    return entry


def sum_of_balances() -> int:
    """Σ of every account's balance: zero, always (each entry adds +a on one side and −a on the other)."""
    return sum(balance(pk) for pk in PointsAccount.objects.values_list("pk", flat=True))


# ---------------------------------------------------------------- rewards and redemptions


def rewards_visible_to(user) -> QuerySet[Reward]:
    qs = Reward.objects.select_related("area")
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    if is_staff(user):
        return filter_in_scope(qs, user, "area__code")
    return qs.filter(is_active=True)


def reward_get_visible(user, pk: int) -> Reward:
    reward = rewards_visible_to(user).filter(pk=pk).first()
    if reward is None:
        raise NotFound(_("兑换物品不存在或不在您的管辖范围内"), field="reward")
    return reward


def redemptions_of(user) -> QuerySet[Redemption]:
    return Redemption.objects.filter(volunteer=user).select_related("reward", "by", "reward__area")


def redemptions_in_scope(user) -> QuerySet[Redemption]:
    """The redemptions at the stations of ``user``'s scope, newest first."""
    qs = Redemption.objects.select_related("reward", "reward__area", "volunteer", "by")
    return filter_in_scope(qs, user, "reward__area__code")


def find_volunteers(q: str, limit: int = 20) -> list[User]:
    """Volunteers and residents by user name or name (the station operator's search)."""
    q = (q or "").strip()
    if not q:
        return []
    return list(
        User.objects.filter(role__in=list(VOLUNTEER_ROLES), is_active=True)
        .filter(Q(username__iexact=q) | Q(display_name__icontains=q) | Q(username__icontains=q))
        .order_by("username")[:limit]
    )


# ---------------------------------------------------------------- the community's figures


def span(start: date, end: date) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    return (
        datetime.combine(start, time.min, tzinfo=tz),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz),
    )


def check_area(user, area: str | None) -> str:
    """The area a report is for: the given one (in scope, else 404) or the top of the reader's scope."""
    from gridgov.core.scope import scope_prefixes

    if not is_staff(user):
        raise DomainError("forbidden", _("只有工作人员可以查看"), status=403)
    if area:
        if not in_scope(user, area):
            raise NotFound(_("区域不存在或不在您的管辖范围内"), field="area")
        return area
    prefixes = scope_prefixes(user)
    return "" if prefixes is None else min(prefixes, key=len)


def summary(user, *, area: str | None, start: date, end: date) -> dict:
    """Points issued (task credits and grants), redeemed, expired and corrected in ``area`` over the period
    (dates inclusive), with the task and sign-up figures of the same period."""
    code = check_area(user, area)
    if end < start:
        raise DomainError("invalid", _("结束日期不能早于开始日期"), "end")
    lo, hi = span(start, end)
    entries = PointsEntry.objects.filter(area_code__startswith=code, at__gte=lo, at__lt=hi)
    by_kind = {row["kind"]: row["s"] for row in entries.values("kind").annotate(s=Sum("amount"))}
    corrections = entries.filter(kind=EntryKind.CORRECTION)
    corrected_in = corrections.filter(credit__kind=AccountKind.VOLUNTEER).aggregate(s=Sum("amount"))["s"] or 0
    corrected_out = corrections.filter(debit__kind=AccountKind.VOLUNTEER).aggregate(s=Sum("amount"))["s"] or 0
    tasks = VolunteerTask.objects.filter(area_code__startswith=code, starts_at__gte=lo, starts_at__lt=hi)
    attended = Signup.objects.filter(task__in=tasks, state=SignupState.ATTENDED)
    return {
        "area": code,
        "start": start,
        "end": end,
        "issued": (by_kind.get(EntryKind.TASK) or 0) + (by_kind.get(EntryKind.GRANT) or 0),
        "issued_for_tasks": by_kind.get(EntryKind.TASK) or 0,
        "granted": by_kind.get(EntryKind.GRANT) or 0,
        "redeemed": by_kind.get(EntryKind.REDEMPTION) or 0,
        "expired": by_kind.get(EntryKind.EXPIRY) or 0,
        "corrected_to_volunteers": corrected_in,
        "corrected_from_volunteers": corrected_out,
        "tasks": tasks.exclude(state__in=[TaskState.DRAFT, TaskState.CANCELLED]).count(),
        "attendances": attended.count(),
        "hours": Decimal(attended.aggregate(h=Sum("hours"))["h"] or 0).quantize(Decimal("0.01")),
        "volunteers": attended.values("volunteer").distinct().count(),
    }


@dataclass
class VolunteerRow:
    user: User
    tasks: int
    hours: Decimal
    points: int


def volunteers_of(user, *, area: str | None, start: date, end: date) -> list[VolunteerRow]:
    """Volunteers who served in ``area``'s tasks over the period: tasks attended, hours, points earned there."""
    code = check_area(user, area)
    lo, hi = span(start, end)
    rows = (
        Signup.objects.filter(
            task__area_code__startswith=code,
            task__starts_at__gte=lo,
            task__starts_at__lt=hi,
            state=SignupState.ATTENDED,
        )
        .values("volunteer")
        .annotate(n=Count("id"), h=Sum("hours"))
    )
    points = dict(
        PointsEntry.objects.filter(
            kind=EntryKind.TASK,
            signup__task__area_code__startswith=code,
            signup__task__starts_at__gte=lo,
            signup__task__starts_at__lt=hi,
        )
        .values_list("signup__volunteer")
        .annotate(s=Sum("amount"))
        .values_list("signup__volunteer", "s")
    )
    users = User.objects.in_bulk([r["volunteer"] for r in rows])
    out = [
        VolunteerRow(users[r["volunteer"]], r["n"], r["h"] or Decimal(0), points.get(r["volunteer"], 0))
        for r in rows
    ]
    return sorted(out, key=lambda r: (-r.hours, r.user.username))
