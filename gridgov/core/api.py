"""The API's error mapping: every error becomes ``{code, message, field}`` with its status, and the JSON
renderer. The API itself is assembled in ``gridgov/api.py``; core holds only what every API shares."""

from __future__ import annotations

from functools import partial

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.renderers import JSONRenderer

from gridgov.core.errors import DomainError


class Utf8Renderer(JSONRenderer):
    """JSON with Chinese kept readable (no ``\\u`` escapes)."""

    json_dumps_params = {"ensure_ascii": False}


def error_body(code: str, message: str, field: str | None = None, **extra) -> dict:
    return {"code": code, "message": message, "field": field, **extra}


def on_domain_error(api: NinjaAPI, request, exc: DomainError):
    response = api.create_response(request, exc.as_dict(), status=exc.status)
    if exc.status == 429 and "retry_after" in exc.extra:
        response["Retry-After"] = str(exc.extra["retry_after"])
    return response


def _loc_field(loc) -> str | None:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "payload", "header", "form")]
    return ".".join(parts) or None


def on_validation_error(api: NinjaAPI, request, exc: NinjaValidationError):
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


def on_auth_error(api: NinjaAPI, request, exc):  # noqa: ARG001
    return api.create_response(
        request, error_body("unauthenticated", str(_("需要登录或有效的访问令牌"))), status=401
    )


def on_404(api: NinjaAPI, request, exc):  # noqa: ARG001
    return api.create_response(
        request, error_body("not_found", str(_("不存在或不在您的管辖范围内"))), status=404
    )


def on_http_error(api: NinjaAPI, request, exc: HttpError):
    return api.create_response(request, error_body("http_error", str(exc)), status=exc.status_code)


ERROR_HANDLERS = (
    (DomainError, on_domain_error),
    (NinjaValidationError, on_validation_error),
    (AuthenticationError, on_auth_error),
    (Http404, on_404),
    (HttpError, on_http_error),
)


def install_error_handlers(api: NinjaAPI) -> NinjaAPI:
    """Map every error of ``api`` to ``{code, message, field}``."""
    for exc_class, handler in ERROR_HANDLERS:
        api.add_exception_handler(exc_class, partial(handler, api))
    return api
