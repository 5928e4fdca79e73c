"""Text that cannot be stored is refused where it comes in, with the field it is in.

A lone surrogate (``"\\ud800"`` in JSON) cannot be encoded as UTF-8, and PostgreSQL refuses the NUL
character; other control characters cannot be written to a spreadsheet. Such characters are refused in
every request — the JSON body of an API call (:class:`JsonParser`), the query string and the form fields
of any request (:class:`InputGuardMiddleware`) — as a 400 naming the field (``items[2].note``), before any
action sees them. Tab, line feed and carriage return are text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from ninja.parser import Parser

from gridgov.core.errors import DomainError

# C0 control characters but tab, LF and CR (what a spreadsheet cannot hold either), and lone surrogates.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
SURROGATE = re.compile(r"[\ud800-\udfff]")


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be stored, or ``None``."""
    if SURROGATE.search(value):
        return _("含有无法保存的字符（不成对的 Unicode 代理项）")
    if CONTROL.search(value):
        return _("含有不可见的控制字符")
    return None


# the largest whole number a database column holds (64-bit): larger ones are refused where they come in
INTEGER_MAX = 2**63 - 1
WHOLE = re.compile(r"[+-]?\d+")


def number_problem(value: object) -> str | None:
    """Why ``value`` — a whole number, or text that is one — is too large to be stored or looked up."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        if len(value) > 40 or not WHOLE.fullmatch(value.strip()):
            return None
        value = int(value)
    if isinstance(value, int) and abs(value) > INTEGER_MAX:
        return _("数字超出可保存的范围")
    return None


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


def check_value(value: Any, path: str = "") -> None:
    """Raise a 400 ``invalid_text`` naming the first string (or key) in ``value`` that cannot be stored,
    or ``invalid`` for a whole number too large for any column."""
    if isinstance(value, int) and number_problem(value):
        raise DomainError("invalid", number_problem(value), path or None)
    if isinstance(value, str):
        problem = text_problem(value)
        if problem:
            raise DomainError("invalid_text", problem, path or None)
    elif isinstance(value, dict):
        for key, item in value.items():
            where = _join(path, key)
            if isinstance(key, str) and text_problem(key):
                raise DomainError("invalid_text", text_problem(key), where)
            check_value(item, where)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            check_value(item, _join(path, i))


class JsonParser(Parser):
    """Ninja's JSON parser, with a clear 400 for a body that is not JSON and for text that cannot be
    stored."""

    def parse_body(self, request: HttpRequest):
        try:
            data = json.loads(request.body)
        except json.JSONDecodeError as exc:
            raise DomainError(
                "invalid_json",
                _("请求内容不是有效的 JSON（第 %(line)s 行第 %(column)s 列：%(reason)s）")
                % {"line": exc.lineno, "column": exc.colno, "reason": exc.msg},
            ) from None
        except UnicodeDecodeError:
            raise DomainError("invalid_json", _("请求内容不是 UTF-8 编码的 JSON")) from None
        check_value(data)
        return data


def _query_problem(request: HttpRequest) -> DomainError | None:
    for source in (request.GET, request.POST):
        for key, values in source.lists():
            for value in [key, *values]:
                problem = text_problem(value)
                if problem:
                    return DomainError("invalid_text", problem, key)
            for value in values:
                problem = number_problem(value)
                if problem:
                    return DomainError("invalid", problem, key)
    for key, files in request.FILES.lists():
        for f in files:
            problem = text_problem(getattr(f, "name", "") or "")
            if problem:
                return DomainError("invalid_text", problem, key)
    return None


class InputGuardMiddleware:
    """Refuses a query string or form field holding text that cannot be stored: JSON under ``/api/``,
    a 400 page elsewhere."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        error = _query_problem(request)
        if error is not None:
            return refusal(request, error)
        return self.get_response(request)


# Interfaces with an error format of their own (Open311 under ``/open311/``): path prefix → the function
# that writes ``error`` their way. Registered by the app that owns the interface.
REFUSERS: dict[str, Callable[[HttpRequest, DomainError], HttpResponse]] = {}


def refusal(request: HttpRequest, error: DomainError) -> HttpResponse:
    """``error`` as the API answers it under ``/api/`` (or an interface's own way under its prefix), else
    as a page."""
    for prefix, refuse in REFUSERS.items():
        if request.path.startswith(prefix):
            return refuse(request, error)
    if request.path.startswith("/api/"):
        response = JsonResponse(
            error.as_dict(), status=error.status, json_dumps_params={"ensure_ascii": False}
        )
    else:
        response = render(
            request, "400.html", {"message": error.message, "field": error.field}, status=error.status
        )
    return response


def json_or_form(request: HttpRequest, *, files: str | None = None) -> tuple[dict, list]:
    """The fields of an action that takes JSON, or a multipart form where it carries files: the JSON body
    (checked as every API body is) or the form's fields, and the uploaded files under ``files``."""
    if (request.content_type or "").startswith("application/json"):
        data = JsonParser().parse_body(request) if request.body else {}
        if not isinstance(data, dict):
            raise DomainError("invalid_json", _("请求内容应为 JSON 对象"))
        return data, []
    return request.POST.dict(), request.FILES.getlist(files) if files else []
