"""The production job path: the sweep task goes through the real Redis broker to a real Celery worker."""

from __future__ import annotations

import os
import threading
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from celery.contrib.testing.worker import start_worker
from django.utils import timezone

from gridgov.accounts.models import Unit
from gridgov.cases import actions
from gridgov.cases.models import Case, Category
from gridgov.cases.tasks import sla_sweep_task
from gridgov.celery import app
from gridgov.testing.factories import make_tree, make_user

REDIS = os.environ.get("GRIDGOV_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")


@pytest.fixture
def redis_app():
    saved = {
        k: app.conf[k] for k in ("broker_url", "result_backend", "task_always_eager", "task_ignore_result")
    }
    app.conf.update(broker_url=REDIS, result_backend=REDIS, task_always_eager=False, task_ignore_result=False)
    _reset_connections()
    sla_sweep_task.ignore_result = False  # production ignores results; the test reads this one back
    try:
        yield app
    finally:
        sla_sweep_task.ignore_result = True
        app.conf.update(saved)
        _reset_connections()


def _reset_connections():
    # Connections made under the previous broker setting must not be reused under the new one.
    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    app.amqp._producer_pool = None
    app._local = threading.local()  # the result backend is cached per thread


@pytest.mark.django_db(transaction=True)
def test_sweep_runs_on_a_worker_through_redis(redis_app):
    tree = make_tree()
    category = Category.objects.create(
        code="pothole",
        name="坑洼",
        response_limit=Decimal("1"),
        response_unit="urgent_hours",
        resolution_limit=Decimal("8"),
        resolution_unit="urgent_hours",
    )
    unit = Unit.objects.create(name="市政", kind="department", area=tree["610302"])
    staff = make_user(tree.admin, "w", "grid_worker", area=tree["610302001001001"])
    make_user(tree.admin, "u", "unit", unit=unit)
    case = actions.case_report(
        by=None,
        category_code=category.code,
        description="路面塌陷一个大坑",
        lng=107.01,
        lat=34.01,
        reporter_phone="13800001111",
    ).case
    actions.case_accept(ref=case.ref, by=staff)
    actions.case_dispatch(ref=case.ref, by=staff, lead_unit_id=unit.pk)
    queue = f"gridgov-test-{uuid.uuid4().hex[:8]}"
    with start_worker(redis_app, queues=[queue], perform_ping_check=False, shutdown_timeout=10):
        later = (timezone.now() + timedelta(hours=2)).isoformat()
        result = sla_sweep_task.apply_async(kwargs={"at": later}, queue=queue)
        assert result.get(timeout=30) == {"warned": 0, "overdue": 1, "escalated": 1, "missed_reports": 0}
        again = sla_sweep_task.apply_async(kwargs={"at": later}, queue=queue)
        assert again.get(timeout=30)["overdue"] == 0
    case = Case.objects.get(pk=case.pk)
    assert case.sla == "overdue" and case.level == "community"
