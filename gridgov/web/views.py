from __future__ import annotations

from django.conf import settings
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST
from django.views.i18n import set_language as django_set_language

from gridgov.accounts.actions import sign_in, user_set_language
from gridgov.areas.selectors import (
    area_children_visible,
    area_get_visible,
    area_path_visible,
    area_scope_roots,
)
from gridgov.core.errors import DomainError, NotFound
from gridgov.core.ratelimit import with_retry_after
from gridgov.core.scope import is_staff


def set_language(request):
    """Django's language switch; a signed-in person's choice is also kept for the messages sent to them."""
    response = django_set_language(request)
    language = request.POST.get("language", "")
    if request.method == "POST" and request.user.is_authenticated and language in dict(settings.LANGUAGES):
        user_set_language(by=request.user, language=language)
    return response


@login_required
def home(request):
    """The home page; staff with an area land on their command centre (指挥中心) instead."""
    roots = area_scope_roots(request.user)
    if is_staff(request.user) and roots:
        return redirect("dashboards:home")
    return render(request, "web/home.html", {"scope_roots": roots})


def login_view(request):
    error = None
    username = ""
    if request.method == "POST":
        username = request.POST.get("username", "")
        try:
            user = sign_in(username=username, password=request.POST.get("password", ""), request=request)
        except DomainError as exc:
            error = exc
        else:
            login(request, user)
            target = request.POST.get("next") or request.GET.get("next") or ""
            if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
                target = "web:home"
            return redirect(target)
    status = 200 if error is None else (429 if error.status == 429 else 400)
    context = {
        "error": error,
        "username": username,
        "next": request.POST.get("next") or request.GET.get("next", ""),
    }
    response = render(request, "web/login.html", context, status=status)
    return with_retry_after(response, error) if error is not None else response


@require_POST
def logout_view(request):
    logout(request)
    return redirect("web:login")


@login_required
@require_GET
def areas(request, code: str | None = None):
    """The area browser (区域与网格): the scope roots, or one area with its children and map."""
    user = request.user
    try:
        current = area_get_visible(user, code) if code else None
        children = area_children_visible(user, code)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    context = {
        "current": current,
        "path": area_path_visible(user, current) if current else [],
        "children": children,
    }
    return render(request, "web/areas.html", context)


@login_required
@require_GET
def area_children(request, code: str):
    """The children of one area, as the partial the tree's expand control loads (htmx)."""
    try:
        children = area_children_visible(request.user, code)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    return render(request, "web/_area_children.html", {"children": children})
