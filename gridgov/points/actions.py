"""Every write to volunteer tasks, sign-ups, the points ledger and rewards.

Each action takes keyword-only arguments, checks scope (404), state (409 with the allowed actions), role
(403) and reasons (400), runs in one transaction, and writes the timeline / audit records. Points only ever
move by appending a :class:`PointsEntry`; an account that gives points (a volunteer's) is locked and its
derived balance checked inside the transaction, so it can never go below zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.accounts.models import User
from gridgov.areas.models import Area, Level
from gridgov.core import audit, cleaners
from gridgov.core.cleaners import REASON_LIMIT
from gridgov.core.deadlines import give_back_place, take_place
from gridgov.core.errors import Conflict, DomainError, NotFound
from gridgov.core.scope import in_scope, is_staff, require_staff, staff_in_scope
from gridgov.core.timeline import step
from gridgov.notify.actions import notify, tell
from gridgov.notify.models import Kind
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
from gridgov.points.workflow import MACHINE, VOLUNTEER_ROLES

MAX_QUANTITY = 99
_DAY = timedelta(days=1)
TEXT_LIMITS = {"title": 100, "place": 200}


# ---------------------------------------------------------------- helpers


def is_volunteer_user(user: User) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.role in VOLUNTEER_ROLES)


def _lock_task(task_id: int, by) -> VolunteerTask:
    """Lock the task row and check ``by`` may see it (404 on ``task`` otherwise)."""
    return MACHINE.lock(by, related=("area",), field="task", pk=task_id)


def task_hours(task: VolunteerTask) -> Decimal:
    seconds = Decimal((task.ends_at - task.starts_at).total_seconds())
    return (seconds / Decimal(3600)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# ---------------------------------------------------------------- accounts and balances


def community_of(code: str) -> Area:
    area = Area.objects.filter(code=code[:12], level=Level.COMMUNITY).first()
    if area is None:
        raise DomainError("invalid", _("积分须记在社区或网格名下"), "area")
    return area


def _area_account(kind: str, area: Area) -> PointsAccount:
    account, _created = PointsAccount.objects.get_or_create(kind=kind, area=area)
    return account


def pool_account(code: str) -> PointsAccount:
    """The community pool (社区积分池) that issues the points of tasks in ``code``'s community."""
    return _area_account(AccountKind.POOL, community_of(code))


def station_account(code: str) -> PointsAccount:
    """The community exchange station (兑换站) that takes in redeemed points."""
    return _area_account(AccountKind.STATION, community_of(code))


def volunteer_account(user: User) -> PointsAccount:
    account, _created = PointsAccount.objects.get_or_create(kind=AccountKind.VOLUNTEER, user=user)
    return account


def balance(account: PointsAccount | int) -> int:
    """Credits − debits of the account, derived from the entries (the only truth)."""
    pk = account.pk if isinstance(account, PointsAccount) else account
    credits = PointsEntry.objects.filter(credit_id=pk).aggregate(s=Sum("amount"))["s"] or 0
    debits = PointsEntry.objects.filter(debit_id=pk).aggregate(s=Sum("amount"))["s"] or 0
    return credits - debits


def _lock_for_debit(account: PointsAccount, amount: int) -> None:
    """Lock a volunteer account that is about to give ``amount`` points and check it has them."""
    if account.kind != AccountKind.VOLUNTEER:
        return
    PointsAccount.objects.select_for_update().filter(pk=account.pk).first()
    available = balance(account)
    if available < amount:
        raise Conflict(
            "insufficient_points",
            (
                _("积分不足：需要 %(amount)s 分，当前余额 %(available)s 分")
                % {"amount": amount, "available": available}
            ),
            "points",
            extra={"balance": available, "needed": amount},
        )


def post_entry(
    *,
    debit: PointsAccount,
    credit: PointsAccount,
    amount: int,
    kind: str,
    area_code: str,
    by: User | None = None,
    memo: str = "",
    at: datetime | None = None,
    **refs,
) -> PointsEntry:
    """Append one entry (call inside the caller's transaction, after :func:`_lock_for_debit`)."""
    return PointsEntry.objects.create(
        at=at or timezone.now(),
        debit=debit,
        credit=credit,
        amount=amount,
        kind=kind,
        area_code=area_code,
        memo=memo[:200],
        created_by=by if getattr(by, "pk", None) else None,
        **refs,
    )


# ---------------------------------------------------------------- tasks


@dataclass
class TaskFields:
    title: str
    place: str
    starts_at: datetime
    ends_at: datetime
    slots: int
    points: int
    description: str = ""
    requirements: str = ""
    signup_due: datetime | None = None


def _check_fields(f: TaskFields) -> None:
    for name in ("title", "place"):
        value = (getattr(f, name) or "").strip()
        if not value:
            raise DomainError("required", _("必填"), name)
        if len(value) > TEXT_LIMITS[name]:
            raise DomainError("invalid", (_("不能超过 %(limit)s 个字") % {"limit": TEXT_LIMITS[name]}), name)
        setattr(f, name, value)
    if f.starts_at is None:
        raise DomainError("required", _("必填"), "starts_at")
    if f.ends_at is None:
        raise DomainError("required", _("必填"), "ends_at")
    if f.ends_at <= f.starts_at:
        raise DomainError("invalid", _("结束时间须晚于开始时间"), "ends_at")
    if f.signup_due is not None and f.signup_due > f.starts_at:
        raise DomainError("invalid", _("报名截止时间不能晚于开始时间"), "signup_due")
    f.slots = cleaners.integer(f.slots, "slots", label=_("名额"), low=1, high=10_000, required=True)
    f.points = cleaners.integer(f.points, "points", label=_("积分"), low=1, high=10_000, required=True)


def task_create(
    *,
    by: User,
    area: str,
    title: str,
    place: str,
    starts_at: datetime,
    ends_at: datetime,
    slots: int,
    points: int,
    description: str = "",
    requirements: str = "",
    signup_due: datetime | None = None,
    publish: bool = False,
) -> VolunteerTask:
    """A new task (草稿) in a community or grid of ``by``'s scope; ``publish`` publishes it at once."""
    require_staff(by, _("只有工作人员可以执行此操作"))
    target = Area.objects.filter(code=area, is_active=True).first()
    if target is None or not in_scope(by, target.code):
        raise NotFound(_("区域不存在或不在您的管辖范围内"), field="area")
    if target.level not in (Level.COMMUNITY, Level.GRID, Level.MICROGRID):
        raise DomainError("invalid", _("志愿任务须发布在社区或网格"), "area")
    fields = TaskFields(
        title=title,
        place=place,
        starts_at=starts_at,
        ends_at=ends_at,
        slots=slots,
        points=points,
        description=description or "",
        requirements=requirements or "",
        signup_due=signup_due,
    )
    _check_fields(fields)
    with transaction.atomic():
        task = VolunteerTask.objects.create(
            area=target,
            area_code=target.code,
            created_by=by,
            remind_at=fields.starts_at - _DAY,
            **fields.__dict__,
        )
        step(task, by, "create", "", data={"slots": task.slots, "points": task.points})
    if publish:
        task = task_act(task_id=task.pk, by=by, action="publish")
    return task


def task_update(*, task_id: int, by: User, **changes) -> VolunteerTask:
    """Edit a draft (a published task keeps its terms: volunteers signed up for them)."""
    with transaction.atomic():
        task = _lock_task(task_id, by)
        if not is_staff(by) or not MACHINE.actors["staff"](by, task):
            raise DomainError("forbidden", _("您不能修改该志愿任务"), status=403)
        if task.state != TaskState.DRAFT:
            raise MACHINE.conflict(task, "wrong_state", _("只有草稿可以修改"))
        fields = TaskFields(**{k: getattr(task, k) for k in TaskFields.__dataclass_fields__})
        for key, value in changes.items():
            if key in TaskFields.__dataclass_fields__:
                setattr(fields, key, value)
        _check_fields(fields)
        for key, value in fields.__dict__.items():
            setattr(task, key, value)
        task.remind_at = task.starts_at - _DAY
        task.save()
        step(task, by, "edit", task.state, data={k: str(v) for k, v in changes.items()})
    return task


def task_act(*, task_id: int, by: User, action: str, reason: str = "") -> VolunteerTask:
    """publish / close / finish / cancel: one step of the task's machine."""
    if action not in ("publish", "close", "finish", "cancel"):
        raise DomainError("invalid", _("未知的操作"), "action", status=404)
    reason = cleaners.text(reason, "reason", limit=REASON_LIMIT)
    with transaction.atomic():
        task = _lock_task(task_id, by)
        with MACHINE.transition(task, action, by=by, reason=reason, fields=[]) as s:
            if action == "publish":
                task.published_at = s.at
                s.fields.append("published_at")
            elif action == "finish":
                task.finished_at = s.at
                s.fields.append("finished_at")
            elif action == "cancel":
                task.cancel_reason = reason
                s.fields.append("cancel_reason")
        if action == "cancel":
            volunteers = [s.volunteer for s in task.signups.filter(state=SignupState.SIGNED_UP)]
            tell(
                volunteers,
                Kind.TASK,
                task,
                gettext_lazy("志愿任务「%(title)s」已取消"),
                gettext_lazy("取消原因：%(reason)s"),
                params={"title": task.title, "reason": reason},
            )
    return task


# ---------------------------------------------------------------- sign-ups


def signup_create(*, task_id: int, by: User) -> Signup:
    """报名: takes a place in one conditional UPDATE (never more sign-ups than places)."""
    with transaction.atomic():
        task = _lock_task(task_id, by)
        if task.signups.filter(volunteer=by, state=SignupState.SIGNED_UP).exists():
            raise Conflict("already_signed_up", _("您已报名该任务"), "task")
        if task.state == TaskState.FULL:
            raise Conflict("task_full", _("名额已满"), "task", extra={"state": task.state, "free": 0})
        with MACHINE.transition(task, "signup", by=by, fields=[]) as s:
            if not take_place(VolunteerTask, task.pk, taken="taken", capacity="slots"):
                raise Conflict("task_full", _("名额已满"), "task", extra={"state": task.state, "free": 0})
            task.refresh_from_db(fields=["taken", "slots"])
            try:
                with transaction.atomic():
                    signup = Signup.objects.create(task=task, volunteer=by, signed_at=s.at)
            except IntegrityError as exc:
                raise Conflict("already_signed_up", _("您已报名该任务"), "task") from exc
            s.data = {"signup": signup.pk, "taken": task.taken}
    return signup


def signup_withdraw(*, task_id: int, by: User) -> Signup:
    """取消报名 before the task starts: the place is given back."""
    with transaction.atomic():
        task = _lock_task(task_id, by)
        with MACHINE.transition(task, "withdraw", by=by, fields=[]) as s:
            signup = (
                Signup.objects.select_for_update()
                .filter(task=task, volunteer=by, state=SignupState.SIGNED_UP)
                .first()
            )
            signup.state = SignupState.WITHDRAWN
            signup.withdrawn_at = s.at
            signup.save(update_fields=["state", "withdrawn_at"])
            give_back_place(VolunteerTask, task.pk, taken="taken")
            task.refresh_from_db(fields=["taken", "slots"])
            s.data = {"signup": signup.pk, "taken": task.taken}
    return signup


@dataclass
class Mark:
    signup_id: int
    attended: bool
    hours: Decimal | None = None


def _hours(value, default: Decimal) -> Decimal:
    if value in (None, ""):
        return default
    try:
        hours = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError) as exc:
        raise DomainError("invalid", _("时长须为数字"), "hours") from exc
    if not Decimal(0) <= hours <= Decimal(24 * 7):
        raise DomainError("invalid", _("时长须在 0 到 168 小时之间"), "hours")
    return hours


def credit_signup(
    signup: Signup, task: VolunteerTask, *, by: User | None = None, at: datetime | None = None
) -> PointsEntry | None:
    """Credit the task's points to the volunteer for this sign-up, once (the database refuses a second
    task entry for the same sign-up; that refusal is treated as "already credited")."""
    pool, account = pool_account(task.area_code), volunteer_account(signup.volunteer)
    try:
        with transaction.atomic():
            return post_entry(
                debit=pool,
                credit=account,
                amount=task.points,
                kind=EntryKind.TASK,
                area_code=task.area_code,
                by=by,
                memo=task.title,
                at=at,
                signup=signup,
            )
    except IntegrityError:
        return None


def attendance_confirm(*, task_id: int, by: User, marks: list[Mark]) -> list[Signup]:
    """确认参加情况 for some sign-ups: attended → points credited; absent → none. Sending the same mark
    again changes nothing (retries are safe); changing a confirmed mark is refused (use a correction)."""
    if not marks:
        raise DomainError("required", _("请至少确认一名志愿者"), "marks")
    with transaction.atomic():
        task = _lock_task(task_id, by)
        MACHINE.require(by, task, "attend")
        default_hours = task_hours(task)
        done: list[Signup] = []
        credited = []
        for mark in sorted(marks, key=lambda m: m.signup_id):
            signup = (
                Signup.objects.select_for_update()
                .filter(pk=mark.signup_id, task=task)
                .select_related("volunteer")
                .first()
            )
            if signup is None:
                raise NotFound(_("报名记录不存在"), field="signup_id")
            wanted = SignupState.ATTENDED if mark.attended else SignupState.ABSENT
            if signup.state == wanted:
                done.append(signup)
                continue
            if signup.state != SignupState.SIGNED_UP:
                raise Conflict(
                    "already_confirmed",
                    _("%(who)s的报名状态为「%(state)s」，不能改为「%(wanted)s」")
                    % {"who": signup.volunteer, "state": signup.get_state_display(), "wanted": wanted.label},
                    "signup_id",
                    extra={"signup_id": signup.pk, "state": signup.state},
                )
            with MACHINE.transition(task, "attend", by=by, fields=[]) as s:
                signup.state = wanted
                signup.confirmed_at = s.at
                signup.confirmed_by = by
                signup.hours = _hours(mark.hours, default_hours) if mark.attended else Decimal(0)
                signup.save(update_fields=["state", "confirmed_at", "confirmed_by", "hours"])
                entry = credit_signup(signup, task, by=by) if mark.attended else None
                s.data = {
                    "signup": signup.pk,
                    "volunteer": signup.volunteer_id,
                    "result": signup.state,
                    "hours": str(signup.hours),
                    "points": entry.amount if entry else 0,
                }
            if entry is not None:
                credited.append((signup.volunteer, entry))
            done.append(signup)
        for volunteer, entry in credited:
            notify(
                users=[volunteer],
                kind=Kind.POINTS,
                title=gettext_lazy("获得 %(points)s 积分：%(title)s"),
                body=gettext_lazy("感谢您参加志愿服务。"),
                params={"points": entry.amount, "title": task.title},
                url=reverse("points:me"),
            )
    return done


# ---------------------------------------------------------------- corrections and grants


def points_correct(*, entry_id: int, by: User, reason: str) -> PointsEntry:
    """冲正: post the reverse of an entry (never edit it). An entry is reversed at most once; a reversal
    that would take a volunteer below zero is refused."""
    require_staff(by, _("只有工作人员可以执行此操作"))
    entry = PointsEntry.objects.select_related("debit", "credit").filter(pk=entry_id).first()
    if entry is None or not in_scope(by, entry.area_code):
        raise NotFound(_("积分流水不存在或不在您的管辖范围内"), field="entry")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("required", _("冲正必须填写原因"), "reason")
    if entry.kind == EntryKind.CORRECTION:
        raise Conflict("not_reversible", _("冲正流水不能再冲正"), "entry")
    with transaction.atomic():
        # Lock the account that gives the points back first, so a second reversal waits and then sees
        # the first one (already reversed) rather than the balance it left.
        PointsAccount.objects.select_for_update().filter(pk=entry.credit_id).first()
        if PointsEntry.objects.filter(reverses=entry).exists():
            raise Conflict("already_reversed", _("该流水已冲正"), "entry")
        _lock_for_debit(entry.credit, entry.amount)
        try:
            with transaction.atomic():
                reversal = post_entry(
                    debit=entry.credit,
                    credit=entry.debit,
                    amount=entry.amount,
                    kind=EntryKind.CORRECTION,
                    area_code=entry.area_code,
                    by=by,
                    memo=(_("冲正：%(reason)s") % {"reason": reason}),
                    reverses=entry,
                )
        except IntegrityError as exc:
            raise Conflict("already_reversed", _("该流水已冲正"), "entry") from exc
        audit.record(
            actor=by,
            verb="points.correct",
            obj=reversal,
            before={"entry": entry.pk, "amount": entry.amount},
            after={"entry": reversal.pk},
            reason=reason,
        )
    return reversal


def points_grant(*, by: User, volunteer: User, area: str, amount: int, reason: str) -> PointsEntry:
    """调整: staff give a volunteer points from their community's pool (e.g. an activity recorded on paper)."""
    require_staff(by, _("只有工作人员可以执行此操作"))
    if not in_scope(by, area):
        raise NotFound(_("区域不存在或不在您的管辖范围内"), field="area")
    amount = cleaners.integer(amount, "amount", label=_("积分"), low=1, high=10_000, required=True)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("required", _("调整必须填写原因"), "reason")
    if volunteer.role not in VOLUNTEER_ROLES:
        raise DomainError("invalid", _("只能给志愿者或居民调整积分"), "volunteer")
    with transaction.atomic():
        entry = post_entry(
            debit=pool_account(area),
            credit=volunteer_account(volunteer),
            amount=amount,
            kind=EntryKind.GRANT,
            area_code=area,
            by=by,
            memo=reason,
        )
        audit.record(actor=by, verb="points.grant", obj=entry, after={"amount": amount}, reason=reason)
    return entry


# ---------------------------------------------------------------- rewards and redemption


def reward_create(
    *, by: User, area: str, name: str, cost: int, stock: int, description: str = "", is_active: bool = True
) -> Reward:
    require_staff(by, _("只有工作人员可以执行此操作"))
    target = Area.objects.filter(code=area).first()
    if target is None or not in_scope(by, area):
        raise NotFound(_("区域不存在或不在您的管辖范围内"), field="area")
    if target.level != Level.COMMUNITY:
        raise DomainError("invalid", _("兑换站设在社区"), "area")
    name = (name or "").strip()
    if not name:
        raise DomainError("required", _("必填"), "name")
    cost = cleaners.integer(cost, "cost", label=_("所需积分"), low=1, high=100_000, required=True)
    stock = cleaners.integer(stock, "stock", label=_("库存"), low=0, high=1_000_000, required=True)
    with transaction.atomic():
        reward = Reward.objects.create(
            area=target,
            name=name[:100],
            cost=cost,
            stock=stock,
            description=description or "",
            is_active=is_active,
        )
        audit.record(actor=by, verb="points.reward_create", obj=reward, after={"cost": cost, "stock": stock})
    return reward


def redeem(*, reward_id: int, by: User, volunteer: User | None = None, quantity: int = 1) -> Redemption:
    """积分兑换: at the station (staff of the reward's community, for ``volunteer``) or self-service (the
    volunteer for themself). In one transaction: lock the volunteer's account, check the balance, take the
    stock with a conditional UPDATE (never below zero), record the redemption and its entry."""
    from gridgov.points.selectors import reward_get_visible

    reward = reward_get_visible(by, reward_id)
    quantity = cleaners.integer(
        quantity, "quantity", label=_("数量"), low=1, high=MAX_QUANTITY, required=True
    )
    if volunteer is None or volunteer.pk == getattr(by, "pk", None):
        if not is_volunteer_user(by):
            raise DomainError("required", _("请选择兑换的志愿者"), "volunteer")
        volunteer = by
    elif not staff_in_scope(by, reward.area.code):
        raise DomainError("forbidden", _("只有该兑换站所在社区的工作人员可以代为兑换"), status=403)
    if volunteer.role not in VOLUNTEER_ROLES or not volunteer.is_active:
        raise DomainError("invalid", _("只有志愿者或居民可以兑换积分"), "volunteer")
    if not reward.is_active:
        raise Conflict("inactive", _("该物品已下架"), "reward")
    account = volunteer_account(volunteer)
    station = station_account(reward.area.code)
    with transaction.atomic():
        points = reward.cost * quantity
        _lock_for_debit(account, points)
        if not Reward.objects.filter(pk=reward.pk, is_active=True, stock__gte=quantity).update(
            stock=F("stock") - quantity
        ):
            raise Conflict("out_of_stock", _("「%(name)s」库存不足") % {"name": reward.name}, "quantity")
        now = timezone.now()
        redemption = Redemption.objects.create(
            reward=reward,
            volunteer=volunteer,
            quantity=quantity,
            points=points,
            station=station,
            at=now,
            by=by,
        )
        post_entry(
            debit=account,
            credit=station,
            amount=points,
            kind=EntryKind.REDEMPTION,
            area_code=reward.area.code,
            by=by,
            memo=f"{reward.name} × {quantity}",
            at=now,
            redemption=redemption,
        )
        audit.record(
            actor=by,
            verb="points.redeem",
            obj=redemption,
            after={"reward": reward.pk, "volunteer": volunteer.pk, "quantity": quantity, "points": points},
        )
        if volunteer.pk != by.pk:
            notify(
                users=[volunteer],
                kind=Kind.POINTS,
                title=gettext_lazy("兑换「%(name)s」× %(quantity)s，使用 %(points)s 积分"),
                params={"name": reward.name, "quantity": quantity, "points": points},
                url=reverse("points:me"),
            )
    return redemption
