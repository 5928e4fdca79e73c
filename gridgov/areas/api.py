from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy
from ninja import Field, Query, Router, Schema, Status

from gridgov.areas import actions, selectors
from gridgov.areas.models import Area, AreaChange
from gridgov.core.cleaners import limit

router = Router(tags=["areas"])


class AreaOut(Schema):
    code: str
    name: str
    level: str
    level_label: str
    kind: str
    grid_type: str
    parent: str | None
    is_active: bool
    child_count: int | None = None

    @staticmethod
    def resolve_level_label(obj: Area) -> str:
        return str(obj.get_level_display())

    @staticmethod
    def resolve_parent(obj: Area) -> str | None:
        return obj.code[:-3] if obj.parent_id else None

    @staticmethod
    def resolve_child_count(obj: Area) -> int | None:
        return getattr(obj, "child_count", None)


class AreaPathItem(Schema):
    code: str
    name: str


class AreaDetailOut(AreaOut):
    boundary: dict | None
    bbox: list[float] | None
    path: list[AreaPathItem]
    retired_at: datetime | None

    @staticmethod
    def resolve_bbox(obj: Area) -> list[float] | None:
        return [obj.min_lng, obj.min_lat, obj.max_lng, obj.max_lat] if obj.boundary else None


class AreaChildrenQuery(Schema):
    parent: str | None = Field(
        None, description=gettext_lazy("上级区域编码；省略时返回本账号管辖范围的顶层区域")
    )
    include_retired: bool = False


class AreaLookupQuery(Schema):
    lat: float = Field(..., ge=-90, le=90, description=gettext_lazy("纬度 (WGS-84)"))
    lng: float = Field(..., ge=-180, le=180, description=gettext_lazy("经度 (WGS-84)"))


class AreaLookupOut(Schema):
    code: str
    name: str
    kind: str
    grid_type: str
    community: str
    street: str


class AreaIn(Schema):
    code: str
    name: str = Field(..., max_length=limit(Area, "name"))
    parent: str | None = None
    boundary: dict[str, Any] | None = None
    kind: str = ""
    grid_type: str = ""
    reason: str = Field("", max_length=limit(AreaChange, "reason"))


class AreaPatch(Schema):
    name: str | None = Field(None, max_length=limit(Area, "name"))
    boundary: dict[str, Any] | None = None
    reason: str = Field("", max_length=limit(AreaChange, "reason"))


class AreaPartIn(Schema):
    name: str = Field(..., max_length=limit(Area, "name"))
    boundary: dict[str, Any]
    kind: str = ""
    grid_type: str = ""


class AreaSplitIn(Schema):
    parts: list[AreaPartIn]
    reason: str = Field(..., max_length=limit(AreaChange, "reason"))


class AreaMergeIn(Schema):
    codes: list[str]
    name: str = Field(..., max_length=limit(Area, "name"))
    reason: str = Field(..., max_length=limit(AreaChange, "reason"))


def detail(user, area: Area) -> Area:
    area.path = selectors.area_path_visible(user, area)
    return area


@router.get("", response=list[AreaOut], summary=gettext_lazy("下级区域列表（按管辖范围过滤）"))
def list_areas(request: HttpRequest, q: Query[AreaChildrenQuery]):
    return list(selectors.area_children_visible(request.auth, q.parent, include_retired=q.include_retired))


@router.get("/lookup", response=AreaLookupOut, summary=gettext_lazy("根据坐标查找所在网格"))
def lookup(request: HttpRequest, q: Query[AreaLookupQuery]):
    grid = selectors.grid_for_point_visible(request.auth, q.lng, q.lat)
    community = grid.parent
    return {
        "code": grid.code,
        "name": grid.name,
        "kind": grid.kind,
        "grid_type": grid.grid_type,
        "community": community.name,
        "street": community.parent.name,
    }


@router.post("/merge", response={201: AreaDetailOut}, summary=gettext_lazy("合并相邻网格"))
def merge(request: HttpRequest, payload: AreaMergeIn):
    area = actions.grid_merge(by=request.auth, codes=payload.codes, name=payload.name, reason=payload.reason)
    return Status(201, detail(request.auth, area))


@router.post("", response={201: AreaDetailOut}, summary=gettext_lazy("新建区域或网格"))
def create(request: HttpRequest, payload: AreaIn):
    area = actions.area_create(
        by=request.auth,
        code=payload.code,
        name=payload.name,
        parent_code=payload.parent,
        boundary=payload.boundary,
        kind=payload.kind,
        grid_type=payload.grid_type,
        reason=payload.reason,
    )
    return Status(201, detail(request.auth, area))


@router.get("/{code}", response=AreaDetailOut, summary=gettext_lazy("区域详情（含边界）"))
def get_area(request: HttpRequest, code: str):
    return detail(request.auth, selectors.area_get_visible(request.auth, code))


@router.get(
    "/{code}/children.geojson", summary=gettext_lazy("下级区域边界（GeoJSON FeatureCollection，供地图使用）")
)
def children_geojson(request: HttpRequest, code: str):
    return selectors.area_children_feature_collection(request.auth, code)


@router.patch("/{code}", response=AreaDetailOut, summary=gettext_lazy("更名或调整边界"))
def update(request: HttpRequest, code: str, payload: AreaPatch):
    area = actions.area_update(
        by=request.auth, code=code, name=payload.name, boundary=payload.boundary, reason=payload.reason
    )
    return detail(request.auth, area)


@router.post("/{code}/split", response={201: list[AreaDetailOut]}, summary=gettext_lazy("拆分网格"))
def split(request: HttpRequest, code: str, payload: AreaSplitIn):
    parts = [
        actions.Part(name=p.name, boundary=p.boundary, kind=p.kind, grid_type=p.grid_type)
        for p in payload.parts
    ]
    created = actions.grid_split(by=request.auth, code=code, parts=parts, reason=payload.reason)
    return Status(201, [detail(request.auth, a) for a in created])
