"""Suggestions on cases: offered, applied, decided (M14).

A **category** suggestion is offered when a report comes in (a listener on the intake step, inside its
transaction; any failure of the model leaves the report as it was). It applies itself only when the
category's :class:`~gridgov.assist.models.Threshold` allows it: the top suggestion's confidence reaches the
threshold's confidence, and the active model's precision measured at that confidence on held-out history
reaches the precision the admin required, over enough test cases. Otherwise it waits for the dispatcher:
accepted (the case takes the top suggestion), changed (the dispatcher chose another category than both the
report's and the top suggestion), rejected (the report's category kept). A dispatcher who accepts or
dispatches without deciding decides all the same — by the category the case leaves triage with.

A **unit** suggestion is offered when a dispatcher first looks at a case ready to dispatch, for its
category as it then stands, and is decided by the dispatch (accepted when the lead unit is the top one,
changed otherwise). What the dispatchers decided is the next training's labels (``assist.training``
reads the cases' categories and lead units as they stand).

Suggestions speak of the case's own text only: the words shown are n-grams of its description with
personal data masked, never another case.
"""

from __future__ import annotations

import logging
import time
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from gridgov.accounts.models import Unit
from gridgov.assist.models import SuggesterModel, Suggestion, Threshold
from gridgov.cases.models import Case, Category, State
from gridgov.cases.workflow import MACHINE, is_dispatcher
from gridgov.core.errors import DomainError
from gridgov.core.i18n import message

log = logging.getLogger("gridgov.assist")

K = 3
TRIAGE = (State.REPORTED, State.ACCEPTED)
# The steps after which a case's category is what the dispatcher left it as.
LEAVES_TRIAGE = ("dispatch", "whistle")


def _suggester():
    from gridgov.assist.training import active

    return active()


def _category_options(suggester, text: str, names=()) -> list[dict]:
    guesses = suggester.categories(text, names=names, k=K)
    labels = [g.label for g in guesses]
    known = dict(Category.objects.filter(code__in=labels, is_active=True).values_list("code", "name"))
    return [
        {
            "code": g.label,
            "name": known[g.label],
            "confidence": round(g.confidence, 4),
            "words": list(g.words),
        }
        for g in guesses
        if g.label in known
    ]


def _unit_options(suggester, text: str, category_code: str, area_code: str, names=()) -> list[dict]:
    guesses = suggester.units(text, category_code, area_code, names=names, k=K)
    ids = [int(g.label) for g in guesses if g.label.isdigit()]
    known = dict(Unit.objects.filter(pk__in=ids, is_active=True).values_list("pk", "name"))
    return [
        {
            "id": int(g.label),
            "name": known[int(g.label)],
            "confidence": round(g.confidence, 4),
            "words": list(g.words),
        }
        for g in guesses
        if g.label.isdigit() and int(g.label) in known
    ]


def for_text(text: str, *, area_code: str = "", category_code: str = "") -> dict:
    """Suggestions for a report being entered (the hotline, a visit finding): the categories, and the
    units when the category and the grid are known. Nothing is stored."""
    suggester = _suggester()
    if suggester is None:
        return {"model_version": None, "categories": [], "units": []}
    units = _unit_options(suggester, text, category_code, area_code) if category_code and area_code else []
    return {
        "model_version": suggester.version,
        "categories": _category_options(suggester, text),
        "units": units,
    }


# ---------------------------------------------------------------- thresholds


def measured_precision(curves: dict, code: str, confidence: Decimal | float) -> tuple[float | None, int]:
    """The precision, and the number of test cases it rests on, that the active model measured for
    ``code`` at exactly ``confidence`` (thresholds are set on the curve's points)."""
    for point in curves.get(code, ()):
        if abs(float(point["threshold"]) - float(confidence)) < 1e-9:
            return point.get("precision"), int(point.get("n", 0))
    return None, 0


def auto_applies(code: str, confidence: float, curves: dict) -> bool:
    """Whether a top suggestion of ``code`` at ``confidence`` may apply itself: an active threshold for the
    category, the confidence at or above it, and the model's measured precision there at least the one
    required, over at least ``ASSIST_THRESHOLD_MIN_SUPPORT`` test cases."""
    t = Threshold.objects.filter(category__code=code, is_active=True).first()
    if t is None or confidence < float(t.confidence):
        return False
    precision, n = measured_precision(curves, code, t.confidence)
    return (
        precision is not None
        and n >= settings.ASSIST_THRESHOLD_MIN_SUPPORT
        and precision >= float(t.min_precision)
    )


# ---------------------------------------------------------------- offering


def offer_category(case: Case, *, apply: bool = True) -> Suggestion | None:
    """The category suggestion for a case just reported, applied when its threshold allows (see the
    module) and ``apply`` is set. Called inside the intake's transaction; the caller survives any failure
    here. A page offering it later (``apply=False``) never changes the case."""
    suggester = _suggester()
    if suggester is None or not case.description:
        return None
    options = _category_options(suggester, case.description, names=[case.reporter_name])
    if not options:
        return None
    suggestion, created = Suggestion.objects.get_or_create(
        case=case,
        kind=Suggestion.Kind.CATEGORY,
        defaults={"model_version": suggester.version, "options": options},
    )
    if not created:
        return suggestion
    top = options[0]
    if apply and top["code"] != case.category.code:
        curves = (
            SuggesterModel.objects.filter(version=suggester.version).values_list("curves", flat=True).first()
        )
        if curves and auto_applies(top["code"], top["confidence"], curves):
            category = Category.objects.get(code=top["code"])
            note = message(
                gettext_noop("智能建议自动改为「%(category)s」（置信度 %(confidence)s）"),
                category=category.name,
                confidence=f"{top['confidence']:.0%}",
            )
            with MACHINE.transition(case, "recategorise", by=None, note=note, fields=["category"]) as s:
                s.data = {"from": case.category.code, "to": category.code, "suggestion": suggestion.pk}
                case.category = category
            suggestion.outcome = Suggestion.Outcome.AUTOMATIC
            suggestion.category = category
            suggestion.decided_at = timezone.now()
            suggestion.save(update_fields=["outcome", "category", "decided_at"])
    return suggestion


def offer_unit(case: Case) -> Suggestion | None:
    """The unit suggestion for a case ready to dispatch (once per case and category)."""
    if case.state != State.ACCEPTED or case.historical:
        return None
    existing = Suggestion.objects.filter(case=case, kind=Suggestion.Kind.UNIT).first()
    if existing is not None:
        return existing
    suggester = _suggester()
    if suggester is None:
        return None
    options = _unit_options(
        suggester, case.description, case.category.code, case.area_code, names=[case.reporter_name]
    )
    if not options:
        return None
    suggestion, _created = Suggestion.objects.get_or_create(
        case=case,
        kind=Suggestion.Kind.UNIT,
        defaults={"model_version": suggester.version, "options": options},
    )
    return suggestion


# ---------------------------------------------------------------- deciding


def _outcome(options: list[dict], key: str, chosen, original) -> str:
    top = options[0][key] if options else None
    if chosen == top:
        return Suggestion.Outcome.ACCEPTED
    if original is not None and chosen == original:
        return Suggestion.Outcome.REJECTED
    return Suggestion.Outcome.CHANGED


def suggestion_decide(*, ref: str, by, decision: str, category_code: str = "", note: str = "") -> Suggestion:
    """A dispatcher's answer to a case's category suggestion: ``accept`` (the top one, or ``category_code``
    when it is one of the options), ``change`` (to ``category_code``, any category) or ``reject`` (keep the
    report's). Accepting or changing recategorises the case (``cases.actions.case_recategorise``)."""
    from gridgov.cases.actions import case_recategorise

    if decision not in ("accept", "change", "reject"):
        raise DomainError("invalid", _("请选择采纳、改选或不采纳"), "decision")
    with transaction.atomic():
        case = MACHINE.lock(by, ref=ref)
        if not is_dispatcher(by, case):
            raise DomainError("forbidden", _("只有负责该事件的调度人员可以处理智能建议"), None, status=403)
        suggestion = (
            Suggestion.objects.select_for_update().filter(case=case, kind=Suggestion.Kind.CATEGORY).first()
        )
        if suggestion is None:
            raise DomainError("not_found", _("该事件没有分类建议"), "ref", status=404)
        if suggestion.outcome != Suggestion.Outcome.PENDING:
            raise DomainError(
                "decided",
                _("该建议已处理：%(outcome)s") % {"outcome": suggestion.get_outcome_display()},
                "decision",
                status=409,
            )
        if case.state not in TRIAGE:
            raise DomainError("wrong_state", _("事件已派遣，不能再改分类"), "decision", status=409)
        original = case.category.code
        if decision == "accept":
            codes = [o["code"] for o in suggestion.options]
            target = (category_code or codes[0]).strip()
            if target not in codes:
                raise DomainError("invalid", _("只能采纳建议中的分类"), "category")
        elif decision == "change":
            target = (category_code or "").strip()
            if not target:
                raise DomainError("required", _("请选择分类"), "category")
        else:
            target = original
        if target != original:
            case_recategorise(ref=ref, by=by, category_code=target, note=note)
        suggestion.outcome = _outcome(suggestion.options, "code", target, original)
        suggestion.category = Category.objects.get(code=target)
        suggestion.decided_by = by
        suggestion.decided_at = timezone.now()
        suggestion.save(update_fields=["outcome", "category", "decided_by", "decided_at"])
    return suggestion


def settle(case: Case, action: str, data: dict, by) -> None:
    """After a workflow step of a case: decide what the step decided (see the module)."""
    if action == "recategorise":
        # the category changed, by hand or by a suggestion: a unit suggestion made for the old one is stale
        Suggestion.objects.filter(
            case=case, kind=Suggestion.Kind.UNIT, outcome=Suggestion.Outcome.PENDING
        ).delete()
        return
    if action not in LEAVES_TRIAGE:
        return
    now = timezone.now()
    for s in Suggestion.objects.filter(case=case, outcome=Suggestion.Outcome.PENDING):
        if s.kind == Suggestion.Kind.CATEGORY:
            reported = _reported_category(case)
            s.outcome = _outcome(s.options, "code", case.category.code, reported)
            s.category_id = case.category_id
        else:
            if (
                case.lead_unit_id is None
            ):  # dispatched to candidates: no lead yet; the unit is decided by whoever claims
                continue
            s.outcome = _outcome(s.options, "id", case.lead_unit_id, None)
            s.unit_id = case.lead_unit_id
        s.decided_by = by if getattr(by, "pk", None) else None
        s.decided_at = now
        s.save(update_fields=["outcome", "category", "unit", "decided_by", "decided_at"])


def _reported_category(case: Case) -> str:
    """The category the report came in with (before any change of category)."""
    first = (
        case.events.filter(action="recategorise").order_by("at", "id").values_list("data", flat=True).first()
    )
    return first["from"] if first else case.category.code


# ---------------------------------------------------------------- the listener


def on_step(event) -> None:
    """The listener of every workflow step (``core.events``): cases only."""
    if event.label != "cases.case":
        return
    case = event.obj
    if event.action == "report" and not event.from_state:  # the intake (a whistle's report-in has a state)
        if case.historical:
            return
        try:
            with transaction.atomic():  # a savepoint: a failure here leaves the report as it was
                offer_category(case)
        except Exception:  # the report must go in whatever the model does
            log.exception("category suggestion for %s failed", case.pk)
        return
    if event.action in LEAVES_TRIAGE or event.action == "recategorise":
        settle(case, event.action, event.data, event.by)


# Whether a model is active, as this process last read it, and until when (monotonic seconds) that holds.
_ACTIVE = {"until": 0.0, "known": False}
ACTIVE_TTL = 2.0


def has_active() -> bool:
    """Whether a suggester is active: read at most every ``ACTIVE_TTL`` seconds (the intake asks on every
    report); a model activated or retired in this process is seen at once (:func:`forget`)."""
    now = time.monotonic()
    if now >= _ACTIVE["until"]:
        _ACTIVE["known"] = SuggesterModel.objects.filter(state=SuggesterModel.State.ACTIVE).exists()
        _ACTIVE["until"] = now + ACTIVE_TTL
    return _ACTIVE["known"]


def forget(**kwargs) -> None:
    """A suggester row was saved: read again next time."""
    _ACTIVE["until"] = 0.0


def interested(label: str) -> bool:
    """Steps of cases matter only while a model is active."""
    return label == "cases.case" and has_active()
