"""Cases under /api/v1: intake, scoped lists, detail, timeline, one POST per workflow action, public tracking."""

from datetime import date, datetime
from decimal import Decimal

from django.http import HttpRequest
from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from gridgov.accounts.auth import BearerToken, SessionCookie
from gridgov.cases import actions, selectors
from gridgov.cases.models import Case, CaseEvent, State, Whistle
from gridgov.cases.workflow import allowed_actions
from gridgov.core import ratelimit
from gridgov.core.cleaners import REASON_LIMIT, limit
from gridgov.core.inputs import json_or_form
from gridgov.core.pagination import Pages

STATE_LABELS = dict(State.choices)

router = Router(tags=["cases"])
public = Router(tags=["public"])
categories = Router(tags=["cases"])


class OptionalAuth:
    """Intake and rating accept signed-in users and anonymous residents alike."""

    def __init__(self) -> None:
        self.bearer, self.cookie = BearerToken(), SessionCookie()

    def __call__(self, request):
        if request.headers.get("Authorization", "").lower().startswith("bearer "):
            return self.bearer(request)  # a bad token is a 401, never silently anonymous
        user = getattr(request, "user", None)
        return user if user is not None and user.is_authenticated else _Anonymous()


class _Anonymous:
    is_authenticated = False
    pk = None

    def __bool__(self) -> bool:  # ninja needs a truthy auth result
        return True


def _user(request):
    auth = request.auth
    return auth if getattr(auth, "is_authenticated", False) else None


# ---------------------------------------------------------------- schemas


class CaseIn(Schema):
    category: str = Field(..., description="事项分类代码")
    description: str = Field(..., max_length=limit(Case, "description"))
    lng: float | None = None
    lat: float | None = None
    address: str = Field("", max_length=limit(Case, "address"))
    grid: str | None = Field(None, description="网格编码（工作人员录入时可直接指定）")
    reporter_name: str = Field("", max_length=limit(Case, "reporter_name"))
    reporter_phone: str = Field("", max_length=20)
    anonymous: bool = False
    channel: str | None = Field(None, description="portal / grid_worker / hotline / api")
    reported_at: datetime | None = Field(None, description="热线转办时的原始上报时间")
    client_id: str | None = Field(None, description="客户端生成的唯一键，重试时返回同一事件")
    attributes: dict[str, str | list[str]] | None = Field(
        None,
        description="What the category asks a report for (its attributes: code → value, a list for several "
        "choices; `GET /categories` and Open311 service definitions list them). When given, required "
        "attributes must be present.",
    )


class CaseUnitRef(Schema):
    id: int
    name: str


class CaseDispatchOut(Schema):
    unit: CaseUnitRef
    role: str
    state: str
    round: int
    dispatched_at: datetime
    claimed_at: datetime | None


class CaseOut(Schema):
    ref: str
    state: str
    state_label: str
    category: str
    category_name: str
    description: str
    address: str
    lng: float | None
    lat: float | None
    grid: str
    grid_name: str
    level: str
    handling_area: str
    channel: str
    reported_at: datetime
    lead_unit: CaseUnitRef | None
    response_due: datetime | None
    resolution_due: datetime | None
    deadline_provisional: bool
    sla: str
    rework_count: int
    reopen_count: int
    extension_count: int
    rating: str
    merged_into: str | None
    historical: bool = Field(False, description="brought in from an old system: a record, not current work")

    @staticmethod
    def resolve_state_label(obj: Case) -> str:
        # get_state_display() builds a dict of every state, translating each label to hash it
        return str(STATE_LABELS.get(obj.state, obj.state))

    @staticmethod
    def resolve_category(obj: Case) -> str:
        return obj.category.code

    @staticmethod
    def resolve_category_name(obj: Case) -> str:
        return obj.category.label

    @staticmethod
    def resolve_grid(obj: Case) -> str:
        return obj.area_code

    @staticmethod
    def resolve_grid_name(obj: Case) -> str:
        return obj.area.name

    @staticmethod
    def resolve_handling_area(obj: Case) -> str:
        return obj.area_code[: {"district": 6, "street": 9, "community": 12, "grid": 15}[obj.level]]

    @staticmethod
    def resolve_merged_into(obj: Case) -> str | None:
        return obj.merged_into.ref if obj.merged_into_id else None


class CaseDetailOut(CaseOut):
    reporter_name: str
    reporter_phone: str  # masked
    result: str
    attributes: dict = Field(description="Values of the category's attributes, by attribute code")
    allowed_actions: list[str]
    dispatches: list[CaseDispatchOut]
    possible_duplicates: list[str]

    @staticmethod
    def resolve_reporter_phone(obj: Case) -> str:
        return obj.masked_phone


class IntakeOut(CaseOut):
    created: bool
    rate_token: str | None = Field(None, description="评价码：只在首次创建时返回一次，居民凭它在跟踪页评价")
    possible_duplicates: list[str]


class CaseEventOut(Schema):
    at: datetime
    action: str
    actor: str
    from_state: str
    to_state: str
    note: str
    data: dict

    @staticmethod
    def resolve_actor(obj: CaseEvent) -> str:
        return obj.actor_label


class CaseListQuery(Schema):
    state: str | None = Field(None, description="状态，逗号分隔")
    category: str | None = None
    area: str | None = Field(None, description="区域编码（含下级）")
    unit: int | None = None
    overdue: bool | None = None
    start: date | None = None
    end: date | None = None


class CaseReasonIn(Schema):
    reason: str = Field("", max_length=REASON_LIMIT)


class CaseNoteIn(Schema):
    note: str = Field("", max_length=REASON_LIMIT)


class CaseRecategoriseIn(Schema):
    category: str = Field(..., max_length=40)
    note: str = Field("", max_length=REASON_LIMIT)


class CaseMergeIn(Schema):
    into: str = Field(..., max_length=32)
    reason: str = Field("", max_length=REASON_LIMIT)  # required by the action: 400 on "reason" when empty


class CaseDispatchIn(Schema):
    lead_unit_id: int | None = None
    assist_unit_ids: list[int] = []
    candidate_unit_ids: list[int] = Field([], description="多个候选主办单位：先签收者主办（抢单）")
    note: str = Field("", max_length=REASON_LIMIT)


class CaseRateIn(Schema):
    rating: str = Field(..., description="satisfied / basic / unsatisfied")
    comment: str = Field("", max_length=limit(Case, "rating_comment"))
    token: str | None = Field(None, description="未登录时使用上报时取得的评价码")


class CaseReopenIn(Schema):
    reason: str = Field("", max_length=REASON_LIMIT)
    token: str | None = None


class CaseWhistleIn(Schema):
    unit_ids: list[int]
    lead_unit_id: int
    report_hours: Decimal | None = Field(None, description="报到时限（小时，连续计时）")
    note: str = Field("", max_length=limit(Whistle, "note"))


class CaseExtendIn(Schema):
    amount: Decimal = Field(..., description="延长的时长，单位与该分类的办结时限相同")
    reason: str = Field("", max_length=REASON_LIMIT)


def _detail(user, case: Case) -> Case:
    case = selectors.case_get_visible(user, case.ref) if user is not None else case
    case.allowed_actions = allowed_actions(user, case)
    case.possible_duplicates = (
        [c.ref for c in selectors.duplicate_candidates(case, user)]
        if case.state in ("reported", "accepted")
        else []
    )
    return case


# ---------------------------------------------------------------- endpoints


@router.post("", response={201: IntakeOut, 200: IntakeOut}, auth=OptionalAuth(), summary="上报事件")
def create_case(request: HttpRequest, payload: CaseIn):
    if _user(request) is None:
        ratelimit.limit(request, "intake")
    key = request.headers.get("Idempotency-Key") or payload.client_id
    intake = actions.case_report(
        by=_user(request),
        category_code=payload.category,
        description=payload.description,
        lng=payload.lng,
        lat=payload.lat,
        address=payload.address,
        grid_code=payload.grid,
        reporter_name=payload.reporter_name,
        reporter_phone=payload.reporter_phone,
        anonymous=payload.anonymous,
        channel=payload.channel or ("api" if _user(request) is None else None),
        reported_at=payload.reported_at,
        idempotency_key=key,
        attributes=payload.attributes,
    )
    case = intake.case
    case.created, case.rate_token, case.possible_duplicates = (
        intake.created,
        intake.rate_token,
        intake.duplicates,
    )
    return Status(201 if intake.created else 200, case)


@router.post("/{ref}/photos", response={201: dict}, summary="补充现场照片（上报人或工作人员）")
def add_photos(request: HttpRequest, ref: str, photos: File[list[UploadedFile]]):
    count = actions.case_add_photos(ref=ref, by=request.auth, photos=photos)
    return Status(201, {"added": count})


@router.get("", response=list[CaseOut], summary="事件列表（按管辖范围）")
@paginate(Pages, page_size=50)
def list_cases(request: HttpRequest, q: Query[CaseListQuery]):
    return selectors.case_list(request.auth, **q.dict()).order_by("-reported_at", "-id")


@router.get("/{ref}", response=CaseDetailOut, summary="事件详情")
def get_case(request: HttpRequest, ref: str):
    return _detail(request.auth, selectors.case_get_visible(request.auth, ref))


@router.get("/{ref}/timeline", response=list[CaseEventOut], summary="办理记录")
def get_timeline(request: HttpRequest, ref: str):
    return list(selectors.timeline(selectors.case_get_visible(request.auth, ref)))


def _act(request, case: Case):
    return _detail(request.auth, case)


@router.post("/{ref}/accept", response=CaseDetailOut, summary="受理")
def accept(request: HttpRequest, ref: str, payload: CaseNoteIn):
    return _act(request, actions.case_accept(ref=ref, by=request.auth, note=payload.note))


@router.post("/{ref}/recategorise", response=CaseDetailOut, summary="Change the category (before dispatch)")
def recategorise(request: HttpRequest, ref: str, payload: CaseRecategoriseIn):
    return _act(
        request,
        actions.case_recategorise(
            ref=ref, by=request.auth, category_code=payload.category, note=payload.note
        ),
    )


@router.post("/{ref}/reject", response=CaseDetailOut, summary="不予受理（须填原因）")
def reject(request: HttpRequest, ref: str, payload: CaseReasonIn):
    return _act(request, actions.case_reject(ref=ref, by=request.auth, reason=payload.reason))


@router.post("/{ref}/merge", response=CaseDetailOut, summary="合并到另一事件（须填原因）")
def merge(request: HttpRequest, ref: str, payload: CaseMergeIn):
    return _act(
        request, actions.case_merge(ref=ref, by=request.auth, into=payload.into, reason=payload.reason)
    )


@router.post("/{ref}/dispatch", response=CaseDetailOut, summary="派遣（主办、协办或候选单位）")
def dispatch(request: HttpRequest, ref: str, payload: CaseDispatchIn):
    return _act(
        request,
        actions.case_dispatch(
            ref=ref,
            by=request.auth,
            lead_unit_id=payload.lead_unit_id,
            assist_unit_ids=payload.assist_unit_ids,
            candidate_unit_ids=payload.candidate_unit_ids,
            note=payload.note,
        ),
    )


@router.post("/{ref}/claim", response=CaseDetailOut, summary="签收")
def claim(request: HttpRequest, ref: str):
    return _act(request, actions.case_claim(ref=ref, by=request.auth))


@router.post("/{ref}/return", response=CaseDetailOut, summary="退回（须填原因）")
def return_(request: HttpRequest, ref: str, payload: CaseReasonIn):
    return _act(request, actions.case_return(ref=ref, by=request.auth, reason=payload.reason))


@router.post("/{ref}/start", response=CaseDetailOut, summary="开始处置")
def start(request: HttpRequest, ref: str):
    return _act(request, actions.case_start(ref=ref, by=request.auth))


@router.post(
    "/{ref}/resolve",
    response=CaseDetailOut,
    summary="处置反馈（JSON {result}，或 multipart：result + 佐证照片 evidence）",
)
def resolve(request: HttpRequest, ref: str):
    fields, files = json_or_form(request, files="evidence")
    result = fields.get("result") or ""
    return _act(request, actions.case_resolve(ref=ref, by=request.auth, result=str(result), evidence=files))


@router.post("/{ref}/verify", response=CaseDetailOut, summary="核实通过")
def verify(request: HttpRequest, ref: str, payload: CaseNoteIn):
    return _act(request, actions.case_verify(ref=ref, by=request.auth, note=payload.note))


@router.post("/{ref}/rework", response=CaseDetailOut, summary="返工（须填原因）")
def rework(request: HttpRequest, ref: str, payload: CaseReasonIn):
    return _act(request, actions.case_rework(ref=ref, by=request.auth, reason=payload.reason))


@router.post("/{ref}/close", response=CaseDetailOut, summary="结案")
def close(request: HttpRequest, ref: str, payload: CaseNoteIn):
    return _act(request, actions.case_close(ref=ref, by=request.auth, note=payload.note))


@router.post("/{ref}/escalate", response=CaseDetailOut, summary="上报上级指挥中心（须填原因）")
def escalate(request: HttpRequest, ref: str, payload: CaseReasonIn):
    return _act(request, actions.case_escalate(ref=ref, by=request.auth, reason=payload.reason))


@router.post("/{ref}/whistle", response=CaseDetailOut, summary="吹哨：召集多个单位并指定牵头单位")
def whistle(request: HttpRequest, ref: str, payload: CaseWhistleIn):
    return _act(
        request,
        actions.case_whistle(
            ref=ref,
            by=request.auth,
            unit_ids=payload.unit_ids,
            lead_unit_id=payload.lead_unit_id,
            report_hours=payload.report_hours,
            note=payload.note,
        ),
    )


@router.post("/{ref}/report", response=CaseDetailOut, summary="报到（被吹哨召集的单位）")
def report_in(request: HttpRequest, ref: str, payload: CaseNoteIn):
    return _act(request, actions.case_report_in(ref=ref, by=request.auth, note=payload.note))


@router.post("/{ref}/extend", response=CaseDetailOut, summary="延期（须填原因）")
def extend(request: HttpRequest, ref: str, payload: CaseExtendIn):
    return _act(
        request, actions.case_extend(ref=ref, by=request.auth, amount=payload.amount, reason=payload.reason)
    )


# ---------------------------------------------------------------- public tracking (no personal data)


class CasePublicEventOut(Schema):
    at: datetime
    action: str
    state: str
    note: str


class CasePublicOut(Schema):
    ref: str
    state: str
    state_label: str
    category: str
    grid: str
    community: str
    reported_at: datetime
    closed_at: datetime | None
    rated: bool
    merged_into: str | None
    timeline: list[CasePublicEventOut]


def _public(case: Case) -> dict:
    return {
        "ref": case.ref,
        "state": case.state,
        "state_label": str(case.get_state_display()),
        "category": case.category.name,
        "grid": case.area.name,
        "community": case.area.parent.name if case.area.parent_id else "",
        "reported_at": case.reported_at,
        "closed_at": case.closed_at,
        "rated": bool(case.rated_at),
        "merged_into": case.merged_into.ref if case.merged_into_id else None,
        "timeline": [
            {
                "at": e.at,
                "action": e.action,
                "state": e.to_state,
                # staff reasons and results are shown; names and phones never are
                "note": e.note if e.action in selectors.PUBLIC_NOTE_ACTIONS else "",
            }
            for e in selectors.public_timeline(case)
        ],
    }


@router.post(
    "/{ref}/rate", response=CasePublicOut, auth=OptionalAuth(), summary="评价（上报人，登录或凭评价码）"
)
def rate(request: HttpRequest, ref: str, payload: CaseRateIn):
    if payload.token:
        ratelimit.limit(request, "rating")
    return _public(
        actions.case_rate(
            ref=ref, by=_user(request), token=payload.token, rating=payload.rating, comment=payload.comment
        )
    )


@router.post("/{ref}/reopen", response=CasePublicOut, auth=OptionalAuth(), summary="重办（评价不满意时）")
def reopen(request: HttpRequest, ref: str, payload: CaseReopenIn):
    if payload.token:
        ratelimit.limit(request, "rating")
    return _public(
        actions.case_reopen(ref=ref, by=_user(request), token=payload.token, reason=payload.reason)
    )


@public.get("/cases/{ref}", response=CasePublicOut, auth=None, summary="公开跟踪（无个人信息）")
def track(request: HttpRequest, ref: str):
    ratelimit.limit(request, "tracking")
    return _public(selectors.public_case(ref))


class CaseCategoryOut(Schema):
    code: str
    name: str
    parent: str | None
    response_limit: Decimal
    response_unit: str
    resolution_limit: Decimal
    resolution_unit: str
    warning_ratio: Decimal
    anonymous_allowed: bool

    @staticmethod
    def resolve_parent(obj) -> str | None:
        return obj.parent.code if obj.parent_id else None


@categories.get("", response=list[CaseCategoryOut], auth=None, summary="事项分类及时限")
def list_categories(request: HttpRequest):
    ratelimit.limit(request, "public")
    return list(selectors.categories())
