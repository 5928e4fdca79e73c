"""The suggestions panel of the staff case page (registered with ``cases.panels``)."""

from __future__ import annotations

from gridgov.assist import suggest
from gridgov.assist.models import Suggestion
from gridgov.cases.models import State
from gridgov.cases.workflow import is_dispatcher

# Below this confidence an option's words are not shown: what little pushed toward an unlikely class says
# nothing to a dispatcher.
WORDS_FROM = 0.05


def case_panel(request, case) -> dict | None:
    """For the case's dispatchers while it is in triage: the category suggestion (offered now if the case
    came in before a model was active — never applied by a page view) and, once accepted, the unit
    suggestion; the decided suggestion stays visible until the case is dispatched."""
    user = request.user
    if case.historical or case.state not in suggest.TRIAGE or not is_dispatcher(user, case):
        return None
    rows = {s.kind: s for s in Suggestion.objects.filter(case=case)}
    category = rows.get(Suggestion.Kind.CATEGORY)
    if category is None and suggest.has_active():
        category = suggest.offer_category(case, apply=False)
    unit = rows.get(Suggestion.Kind.UNIT)
    if unit is None and case.state == State.ACCEPTED and suggest.has_active():
        unit = suggest.offer_unit(case)
    if category is None and unit is None:
        return None
    return {
        "template": "assist/_case_panel.html",
        "agrees": bool(category and category.options and category.options[0]["code"] == case.category.code),
        "words_from": WORDS_FROM,
        "category": category,
        "unit": unit,
        "pending": category is not None and category.outcome == Suggestion.Outcome.PENDING,
    }
