from __future__ import annotations

from django.conf import settings
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST, require_safe
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
from gridgov.web import homes

LOOKUP_LIMIT = 50  # characters of a community or building name in the public grid lookup


def set_language(request):
    """Django's language switch; a signed-in person's choice is also kept for the messages sent to them."""
    response = django_set_language(request)
    language = request.POST.get("language", "")
    if request.method == "POST" and request.user.is_authenticated and language in dict(settings.LANGUAGES):
        user_set_language(by=request.user, language=language)
    return response


HOME_TEMPLATES = {
    "resident": ("web/home_resident.html", homes.resident_home),
    "grid": ("web/home_grid.html", homes.grid_home),
    "community": ("web/home_community.html", homes.community_home),
    "unit": ("web/home_unit.html", homes.unit_home),
}


@require_safe
def home(request):
    """The home page: the public front door when signed out; a home for what each role does; street,
    district and admin land on their command centre (指挥中心)."""
    user = request.user
    if not user.is_authenticated:
        return render(request, "web/home_public.html")
    kind = homes.home_kind(user)
    if kind == "command" and area_scope_roots(user):
        return redirect("dashboards:home")
    if kind in HOME_TEMPLATES:
        template, read = HOME_TEMPLATES[kind]
        return render(request, template, read(user))
    return render(request, "web/home.html", {"scope_roots": area_scope_roots(user)})


@require_GET
def grid_lookup(request):
    """我的网格 (public): which grid a building is in, its grid workers and its duty card."""
    community = request.GET.get("community", "")[:LOOKUP_LIMIT]
    building = request.GET.get("building", "")[:LOOKUP_LIMIT]
    asked = bool(community.strip() or building.strip())
    errors = {}
    if asked and not community.strip():
        errors["community"] = _("请填写社区名称")
    if asked and not building.strip():
        errors["building"] = _("请填写楼栋名称")
    found = homes.grid_lookup(community, building) if asked and not errors else []
    context = {
        "community": community,
        "building": building,
        "asked": asked,
        "errors": errors,
        "found": found,
        "limit": LOOKUP_LIMIT,
    }
    return render(request, "web/grid_lookup.html", context, status=400 if errors else 200)


@require_safe
def favicon(request):
    """Browsers ask for /favicon.ico whatever the page says; send them to the SVG."""
    return redirect(static("gridgov/favicon.svg"), permanent=True)


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
