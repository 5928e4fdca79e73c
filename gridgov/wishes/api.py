"""``/api/v1/wishes``: post a wish (online or from the wish box), the scoped list, the public wish wall
(no login, anonymised), the detail with allowed actions and timeline, and one POST per workflow step."""

from datetime import datetime

from django.http import HttpRequest
from django.utils.translation import gettext_lazy
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from gridgov.core import ratelimit
from gridgov.core.cleaners import REASON_LIMIT, limit
from gridgov.core.pagination import Mapped, Pages
from gridgov.wishes import actions, selectors
from gridgov.wishes.models import Wish, WishClaim
from gridgov.wishes.workflow import allowed_actions

router = Router(tags=[gettext_lazy("微心愿")])


# ---------------------------------------------------------------- schemas


class WishIn(Schema):
    title: str = Field(..., description=gettext_lazy("心愿（60 字以内）"), max_length=limit(Wish, "title"))
    description: str = Field("", max_length=limit(Wish, "description"))
    category: str | None = Field(None, description=gettext_lazy("服务类别代码"))
    area: str | None = Field(None, description=gettext_lazy("所在社区或网格编码（关联户时可省略）"))
    source: str | None = Field(
        None, description=gettext_lazy("online 网上提交（居民）/ box 心愿箱（工作人员录入）")
    )
    wisher_name: str = Field(
        "", description=gettext_lazy("心愿人姓名（心愿箱必填）"), max_length=limit(Wish, "wisher_name")
    )
    wisher_phone: str = Field(
        "", description=gettext_lazy("心愿人电话（心愿箱，可选；加密保存，只显示掩码）")
    )
    household: int | None = Field(None, description=gettext_lazy("台账中的户 id（工作人员，可选）"))
    max_claimants: int = Field(1, description=gettext_lazy("可认领人数（工作人员录入时可设）"))
    claim_limit_days: int = Field(7, description=gettext_lazy("认领时限（工作日）"))
    fulfil_limit_days: int = Field(14, description=gettext_lazy("完成时限（工作日）"))
    client_id: str | None = Field(None, description=gettext_lazy("客户端生成的唯一键，重试时返回同一心愿"))


class WishOut(Schema):
    ref: str
    title: str
    description: str
    category: str | None
    category_name: str | None
    source: str
    state: str
    state_label: str
    wisher: str = Field(
        ..., description=gettext_lazy("心愿人：工作人员和本人看到姓名，其他人看到「姓**」或「某居民」")
    )
    wisher_phone: str = Field(..., description=gettext_lazy("掩码电话（只给工作人员）"))
    household: int | None
    area: str
    area_name: str
    max_claimants: int
    claimants_count: int
    claim_due: datetime | None
    fulfil_due: datetime | None
    sla: str = Field(..., description=gettext_lazy("normal / warning（黄）/ overdue（红）"))
    flagged: bool
    flag_reason: str
    created_at: datetime
    published_at: datetime | None
    fulfilled_at: datetime | None
    confirmed_at: datetime | None
    rating: str
    need: int | None


class WishClaimOut(Schema):
    id: int
    claimant: str
    unit: str | None
    state: str
    state_label: str
    claimed_at: datetime
    fulfil_due: datetime
    fulfilled_at: datetime | None
    fulfil_note: str
    evidence: list[str]
    released_at: datetime | None
    release_reason: str


class WishEventOut(Schema):
    at: datetime
    action: str
    from_state: str
    to_state: str
    actor: str
    note: str


class WishDetailOut(WishOut):
    allowed_actions: list[str]
    claims: list[WishClaimOut]
    timeline: list[WishEventOut]


class WishWallOut(Schema):
    ref: str
    title: str
    description: str
    category: str | None
    category_name: str | None
    wisher: str = Field(..., description=gettext_lazy("姓** 或 某居民"))
    grid: str = Field(..., description=gettext_lazy("网格（或社区）名称"))
    community: str
    max_claimants: int
    places_left: int
    claim_due: datetime | None
    published_at: datetime | None
    flagged: bool


class WishFilters(Schema):
    state: str | None = Field(None, description=gettext_lazy("状态，可用逗号分隔多个"))
    flagged: bool | None = None
    area: str | None = Field(None, description=gettext_lazy("区域编码（含下级）"))
    q: str = ""


class WishWallFilters(Schema):
    area: str | None = Field(None, description=gettext_lazy("区域编码（含下级）"))
    category: str | None = None


class WishPublishIn(Schema):
    note: str = Field("", max_length=REASON_LIMIT)
    max_claimants: int | None = None
    claim_limit_days: int | None = None
    fulfil_limit_days: int | None = None
    category: str | None = None


class WishReasonIn(Schema):
    reason: str = Field("", max_length=REASON_LIMIT)


class WishConfirmIn(Schema):
    rating: str = Field("", description=gettext_lazy("satisfied 满意 / basic 基本满意 / unsatisfied 不满意"))
    comment: str = Field("", max_length=limit(Wish, "confirm_comment"))


class WishToNeedIn(Schema):
    reason: str = Field("", max_length=REASON_LIMIT)
    category: str | None = Field(None, description=gettext_lazy("需求的服务类别；省略时取心愿的类别"))
    beneficiaries: int = 1
    urgency: str = "normal"


# ---------------------------------------------------------------- representations


def wish_dict(user, wish: Wish) -> dict:
    personal = selectors.sees_personal(user, wish)
    staff = personal and wish.wisher_id != getattr(user, "pk", None)
    return {
        "ref": wish.ref,
        "title": wish.title,
        "description": wish.description,
        "category": wish.category.code if wish.category_id else None,
        "category_name": wish.category.name if wish.category_id else None,
        "source": wish.source,
        "state": wish.state,
        "state_label": str(wish.get_state_display()),
        "wisher": selectors.wisher_label(user, wish),
        "wisher_phone": wish.wisher_phone_masked if staff else "",
        "household": wish.household_id if staff else None,
        "area": wish.area_code,
        "area_name": selectors.place_name(wish),
        "max_claimants": wish.max_claimants,
        "claimants_count": wish.claimants_count,
        "claim_due": wish.claim_due,
        "fulfil_due": wish.fulfil_due,
        "sla": wish.sla,
        "flagged": wish.flagged,
        "flag_reason": wish.flag_label,
        "created_at": wish.created_at,
        "published_at": wish.published_at,
        "fulfilled_at": wish.fulfilled_at,
        "confirmed_at": wish.confirmed_at,
        "rating": wish.rating,
        "need": wish.need_id,
    }


def claim_dict(claim: WishClaim) -> dict:
    return {
        "id": claim.pk,
        "claimant": claim.claimant_label,
        "unit": claim.unit.name if claim.unit_id else None,
        "state": claim.state,
        "state_label": str(claim.get_state_display()),
        "claimed_at": claim.claimed_at,
        "fulfil_due": claim.fulfil_due,
        "fulfilled_at": claim.fulfilled_at,
        "fulfil_note": claim.fulfil_note,
        "evidence": [f.get_absolute_url() for f in claim.files],
        "released_at": claim.released_at,
        "release_reason": claim.release_reason,
    }


def detail_dict(user, wish: Wish) -> dict:
    wish = selectors.wish_get_visible(user, wish.ref)
    return {
        **wish_dict(user, wish),
        "allowed_actions": allowed_actions(user, wish),
        "claims": [claim_dict(c) for c in selectors.claims_of(wish)],
        "timeline": [
            {
                "at": e.at,
                "action": e.action,
                "from_state": e.from_state,
                "to_state": e.to_state,
                "actor": e.actor_label,
                "note": e.note,
            }
            for e in selectors.timeline(user, wish)
        ],
    }


def wall_dict(wish: Wish) -> dict:
    return {
        "ref": wish.ref,
        "title": wish.title,
        "description": wish.description,
        "category": wish.category.code if wish.category_id else None,
        "category_name": wish.category.name if wish.category_id else None,
        "wisher": selectors.anonymous_name(wish),
        "grid": selectors.place_name(wish),
        "community": selectors.community_name(wish),
        "max_claimants": wish.max_claimants,
        "places_left": wish.places_left,
        "claim_due": wish.claim_due,
        "published_at": wish.published_at,
        "flagged": wish.flagged,
    }


# ---------------------------------------------------------------- endpoints (fixed paths before /{ref})


@router.post(
    "",
    response={201: WishDetailOut, 200: WishDetailOut},
    summary=gettext_lazy("提交心愿（居民网上提交；工作人员录入心愿箱）"),
)
def create_wish(request: HttpRequest, payload: WishIn):
    data = payload.dict()
    key = request.headers.get("Idempotency-Key") or data.pop("client_id")
    data.pop("client_id", None)
    wish, created = actions.wish_submit(by=request.auth, idempotency_key=key, **data)
    return Status(201 if created else 200, detail_dict(request.auth, wish))


@router.get(
    "",
    response=list[WishOut],
    summary=gettext_lazy("心愿列表（按管辖范围：工作人员本辖区，居民本人，认领人所认领）"),
)
@paginate(Pages, page_size=50)
def list_wishes(request: HttpRequest, q: Query[WishFilters]):
    user = request.auth
    return Mapped(selectors.wish_list(user, **q.dict()), lambda w: wish_dict(user, w))


@router.get(
    "/wall",
    response=list[WishWallOut],
    auth=None,
    summary=gettext_lazy("心愿墙（公开，无需登录；匿名显示，不含姓名、电话、住址）"),
)
@paginate(Pages, page_size=50)
def wall(request: HttpRequest, q: Query[WishWallFilters]):
    ratelimit.limit(request, "wall")
    return Mapped(selectors.wall(**q.dict()), wall_dict)


@router.get("/{ref}", response=WishDetailOut, summary=gettext_lazy("心愿详情（可执行的操作与办理记录）"))
def get_wish(request: HttpRequest, ref: str):
    return detail_dict(request.auth, selectors.wish_get_visible(request.auth, ref))


@router.post(
    "/{ref}/publish", response=WishDetailOut, summary=gettext_lazy("审核发布到心愿墙（社区工作人员）")
)
def publish(request: HttpRequest, ref: str, payload: WishPublishIn):
    return detail_dict(request.auth, actions.wish_publish(ref=ref, by=request.auth, **payload.dict()))


@router.post("/{ref}/reject", response=WishDetailOut, summary=gettext_lazy("不予发布（须填原因）"))
def reject(request: HttpRequest, ref: str, payload: WishReasonIn):
    return detail_dict(request.auth, actions.wish_reject(ref=ref, by=request.auth, reason=payload.reason))


@router.post(
    "/{ref}/claim", response=WishDetailOut, summary=gettext_lazy("认领（党员/志愿者，或单位经办人代表单位）")
)
def claim(request: HttpRequest, ref: str):
    claim = actions.wish_claim(ref=ref, by=request.auth)
    return detail_dict(request.auth, claim.wish)


@router.post("/{ref}/withdraw", response=WishDetailOut, summary=gettext_lazy("放弃认领（须填原因）"))
def withdraw(request: HttpRequest, ref: str, payload: WishReasonIn):
    return detail_dict(request.auth, actions.wish_withdraw(ref=ref, by=request.auth, reason=payload.reason))


@router.post(
    "/{ref}/fulfil",
    response=WishDetailOut,
    summary=gettext_lazy("完成心愿（认领人；multipart：note 必填，photos 可选）"),
)
def fulfil(request: HttpRequest, ref: str, note: Form[str] = "", photos: File[list[UploadedFile]] = None):
    wish = actions.wish_fulfil(ref=ref, by=request.auth, note=note, photos=photos or [])
    return detail_dict(request.auth, wish)


@router.post(
    "/{ref}/confirm",
    response=WishDetailOut,
    summary=gettext_lazy("确认并评价（心愿人；心愿箱心愿由工作人员代为确认）"),
)
def confirm(request: HttpRequest, ref: str, payload: WishConfirmIn):
    wish = actions.wish_confirm(ref=ref, by=request.auth, rating=payload.rating, comment=payload.comment)
    return detail_dict(request.auth, wish)


@router.post("/{ref}/to_need", response=WishDetailOut, summary=gettext_lazy("转入需求清单（须填原因）"))
def to_need(request: HttpRequest, ref: str, payload: WishToNeedIn):
    wish = actions.wish_to_need(ref=ref, by=request.auth, **payload.dict())
    return detail_dict(request.auth, wish)
