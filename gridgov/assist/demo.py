"""The demo district's past: a few thousand work orders per category from "the old system", written as
residents write (``assist.corpus``), imported through the history import with the old category names
mapped, and the suggester trained on them — so the demo's case pages show suggestions from the first
report. Run again, it adds nothing (the import is idempotent; a model is trained only when none is active).
"""

from __future__ import annotations

import os

from django.utils import timezone

from gridgov.assist import corpus, history, training
from gridgov.assist.models import CategoryAlias, HistoryImport, SuggesterModel
from gridgov.cases.models import Case, Category

SEED = 20260114
PER_CATEGORY = 2_000
# How many past cases per category the demo writes: GRIDGOV_DEMO_HISTORY_PER_CATEGORY (the suite sets a
# smaller history in its conftest; at least enough for a first model).
PER_CATEGORY_ENV = "GRIDGOV_DEMO_HISTORY_PER_CATEGORY"


def history_per_category() -> int:
    value = os.environ.get(PER_CATEGORY_ENV, "").strip()
    return int(value) if value else PER_CATEGORY


def load_demo_assist(admin, *, per_category: int | None = None) -> dict:
    """Import the demo history (once) and train the first model (when none is active). Returns what was
    done: rows imported, the model's version, state and headline figures."""
    if per_category is None:
        per_category = history_per_category()
    out: dict = {"imported": 0, "model": None}
    codes = dict(Category.objects.values_list("code", "pk"))
    for old, code in corpus.OLD_NAMES.items():
        if code in codes:
            CategoryAlias.objects.get_or_create(
                name=old, defaults={"category_id": codes[code], "updated_by": admin}
            )
    if not Case.objects.filter(historical=True).exists():
        rows = corpus.history_rows(seed=SEED, per_category=per_category, today=timezone.localdate())
        job = history.import_rows(rows, by=admin, on_unmapped=HistoryImport.OnUnmapped.SKIP)
        out["imported"] = job.rows_created
    if not SuggesterModel.objects.filter(state=SuggesterModel.State.ACTIVE).exists():
        row = training.request_training(trigger=SuggesterModel.Trigger.DEMO, by=admin, start=False)
        model = training.run_training(row.pk)
        if model is not None:
            category = (model.metrics or {}).get("category") or {}
            unit = (model.metrics or {}).get("unit") or {}
            out["model"] = {
                "version": model.version,
                "state": model.state,
                "message": model.message,
                "train": model.train_size,
                "test": model.test_size,
                "category_macro_f1": category.get("macro_f1"),
                "category_top1": category.get("accuracy"),
                "category_top3": category.get("top3"),
                "unit_top1": unit.get("accuracy"),
            }
    return out
