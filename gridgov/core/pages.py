"""The glue every module's pages share: a selector's 404 as the page's 404, a staff-only page, a refusal
shown next to the form field it concerns with the status the API would give, and htmx fragments."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any, TypeVar

from django.http import Http404

from gridgov.core.errors import DomainError, NotFound

T = TypeVar("T")


def found(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Call a ``*_get_visible`` selector; what it cannot find (or the user may not see) is the page's 404."""
    try:
        return fn(*args, **kwargs)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def require(allowed: bool, message: str = "") -> None:
    """A page only some people use (staff pages): everyone else gets the 404 page, as out of scope does."""
    if not allowed:
        raise Http404(message)


def error_status(exc: DomainError) -> int:
    """The status a page answers a refused form with (the API's, but 404 and 401 become a 400 form error)."""
    return exc.status if exc.status in (400, 403, 409, 429) else 400


def error_field(exc: DomainError, known: set[str], aliases: Mapping[str, str] | None = None) -> str:
    """The form field an error belongs to (``photos[2]`` → ``photos``), or ``form`` for the whole form."""
    name = (exc.field or "").split("[", 1)[0].split(".", 1)[0]
    if aliases:
        name = aliases.get(name, name)
    return name if name in known else "form"


def form_errors(
    exc: DomainError, known: set[str], aliases: Mapping[str, str] | None = None
) -> dict[str, str]:
    return {error_field(exc, known, aliases): exc.message}


def is_fragment(request) -> bool:
    """An htmx request for a fragment (a history restore after a cache miss wants the whole page)."""
    return bool(request.headers.get("HX-Request")) and not request.headers.get("HX-History-Restore-Request")


def signed_in(request):
    """The signed-in account, or ``None`` for an anonymous visitor."""
    return request.user if request.user.is_authenticated else None


def query_date(value: str | None, default: date) -> date:
    """A date from a query string (a report's period); anything unreadable is the default."""
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        return default


def list_query(request) -> str:
    """The list page's parameters other than ``page``, encoded for the pager's links (``web/_pager.html``)."""
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def run_form(request, action: Callable[[], object], done: str, back: str):
    """A small form posted from a list or detail page: run ``action``; on success say ``done``, on a refusal
    say why (the action's message, naming what is wrong); either way go back to ``back`` (post/redirect/get,
    so a reload never posts twice)."""
    from django.contrib import messages
    from django.shortcuts import redirect

    try:
        action()
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect(back)
