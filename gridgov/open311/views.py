"""The GeoReport v2 endpoints under ``/open311/v2/`` (docs/open311.md). Each resource ends in ``.json`` or
``.xml``; every answer, refusals included, is in that format (XML when the path names none).

Reads are public and counted under the ``public`` rate limit per address; a report needs an ``api_key``
and is counted per application. Reports carry no cookie session, so they are exempt from CSRF."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from gridgov.core import ratelimit
from gridgov.core.errors import DomainError
from gridgov.open311 import actions, formats, params, selectors


def _description(exc: DomainError) -> str:
    return f"{exc.field}: {exc.message}" if exc.field else exc.message


def refusal(fmt: str, exc: DomainError) -> HttpResponse:
    headers = {}
    if exc.status == 429 and "retry_after" in exc.extra:
        headers["Retry-After"] = str(exc.extra["retry_after"])
    return formats.errors(fmt, exc.status, _description(exc), headers=headers)


def input_refusal(request: HttpRequest, exc: DomainError) -> HttpResponse:
    """A query or form the input guard refused (text that cannot be stored), in the request's format."""
    return refusal("xml" if request.path.endswith(".xml") else "json", exc)


def endpoint(*methods: str) -> Callable:
    """A GeoReport resource taking ``methods``: the format from the URL, refusals in that format, reads
    counted under the ``public`` rate limit."""

    def decorate(view: Callable) -> Callable:
        @csrf_exempt
        @wraps(view)
        def wrapped(request: HttpRequest, fmt: str, **kwargs) -> HttpResponse:
            if request.method not in methods:
                return formats.errors(
                    fmt,
                    405,
                    _("该接口不接受此请求方法（可用：%(methods)s）") % {"methods": ", ".join(methods)},
                    headers={"Allow": ", ".join(methods)},
                )
            try:
                if request.method == "GET":
                    ratelimit.limit(request, "public")
                return view(request, fmt, **kwargs)
            except DomainError as exc:
                return refusal(fmt, exc)

        return wrapped

    return decorate


@endpoint("GET")
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    url = request.build_absolute_uri(reverse("open311:root"))
    return formats.answer(
        fmt,
        "discovery",
        {
            "changeset": selectors.CHANGESET,
            "contact": _("请联系本平台的管理员（区网格化服务管理中心）"),
            "key_service": _("上报需要 api_key：由平台管理员在管理后台「Open311 接口 › 客户端应用」中签发"),
            "endpoints": [
                {
                    "specification": selectors.SPECIFICATION,
                    "url": url,
                    "changeset": selectors.CHANGESET,
                    "type": "production",
                    "formats": list(formats.MEDIA_TYPES.values()),
                }
            ],
        },
    )


@endpoint("GET")
def services(request: HttpRequest, fmt: str) -> HttpResponse:
    selectors.jurisdiction(request.GET.get("jurisdiction_id"))
    return formats.answer(fmt, "services", selectors.services())


@endpoint("GET")
def service_definition(request: HttpRequest, fmt: str, code: str) -> HttpResponse:
    selectors.jurisdiction(request.GET.get("jurisdiction_id"))
    return formats.answer(fmt, "service_definition", selectors.service_definition(code))


@endpoint("GET", "POST")
def requests(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _report(request, fmt)
    district = selectors.jurisdiction(request.GET.get("jurisdiction_id"))
    query = params.request_query(request.GET)
    cases, more = selectors.request_list(district, query)
    headers = {}
    if more:
        following = request.GET.copy()
        following["page"] = str(query.page + 1)
        headers["Link"] = f'<{request.build_absolute_uri(request.path)}?{following.urlencode()}>; rel="next"'
    rows = selectors.request_rows(cases, extensions=query.extensions)
    return formats.answer(fmt, "service_requests", rows, headers=headers)


def _report(request: HttpRequest, fmt: str) -> HttpResponse:
    body = params.report_body(request)
    app = actions.client_app_authenticate(request=request, key=body.fields.get("api_key"))
    district = selectors.jurisdiction(
        body.fields.get("jurisdiction_id") or request.GET.get("jurisdiction_id")
    )
    submitted = actions.request_submit(
        app=app,
        jurisdiction=district,
        fields=body.fields,
        attributes=body.attributes,
        media=body.media,
        idempotency_key=request.headers.get("Idempotency-Key") or body.fields.get("client_id"),
    )
    row = {
        "service_request_id": submitted.case.ref,
        "token": submitted.token,
        "service_notice": selectors.service_notice(submitted.case.category),
        "account_id": None,
    }
    return formats.answer(fmt, "service_requests", [row], status=201 if submitted.created else 200)


@endpoint("GET")
def request_detail(request: HttpRequest, fmt: str, ref: str) -> HttpResponse:
    district = selectors.jurisdiction(request.GET.get("jurisdiction_id"))
    case = selectors.request_by_id(district, ref)
    extensions = params.flag(request.GET.get("extensions"), "extensions")
    return formats.answer(fmt, "service_requests", selectors.request_rows([case], extensions=extensions))


@endpoint("GET")
def token(request: HttpRequest, fmt: str, token: str) -> HttpResponse:
    district = selectors.jurisdiction(request.GET.get("jurisdiction_id"))
    return formats.answer(fmt, "service_requests", [selectors.token_request(district, token)])


@csrf_exempt
def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any other path under ``/open311/v2/``: the spec's 404, in the format the path ends with."""
    fmt = "json" if rest.endswith(".json") else "xml"
    return formats.errors(fmt, 404, _("没有这个资源：/open311/v2/%(path)s") % {"path": rest[:100]})
