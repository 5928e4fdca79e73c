from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, Router, Schema, Status

from gridgov.accounts import codes, residents
from gridgov.accounts.actions import sign_in, token_issue, token_revoke
from gridgov.accounts.models import HouseholdBinding, User
from gridgov.accounts.selectors import binding_of, binding_row, bindings_to_decide, user_profile
from gridgov.core import cleaners
from gridgov.core.crypto import mask_phone
from gridgov.core.errors import DomainError
from gridgov.core.scope import is_command_staff

router = Router(tags=["accounts"])


class TokenIn(Schema):
    username: str
    password: str


class TokenOut(Schema):
    token: str
    token_type: str = "bearer"
    expires_at: str


class AccountAreaRef(Schema):
    code: str
    name: str
    level: str


class MeOut(Schema):
    username: str
    display_name: str
    role: str
    role_label: str
    area: AccountAreaRef | None
    unit: str | None
    phone: str  # always masked
    scope: list[str] | None


@router.post(
    "/auth/token", auth=None, response={200: TokenOut}, summary=gettext_lazy("以用户名和密码换取访问令牌")
)
def create_token(request: HttpRequest, payload: TokenIn):
    user = sign_in(username=payload.username, password=payload.password, request=request)
    key, token = token_issue(user=user)
    return {"token": key, "expires_at": token.expires_at.isoformat()}


@router.delete("/auth/token", response={204: None}, summary=gettext_lazy("注销当前令牌"))
def delete_token(request: HttpRequest):
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        token_revoke(user=request.auth, key=header[7:].strip())
    return Status(204, None)


@router.get("/me", response=MeOut, summary=gettext_lazy("当前账号"))
def me(request: HttpRequest):
    return user_profile(request.auth)


# ---------------------------------------------------------------- residents: sign-in by code, household binding


class CodeIn(Schema):
    phone: str = Field(..., max_length=20)


class CodeOut(Schema):
    phone: str  # masked
    expires_at: str
    resend_after: int  # seconds before this number may ask again


class ResidentSessionIn(Schema):
    phone: str = Field(..., max_length=20)
    code: str = Field(..., max_length=codes.CODE_DIGITS)
    display_name: str = Field("", max_length=cleaners.limit(User, "display_name"))


class ResidentTokenOut(Schema):
    token: str
    token_type: str = "bearer"
    expires_at: str
    created: bool  # a new account (signed up)
    username: str


class HouseholdBindIn(Schema):
    id_number: str = Field(..., max_length=24)


class BindingOut(Schema):
    id: int
    state: str
    state_label: str
    name: str  # masked
    household: str
    reason: str
    created_at: str
    decided_at: str | None


class BindingQueueOut(BindingOut):
    applicant: str
    area_code: str


class BindingRefuseIn(Schema):
    reason: str = Field(..., max_length=cleaners.limit(HouseholdBinding, "reason"))


def _binding(binding, *, queue: bool = False) -> dict:
    row = binding_row(binding)
    row["created_at"] = row["created_at"].isoformat()
    row["decided_at"] = row["decided_at"].isoformat() if row["decided_at"] else None
    if not queue:
        row.pop("applicant")
        row.pop("area_code")
    return row


def _require_resident(user) -> None:
    if user.role not in residents.CODE_ROLES:
        raise DomainError("forbidden", _("只有居民账号可以申请户籍绑定"), status=403)


def _require_command_staff(user) -> None:
    if not is_command_staff(user):
        raise DomainError("forbidden", _("只有社区及以上工作人员可以审核户籍绑定"), status=403)


@router.post(
    "/residents/codes",
    auth=None,
    response={201: CodeOut},
    summary=gettext_lazy("向手机号发送登录验证码（居民登录/注册）"),
)
def send_resident_code(request: HttpRequest, payload: CodeIn):
    row = codes.code_send(phone=payload.phone, request=request)
    return Status(
        201,
        {
            "phone": mask_phone(codes.mobile(payload.phone)),
            "expires_at": row.expires_at.isoformat(),
            "resend_after": settings.CODE_PHONE_INTERVAL_SECONDS,
        },
    )


@router.post(
    "/residents/session",
    auth=None,
    response={200: ResidentTokenOut},
    summary=gettext_lazy("以手机号和验证码换取访问令牌（新号码自动注册居民账号）"),
)
def create_resident_session(request: HttpRequest, payload: ResidentSessionIn):
    user, created = residents.resident_sign_in(
        phone=payload.phone, code=payload.code, display_name=payload.display_name, request=request
    )
    key, token = token_issue(user=user)
    return {
        "token": key,
        "expires_at": token.expires_at.isoformat(),
        "created": created,
        "username": user.username,
    }


@router.get(
    "/residents/me/household", response={200: BindingOut, 204: None}, summary=gettext_lazy("我的户籍绑定申请")
)
def my_household_binding(request: HttpRequest):
    _require_resident(request.auth)
    binding = binding_of(request.auth)
    return _binding(binding) if binding else Status(204, None)


@router.post(
    "/residents/me/household",
    response={201: BindingOut},
    summary=gettext_lazy("申请户籍绑定（身份证号只用于比对）"),
)
def request_household_binding(request: HttpRequest, payload: HouseholdBindIn):
    binding = residents.household_bind_request(by=request.auth, id_number=payload.id_number)
    return Status(201, _binding(binding_of(request.auth) or binding))


@router.get(
    "/residents/bindings",
    response=list[BindingQueueOut],
    summary=gettext_lazy("待确认的户籍绑定申请（管辖范围内）"),
)
def list_bindings(request: HttpRequest, state: str = "pending"):
    _require_command_staff(request.auth)
    state = cleaners.choice(state, "state", HouseholdBinding.State, label=_("状态"))
    return [_binding(b, queue=True) for b in bindings_to_decide(request.auth, state)[:500]]


@router.post(
    "/residents/bindings/{binding_id}/confirm", response=BindingQueueOut, summary=gettext_lazy("确认户籍绑定")
)
def confirm_binding(request: HttpRequest, binding_id: int):
    return _binding(residents.binding_confirm(by=request.auth, pk=binding_id), queue=True)


@router.post(
    "/residents/bindings/{binding_id}/refuse",
    response=BindingQueueOut,
    summary=gettext_lazy("拒绝户籍绑定（须填原因）"),
)
def refuse_binding(request: HttpRequest, binding_id: int, payload: BindingRefuseIn):
    return _binding(
        residents.binding_refuse(by=request.auth, pk=binding_id, reason=payload.reason), queue=True
    )
