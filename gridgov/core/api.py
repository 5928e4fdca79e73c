"""The API's error mapping: every error becomes ``{code, message, field}`` with its status, and the JSON
renderer. The API itself is assembled in ``gridgov/api.py``; core holds only what every API shares."""

from __future__ import annotations

from functools import partial

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views import defaults
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
    """Pydantic's location of an error as a field name: ``schedules[0].weekday``, as actions name them."""
    field = ""
    for part in loc:
        if part in ("body", "query", "path", "payload", "header", "form"):
            continue
        field = f"{field}[{part}]" if isinstance(part, int) else f"{field}.{part}" if field else str(part)
    return field or None


def on_validation_error(api: NinjaAPI, request, exc: NinjaValidationError):
    first = exc.errors[0] if exc.errors else {}
    field = _loc_field(first.get("loc", ()))
    message = first.get("msg", str(_("输入无效")))
    return api.create_response(
        request,
        error_body(
            # an over-long text answers as the actions do (the limit is the model field's, in both places)
            "too_long" if first.get("type") == "string_too_long" else "invalid",
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
    if isinstance(exc.__cause__, DomainError):  # ninja wraps what the body parser refused
        return on_domain_error(api, request, exc.__cause__)
    return api.create_response(request, error_body("http_error", str(exc)), status=exc.status_code)


ERROR_HANDLERS = (
    (DomainError, on_domain_error),
    (NinjaValidationError, on_validation_error),
    (AuthenticationError, on_auth_error),
    (Http404, on_404),
    (HttpError, on_http_error),
    # an id in the path beyond what the database stores (SQLite refuses it before asking): no such object
    (OverflowError, on_404),
)


def install_error_handlers(api: NinjaAPI) -> NinjaAPI:
    """Map every error of ``api`` to ``{code, message, field}``."""
    for exc_class, handler in ERROR_HANDLERS:
        api.add_exception_handler(exc_class, partial(handler, api))
    return api


# ---------------------------------------------------------------- answers Django gives under /api/

STATUS_CODES = {
    400: ("bad_request", gettext_noop("请求无效")),
    401: ("unauthenticated", gettext_noop("需要登录或有效的访问令牌")),
    403: ("forbidden", gettext_noop("没有权限")),
    404: ("not_found", gettext_noop("接口或对象不存在")),
    405: ("method_not_allowed", gettext_noop("该接口不接受此请求方法")),
    413: ("too_large", gettext_noop("请求内容过大")),
    500: ("server_error", gettext_noop("服务器内部错误，请稍后重试")),
}


def is_api(request) -> bool:
    return request.path.startswith("/api/")


def json_error(status: int, code: str | None = None, message: str | None = None) -> JsonResponse:
    default_code, default_message = STATUS_CODES.get(status, ("error", gettext_noop("请求无法处理")))
    return JsonResponse(
        error_body(code or default_code, message or _(default_message)),
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )


class ApiErrorsMiddleware:
    """Every answer under ``/api/`` is JSON: an error Django or a view gives as a page (an unknown path, a
    method the endpoint does not take, a server error) becomes ``{code, message, field}`` with its status."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            is_api(request)
            and response.status_code >= 400
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            kept = {name: response[name] for name in ("Allow", "Retry-After") if name in response}
            response = json_error(response.status_code)
            for name, value in kept.items():
                response[name] = value
        return response


def bad_request(request, exception=None):
    """Django's 400 (a malformed request, or a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE``): 413 for a body
    that is too large; JSON under ``/api/``."""
    if isinstance(exception, RequestDataTooBig):
        limit_kb = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 1024
        message = _("请求内容过大（文件以外的内容上限 %(kb)s KB）") % {"kb": limit_kb}
        if is_api(request):
            return json_error(413, message=message)
        return render(request, "400.html", {"message": message}, status=413)
    if is_api(request):
        return json_error(400)
    return defaults.bad_request(request, exception)


# ---------------------------------------------------------------- the OpenAPI document

ERROR_SCHEMA = {
    "title": "Error",
    "type": "object",
    "description": "Every refusal: a machine-readable code, a message in the reader's language, the field at "
    "fault; some carry more (state and allowed_actions on 409, retry_after on 429, errors on 400).",
    "properties": {
        "code": {"type": "string"},
        "message": {"type": "string"},
        "field": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        "state": {"type": "string"},
        "allowed_actions": {"type": "array", "items": {"type": "string"}},
        "retry_after": {"type": "integer"},
        "errors": {"type": "array", "items": {"type": "object"}},
    },
    "required": ["code", "message", "field"],
}
ERROR_ANSWERS = {
    "400": gettext_noop("输入无效（field 指出字段）"),
    "401": gettext_noop("需要登录或有效的访问令牌"),
    "403": gettext_noop("没有权限"),
    "404": gettext_noop("不存在或不在您的管辖范围内"),
    "409": gettext_noop("当前状态不允许此操作，或与已有数据冲突"),
    "413": gettext_noop("请求内容过大"),
    "429": gettext_noop("请求过于频繁（Retry-After 给出秒数）"),
}


class DocumentedAPI(NinjaAPI):
    """The API whose OpenAPI document declares, for every operation, the error answers it may give
    (all in the one error format), beside the answers the operation declares itself."""

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
        error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                responses = {str(status): answer for status, answer in operation.get("responses", {}).items()}
                operation["responses"] = responses
                for status, description in ERROR_ANSWERS.items():
                    responses.setdefault(status, {"description": _(description), "content": error})
        return schema
