"""``GET /api/v1/kpis``: case KPIs by area subtree, lead unit, category and period (definitions: docs/kpi.md)."""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from gridgov.cases.kpis import case_kpis

router = Router(tags=["kpis"])


class KpiQuery(Schema):
    area: str | None = Field(None, description="区域编码（含全部下级）；省略时为本账号管辖范围的顶层区域")
    start: date | None = Field(
        None, description="开始日期（含，北京时间），按上报时间归入统计期间；省略时为本月 1 日"
    )
    end: date | None = Field(
        None, description="结束日期（含，北京时间）；不早于开始日期，期间最长 3 年；省略时为今天"
    )
    group_by: str | None = Field(
        None, description="分组：child（下一级区域）/ unit（主办单位）/ category（事项分类）"
    )
    category: str | None = Field(None, description="只统计该事项分类（分类代码）")


class Rate(Schema):
    numerator: int = Field(..., description="分子")
    denominator: int = Field(..., description="分母")
    rate: float | None = Field(..., description="分子 / 分母，保留 4 位小数；分母为 0 时为 null")


class KpiBlock(Schema):
    reported: int = Field(..., description="上报数（含不予受理、已合并）")
    accepted: int = Field(..., description="受理数（已受理，不含已合并）")
    rejected: int = Field(..., description="不予受理数")
    merged: int = Field(..., description="合并数")
    closed: int = Field(..., description="结案数")
    overdue: int = Field(..., description="当前超时数（时限状态为超时）")
    escalated: int = Field(..., description="升级过的事件数")
    whistle_missed: int = Field(..., description="吹哨后未按时报到次数（按单位分组时归未报到的单位）")
    response_rate: Rate = Field(..., description="响应率 = 首次派遣后按时签收数 / 派遣数")
    resolution_rate: Rate = Field(..., description="解决率 = 已处置数 / 受理数")
    satisfaction_rate: Rate = Field(..., description="满意率 = （满意 + 基本满意）/ 已评价数")
    on_time_closure_rate: Rate = Field(..., description="按期结案率 = 按期结案数 / 到期数")
    closure_rate: Rate = Field(..., description="结案率 = 结案数 / 受理数")
    rework_rate: Rate = Field(..., description="返工率 = 返工过的事件数 / 处置过的事件数")
    extension_rate: Rate = Field(..., description="延期率 = 延期过的事件数 / 派遣数")


class KpiGroup(KpiBlock):
    key: str | int | None = Field(..., description="区域编码、单位 id（null：未指定主办单位）或分类代码")
    name: str


class KpiOut(Schema):
    area: str | None = Field(..., description="统计的区域；省略区域且管辖多个顶层区域时为 null")
    areas: list[str] = Field(..., description="统计的全部顶层区域")
    start: date
    end: date
    group_by: str | None
    category: str | None
    totals: KpiBlock
    groups: list[KpiGroup]


@router.get(
    "", response=KpiOut, summary="事件考核指标（响应率、解决率、满意率、按期结案率、结案率、返工率、延期率）"
)
def kpis(request: HttpRequest, q: Query[KpiQuery]):
    """Without ``start``/``end`` the period is the current month so far, like every report page."""
    today = timezone.localdate()
    start = q.start or (q.end or today).replace(day=1)
    end = q.end or max(today, start)
    return case_kpis(
        request.auth, area=q.area, start=start, end=end, group_by=q.group_by, category=q.category
    )
