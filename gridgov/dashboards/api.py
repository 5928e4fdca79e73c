"""``/api/v1/command``: the command centre's figures (the landing dashboard, the cases behind a figure), the grid
map (indicators, grid outlines, each grid's value, case points), recurring problems (list, turn into a project
or a deliberation topic) and the period reports (list, generate, read). The same selectors and actions as the
pages; the figures are read from the replica when one is configured (``core.replica``)."""

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from gridgov.core.pagination import Mapped, Pages
from gridgov.dashboards import actions, selectors
from gridgov.dashboards.models import Hotspot, Report

router = Router(tags=[gettext_lazy("指挥中心")])


class PlaceOut(Schema):
    code: str
    name: str
    level: str
    level_label: str


class TileOut(Schema):
    key: str
    label: str
    kind: str = Field(..., description="flow (events of the day) or stock (open cases)")
    today: int | None
    yesterday: int | None
    last_week: int | None = Field(..., description="the same weekday a week before")
    url: str


class DashboardOut(Schema):
    area: PlaceOut
    path: list[PlaceOut]
    as_of: datetime | None = Field(..., description="when the figures were last refreshed")
    tiles: list[TileOut]
    trend: list[dict[str, Any]]
    categories: list[dict[str, Any]]
    children: list[dict[str, Any]]
    units: list[dict[str, Any]]
    visits: dict[str, Any]
    in_flight: dict[str, int]
    rankings: list[dict[str, Any]]
    hotspots: list[dict[str, Any]]


class CaseRowOut(Schema):
    ref: str
    category: str
    area: str
    state: str
    sla: str
    reported_at: datetime
    resolution_due: datetime | None
    lead_unit: str | None
    url: str


class MapIndicatorOut(Schema):
    code: str
    name: str
    unit: str
    direction: str
    good: str | None
    poor: str | None
    figure: str = Field(..., description="the figure whose cases a click on a grid lists")


class PeriodOut(Schema):
    key: str
    start: date
    end: date


class GridValueOut(Schema):
    code: str
    name: str
    value: float | None


class GridValuesOut(Schema):
    area: PlaceOut
    indicator: MapIndicatorOut
    period: PeriodOut
    grids: list[GridValueOut]


class PointOut(Schema):
    ref: str
    lat: float
    lng: float
    overdue: bool
    open: bool
    category: str


class PointsOut(Schema):
    area: PlaceOut
    days: int
    points: list[PointOut]


class HotspotOut(Schema):
    id: int
    category: str
    area: str
    area_code: str
    lat: float
    lng: float
    radius_m: int
    count: int
    previous_count: int = Field(..., description="cases of the window before, around the same place")
    trend: str = Field(..., description="up, down or flat against the window before")
    first_at: datetime
    last_at: datetime
    span_days: int
    state: str
    state_label: str
    url: str
    project_id: int | None = None
    topic_ref: str = ""


class CommandReportIn(Schema):
    area: str = Field(..., max_length=18)
    kind: str = Field(..., max_length=8, description="daily, weekly or monthly")
    period: str | None = Field(
        None, max_length=24, description="e.g. 2026-11-30, 2026-W48, 2026-11; default: the last complete one"
    )


class CommandReportOut(Schema):
    id: int
    kind: str
    area: str
    period: str
    version: int
    generated_at: datetime
    seconds: float
    url: str
    xlsx: str
    pdf: str


class CommandReportDetailOut(CommandReportOut):
    data: dict[str, Any]


def _case_row(case) -> dict:
    return {
        "ref": case.ref,
        "category": case.category.name,
        "area": case.area.name,
        "state": case.state,
        "sla": case.sla,
        "reported_at": case.reported_at,
        "resolution_due": case.resolution_due,
        "lead_unit": case.lead_unit.name if case.lead_unit_id else None,
        "url": case.get_absolute_url(),
    }


def _hotspot(h: Hotspot) -> dict:
    return {**selectors.hotspot_row(h), "project_id": h.project_id, "topic_ref": h.topic_ref}


def _report(r: Report, *, data: bool = False) -> dict:
    from django.urls import reverse

    out = {
        "id": r.pk,
        "kind": r.kind,
        "area": r.area_code,
        "period": r.period_key,
        "version": r.version,
        "generated_at": r.generated_at,
        "seconds": r.seconds,
        "url": r.get_absolute_url(),
        "xlsx": reverse("dashboards:report_xlsx", args=[r.pk]),
        "pdf": reverse("dashboards:report_pdf", args=[r.pk]),
    }
    if data:
        out["data"] = r.data
    return out


@router.get("/areas/{code}/dashboard", response=DashboardOut, summary="The landing dashboard of an area")
def dashboard(request: HttpRequest, code: str):
    return selectors.dashboard(request.auth, code)


@router.get("/areas/{code}/cases/{figure}", response=list[CaseRowOut], summary="The cases behind a figure")
@paginate(Pages, page_size=50)
def figure_cases(request: HttpRequest, code: str, figure: str, day: date | None = None):
    return Mapped(selectors.figure_cases(request.auth, code, figure, day=day), _case_row)


@router.get("/indicators", response=list[MapIndicatorOut], summary="The indicators a map can be coloured by")
def indicators(request: HttpRequest):
    selectors.require_viewer(request.auth)
    return [ind.__dict__ for ind in selectors.map_indicators()]


@router.get("/areas/{code}/grids", response=dict[str, Any], summary="The grids of an area as GeoJSON")
def grids(request: HttpRequest, code: str):
    return selectors.grid_shapes(request.auth, code)


@router.get("/areas/{code}/values", response=GridValuesOut, summary="Each grid's value of an indicator")
def values(
    request: HttpRequest,
    code: str,
    indicator: str = Query(..., max_length=40),
    period: str | None = Query(None, max_length=24, description="a period key; default: this month"),
):
    return selectors.grid_values(request.auth, code, indicator, period)


@router.get("/areas/{code}/points", response=PointsOut, summary="Points of open and recent cases")
def points(request: HttpRequest, code: str):
    return selectors.case_points(request.auth, code)


@router.get("/areas/{code}/hotspots", response=list[HotspotOut], summary="Recurring problems of an area")
def hotspots(request: HttpRequest, code: str, state: str | None = Query(None, max_length=12)):
    return [_hotspot(h) for h in selectors.hotspots(request.auth, code, state=state, limit=200)]


@router.get("/hotspots/{hotspot_id}", response=HotspotOut, summary="A recurring problem")
def hotspot(request: HttpRequest, hotspot_id: int):
    return _hotspot(selectors.hotspot_get(request.auth, hotspot_id))


@router.post(
    "/hotspots/{hotspot_id}/project", response=HotspotOut, summary="Turn a recurring problem into a project"
)
def hotspot_project(request: HttpRequest, hotspot_id: int):
    return _hotspot(actions.hotspot_to_project(by=request.auth, hotspot=hotspot_id))


@router.post(
    "/hotspots/{hotspot_id}/topic", response=HotspotOut, summary="Bring a recurring problem to deliberation"
)
def hotspot_topic(request: HttpRequest, hotspot_id: int):
    return _hotspot(actions.hotspot_to_topic(by=request.auth, hotspot=hotspot_id))


@router.get("/areas/{code}/reports", response=list[CommandReportOut], summary="The reports of an area")
@paginate(Pages, page_size=50)
def reports(request: HttpRequest, code: str, kind: str | None = Query(None, max_length=8)):
    return Mapped(selectors.reports(request.auth, code, kind=kind), _report)


@router.post("/reports", response={201: CommandReportDetailOut}, summary="Generate a report now")
def report_generate(request: HttpRequest, payload: CommandReportIn):
    report = actions.report_generate(
        by=request.auth, area=payload.area, kind=payload.kind, period=payload.period
    )
    return Status(201, _report(report, data=True))


@router.get(
    "/reports/{report_id}", response=CommandReportDetailOut, summary="A report with its figures as kept"
)
def report(request: HttpRequest, report_id: int):
    return _report(selectors.report_get(request.auth, report_id), data=True)
