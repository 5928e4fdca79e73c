"""``/api/v1/tasks``, ``/api/v1/points``, ``/api/v1/rewards``: volunteer tasks and their workflow, the
points ledger (balances, history, corrections, figures) and the exchange station. Out of scope is 404, the
wrong role 403, the wrong state 409 with the allowed actions, a missing reason 400 naming the field."""

import json
from datetime import date, datetime
from decimal import Decimal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from gridgov.accounts.models import User
from gridgov.core.cleaners import REASON_LIMIT, limit
from gridgov.core.errors import DomainError, NotFound
from gridgov.core.pagination import Pages
from gridgov.core.scope import is_staff
from gridgov.core.timeline import timeline_of
from gridgov.points import actions, selectors
from gridgov.points.models import PointsAccount, PointsEntry, Redemption, Reward, Signup, VolunteerTask
from gridgov.points.workflow import allowed_actions

tasks = Router(tags=[gettext_lazy("志愿服务与积分")])  # /tasks
points = Router(tags=[gettext_lazy("志愿服务与积分")])  # /points
rewards = Router(tags=[gettext_lazy("志愿服务与积分")])  # /rewards


def _user(context) -> User | None:
    request = (context or {}).get("request")
    return getattr(request, "auth", None) if request is not None else None


# ---------------------------------------------------------------- schemas


class VolunteerTaskOut(Schema):
    id: int
    title: str
    description: str
    area_code: str
    area_name: str
    place: str
    starts_at: datetime
    ends_at: datetime
    signup_due: datetime | None
    slots: int
    taken: int
    free: int
    points: int
    requirements: str
    state: str
    state_label: str
    published_at: datetime | None
    cancel_reason: str
    allowed_actions: list[str] = Field(..., description=gettext_lazy("当前账号现在可以执行的操作"))

    @staticmethod
    def resolve_area_name(obj: VolunteerTask) -> str:
        return obj.area.name

    @staticmethod
    def resolve_state_label(obj: VolunteerTask) -> str:
        return str(obj.get_state_display())

    @staticmethod
    def resolve_allowed_actions(obj: VolunteerTask, context) -> list[str]:
        return allowed_actions(_user(context), obj)


class VolunteerTaskIn(Schema):
    area: str = Field(..., description=gettext_lazy("社区或网格编码（本人管辖范围内）"))
    title: str = Field(..., max_length=limit(VolunteerTask, "title"))
    place: str = Field(..., max_length=limit(VolunteerTask, "place"))
    starts_at: datetime
    ends_at: datetime
    slots: int = Field(..., description=gettext_lazy("名额"))
    points: int = Field(..., description=gettext_lazy("每人积分"))
    description: str = Field("", max_length=limit(VolunteerTask, "description"))
    requirements: str = Field("", max_length=limit(VolunteerTask, "requirements"))
    signup_due: datetime | None = None
    publish: bool = Field(False, description=gettext_lazy("创建后立即发布"))


class VolunteerTaskFilters(Schema):
    state: str | None = None
    area: str | None = Field(None, description=gettext_lazy("区域编码（含下级）"))
    upcoming: bool = Field(
        False, description=gettext_lazy("只列出可报名（报名中、已满员）且尚未开始的任务，最近开始的在前")
    )


class VolunteerPersonOut(Schema):
    id: int
    name: str


class VolunteerSignupOut(Schema):
    id: int
    task: int
    volunteer: VolunteerPersonOut
    state: str
    state_label: str
    signed_at: datetime
    confirmed_at: datetime | None
    hours: Decimal

    @staticmethod
    def resolve_task(obj: Signup) -> int:
        return obj.task_id

    @staticmethod
    def resolve_volunteer(obj: Signup) -> dict:
        return {"id": obj.volunteer_id, "name": str(obj.volunteer)}

    @staticmethod
    def resolve_state_label(obj: Signup) -> str:
        return str(obj.get_state_display())


class VolunteerStepOut(Schema):
    at: datetime
    actor: str
    action: str
    from_state: str
    to_state: str
    note: str


class VolunteerTaskDetailOut(Schema):
    task: VolunteerTaskOut
    my_signup: VolunteerSignupOut | None = Field(..., description=gettext_lazy("本人的报名（志愿者）"))
    signups: list[VolunteerSignupOut] | None = Field(..., description=gettext_lazy("报名名单（仅工作人员）"))
    timeline: list[VolunteerStepOut] | None = Field(..., description=gettext_lazy("办理记录（仅工作人员）"))


class VolunteerMarkIn(Schema):
    signup_id: int
    attended: bool
    hours: Decimal | None = Field(None, description=gettext_lazy("服务时长（小时）；省略时取任务的起止时间"))


class VolunteerAccountOut(Schema):
    id: int
    kind: str
    kind_label: str
    name: str

    @staticmethod
    def resolve_kind_label(obj: PointsAccount) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_name(obj: PointsAccount) -> str:
        return str(obj)


class VolunteerLineOut(Schema):
    entry: int
    at: datetime
    kind: str
    kind_label: str
    memo: str
    change: int = Field(..., description=gettext_lazy("本账户的变动：转入为正，转出为负"))
    balance: int = Field(..., description=gettext_lazy("该笔之后的余额"))
    area_code: str
    reversed: bool


class VolunteerAccountDetailOut(Schema):
    account: VolunteerAccountOut | None
    balance: int
    hours: Decimal | None = None
    history: list[VolunteerLineOut]


class VolunteerEntryOut(Schema):
    id: int
    at: datetime
    debit: VolunteerAccountOut
    credit: VolunteerAccountOut
    amount: int
    kind: str
    memo: str
    reverses: int | None
    area_code: str

    @staticmethod
    def resolve_reverses(obj: PointsEntry) -> int | None:
        return obj.reverses_id


class VolunteerCorrectionIn(Schema):
    entry: int = Field(..., description=gettext_lazy("要冲正的流水 id"))
    reason: str = Field("", max_length=REASON_LIMIT)


class VolunteerGrantIn(Schema):
    volunteer: int
    area: str
    amount: int
    reason: str = Field("", max_length=REASON_LIMIT)


class VolunteerSummaryQuery(Schema):
    area: str | None = None
    start: date
    end: date


class VolunteerSummaryOut(Schema):
    area: str
    start: date
    end: date
    issued: int = Field(..., description=gettext_lazy("发放积分（志愿服务 + 调整）"))
    issued_for_tasks: int
    granted: int
    redeemed: int
    expired: int
    corrected_to_volunteers: int
    corrected_from_volunteers: int
    tasks: int
    attendances: int
    hours: Decimal
    volunteers: int


class VolunteerRewardOut(Schema):
    id: int
    name: str
    description: str
    area_code: str
    area_name: str
    cost: int
    stock: int
    is_active: bool

    @staticmethod
    def resolve_area_code(obj: Reward) -> str:
        return obj.area.code

    @staticmethod
    def resolve_area_name(obj: Reward) -> str:
        return obj.area.name


class VolunteerRewardIn(Schema):
    area: str = Field(..., description=gettext_lazy("兑换站所在社区编码"))
    name: str = Field(..., max_length=limit(Reward, "name"))
    cost: int
    stock: int
    description: str = Field("", max_length=limit(Reward, "description"))
    is_active: bool = True


class VolunteerRedeemIn(Schema):
    volunteer: int | None = Field(
        None, description=gettext_lazy("代为兑换的志愿者账号 id（兑换站工作人员）；省略为本人自助兑换")
    )
    quantity: int = 1


class VolunteerRedemptionOut(Schema):
    id: int
    reward: int
    reward_name: str
    volunteer: VolunteerPersonOut
    quantity: int
    points: int
    at: datetime
    entry: int
    balance: int = Field(..., description=gettext_lazy("兑换后志愿者的积分余额"))
    stock: int = Field(..., description=gettext_lazy("兑换后的库存"))

    @staticmethod
    def resolve_reward(obj: Redemption) -> int:
        return obj.reward_id

    @staticmethod
    def resolve_reward_name(obj: Redemption) -> str:
        return obj.reward.name

    @staticmethod
    def resolve_volunteer(obj: Redemption) -> dict:
        return {"id": obj.volunteer_id, "name": str(obj.volunteer)}

    @staticmethod
    def resolve_entry(obj: Redemption) -> int:
        return obj.entry.pk

    @staticmethod
    def resolve_balance(obj: Redemption) -> int:
        return actions.balance(obj.entry.debit_id)

    @staticmethod
    def resolve_stock(obj: Redemption) -> int:
        return Reward.objects.get(pk=obj.reward_id).stock


# ---------------------------------------------------------------- tasks


@tasks.get(
    "",
    response=list[VolunteerTaskOut],
    summary=gettext_lazy("志愿任务（工作人员：管辖范围；志愿者：已发布的任务）"),
)
@paginate(Pages, page_size=50)
def list_tasks(request: HttpRequest, q: Query[VolunteerTaskFilters]):
    return selectors.task_list(request.auth, state=q.state, area=q.area, upcoming=q.upcoming)


@tasks.post(
    "",
    response={201: VolunteerTaskOut},
    summary=gettext_lazy("新建志愿任务（草稿，或 publish=true 直接发布）"),
)
def create_task(request: HttpRequest, payload: VolunteerTaskIn):
    task = actions.task_create(by=request.auth, **payload.dict())
    return Status(201, selectors.task_get_visible(request.auth, task.pk))


@tasks.get(
    "/{task_id}",
    response=VolunteerTaskDetailOut,
    summary=gettext_lazy("志愿任务详情、本人报名、报名名单与办理记录"),
)
def get_task(request: HttpRequest, task_id: int):
    user = request.auth
    task = selectors.task_get_visible(user, task_id)
    staff = is_staff(user)
    return {
        "task": task,
        "my_signup": selectors.my_signup(user, task),
        "signups": list(selectors.signups_of(task)) if staff else None,
        "timeline": [
            {
                "at": e.at,
                "actor": e.actor_label,
                "action": e.action,
                "from_state": e.from_state,
                "to_state": e.to_state,
                "note": e.note,
            }
            for e in timeline_of(task)
        ]
        if staff
        else None,
    }


@tasks.post(
    "/{task_id}/signup",
    response={201: VolunteerSignupOut},
    summary=gettext_lazy("报名（名额已满 409 task_full）"),
)
def signup(request: HttpRequest, task_id: int):
    return Status(201, actions.signup_create(task_id=task_id, by=request.auth))


@tasks.post(
    "/{task_id}/withdraw",
    response=VolunteerSignupOut,
    summary=gettext_lazy("取消报名（任务开始前），名额退回"),
)
def withdraw(request: HttpRequest, task_id: int):
    return actions.signup_withdraw(task_id=task_id, by=request.auth)


@tasks.post(
    "/{task_id}/attendance",
    response=list[VolunteerSignupOut],
    summary=gettext_lazy(
        "确认参加情况 [{signup_id, attended, hours?}]：参加的记积分（每人每任务一次，可安全重试）"
    ),
)
def attendance(request: HttpRequest, task_id: int, payload: list[VolunteerMarkIn]):
    marks = [actions.Mark(m.signup_id, m.attended, m.hours) for m in payload]
    return actions.attendance_confirm(task_id=task_id, by=request.auth, marks=marks)


def _reason(request: HttpRequest) -> str:
    """The optional JSON body ``{"reason": "..."}`` of a workflow step (an empty body is fine)."""
    if not request.content_type.endswith("json"):
        return request.POST.get("reason", "") if request.method == "POST" else ""
    if not request.body:
        return ""
    try:
        data = json.loads(request.body)
    except ValueError as exc:
        raise DomainError("invalid", _("请求体须为 JSON"), "body") from exc
    return str(data.get("reason") or "") if isinstance(data, dict) else ""


@tasks.post(
    "/{task_id}/{action}",
    response=VolunteerTaskOut,
    summary=gettext_lazy(
        "任务流程：publish 发布 / close 截止报名 / finish 结束 / cancel 取消（须填 reason）"
    ),
    openapi_extra={
        "requestBody": {
            "required": False,
            "content": {"application/json": {"schema": {"properties": {"reason": {"type": "string"}}}}},
        }
    },
)
def act(request: HttpRequest, task_id: int, action: str):
    task = actions.task_act(task_id=task_id, by=request.auth, action=action, reason=_reason(request))
    return selectors.task_get_visible(request.auth, task.pk)


# ---------------------------------------------------------------- points


def _lines(account: PointsAccount | None, limit: int = 200) -> list[dict]:
    return [
        {
            "entry": line.entry.pk,
            "at": line.entry.at,
            "kind": line.entry.kind,
            "kind_label": str(line.entry.get_kind_display()),
            "memo": line.entry.memo,
            "change": line.change,
            "balance": line.balance,
            "area_code": line.entry.area_code,
            "reversed": line.reversed,
        }
        for line in selectors.history(account, limit=limit)
    ]


@points.get(
    "/me",
    response=VolunteerAccountDetailOut,
    summary=gettext_lazy("我的积分：余额、服务时长、积分明细（最近 200 笔）"),
)
def my_points(request: HttpRequest):
    user = request.auth
    account = selectors.account_of(user)
    return {
        "account": account,
        "balance": actions.balance(account) if account else 0,
        "hours": selectors.hours_of(user),
        "history": _lines(account),
    }


@points.get(
    "/accounts/{account_id}",
    response=VolunteerAccountDetailOut,
    summary=gettext_lazy("积分账户（工作人员）：余额与明细"),
)
def get_account(request: HttpRequest, account_id: int):
    account = selectors.account_get_visible(request.auth, account_id)
    hours = selectors.hours_of(account.user) if account.user_id else None
    return {
        "account": account,
        "balance": actions.balance(account),
        "hours": hours,
        "history": _lines(account),
    }


@points.post(
    "/corrections",
    response={201: VolunteerEntryOut},
    summary=gettext_lazy("冲正：按原因冲销一笔流水（每笔只能冲正一次）"),
)
def correct(request: HttpRequest, payload: VolunteerCorrectionIn):
    entry = actions.points_correct(entry_id=payload.entry, by=request.auth, reason=payload.reason)
    return Status(201, entry)


@points.post(
    "/grants",
    response={201: VolunteerEntryOut},
    summary=gettext_lazy("调整：从社区积分池给志愿者补记积分（须填原因）"),
)
def grant(request: HttpRequest, payload: VolunteerGrantIn):
    volunteer = User.objects.filter(pk=payload.volunteer, is_active=True).first()
    if volunteer is None:
        raise NotFound(_("志愿者不存在"), field="volunteer")
    entry = actions.points_grant(
        by=request.auth, volunteer=volunteer, area=payload.area, amount=payload.amount, reason=payload.reason
    )
    return Status(201, entry)


@points.get(
    "/summary",
    response=VolunteerSummaryOut,
    summary=gettext_lazy("积分统计：期间内发放、兑换、过期、冲正的积分与服务人次"),
)
def summary(request: HttpRequest, q: Query[VolunteerSummaryQuery]):
    return selectors.summary(request.auth, area=q.area, start=q.start, end=q.end)


# ---------------------------------------------------------------- rewards


@rewards.get(
    "",
    response=list[VolunteerRewardOut],
    summary=gettext_lazy("兑换物品（工作人员：管辖范围；志愿者：上架的物品）"),
)
@paginate(Pages, page_size=100)
def list_rewards(request: HttpRequest, area: str | None = None):
    qs = selectors.rewards_visible_to(request.auth)
    return qs.filter(area__code__startswith=area) if area else qs


@rewards.post("", response={201: VolunteerRewardOut}, summary=gettext_lazy("新增兑换物品（社区工作人员）"))
def create_reward(request: HttpRequest, payload: VolunteerRewardIn):
    return Status(201, actions.reward_create(by=request.auth, **payload.dict()))


@rewards.post(
    "/{reward_id}/redeem",
    response={201: VolunteerRedemptionOut},
    summary=gettext_lazy("兑换：积分不足 409 insufficient_points，库存不足 409 out_of_stock"),
)
def redeem(request: HttpRequest, reward_id: int, payload: VolunteerRedeemIn):
    volunteer = None
    if payload.volunteer is not None:
        volunteer = User.objects.filter(pk=payload.volunteer).first()
        if volunteer is None:
            raise DomainError("invalid", _("志愿者不存在"), "volunteer", status=404)
    redemption = actions.redeem(
        reward_id=reward_id, by=request.auth, volunteer=volunteer, quantity=payload.quantity
    )
    return Status(201, redemption)
