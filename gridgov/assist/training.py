"""Training the suggester from the database (M14) and serving the active one.

* **Examples**: historical cases and current cases whose category a dispatcher has confirmed (accepted and
  beyond; rejected and merged cases are not labels), ordered by ``reported_at``. The label is the case's
  category as it stands — after the dispatcher's decision — and its lead unit.
* **Jobs**: :func:`request_training` creates a :class:`~gridgov.assist.models.SuggesterModel` row and
  starts it (a Celery worker with Redis, else a daemon thread; inline with ``ASSIST_TRAINING_INLINE``);
  :func:`run_training` claims and runs it; :func:`training_recover` restarts rows a dead process left.
* **The not-worse rule**: the active model is measured on the new model's test set; the new one replaces it
  only when its category macro-F1 and its unit top-1 accuracy are each at least the active one's
  (``ASSIST_NOT_WORSE_TOLERANCE``); otherwise it is kept as ``rejected`` and the old one stays.
* **Serving**: :func:`active` gives this process's copy of the active model, loaded once per version (its
  sha256 checked) and found again with one cheap query per call.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, close_old_connections, connection, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.assist import engine
from gridgov.assist.models import SuggesterModel
from gridgov.core.text import clean

log = logging.getLogger("gridgov.assist.training")

State = SuggesterModel.State
STALE_AFTER = timedelta(minutes=30)  # a training without a heartbeat for this long was left by a dead process
MAX_ATTEMPTS = 2  # a training interrupted again after a restart fails for good
# Current cases whose category a dispatcher has confirmed (historical cases count whatever their state).
CONFIRMED_STATES = ("accepted", "dispatched", "claimed", "in_progress", "resolved", "verified", "closed")


def media(rel: str) -> Path:
    return Path(settings.MEDIA_ROOT) / rel


def model_path(version: int) -> str:
    """Where a version's weights are kept, relative to ``MEDIA_ROOT``."""
    return f"assist/suggester-v{version}.npz"


# ---------------------------------------------------------------- examples


def examples_qs():
    from gridgov.cases.models import Case

    return (
        Case.objects.filter(Q(historical=True) | Q(state__in=CONFIRMED_STATES))
        .exclude(state__in=("rejected", "merged"))
        .filter(category__isnull=False)
        .exclude(description="")
        .order_by("reported_at", "id")
    )


def load_examples() -> list[engine.Example]:
    """Every labelled case as an :class:`~gridgov.assist.engine.Example` (text cleaned with its reporter's
    name), oldest first; read in chunks of rows, so memory holds the cleaned texts and little else."""
    rows = examples_qs().values_list(
        "description", "reporter_name", "reported_at", "category__code", "lead_unit_id", "area_code"
    )
    out: list[engine.Example] = []
    for text, name, at, code, unit, area in rows.iterator(chunk_size=5000):
        out.append(
            engine.Example(
                clean(text, [name] if name else ()),
                at,
                code,
                str(unit) if unit is not None else None,
                area or "",
                cleaned=True,
            )
        )
    return out


def rule_unit_function() -> Callable[[str, str], str | None]:
    """The routing rules as a function (category code, grid code) → lead unit id: what
    :func:`gridgov.cases.selectors.propose_routing` proposes for a case of that category and grid — the
    rule of the category or its nearest ancestor with a rule, for the most specific area holding the grid —
    read from two queries instead of one per case."""
    from gridgov.cases.models import Category, RoutingRule

    parent: dict[str, str | None] = {}
    by_id = dict(Category.objects.values_list("id", "code"))
    for cid, pid in Category.objects.values_list("id", "parent_id"):
        parent[by_id[cid]] = by_id.get(pid) if pid else None
    rules: dict[str, list[tuple[str, int]]] = {}
    for code, area, unit in RoutingRule.objects.filter(is_active=True).values_list(
        "category__code", "area__code", "lead_unit_id"
    ):
        rules.setdefault(code, []).append((area, unit))

    def rule_unit(category: str, area_code: str) -> str | None:
        node: str | None = category
        seen = 0
        while node is not None and seen < 50:
            hits = [(a, u) for a, u in rules.get(node, ()) if area_code.startswith(a)]
            if hits:
                return str(max(hits, key=lambda t: len(t[0]))[1])
            node, seen = parent.get(node), seen + 1
        return None

    return rule_unit


# ---------------------------------------------------------------- request, start, recover


def _inline() -> bool:
    return bool(getattr(settings, "ASSIST_TRAINING_INLINE", False))


def request_training(
    *, trigger: str, by=None, seed: int | None = None, test_fraction: float | None = None, start: bool = True
) -> SuggesterModel:
    """Create the next version's row (state ``training``) and start it after the commit (``start=False``:
    the caller runs :func:`run_training` itself, as the command does)."""
    params = {
        "test_fraction": settings.ASSIST_TEST_FRACTION if test_fraction is None else float(test_fraction),
        "attempts": 0,
    }
    for _attempt in range(5):
        version = (SuggesterModel.objects.aggregate(v=Max("version"))["v"] or 0) + 1
        try:
            with transaction.atomic():
                model = SuggesterModel.objects.create(
                    version=version,
                    trigger=trigger,
                    requested_by=by,
                    seed=settings.ASSIST_SEED if seed is None else seed,
                    params=params,
                    state=State.TRAINING,
                )
            break
        except IntegrityError:  # another request took the number
            continue
    else:
        raise RuntimeError("could not number a new suggester")
    if start:
        if _inline():
            run_training(model.pk)
            model.refresh_from_db()
        else:
            transaction.on_commit(lambda: start_training(model.pk))
    return model


def start_training(model_id: int) -> None:
    """Hand a training to whatever runs jobs here: a Celery worker with Redis, else a daemon thread."""
    if _inline():
        run_training(model_id)
    elif settings.REDIS_URL:
        from gridgov.assist.tasks import train_suggester_task

        train_suggester_task.delay(model_id)
    else:
        threading.Thread(target=_thread, args=(model_id,), daemon=True, name=f"suggester-{model_id}").start()


def _thread(model_id: int) -> None:
    try:
        run_training(model_id)
    except Exception:  # the row already says failed; a thread has nobody else to tell
        log.exception("suggester training %s", model_id)
    finally:
        close_old_connections()
        connection.close()


def training_recover(*, now=None, stale_after: timedelta = STALE_AFTER) -> list[int]:
    """Trainings left ``training`` by a dead process (never started, or no heartbeat for ``stale_after``):
    started again once, failed after that. Returns the restarted ids."""
    now = now or timezone.now()
    restarted = []
    stale = SuggesterModel.objects.filter(state=State.TRAINING).filter(
        Q(heartbeat_at__lt=now - stale_after) | Q(heartbeat_at__isnull=True, created_at__lt=now - stale_after)
    )
    for model in stale:
        attempts = int((model.params or {}).get("attempts", 0))
        if attempts >= MAX_ATTEMPTS:
            SuggesterModel.objects.filter(pk=model.pk, state=State.TRAINING).update(
                state=State.FAILED, message=_("训练多次中断，已放弃"), finished_at=now
            )
            continue
        claimed = SuggesterModel.objects.filter(
            pk=model.pk, state=State.TRAINING, heartbeat_at=model.heartbeat_at
        ).update(started_at=None, heartbeat_at=None, message=_("训练中断，已重新开始"))
        if claimed:
            restarted.append(model.pk)
            start_training(model.pk)
    return restarted


def retrain_if_due(*, now=None) -> SuggesterModel | None:
    """The scheduled retraining, so that the dispatchers' decisions become labels without anyone asking:
    once the newest model is ``ASSIST_RETRAIN_DAYS`` old (0: never) and cases have been confirmed or
    imported since it was made, a new one is trained in the background (it replaces the active one only
    if not worse). Nothing before a first model exists (an admin, the command or the demo makes it), and
    nothing while one is training. Run by the jobs loop of ``gridgov serve`` and by Celery beat."""
    days = int(settings.ASSIST_RETRAIN_DAYS)
    latest = SuggesterModel.objects.order_by("-version").first()
    if not days or latest is None or latest.state == State.TRAINING:
        return None
    now = now or timezone.now()
    if latest.created_at > now - timedelta(days=days):
        return None
    from gridgov.cases.models import Case

    labelled_since = Case.objects.filter(
        Q(historical=True, created_at__gt=latest.created_at)
        | Q(state__in=CONFIRMED_STATES, accepted_at__gt=latest.created_at)
    )
    if not labelled_since.exists():
        return None
    return request_training(trigger=SuggesterModel.Trigger.SCHEDULE)


# ---------------------------------------------------------------- run


def _claim(model_id: int) -> SuggesterModel | None:
    now = timezone.now()
    with transaction.atomic():
        model = SuggesterModel.objects.select_for_update().filter(pk=model_id).first()
        if model is None or model.state != State.TRAINING or model.started_at is not None:
            return None
        model.params = dict(model.params or {}, attempts=int((model.params or {}).get("attempts", 0)) + 1)
        model.started_at = model.heartbeat_at = now
        model.save(update_fields=["params", "started_at", "heartbeat_at"])
    return model


def _beat(model: SuggesterModel) -> None:
    SuggesterModel.objects.filter(pk=model.pk).update(heartbeat_at=timezone.now())


def _fail(model: SuggesterModel, message: str) -> SuggesterModel:
    model.state = State.FAILED
    model.message = message[:300]
    model.finished_at = timezone.now()
    model.save(update_fields=["state", "message", "finished_at"])
    return model


def too_little_message(exc: engine.TooLittleData) -> str:
    f = exc.figures
    if exc.code == "too_few_classes":
        return _("训练数据只有 %(n)s 个分类，至少需要 %(needed)s 个") % {
            "n": f["classes"],
            "needed": f["needed"],
        }
    if exc.code == "too_few_test":
        return _("最近的测试样本太少（%(n)s 条），无法评估") % {"n": f["n"]}
    return _("训练样本太少：%(n)s 条，至少需要 %(needed)s 条") % {"n": f["n"], "needed": f["needed"]}


def run_training(
    model_id: int,
    *,
    examples: list[engine.Example] | None = None,
    on_progress: Callable[[str], None] | None = None,
) -> SuggesterModel | None:
    """Claim and run one training: read the examples, train, store the weights, measure the active model
    on the same test set and activate the new one if it is not worse (else ``rejected``). The finished row,
    or ``None`` if it is not there to run (another runner has it)."""
    model = _claim(model_id)
    if model is None:
        return None
    try:
        return _run(model, examples, on_progress)
    except Exception as exc:
        log.exception("suggester training v%s failed", model.version)
        return _fail(model, _("训练失败：%(error)s") % {"error": str(exc)[:200]})


def _run(model: SuggesterModel, examples, on_progress) -> SuggesterModel:
    def tick(stage: str) -> None:
        _beat(model)
        if on_progress is not None:
            on_progress(stage)

    if examples is None:
        examples = load_examples()
    tick("examples")
    test_fraction = float(model.params.get("test_fraction", settings.ASSIST_TEST_FRACTION))
    try:
        trained = engine.train(
            examples,
            seed=model.seed,
            test_fraction=test_fraction,
            rule_unit=rule_unit_function(),
            n_features=settings.ASSIST_N_FEATURES,
            min_examples=settings.ASSIST_MIN_EXAMPLES,
            on_progress=tick,
        )
    except engine.TooLittleData as exc:
        return _fail(model, too_little_message(exc))
    del examples
    rel = model_path(model.version)
    sha256, size = trained.suggester.save(media(rel))
    tick("saved")
    new = trained.metrics
    replaced, against, old_figures = _decide(trained)
    metrics = dict(
        new,
        decision={
            "replaced": replaced,
            "against": against,
            "rule": "category macro_f1 and unit top-1 accuracy >= the active model's on the same test set",
            "tolerance": settings.ASSIST_NOT_WORSE_TOLERANCE,
            "new": engine.headline(new),
            "old": engine.headline(old_figures) if old_figures else None,
        },
    )
    model.params = dict(model.params, **trained.params)
    model.train_size, model.test_size, model.split_at = (
        trained.train_size,
        trained.test_size,
        trained.split_at,
    )
    model.metrics, model.curves = metrics, trained.curves
    model.path, model.sha256, model.size_bytes = rel, sha256, size
    model.finished_at = timezone.now()
    fields = ["params", "train_size", "test_size", "split_at", "metrics", "curves", "path", "sha256"]
    fields += ["size_bytes", "finished_at", "state", "message"]
    with transaction.atomic():
        current = SuggesterModel.objects.select_for_update().filter(state=State.ACTIVE).first()
        if replaced and current is not None and current.version != against:
            # Another model became active while this one was measured: measure against it too.
            replaced, against, old_figures = _decide(trained)
            metrics["decision"].update(
                replaced=replaced, against=against, old=engine.headline(old_figures) if old_figures else None
            )
        if replaced:
            if current is not None:
                current.state = State.RETIRED
                current.save(update_fields=["state"])
            model.state = State.ACTIVE
            model.message = (
                _("已启用，替换 v%(old)s") % {"old": against} if against else _("已启用（此前没有在用模型）")
            )
        else:
            model.state = State.REJECTED
            model.message = _("未采用：在同一测试集上不优于在用的 v%(old)s") % {"old": against}
        model.save(update_fields=fields)
    return model


def _decide(trained: engine.Trained) -> tuple[bool, int | None, dict | None]:
    """Whether the new model may replace the active one, the active version, and its figures on the new
    test set. An active model whose file cannot be read is replaced (and the reason logged)."""
    row = SuggesterModel.objects.filter(state=State.ACTIVE).first()
    if row is None:
        return True, None, None
    try:
        old = engine.Suggester.load(media(row.path), sha256=row.sha256, version=row.version)
    except Exception:
        log.exception("active suggester v%s cannot be read; replacing it", row.version)
        return True, row.version, None
    figures = engine.evaluate(old, trained.test, cleaned=trained.test_cleaned)
    ok = engine.not_worse(trained.metrics, figures, settings.ASSIST_NOT_WORSE_TOLERANCE)
    return ok, row.version, figures


# ---------------------------------------------------------------- the active model, per process

_lock = threading.Lock()
_cache: dict = {"key": None, "suggester": None}


def active() -> engine.Suggester | None:
    """This process's copy of the active suggester, or None (none active, or its file unreadable or not
    matching its sha256 — logged once per version). One query per call; the file is read when the active
    version changes."""
    row = SuggesterModel.objects.filter(state=State.ACTIVE).values_list("version", "path", "sha256").first()
    if row is None:
        return None
    if _cache["key"] == row:
        return _cache["suggester"]
    with _lock:
        if _cache["key"] != row:
            version, path, sha256 = row
            try:
                suggester = engine.Suggester.load(media(path), sha256=sha256, version=version)
            except Exception:
                log.exception("active suggester v%s cannot be loaded", version)
                suggester = None
            _cache["suggester"], _cache["key"] = suggester, row
        return _cache["suggester"]


def forget_active() -> None:
    """Drop this process's copy (tests; a changed file under the same version)."""
    with _lock:
        _cache["key"] = _cache["suggester"] = None
