"""Celery task of the suggester training: a thin wrapper around
:func:`gridgov.assist.training.run_training` (without Redis the training runs on a daemon thread instead).
Imported by ``AssistConfig.ready`` so a worker knows it."""

from __future__ import annotations

from gridgov.celery import app


@app.task(name="gridgov.assist.train_suggester")
def train_suggester_task(model_id: int) -> str | None:
    from gridgov.assist.training import run_training

    model = run_training(model_id)
    return model.state if model is not None else None
