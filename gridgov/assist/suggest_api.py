"""``/api/v1/assist``: suggestions for a text being entered (the hotline, a visit finding), a case's
suggestions and a dispatcher's answer to them, the models with their figures and retraining, and the
auto-apply thresholds. docs/assist.md."""

from datetime import datetime
from decimal import Decimal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, Router, Schema, Status

from gridgov.assist import actions, selectors, suggest
from gridgov.assist.models import SuggesterModel, Suggestion, Threshold
from gridgov.core.scope import require_staff

router = Router(tags=[gettext_lazy("智能辅助")])


class AssistOptionOut(Schema):
    code: str | None = Field(None, description="category code (category suggestions)")
    id: int | None = Field(None, description="unit id (unit suggestions)")
    name: str
    confidence: float = Field(..., description="0 … 1; the options of one suggestion sum to at most 1")
    words: list[str] = Field(..., description="the n-grams of the text that drove it (personal data masked)")


class AssistSuggestionOut(Schema):
    kind: str
    model_version: int
    options: list[AssistOptionOut]
    outcome: str = Field(..., description="pending, accepted, changed, rejected, automatic")
    category: str | None = Field(None, description="the category finally chosen (category suggestions)")
    unit: int | None = Field(None, description="the lead unit finally chosen (unit suggestions)")
    decided_at: datetime | None


class AssistCaseSuggestionsOut(Schema):
    ref: str
    category: AssistSuggestionOut | None
    unit: AssistSuggestionOut | None


class AssistDecisionIn(Schema):
    decision: str = Field(..., description="accept, change or reject", max_length=10)
    category: str = Field(
        "",
        max_length=40,
        description="accept: one of the options (default the top one); change: any category",
    )
    note: str = Field("", max_length=300)


class AssistTextIn(Schema):
    text: str = Field(..., min_length=1, max_length=2000)
    area_code: str = Field("", max_length=18, description="the grid, for unit suggestions")
    category: str = Field("", max_length=40, description="the category, for unit suggestions")


class AssistTextOut(Schema):
    model_version: int | None
    categories: list[AssistOptionOut]
    units: list[AssistOptionOut]


class AssistModelOut(Schema):
    version: int
    state: str
    trigger: str
    seed: int
    train_size: int
    test_size: int
    split_at: datetime | None
    metrics: dict
    message: str
    sha256: str
    size_bytes: int
    created_at: datetime
    finished_at: datetime | None


class AssistThresholdIn(Schema):
    confidence: Decimal = Field(..., description="one of 0.50, 0.55 … 0.95, 0.99")
    min_precision: Decimal = Field(..., description="0.50 … 1.00")
    is_active: bool = True


class AssistThresholdOut(Schema):
    category: str
    name: str
    confidence: Decimal | None
    min_precision: Decimal | None
    is_active: bool
    measured_precision: float | None = Field(
        None, description="the active model's precision at the confidence"
    )
    support: int = Field(..., description="held-out cases that precision rests on")
    applies: bool = Field(..., description="whether suggestions of this category now apply themselves")
    curve: list[dict]


def _suggestion(s: Suggestion | None) -> dict | None:
    if s is None:
        return None
    return {
        "kind": s.kind,
        "model_version": s.model_version,
        "options": s.options,
        "outcome": s.outcome,
        "category": s.category.code if s.category_id else None,
        "unit": s.unit_id,
        "decided_at": s.decided_at,
    }


def _model(m: SuggesterModel) -> dict:
    return {f: getattr(m, f) for f in AssistModelOut.model_fields}


def _threshold(row: selectors.ThresholdRow) -> dict:
    t: Threshold | None = row.threshold
    return {
        "category": row.category.code,
        "name": row.category.name,
        "confidence": t.confidence if t else None,
        "min_precision": t.min_precision if t else None,
        "is_active": bool(t and t.is_active),
        "measured_precision": row.measured,
        "support": row.support,
        "applies": row.applies,
        "curve": row.curve,
    }


@router.post("/suggest", response=AssistTextOut, summary="Suggestions for a text being entered (staff)")
def suggest_text(request: HttpRequest, payload: AssistTextIn):
    require_staff(request.auth, _("只有工作人员可以获取智能建议"))
    return suggest.for_text(payload.text, area_code=payload.area_code, category_code=payload.category)


@router.get("/cases/{ref}/suggestions", response=AssistCaseSuggestionsOut, summary="A case's suggestions")
def case_suggestions(request: HttpRequest, ref: str):
    case, rows = selectors.case_suggestions(request.auth, ref)
    return {
        "ref": case.ref,
        "category": _suggestion(rows.get("category")),
        "unit": _suggestion(rows.get("unit")),
    }


@router.post(
    "/cases/{ref}/suggestions/category",
    response=AssistSuggestionOut,
    summary="Accept, change or reject a case's category suggestion",
)
def decide(request: HttpRequest, ref: str, payload: AssistDecisionIn):
    s = suggest.suggestion_decide(
        ref=ref, by=request.auth, decision=payload.decision, category_code=payload.category, note=payload.note
    )
    return _suggestion(s)


@router.get(
    "/models", response=list[AssistModelOut], summary="The suggesters, newest first, with their figures"
)
def models(request: HttpRequest):
    selectors.require_figures(request.auth)
    return [_model(m) for m in selectors.models_list()]


@router.get("/models/{version}", response=AssistModelOut, summary="One suggester and its figures")
def model(request: HttpRequest, version: int):
    selectors.require_figures(request.auth)
    return _model(selectors.model_get(version))


@router.post(
    "/models", response={202: AssistModelOut}, summary="Train a new suggester in the background (admins)"
)
def train(request: HttpRequest):
    return Status(202, _model(actions.training_request(by=request.auth)))


@router.get("/thresholds", response=list[AssistThresholdOut], summary="Auto-apply thresholds per category")
def thresholds(request: HttpRequest):
    selectors.require_figures(request.auth)
    return [_threshold(r) for r in selectors.threshold_rows()]


@router.put(
    "/thresholds/{category}",
    response=AssistThresholdOut,
    summary="Set a category's auto-apply threshold (admins)",
)
def set_threshold(request: HttpRequest, category: str, payload: AssistThresholdIn):
    actions.threshold_set(by=request.auth, category_code=category, **payload.dict())
    return _threshold(selectors.threshold_row(category))
