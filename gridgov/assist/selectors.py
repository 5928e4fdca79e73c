"""Reads of smart assistance: who may see the figures and set thresholds, the models, the thresholds with
the precision the active model measured at each point of its curve, and a case's suggestions."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from gridgov.assist.models import SuggesterModel, Suggestion, Threshold
from gridgov.cases.models import Case, Category
from gridgov.cases.selectors import cases_visible_to, category_groups
from gridgov.cases.workflow import is_dispatcher
from gridgov.core.errors import DomainError, NotFound
from gridgov.core.scope import is_command_staff

# The confidences a threshold may be set at: the points of every model's curves.
CURVE_POINTS = tuple(round(0.50 + 0.05 * i, 2) for i in range(10)) + (0.99,)


def may_view_figures(user) -> bool:
    """The models' figures and the thresholds: admins and command-centre staff."""
    return bool(getattr(user, "is_authenticated", False)) and (user.is_admin or is_command_staff(user))


def require_figures(user) -> None:
    """The API's check for the figures and thresholds (403 for anyone else)."""
    if not may_view_figures(user):
        raise DomainError("forbidden", _("只有管理员和指挥中心人员可以查看模型指标"), None, status=403)


def may_manage(user) -> bool:
    """Training and thresholds: admins."""
    return bool(getattr(user, "is_authenticated", False)) and user.is_admin


def active_model() -> SuggesterModel | None:
    return SuggesterModel.objects.filter(state=SuggesterModel.State.ACTIVE).first()


def models_list(limit: int = 50) -> list[SuggesterModel]:
    return list(SuggesterModel.objects.select_related("requested_by").order_by("-version")[:limit])


def model_get(version: int) -> SuggesterModel:
    row = SuggesterModel.objects.select_related("requested_by").filter(version=version).first()
    if row is None:
        raise NotFound(field="version")
    return row


@dataclass
class ThresholdRow:
    category: Category
    threshold: Threshold | None
    curve: list[dict]  # the active model's points for this category
    measured: float | None  # precision at the threshold's confidence
    support: int  # test cases that precision rests on

    @property
    def applies(self) -> bool:
        from django.conf import settings

        t = self.threshold
        return bool(
            t
            and t.is_active
            and self.measured is not None
            and self.support >= settings.ASSIST_THRESHOLD_MIN_SUPPORT
            and self.measured >= float(t.min_precision)
        )


def threshold_rows() -> list[ThresholdRow]:
    """One row per category a report can take, in the order of the report form."""
    from gridgov.assist.suggest import measured_precision

    model = active_model()
    curves = model.curves if model else {}
    thresholds = {t.category_id: t for t in Threshold.objects.all()}
    rows = []
    for _group, cats in category_groups():
        for c in cats:
            t = thresholds.get(c.pk)
            measured, support = measured_precision(curves, c.code, t.confidence) if t else (None, 0)
            rows.append(ThresholdRow(c, t, list(curves.get(c.code, ())), measured, support))
    return rows


def threshold_row(code: str) -> ThresholdRow:
    for row in threshold_rows():
        if row.category.code == code:
            return row
    raise NotFound(field="category")


def case_suggestions(user, ref: str) -> tuple[Case, dict[str, Suggestion]]:
    """A case's suggestions for one of its dispatchers (404 otherwise: out of scope, or not theirs to
    dispatch — suggestions are triage's business)."""
    case = cases_visible_to(user).select_related("category").filter(ref=ref).first()
    if case is None or not is_dispatcher(user, case):
        raise NotFound(field="ref")
    return case, {s.kind: s for s in Suggestion.objects.filter(case=case).select_related("category")}


@dataclass
class FigureSet:
    """One task's figures (categories or units) as the model page shows them."""

    title: str
    n: int
    accuracy: float
    top3: float
    macro_f1: float
    baselines: list[tuple[str, dict]]  # (label, {accuracy, top3, macro_f1, …})
    classes: list[tuple[str, dict]]  # (name, {precision, recall, f1, support, predicted})


def _figure_set(title: str, figures: dict, names: dict, baselines: list[tuple[str, dict]]) -> FigureSet:
    classes = figures.get("classes", {})
    return FigureSet(
        title,
        figures.get("n", 0),
        figures.get("accuracy", 0.0),
        figures.get("top3", 0.0),
        figures.get("macro_f1", 0.0),
        baselines,
        sorted(((names.get(str(k), k), v) for k, v in classes.items()), key=lambda r: -r[1]["support"]),
    )


def model_figures(model: SuggesterModel) -> list[FigureSet]:
    """The figures of a model on its held-out cases, with the categories' and units' names."""
    from django.utils.translation import gettext as _

    from gridgov.accounts.models import Unit

    out = []
    metrics = model.metrics or {}
    cat = metrics.get("category")
    if cat:
        codes = list(cat.get("classes", {}))
        names = dict(Category.objects.filter(code__in=codes).values_list("code", "name"))
        rows = []
        if mf := (cat.get("baselines") or {}).get("most_frequent"):
            label = names.get(str(mf.get("label")), mf.get("label"))
            rows.append((_("最常见分类（%(name)s）") % {"name": label}, mf))
        out.append(_figure_set(_("事项分类"), cat, names, rows))
    unit = metrics.get("unit")
    if unit:
        ids = [int(k) for k in unit.get("classes", {}) if str(k).isdigit()]
        names = {str(pk): name for pk, name in Unit.objects.filter(pk__in=ids).values_list("pk", "name")}
        base = unit.get("baselines") or {}
        rows = []
        if mf := base.get("most_frequent"):
            label = names.get(str(mf.get("label")), mf.get("label"))
            rows.append((_("最常见单位（%(name)s）") % {"name": label}, mf))
        if base.get("rules"):
            rows.append((_("仅按派单规则"), base["rules"]))
        out.append(_figure_set(_("处置单位"), unit, names, rows))
    return out
