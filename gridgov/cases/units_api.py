"""``GET /api/v1/units``: the units a dispatcher may dispatch a case to, with the routing rules' proposal
for one case when asked (``?case=<ref>``)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from gridgov.cases import selectors

router = Router(tags=["units"])


class DispatchUnitOut(Schema):
    id: int
    name: str
    kind: str
    kind_label: str
    area: str | None = Field(None, description="单位所在区域编码")

    @staticmethod
    def resolve_kind_label(obj) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_area(obj) -> str | None:
        return obj.area.code if obj.area_id else None


class DispatchProposalOut(Schema):
    case: str
    lead: DispatchUnitOut | None = Field(None, description="派遣规则建议的主办单位")
    assists: list[DispatchUnitOut] = Field(..., description="派遣规则建议的协办单位")


class DispatchUnitsOut(Schema):
    units: list[DispatchUnitOut]
    proposal: DispatchProposalOut | None = Field(None, description="给出 case 时：该事件的派遣建议")


class DispatchUnitsQuery(Schema):
    case: str | None = Field(None, max_length=32, description="事件编号：同时给出派遣规则的建议")


@router.get("", response=DispatchUnitsOut, summary="可派遣的单位（工作人员；给出 case 时附派遣建议）")
def dispatch_units(request: HttpRequest, q: Query[DispatchUnitsQuery]):
    return selectors.dispatch_options(request.auth, q.case)
