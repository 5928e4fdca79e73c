"""``/api/v1/assessment``: the data elements, the indicator catalogue (formulas checked), schemes with groups,
items and evaluators, rounds (open, marks, freeze, reopen, publish, verify), the ranking, a member's
scorecard, the rows behind a figure, and exemptions. The same actions and selectors as the pages."""

from datetime import date, datetime
from decimal import Decimal

from django.http import HttpRequest
from django.utils.translation import gettext_lazy
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from gridgov.assessment import actions, selectors
from gridgov.assessment.formula import parse
from gridgov.assessment.models import Exemption, Group, Indicator, Item, Mark, Round, Scheme
from gridgov.assessment.workflow import ROUND
from gridgov.core import elements
from gridgov.core.cleaners import REASON_LIMIT, limit
from gridgov.core.pagination import Mapped, Pages
from gridgov.core.timeline import timeline_rows

router = Router(tags=[gettext_lazy("考核评价")])


# ---------------------------------------------------------------- schemas


class ElementOut(Schema):
    name: str
    label: str
    help: str
    model: str
    kinds: list[str]
    stock: bool


class IndicatorIn(Schema):
    code: str = Field(..., max_length=limit(Indicator, "code"))
    name: str = Field(..., max_length=limit(Indicator, "name"))
    description: str = Field("", max_length=limit(Indicator, "description"))
    numerator: str = Field(
        ...,
        max_length=limit(Indicator, "numerator"),
        description="numerator formula over data elements, e.g. cases.closed_on_time",
    )
    denominator: str = Field(
        "",
        max_length=limit(Indicator, "denominator"),
        description="denominator formula; empty for a count or sum indicator",
    )
    factor: Decimal = Field(Decimal(1), description="factor: 100 gives a rate in per cent")
    unit: str = Field("", max_length=limit(Indicator, "unit"))
    direction: str = Field(
        "higher", max_length=8, description="higher (higher is better) / lower (lower is better)"
    )
    good: Decimal | None = None
    poor: Decimal | None = None


class IndicatorPatch(Schema):
    name: str | None = Field(None, max_length=limit(Indicator, "name"))
    description: str | None = Field(None, max_length=limit(Indicator, "description"))
    numerator: str | None = Field(None, max_length=limit(Indicator, "numerator"))
    denominator: str | None = Field(None, max_length=limit(Indicator, "denominator"))
    factor: Decimal | None = None
    unit: str | None = Field(None, max_length=limit(Indicator, "unit"))
    direction: str | None = Field(None, max_length=8)
    good: Decimal | None = None
    poor: Decimal | None = None
    is_active: bool | None = None


class IndicatorOut(Schema):
    code: str
    name: str
    description: str
    numerator: str
    denominator: str
    factor: Decimal
    unit: str
    direction: str
    good: Decimal | None
    poor: Decimal | None
    is_active: bool
    elements: list[str]


class FormulaIn(Schema):
    formula: str = Field(..., max_length=limit(Indicator, "numerator"))


class FormulaOut(Schema):
    formula: str
    elements: list[str]


class SchemeIn(Schema):
    name: str = Field(..., max_length=limit(Scheme, "name"))
    description: str = Field("", max_length=limit(Scheme, "description"))
    area: str = Field(..., max_length=18, description="the assessing area: a district or street code")
    pool: str = Field(..., max_length=12, description="communities / grids / streets / units")
    unit_kinds: list[str] = Field(default_factory=list, description="kinds of units ranked (pool=units)")
    period_kind: str = Field("month", max_length=8, description="day/week/month/quarter/half/year")
    visibility: str = Field(
        "own",
        max_length=4,
        description="own (each ranked sees its own row) / all (the ranked see the whole table)",
    )
    freeze_after_days: int | None = Field(
        None,
        description="days after the period when the sweep freezes the round (empty: opened and frozen by hand)",
    )


class SchemePatch(Schema):
    name: str | None = Field(None, max_length=limit(Scheme, "name"))
    description: str | None = Field(None, max_length=limit(Scheme, "description"))
    unit_kinds: list[str] | None = None
    period_kind: str | None = Field(None, max_length=8)
    visibility: str | None = Field(None, max_length=4)
    freeze_after_days: int | None = None
    is_active: bool | None = None


class GroupIn(Schema):
    name: str = Field(..., max_length=limit(Group, "name"))
    weight: Decimal


class GroupPatch(Schema):
    name: str | None = Field(None, max_length=limit(Group, "name"))
    weight: Decimal | None = None


class ItemIn(Schema):
    group: int
    kind: str = Field(
        ..., max_length=12, description="quantitative (an indicator) / qualitative (scored by evaluators)"
    )
    indicator: str | None = Field(
        None, max_length=limit(Indicator, "code"), description="quantitative: the indicator code"
    )
    name: str = Field(
        "",
        max_length=limit(Item, "name"),
        description="qualitative: the item name; quantitative: optional (the indicator name)",
    )
    guidance: str = Field("", max_length=limit(Item, "guidance"))
    weight: Decimal
    normalisation: str = Field(
        "target", max_length=8, description="target (against a target value) / minmax (within the pool)"
    )
    target: Decimal | None = None


class ItemPatch(Schema):
    group: int | None = None
    name: str | None = Field(None, max_length=limit(Item, "name"))
    guidance: str | None = Field(None, max_length=limit(Item, "guidance"))
    weight: Decimal | None = None
    normalisation: str | None = Field(None, max_length=8)
    target: Decimal | None = None


class EvaluatorIn(Schema):
    username: str = Field(..., max_length=150)


class GroupOut(Schema):
    id: int
    name: str
    weight: Decimal


class SchemeItemOut(Schema):
    id: int
    group: int
    kind: str
    name: str
    indicator: str | None
    guidance: str
    weight: Decimal
    normalisation: str
    target: Decimal | None


class RoundBrief(Schema):
    id: int
    scheme: int
    scheme_name: str
    period: str
    period_label: str
    start: date
    end: date
    state: str
    state_label: str


class SchemeOut(Schema):
    id: int
    name: str
    description: str
    area: str
    area_name: str
    pool: str
    unit_kinds: list[str]
    period_kind: str
    visibility: str
    freeze_after_days: int | None
    version: int
    is_active: bool
    manages: bool
    groups: list[GroupOut]
    items: list[SchemeItemOut]
    evaluators: list[str]
    rounds: list[RoundBrief]


class PeriodIn(Schema):
    period: str = Field(..., max_length=24, description="a period key such as 2026-11, 2026-Q4, 2026-W45")


class MarkIn(Schema):
    item: int
    key: str = Field(..., max_length=18)
    score: Decimal | None = Field(None, description="0–100; empty takes the evaluator's own score back")
    comment: str = Field("", max_length=limit(Mark, "comment"))


class MarksIn(Schema):
    marks: list[MarkIn]


class MarkOut(Schema):
    item: int
    key: str
    score: Decimal
    comment: str
    at: datetime


class RowOut(Schema):
    key: str
    name: str
    rank: int | None
    total: str | None
    previous_rank: int | None = None
    previous_total: str | None = None
    change: str | None = None
    groups: dict
    items: dict


class RankingOut(Schema):
    round: RoundBrief
    version: int | None
    counted_at: datetime | None
    whole: bool
    members: int
    exempted: int
    missing_marks: int
    definition: dict
    rows: list[RowOut]
    allowed_actions: list[str]
    timeline: list[dict]


class ScorecardOut(Schema):
    round: RoundBrief
    row: RowOut
    definition: dict
    marks: list[dict]


class DrillRowOut(Schema):
    ref: str
    url: str
    title: str
    state: str
    at: datetime | date | None


class RoundReasonIn(Schema):
    reason: str = Field("", max_length=REASON_LIMIT)


class ExemptionIn(Schema):
    case: str = Field(..., max_length=40)
    reason: str = Field(..., max_length=limit(Exemption, "reason"))


class RevokeIn(Schema):
    reason: str = Field(..., max_length=limit(Exemption, "revoke_reason"))


class ExemptionOut(Schema):
    id: int
    case: str
    area: str
    reason: str
    decided_by: str
    decided_at: datetime
    revoked_at: datetime | None
    revoke_reason: str


class VerifyOut(Schema):
    identical: bool
    members: int
    differences: list[dict]


class DrillFilters(Schema):
    part: str = Field("numerator", max_length=12, description="numerator / denominator / missing")
    element: str | None = Field(None, max_length=60)


# ---------------------------------------------------------------- presenters


def indicator_dict(ind: Indicator) -> dict:
    names = []
    for formula in (ind.numerator, ind.denominator):
        if formula:
            names.extend(parse(formula, known=lambda _n: True).names)
    return {
        "code": ind.code,
        "name": ind.name,
        "description": ind.description,
        "numerator": ind.numerator,
        "denominator": ind.denominator,
        "factor": ind.factor,
        "unit": ind.unit,
        "direction": ind.direction,
        "good": ind.good,
        "poor": ind.poor,
        "is_active": ind.is_active,
        "elements": list(dict.fromkeys(names)),
    }


def round_brief(rnd: Round) -> dict:
    return {
        "id": rnd.pk,
        "scheme": rnd.scheme_id,
        "scheme_name": rnd.scheme.name,
        "period": rnd.period,
        "period_label": selectors.period_of(rnd).label,
        "start": rnd.start,
        "end": rnd.end,
        "state": rnd.state,
        "state_label": str(rnd.get_state_display()),
    }


def scheme_dict(user, scheme: Scheme) -> dict:
    detail = selectors.scheme_detail(scheme)
    return {
        "id": scheme.pk,
        "name": scheme.name,
        "description": scheme.description,
        "area": scheme.area_code,
        "area_name": scheme.area.name,
        "pool": scheme.pool,
        "unit_kinds": scheme.unit_kinds,
        "period_kind": scheme.period_kind,
        "visibility": scheme.visibility,
        "freeze_after_days": scheme.freeze_after_days,
        "version": scheme.version,
        "is_active": scheme.is_active,
        "manages": selectors.manages(user, scheme),
        "groups": [{"id": g.pk, "name": g.name, "weight": g.weight} for g in detail["groups"]],
        "items": [
            {
                "id": i.pk,
                "group": i.group_id,
                "kind": i.kind,
                "name": i.name,
                "indicator": i.indicator.code if i.indicator_id else None,
                "guidance": i.guidance,
                "weight": i.weight,
                "normalisation": i.normalisation,
                "target": i.target,
            }
            for i in detail["items"]
        ],
        "evaluators": [e.user.username for e in detail["evaluators"]],
        "rounds": [round_brief(r) for r in selectors.rounds_of(user, scheme)],
    }


def ranking_dict(user, rnd: Round) -> dict:
    table = selectors.ranking(user, rnd)
    return {
        "round": round_brief(rnd),
        "version": rnd.version,
        "counted_at": rnd.counted_at,
        "whole": table["whole"],
        "members": table["members"],
        "exempted": table["exempted"],
        "missing_marks": table["missing_marks"],
        "definition": table["definition"],
        "rows": table["rows"],
        "allowed_actions": ROUND.allowed_actions(user, rnd),
        "timeline": [
            {
                "at": e["at"],
                "action": e["action"],
                "label": e["label"],
                "to_state": e["to_state"],
                "note": e["note"],
            }
            for e in timeline_rows(rnd, ROUND.labels())
        ],
    }


def exemption_dict(row: Exemption) -> dict:
    return {
        "id": row.pk,
        "case": row.case.ref,
        "area": row.area_code,
        "reason": row.reason,
        "decided_by": row.decided_by.display_name or row.decided_by.username,
        "decided_at": row.decided_at,
        "revoked_at": row.revoked_at,
        "revoke_reason": row.revoke_reason,
    }


# ---------------------------------------------------------------- elements and indicators


@router.get(
    "/elements", response=list[ElementOut], summary=gettext_lazy("数据项目录（各模块登记的统计口径）")
)
def list_elements(request: HttpRequest):
    selectors.require_reader(request.auth)
    return [
        {
            "name": e.name,
            "label": str(e.label),
            "help": str(e.help),
            "model": e.model,
            "kinds": sorted(e.kinds),
            "stock": e.stock,
        }
        for e in sorted(elements.elements(), key=lambda e: e.name)
    ]


@router.get("/indicators", response=list[IndicatorOut], summary=gettext_lazy("考核指标目录"))
def list_indicators(request: HttpRequest):
    selectors.require_reader(request.auth)
    return [indicator_dict(i) for i in selectors.indicators_visible(request.auth)]


@router.post(
    "/indicators",
    response={201: IndicatorOut},
    summary=gettext_lazy("新增指标（区级工作人员；公式逐字检查）"),
)
def create_indicator(request: HttpRequest, payload: IndicatorIn):
    return Status(201, indicator_dict(actions.indicator_create(by=request.auth, **payload.dict())))


@router.patch(
    "/indicators/{code}", response=IndicatorOut, summary=gettext_lazy("修改指标（已冻结的考核期不受影响）")
)
def update_indicator(request: HttpRequest, code: str, payload: IndicatorPatch):
    return indicator_dict(
        actions.indicator_update(by=request.auth, code=code, **payload.dict(exclude_unset=True))
    )


@router.post("/formula", response=FormulaOut, summary=gettext_lazy("检查公式（出错时指出位置和原因）"))
def check_formula(request: HttpRequest, payload: FormulaIn):
    selectors.require_reader(request.auth)
    formula = parse(payload.formula, field="formula", known=lambda n: elements.element(n) is not None)
    return {"formula": formula.text, "elements": list(formula.names)}


# ---------------------------------------------------------------- schemes


@router.get("/schemes", response=list[SchemeOut], summary=gettext_lazy("我制定或参与评分的考核方案"))
def list_schemes(request: HttpRequest):
    return [scheme_dict(request.auth, s) for s in selectors.schemes_visible(request.auth)[:200]]


@router.post("/schemes", response={201: SchemeOut}, summary=gettext_lazy("制定考核方案（区、街道工作人员）"))
def create_scheme(request: HttpRequest, payload: SchemeIn):
    scheme = actions.scheme_create(by=request.auth, **payload.dict())
    return Status(201, scheme_dict(request.auth, scheme))


@router.get("/schemes/{scheme_id}", response=SchemeOut, summary=gettext_lazy("考核方案"))
def get_scheme(request: HttpRequest, scheme_id: int):
    return scheme_dict(request.auth, selectors.scheme_get(request.auth, scheme_id))


@router.patch("/schemes/{scheme_id}", response=SchemeOut, summary=gettext_lazy("修改考核方案（生成新版本）"))
def update_scheme(request: HttpRequest, scheme_id: int, payload: SchemePatch):
    scheme = actions.scheme_update(by=request.auth, scheme=scheme_id, **payload.dict(exclude_unset=True))
    return scheme_dict(request.auth, scheme)


@router.post(
    "/schemes/{scheme_id}/groups", response={201: SchemeOut}, summary=gettext_lazy("新增指标分组及权重")
)
def add_group(request: HttpRequest, scheme_id: int, payload: GroupIn):
    actions.group_add(by=request.auth, scheme=scheme_id, **payload.dict())
    return Status(201, scheme_dict(request.auth, selectors.scheme_get(request.auth, scheme_id)))


@router.patch(
    "/schemes/{scheme_id}/groups/{group_id}", response=SchemeOut, summary=gettext_lazy("修改分组名称或权重")
)
def update_group(request: HttpRequest, scheme_id: int, group_id: int, payload: GroupPatch):
    actions.group_update(
        by=request.auth, scheme=scheme_id, group=group_id, **payload.dict(exclude_unset=True)
    )
    return scheme_dict(request.auth, selectors.scheme_get(request.auth, scheme_id))


@router.delete("/schemes/{scheme_id}/groups/{group_id}", response=SchemeOut, summary=gettext_lazy("移除分组"))
def remove_group(request: HttpRequest, scheme_id: int, group_id: int):
    actions.group_remove(by=request.auth, scheme=scheme_id, group=group_id)
    return scheme_dict(request.auth, selectors.scheme_get(request.auth, scheme_id))


@router.post(
    "/schemes/{scheme_id}/items",
    response={201: SchemeOut},
    summary=gettext_lazy("新增考核项（定量指标或定性评分项）"),
)
def add_item(request: HttpRequest, scheme_id: int, payload: ItemIn):
    actions.item_add(by=request.auth, scheme=scheme_id, **payload.dict())
    return Status(201, scheme_dict(request.auth, selectors.scheme_get(request.auth, scheme_id)))


@router.patch("/schemes/{scheme_id}/items/{item_id}", response=SchemeOut, summary=gettext_lazy("修改考核项"))
def update_item(request: HttpRequest, scheme_id: int, item_id: int, payload: ItemPatch):
    actions.item_update(by=request.auth, scheme=scheme_id, item=item_id, **payload.dict(exclude_unset=True))
    return scheme_dict(request.auth, selectors.scheme_get(request.auth, scheme_id))


@router.delete("/schemes/{scheme_id}/items/{item_id}", response=SchemeOut, summary=gettext_lazy("移除考核项"))
def remove_item(request: HttpRequest, scheme_id: int, item_id: int):
    actions.item_remove(by=request.auth, scheme=scheme_id, item=item_id)
    return scheme_dict(request.auth, selectors.scheme_get(request.auth, scheme_id))


@router.post("/schemes/{scheme_id}/evaluators", response={201: SchemeOut}, summary=gettext_lazy("指定考核员"))
def add_evaluator(request: HttpRequest, scheme_id: int, payload: EvaluatorIn):
    actions.evaluator_add(by=request.auth, scheme=scheme_id, username=payload.username)
    return Status(201, scheme_dict(request.auth, selectors.scheme_get(request.auth, scheme_id)))


@router.delete(
    "/schemes/{scheme_id}/evaluators/{username}", response=SchemeOut, summary=gettext_lazy("取消考核员")
)
def remove_evaluator(request: HttpRequest, scheme_id: int, username: str):
    actions.evaluator_remove(by=request.auth, scheme=scheme_id, username=username)
    return scheme_dict(request.auth, selectors.scheme_get(request.auth, scheme_id))


@router.post(
    "/schemes/{scheme_id}/rounds", response={201: RankingOut}, summary=gettext_lazy("开始一个考核期")
)
def open_round(request: HttpRequest, scheme_id: int, payload: PeriodIn):
    rnd = actions.round_open(by=request.auth, scheme=scheme_id, period=payload.period)
    return Status(201, ranking_dict(request.auth, selectors.round_get(request.auth, rnd.pk)))


# ---------------------------------------------------------------- rounds


@router.get(
    "/rounds",
    response=list[RoundBrief],
    summary=gettext_lazy("我能看到的考核期（所管方案的全部、已发布的本单位排名）"),
)
def list_rounds(request: HttpRequest):
    return [round_brief(r) for r in selectors.rounds_for(request.auth)]


@router.get(
    "/rounds/{round_id}",
    response=RankingOut,
    summary=gettext_lazy("排名（评分中为实时计算，冻结后为留存结果）"),
)
def get_round(request: HttpRequest, round_id: int):
    return ranking_dict(request.auth, selectors.round_get(request.auth, round_id))


@router.get(
    "/rounds/{round_id}/marks", response=list[MarkOut], summary=gettext_lazy("本人在该考核期的定性评分")
)
def my_marks(request: HttpRequest, round_id: int):
    rnd = selectors.round_get(request.auth, round_id)
    return [
        {"item": m.item_id, "key": m.key, "score": m.score, "comment": m.comment, "at": m.at}
        for m in selectors.marks_of(request.auth, rnd)
    ]


@router.put(
    "/rounds/{round_id}/marks",
    response=RankingOut,
    summary=gettext_lazy("考核员评分（0–100，低于 60 须写评语；全部成功或全部不写）"),
)
def save_marks(request: HttpRequest, round_id: int, payload: MarksIn):
    actions.marks_save(by=request.auth, round=round_id, marks=[m.dict() for m in payload.marks])
    return ranking_dict(request.auth, selectors.round_get(request.auth, round_id))


@router.post("/rounds/{round_id}/freeze", response=RankingOut, summary=gettext_lazy("冻结排名（期满后）"))
def freeze(request: HttpRequest, round_id: int):
    actions.round_freeze(by=request.auth, round=round_id)
    return ranking_dict(request.auth, selectors.round_get(request.auth, round_id))


@router.post(
    "/rounds/{round_id}/reopen", response=RankingOut, summary=gettext_lazy("重新开放评分（发布前，须写原因）")
)
def reopen(request: HttpRequest, round_id: int, payload: RoundReasonIn):
    actions.round_reopen(by=request.auth, round=round_id, reason=payload.reason)
    return ranking_dict(request.auth, selectors.round_get(request.auth, round_id))


@router.post(
    "/rounds/{round_id}/publish", response=RankingOut, summary=gettext_lazy("发布排名（通知参评单位）")
)
def publish(request: HttpRequest, round_id: int):
    actions.round_publish(by=request.auth, round=round_id)
    return ranking_dict(request.auth, selectors.round_get(request.auth, round_id))


@router.get(
    "/rounds/{round_id}/verify",
    response=VerifyOut,
    summary=gettext_lazy("用留存的方案和数据重算，核对结果是否一致"),
)
def verify(request: HttpRequest, round_id: int):
    return selectors.verify(request.auth, selectors.round_get(request.auth, round_id))


@router.get(
    "/rounds/{round_id}/members/{key}", response=ScorecardOut, summary=gettext_lazy("参评对象的成绩单")
)
def get_scorecard(request: HttpRequest, round_id: int, key: str):
    rnd = selectors.round_get(request.auth, round_id)
    card = selectors.scorecard(request.auth, rnd, key)
    return {
        "round": round_brief(rnd),
        "row": card["row"],
        "definition": card["definition"],
        "marks": [
            {
                "item": m.item_id,
                "evaluator": m.evaluator.username if card["show_evaluators"] else None,
                "score": str(m.score),
                "comment": m.comment,
            }
            for m in card["marks"]
        ],
    }


@router.get(
    "/rounds/{round_id}/members/{key}/items/{item_id}/rows",
    response=list[DrillRowOut],
    summary=gettext_lazy("数字背后的明细（分子、分母、未达标，或某个数据项）"),
)
@paginate(Pages, page_size=50)
def drill_rows(request: HttpRequest, round_id: int, key: str, item_id: int, q: Query[DrillFilters]):
    rnd = selectors.round_get(request.auth, round_id)
    found = selectors.drill(request.auth, rnd, key, item_id, part=q.part, element=q.element)
    name = found["element"]
    return Mapped(found["rows"], lambda row: elements.describe(name, row))


# ---------------------------------------------------------------- exemptions


@router.get("/exemptions", response=list[ExemptionOut], summary=gettext_lazy("免责事件（本辖区）"))
@paginate(Pages, page_size=50)
def list_exemptions(request: HttpRequest):
    return Mapped(selectors.exemptions_visible(request.auth), exemption_dict)


@router.post(
    "/exemptions",
    response={201: ExemptionOut},
    summary=gettext_lazy("决定免责（街道、区级工作人员，须写理由）"),
)
def create_exemption(request: HttpRequest, payload: ExemptionIn):
    return Status(201, exemption_dict(actions.exemption_create(by=request.auth, **payload.dict())))


@router.post(
    "/exemptions/{exemption_id}/revoke", response=ExemptionOut, summary=gettext_lazy("撤销免责（须写理由）")
)
def revoke_exemption(request: HttpRequest, exemption_id: int, payload: RevokeIn):
    return exemption_dict(
        actions.exemption_revoke(by=request.auth, exemption=exemption_id, reason=payload.reason)
    )
