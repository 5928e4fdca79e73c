"""Volunteer pages (/volunteer/): the task list and task page with sign-up / withdraw, my page (tasks, hours,
points, history, rewards, redemptions); for staff the task form and its workflow buttons, the attendance
page, the exchange station, the community's figures and the rewards list.

Views stay thin: parse, call one selector or action, render. A ``DomainError`` becomes a message or a
form error next to its field; out of scope is 404.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gridgov.accounts.models import User
from gridgov.areas.models import Area, Level
from gridgov.core.errors import DomainError, NotFound
from gridgov.core.pages import error_status, require
from gridgov.core.scope import filter_in_scope, is_staff
from gridgov.core.timeline import timeline_of
from gridgov.points import actions, selectors
from gridgov.points.models import SignupState, TaskState
from gridgov.points.workflow import MACHINE, allowed_actions

TASK_FIELDS = {
    "area",
    "title",
    "place",
    "starts_at",
    "ends_at",
    "slots",
    "points",
    "description",
    "requirements",
    "signup_due",
}
ACTION_LABELS = MACHINE.labels()


def _task(user, pk):
    try:
        return selectors.task_get_visible(user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _when(value: str, field: str) -> datetime | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise DomainError("invalid", _("时间格式不正确"), field) from exc
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


def _date(value: str | None, default: date) -> date:
    try:
        return date.fromisoformat(value) if value else default
    except ValueError:
        return default


def _task_areas(user) -> list[Area]:
    qs = Area.objects.filter(is_active=True, level__in=[Level.COMMUNITY, Level.GRID]).order_by("code")
    return list(filter_in_scope(qs, user, "code")[:300])


def _community_areas(user) -> list[Area]:
    qs = Area.objects.filter(is_active=True, level=Level.COMMUNITY).order_by("code")
    return list(filter_in_scope(qs, user, "code")[:300])


# ---------------------------------------------------------------- tasks


@login_required
@require_GET
def task_list(request):
    """志愿任务: volunteers see the tasks they can still sign up for; staff every task of their scope."""
    user = request.user
    staff = is_staff(user)
    state = request.GET.get("state") or ""
    now = timezone.now()
    if staff:
        tasks = (
            selectors.task_list(user, state=state or None)
            .annotate(unconfirmed=Count("signups", filter=Q(signups__state=SignupState.SIGNED_UP)))
            .order_by("-starts_at", "-id")
        )
    else:
        tasks = selectors.task_list(user, upcoming=True)
    page = Paginator(tasks, 30).get_page(request.GET.get("page"))
    mine = set()
    if not staff:
        mine = set(
            selectors.my_signups(user)
            .filter(state=SignupState.SIGNED_UP, task__in=list(page.object_list))
            .values_list("task_id", flat=True)
        )
    return render(
        request,
        "points/task_list.html",
        {
            "page": page,
            "tasks": page.object_list,
            "staff": staff,
            "mine": mine,
            "state": state,
            "states": TaskState.choices,
            "now": now,
            "soon": now + timedelta(days=1),
        },
    )


def _form_values(post) -> dict:
    return {name: post.get(name, "") for name in TASK_FIELDS}


@login_required
@require_http_methods(["GET", "POST"])
def task_new(request):
    """发布志愿任务 (staff): save as draft or publish at once."""
    require(is_staff(request.user), _("只有工作人员可以使用该页面"))
    areas = _task_areas(request.user)
    if request.method == "GET":
        start = (timezone.localtime() + timedelta(days=3)).replace(hour=9, minute=0, second=0, microsecond=0)
        values = {
            "area": areas[0].code if len(areas) == 1 else "",
            "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
            "slots": "10",
            "points": "10",
        }
        return render(request, "points/task_form.html", {"values": values, "errors": {}, "areas": areas})
    values = _form_values(request.POST)
    try:
        task = actions.task_create(
            by=request.user,
            area=values["area"],
            title=values["title"],
            place=values["place"],
            starts_at=_when(values["starts_at"], "starts_at"),
            ends_at=_when(values["ends_at"], "ends_at"),
            signup_due=_when(values["signup_due"], "signup_due"),
            slots=values["slots"],
            points=values["points"],
            description=values["description"],
            requirements=values["requirements"],
            publish=request.POST.get("publish") == "1",
        )
    except DomainError as exc:
        field = exc.field if exc.field in TASK_FIELDS else "form"
        return render(
            request,
            "points/task_form.html",
            {"values": values, "errors": {field: exc.message}, "areas": areas},
            status=error_status(exc),
        )
    messages.success(request, _("志愿任务已发布。") if task.state != TaskState.DRAFT else _("已保存为草稿。"))
    return redirect("points:task", task.pk)


@login_required
@require_GET
def task_detail(request, pk: int):
    """志愿任务 page: terms, places left, my sign-up and its button; for staff the workflow and the list."""
    user = request.user
    task = _task(user, pk)
    staff = is_staff(user)
    allowed = allowed_actions(user, task)
    return render(
        request,
        "points/task_detail.html",
        {
            "task": task,
            "staff": staff,
            "allowed": allowed,
            "buttons": [(a, ACTION_LABELS[a]) for a in allowed if a in ("publish", "close", "finish")],
            "may_cancel": "cancel" in allowed,
            "may_attend": "attend" in allowed,
            "my_signup": selectors.my_signup(user, task),
            "signups": list(selectors.signups_of(task)) if staff else [],
            "timeline": [(e, ACTION_LABELS.get(e.action, e.action)) for e in timeline_of(task)]
            if staff
            else [],
            "hours": actions.task_hours(task),
        },
    )


def _after(request, pk: int, call, done: str):
    try:
        call()
    except DomainError as exc:
        if exc.status == 404:
            raise Http404(exc.message) from exc
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("points:task", pk)


@login_required
@require_POST
def task_signup(request, pk: int):
    _task(request.user, pk)
    return _after(
        request, pk, lambda: actions.signup_create(task_id=pk, by=request.user), _("报名成功，感谢您的参与！")
    )


@login_required
@require_POST
def task_withdraw(request, pk: int):
    _task(request.user, pk)
    return _after(
        request, pk, lambda: actions.signup_withdraw(task_id=pk, by=request.user), _("已取消报名。")
    )


@login_required
@require_POST
def task_act(request, pk: int, action: str):
    _task(request.user, pk)
    if action not in ("publish", "close", "finish", "cancel"):
        raise Http404
    return _after(
        request,
        pk,
        lambda: actions.task_act(
            task_id=pk, by=request.user, action=action, reason=request.POST.get("reason", "")
        ),
        _("已%(action)s。") % {"action": ACTION_LABELS[action]},
    )


@login_required
@require_http_methods(["GET", "POST"])
def attendance(request, pk: int):
    """确认参加情况: tick attended or absent for each sign-up; attended ones get the task's points."""
    require(is_staff(request.user), _("只有工作人员可以使用该页面"))
    task = _task(request.user, pk)
    signups = [s for s in selectors.signups_of(task) if s.state != SignupState.WITHDRAWN]
    error = ""
    if request.method == "POST":
        marks = []
        for s in signups:
            choice = request.POST.get(f"mark-{s.pk}", "")
            if choice not in ("attended", "absent"):
                continue
            hours = request.POST.get(f"hours-{s.pk}", "").strip()
            marks.append(
                actions.Mark(s.pk, choice == "attended", Decimal(hours) if _decimal(hours) else None)
            )
        try:
            actions.attendance_confirm(task_id=task.pk, by=request.user, marks=marks)
        except DomainError as exc:
            if exc.status == 404:
                raise Http404(exc.message) from exc
            error = exc.message
        else:
            messages.success(request, _("参加情况已确认，积分已记入志愿者账户。"))
            return redirect("points:attendance", task.pk)
    return render(
        request,
        "points/attendance.html",
        {
            "task": task,
            "signups": signups,
            "error": error,
            "may_attend": "attend" in allowed_actions(request.user, task),
            "hours": actions.task_hours(task),
        },
        status=400 if error else 200,
    )


def _decimal(value: str) -> bool:
    try:
        Decimal(value)
    except Exception:  # noqa: BLE001
        return False
    return bool(value)


# ---------------------------------------------------------------- my page and self-service redemption


@login_required
@require_GET
def me(request):
    """我的志愿服务: balance, hours, my tasks, points history, rewards to redeem, my redemptions."""
    user = request.user
    account = selectors.account_of(user)
    return render(
        request,
        "points/me.html",
        {
            "balance": actions.balance(account) if account else 0,
            "hours": selectors.hours_of(user),
            "signups": list(selectors.my_signups(user)[:30]),
            "history": selectors.history(account, limit=50),
            "rewards": list(selectors.rewards_visible_to(user).filter(stock__gt=0)[:50])
            if actions.is_volunteer_user(user)
            else [],
            "redemptions": list(selectors.redemptions_of(user)[:30]),
            "volunteer": actions.is_volunteer_user(user),
        },
    )


@login_required
@require_POST
def redeem_self(request, pk: int):
    """自助兑换 by the volunteer on my page."""
    try:
        r = actions.redeem(reward_id=pk, by=request.user, quantity=request.POST.get("quantity", "1"))
    except DomainError as exc:
        if exc.status == 404:
            raise Http404(exc.message) from exc
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("兑换成功：%(name)s × %(n)s，使用 %(p)s 积分。")
            % {"name": r.reward.name, "n": r.quantity, "p": r.points},
        )
    return redirect("points:me")


# ---------------------------------------------------------------- the exchange station


@login_required
@require_http_methods(["GET", "POST"])
def station(request):
    """积分兑换站 (staff): find a volunteer by user name or name, see their balance, redeem for them."""
    require(is_staff(request.user), _("只有工作人员可以使用该页面"))
    user = request.user
    q = (request.GET.get("q") or request.POST.get("q") or "").strip()
    chosen = None
    pick = request.GET.get("volunteer") or request.POST.get("volunteer")
    if pick:
        chosen = User.objects.filter(pk=pick, role__in=["volunteer", "resident"], is_active=True).first()
    found = selectors.find_volunteers(q) if q and chosen is None else []
    if len(found) == 1:
        chosen = found[0]
    if request.method == "POST" and chosen is not None:
        try:
            r = actions.redeem(
                reward_id=int(request.POST.get("reward") or 0),
                by=user,
                volunteer=chosen,
                quantity=request.POST.get("quantity", "1"),
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("已为 %(who)s 兑换 %(name)s × %(n)s，使用 %(p)s 积分。")
                % {"who": chosen, "name": r.reward.name, "n": r.quantity, "p": r.points},
            )
        return redirect(f"{request.path}?volunteer={chosen.pk}")
    account = selectors.account_of(chosen) if chosen else None
    rewards = list(selectors.rewards_visible_to(user).filter(is_active=True))
    return render(
        request,
        "points/station.html",
        {
            "q": q,
            "found": found,
            "chosen": chosen,
            "balance": actions.balance(account) if account else 0,
            "history": selectors.history(account, limit=10) if account else [],
            "rewards": rewards,
            "recent": list(selectors.redemptions_in_scope(user)[:20]),
        },
    )


# ---------------------------------------------------------------- the community's figures and rewards


@login_required
@require_GET
def community(request):
    """社区志愿服务统计: points issued / redeemed / expired for a period, volunteers with hours and points,
    the period's tasks."""
    require(is_staff(request.user), _("只有工作人员可以使用该页面"))
    user = request.user
    today = timezone.localdate()
    start = _date(request.GET.get("start"), today.replace(day=1) - timedelta(days=90))
    end = _date(request.GET.get("end"), today + timedelta(days=30))
    area = (request.GET.get("area") or "").strip() or None
    context = {"start": start, "end": end, "area": area or "", "areas": _community_areas(user), "error": ""}
    try:
        context["summary"] = selectors.summary(user, area=area, start=start, end=end)
        context["volunteers"] = selectors.volunteers_of(user, area=area, start=start, end=end)
    except DomainError as exc:
        if exc.status == 404:
            raise Http404(exc.message) from exc
        context["error"] = exc.message
        return render(request, "points/community.html", context, status=400)
    lo, hi = selectors.span(start, end)
    context["tasks"] = list(
        selectors.task_list(user, area=context["summary"]["area"] or None)
        .filter(starts_at__gte=lo, starts_at__lt=hi)
        .order_by("-starts_at")[:100]
    )
    return render(request, "points/community.html", context)


@login_required
@require_GET
def rewards(request):
    """兑换物品 of the stations in scope (edited in the admin)."""
    require(is_staff(request.user), _("只有工作人员可以使用该页面"))
    return render(
        request,
        "points/rewards.html",
        {"rewards": list(selectors.rewards_visible_to(request.user)), "admin": request.user.is_staff},
    )
