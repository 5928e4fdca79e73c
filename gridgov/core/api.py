"""The ``/api/v1`` NinjaAPI: authentication and the mapping of every error to ``{code, message, field}``."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.renderers import JSONRenderer
from ninja.security import APIKeyCookie, HttpBearer

from gridgov.core.errors import DomainError
from gridgov.core.ratelimit import rate_limited


class BearerToken(HttpBearer):
    def authenticate(self, request, token: str):
        from gridgov.accounts.actions import token_user

        user = token_user(token)
        if user is not None:
            request.user = user
        return user


class SessionCookie(APIKeyCookie):
    """The page session (for htmx and the map); unsafe methods need the CSRF token."""

    param_name = "sessionid"

    def __init__(self) -> None:
        super().__init__(csrf=True)

    def authenticate(self, request, key):  # noqa: ARG002
        user = getattr(request, "user", None)
        return user if user is not None and user.is_authenticated else None


AUTH = [BearerToken(), SessionCookie()]


class Utf8Renderer(JSONRenderer):
    """JSON with Chinese kept readable (no ``\\u`` escapes)."""

    json_dumps_params = {"ensure_ascii": False}


api = NinjaAPI(
    title="gridgov API",
    version="1",
    description="党建引领网格化基层治理平台接口。认证：`POST /api/v1/auth/token` 取得令牌后以 "
    "`Authorization: Bearer <token>` 调用。错误统一为 `{code, message, field}`。",
    urls_namespace="api-1",
    auth=AUTH,
    docs_url="/docs",
    docs_decorator=rate_limited("public"),
    renderer=Utf8Renderer(),
)


def error_body(code: str, message: str, field: str | None = None, **extra) -> dict:
    return {"code": code, "message": message, "field": field, **extra}


@api.exception_handler(DomainError)
def on_domain_error(request, exc: DomainError):
    response = api.create_response(request, exc.as_dict(), status=exc.status)
    if exc.status == 429 and "retry_after" in exc.extra:
        response["Retry-After"] = str(exc.extra["retry_after"])
    return response


def _loc_field(loc) -> str | None:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "payload", "header", "form")]
    return ".".join(parts) or None


@api.exception_handler(NinjaValidationError)
def on_validation_error(request, exc: NinjaValidationError):
    first = exc.errors[0] if exc.errors else {}
    field = _loc_field(first.get("loc", ()))
    message = first.get("msg", str(_("输入无效")))
    return api.create_response(
        request,
        error_body(
            "invalid",
            f"{field}：{message}" if field else message,
            field,
            errors=[{"field": _loc_field(e.get("loc", ())), "message": e.get("msg")} for e in exc.errors],
        ),
        status=400,
    )


@api.exception_handler(AuthenticationError)
def on_auth_error(request, exc):  # noqa: ARG001
    return api.create_response(
        request, error_body("unauthenticated", str(_("需要登录或有效的访问令牌"))), status=401
    )


@api.exception_handler(Http404)
def on_404(request, exc):  # noqa: ARG001
    return api.create_response(
        request, error_body("not_found", str(_("不存在或不在您的管辖范围内"))), status=404
    )


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    return api.create_response(request, error_body("http_error", str(exc)), status=exc.status_code)


def register_routers() -> None:
    from gridgov.accounts.api import router as accounts_router
    from gridgov.areas.api import router as areas_router
    from gridgov.cases.api import categories as categories_router
    from gridgov.cases.api import public as public_router
    from gridgov.cases.api import router as cases_router
    from gridgov.cases.kpi_api import router as kpi_router
    from gridgov.ledger import api as ledger_api
    from gridgov.ledger.import_api import exports, imports
    from gridgov.notify.api import router as inbox_router
    from gridgov.orders import api as orders_api
    from gridgov.points import api as points_api
    from gridgov.projects import api as projects_api
    from gridgov.visits.api import router as visits_router
    from gridgov.wishes.api import router as wishes_router

    api.add_router("/", accounts_router)
    api.add_router("/areas", areas_router)
    api.add_router("/cases", cases_router)
    api.add_router("/categories", categories_router)
    api.add_router("/public", public_router)
    api.add_router("/inbox", inbox_router)
    api.add_router("/kpis", kpi_router)
    api.add_router("/buildings", ledger_api.buildings)
    api.add_router("/households", ledger_api.households)
    api.add_router("/residents", ledger_api.residents)
    api.add_router("/organisations", ledger_api.organisations)
    api.add_router("/ledger", ledger_api.ledger)
    api.add_router("/imports", imports)
    api.add_router("/exports", exports)
    api.add_router("/visits", visits_router)
    api.add_router("/services", orders_api.catalogue)
    api.add_router("/orders", orders_api.router)
    api.add_router("/wishes", wishes_router)
    api.add_router("/needs", projects_api.needs)
    api.add_router("/resources", projects_api.resources)
    api.add_router("/projects", projects_api.projects)
    api.add_router("/tasks", points_api.tasks)
    api.add_router("/points", points_api.points)
    api.add_router("/rewards", points_api.rewards)


register_routers()
