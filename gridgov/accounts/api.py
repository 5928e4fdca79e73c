from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema, Status

from gridgov.accounts.actions import sign_in, token_issue, token_revoke
from gridgov.accounts.selectors import user_profile

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


@router.post("/auth/token", auth=None, response={200: TokenOut}, summary="以用户名和密码换取访问令牌")
def create_token(request: HttpRequest, payload: TokenIn):
    user = sign_in(username=payload.username, password=payload.password, request=request)
    key, token = token_issue(user=user)
    return {"token": key, "expires_at": token.expires_at.isoformat()}


@router.delete("/auth/token", response={204: None}, summary="注销当前令牌")
def delete_token(request: HttpRequest):
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        token_revoke(user=request.auth, key=header[7:].strip())
    return Status(204, None)


@router.get("/me", response=MeOut, summary="当前账号")
def me(request: HttpRequest):
    return user_profile(request.auth)
