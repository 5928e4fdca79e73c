"""Pages of the command centre (指挥中心, SPEC M12): an area's landing dashboard and its tiles (polled), the
cases behind a figure, the grid map, the big screen (大屏), and the recurring problems with the buttons
that turn one into a project or a deliberation topic.

Views stay thin: parse, call one selector or action, render. Out of scope is 404; an account that is not
staff (a unit, a resident) is refused with 403. The map and the big screen fetch their figures from
``/api/v1/command`` (``gridgov/dashboards/api.py``); the pages give them its address in ``data-``
attributes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from gridgov.core.errors import DomainError, NotFound
from gridgov.core.pages import is_fragment, query_date
from gridgov.core.periods import Period
from gridgov.dashboards import actions, selectors
from gridgov.dashboards.models import Hotspot
from gridgov.dashboards.workflow import HOTSPOT

T = TypeVar("T")

# Where the map's and the big screen's scripts fetch their figures (the API router's mount point).
API_BASE = "/api/v1/command/"
CASES_PER_PAGE = 50
HOTSPOTS_PER_PAGE = 50


def _call(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Call a selector: what it cannot find (or the reader may not see) is the page's 404, an account that
    may not open the command centre at all gets 403, any other refusal (an unknown figure) is a 404."""
    try:
        return fn(*args, **kwargs)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except DomainError as exc:
        if exc.status == 403:
            raise PermissionDenied(exc.message) from exc
        raise Http404(exc.message) from exc


def _links(code: str) -> dict[str, str]:
    return {
        "area_url": reverse("dashboards:area", args=[code]),
        "tiles_url": reverse("dashboards:tiles", args=[code]),
        "map_url": reverse("dashboards:map", args=[code]),
        "screen_url": reverse("dashboards:screen", args=[code]),
        "hotspots_url": reverse("dashboards:hotspots", args=[code]),
        "reports_url": reverse("dashboards:reports", args=[code]),
    }


def _charts(data: dict) -> dict:
    """What the trend and categories charts draw (sent to the page in a ``json_script`` block)."""
    return {
        "trend": [
            {
                "day": row["day"],
                "reported": row["reported"],
                "closed": row["closed"],
                "overdue": row["overdue"],
            }
            for row in data["trend"]
        ],
        "categories": [{"name": row["name"], "reported": row["reported"]} for row in data["categories"]],
    }


def _dashboard(request, code: str | None) -> dict:
    data = _call(selectors.dashboard, request.user, code)
    sums = {name: sum(row[name] for row in data["trend"]) for name in ("reported", "closed", "overdue")}
    return {**data, **_links(data["area"]["code"]), "charts": _charts(data), "trend_totals": sums}


@login_required
@require_GET
def home(request):
    """指挥中心: the signed-in staff member's own top area."""
    return render(request, "dashboards/area.html", _dashboard(request, None))


@login_required
@require_GET
def area(request, code: str):
    """An area's landing dashboard: tiles, trend, categories, children, units, visits, rankings, hot spots."""
    return render(request, "dashboards/area.html", _dashboard(request, code))


@login_required
@require_GET
def tiles(request, code: str):
    """The tiles alone, for the landing page's polling (htmx, every minute)."""
    place = _call(selectors.area_for, request.user, code)
    return render(
        request,
        "dashboards/_tiles.html",
        {
            "area": {"code": place.code, "name": place.name},
            "tiles": selectors.tiles(request.user, place),
            "as_of": selectors.as_of(),
            **_links(place.code),
        },
    )


@login_required
@require_GET
def cases(request, code: str, figure: str):
    """The cases behind one figure (a tile, a child's overdue count, a grid on the map)."""
    day = query_date(request.GET.get("day"), None)
    place = _call(selectors.area_for, request.user, code)
    rows = _call(selectors.figure_cases, request.user, code, figure, day=day)
    labels = {key: str(label) for key, label, _kind in selectors.TILES}
    kind = selectors.TILE_KINDS[figure]
    page = Paginator(rows, CASES_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "dashboards/cases.html",
        {
            "area": place,
            "figure": figure,
            "figure_label": labels[figure],
            "kind": kind,
            "day": (day or timezone.localdate()) if kind == "flow" else None,
            "page": page,
            "cases": page.object_list,
            **_links(place.code),
        },
    )


@login_required
@require_GET
def map_page(request, code: str):
    """The grid map: grids coloured by an indicator, case clusters, heat, recurring problems."""
    place = _call(selectors.area_for, request.user, code)
    indicators = selectors.map_indicators()
    chosen = request.GET.get("indicator", "")[:40]
    if chosen not in {ind.code for ind in indicators}:
        chosen = selectors.OPEN_OVERDUE
    period_error = ""
    period = request.GET.get("period", "").strip()[:24]
    try:
        period = Period.parse(period).key if period else Period.of("month", timezone.localdate()).key
    except DomainError as exc:
        period_error = exc.message
        period = Period.of("month", timezone.localdate()).key
    return render(
        request,
        "dashboards/map.html",
        {
            "area": place,
            "indicators": indicators,
            "indicator": chosen,
            "period": period,
            "period_error": period_error,
            "api_base": API_BASE,
            "case_list_template": reverse("dashboards:cases", args=["__code__", "__figure__"]),
            **_links(place.code),
        },
    )


@login_required
@require_GET
def screen(request, code: str):
    """大屏: the same figures for the command-centre wall (1920×1080), no navigation; the live part reloads
    itself every minute, the map refreshes its own layers."""
    context = {
        **_dashboard(request, code),
        "api_base": API_BASE,
        "case_list_template": reverse("dashboards:cases", args=["__code__", "__figure__"]),
        "indicator": selectors.OPEN_OVERDUE,
        "period": Period.of("month", timezone.localdate()).key,
    }
    template = "dashboards/_screen_live.html" if is_fragment(request) else "dashboards/screen.html"
    return render(request, template, context)


@login_required
@require_GET
def hotspots(request, code: str):
    """高发问题: the recurring problems of the area, most cases first (the quiet ones on request)."""
    place = _call(selectors.area_for, request.user, code)
    state = request.GET.get("state", "")
    if state not in Hotspot.State.values:
        state = ""
    rows = _call(selectors.hotspots, request.user, place.code, state=state or None)
    page = Paginator(rows, HOTSPOTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "dashboards/hotspots.html",
        {
            "area": place,
            "state": state,
            "states": Hotspot.State.choices,
            "page": page,
            "rows": [selectors.hotspot_row(h) for h in page.object_list],
            **_links(place.code),
        },
    )


def _converted_link(h: Hotspot) -> tuple[str, str]:
    """Where a converted recurring problem went (its project or topic page), for the link back."""
    if h.project_id:
        return reverse("projects:project", args=[h.project_id]), _("查看项目")
    if h.topic_ref:
        return reverse("deliberation:topic", args=[h.topic_ref]), _("查看议题 %(ref)s") % {"ref": h.topic_ref}
    return "", ""


@login_required
@require_GET
def hotspot(request, pk: int):
    """A recurring problem: its figures, its cases, and (for command staff) the buttons that convert it."""
    found = _call(selectors.hotspot_get, request.user, pk)
    page = Paginator(selectors.hotspot_cases(request.user, found), CASES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    converted_url, converted_label = _converted_link(found)
    return render(
        request,
        "dashboards/hotspot.html",
        {
            "hotspot": found,
            "row": selectors.hotspot_row(found),
            "page": page,
            "cases": page.object_list,
            # the buttons the workflow allows this reader now (command staff of its area, not converted yet)
            "allowed": set(HOTSPOT.allowed_actions(request.user, found)),
            "converted_url": converted_url,
            "converted_label": converted_label,
            "timeline": selectors.hotspot_timeline(found),
            "said": selectors.hotspot_words(request.user, found),  # its words, and alike reports (M14)
            **_links(found.area_code),
        },
    )


def _convert(request, pk: int, action: Callable[..., Hotspot], done: str):
    found = _call(selectors.hotspot_get, request.user, pk)
    back = reverse("dashboards:hotspot", args=[found.pk])
    try:
        action(by=request.user, hotspot=found.pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except DomainError as exc:
        if exc.status == 403:
            raise PermissionDenied(exc.message) from exc
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect(back)


@login_required
@require_POST
def hotspot_project(request, pk: int):
    """立项治理: the recurring problem becomes a draft project of its community."""
    return _convert(request, pk, actions.hotspot_to_project, _("已转为项目草稿，请完善后发布"))


@login_required
@require_POST
def hotspot_topic(request, pk: int):
    """提交议事: the recurring problem becomes a deliberation topic of its community."""
    return _convert(request, pk, actions.hotspot_to_topic, _("已转为议事议题"))
