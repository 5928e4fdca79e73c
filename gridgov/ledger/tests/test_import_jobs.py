"""The import as a job: the atomic claim (a second start does nothing), progress, the daemon thread of the
embedded default, re-queueing jobs left running, the Celery task, and ``gridgov import_ledger``."""

# ruff: noqa: F811  (the shared fixtures are imported from test_import)
from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from gridgov.ledger import imports
from gridgov.ledger.imports import ledger_import_create, ledger_import_recover, ledger_import_run
from gridgov.ledger.models import ImportJob, Resident
from gridgov.ledger.tests.test_import import (  # noqa: F401
    GRID_A,
    GRID_B,
    inline_jobs,
    iw,
    resident,
    xlsx,
)


def queued(iw, settings, rows, **kw) -> ImportJob:
    settings.LEDGER_JOBS_INLINE = False
    settings.REDIS_URL = ""
    job = ledger_import_create(
        by=iw.worker, kind="residents", area=GRID_A, file=xlsx("residents", rows), **kw
    )
    return job


def test_job_is_claimed_once_and_reports_progress(iw, settings, monkeypatch):
    monkeypatch.setattr(imports.jobs, "PROGRESS_EVERY", 2)
    seen = []
    job = queued(iw, settings, [resident(f"居民{i}", i, room=f"{i}01") for i in range(1, 6)])
    assert job.state == ImportJob.State.QUEUED  # on_commit has not fired inside the test transaction
    ledger_import_run(job_id=job.pk, on_progress=lambda j: seen.append((j.rows_checked, j.state)))
    assert (2, "running") in seen and (4, "running") in seen
    job.refresh_from_db()
    assert job.state == ImportJob.State.DONE and job.rows_checked == 5 and job.rows_created == 5
    assert job.started_at and job.finished_at and job.heartbeat_at
    assert ledger_import_run(job_id=job.pk) is None  # a second start is harmless
    assert Resident.objects.filter(name__startswith="居民").count() == 5


def test_stale_running_job_is_requeued_and_run_again(iw, settings):
    job = queued(iw, settings, [resident("恢复", 1)])
    settings.LEDGER_JOBS_INLINE = True  # recover starts jobs inline in tests
    ImportJob.objects.filter(pk=job.pk).update(
        state=ImportJob.State.RUNNING, heartbeat_at=timezone.now() - timedelta(hours=1)
    )
    fresh = queued(iw, settings, [resident("另一", 2, room="302")])
    ImportJob.objects.filter(pk=fresh.pk).update(state=ImportJob.State.RUNNING, heartbeat_at=timezone.now())
    settings.LEDGER_JOBS_INLINE = True
    assert ledger_import_recover() == [job.pk]
    job.refresh_from_db()
    assert job.state == ImportJob.State.DONE and Resident.objects.filter(name="恢复").exists()
    assert ImportJob.objects.get(pk=fresh.pk).state == ImportJob.State.RUNNING  # alive: left alone


def test_celery_task_runs_the_job(iw, settings):
    from gridgov.ledger.tasks import ledger_import_task

    job = queued(iw, settings, [resident("任务", 1)])
    assert ledger_import_task(job.pk) == "done"
    assert ledger_import_task(job.pk) is None


@pytest.mark.django_db(transaction=True)
def test_thread_runs_the_job_after_commit_without_the_inline_flag(settings, tmp_path):
    from gridgov.ledger.tags import ensure_standard_tags
    from gridgov.testing.factories import make_ledger, make_tree, make_user

    settings.MEDIA_ROOT = tmp_path
    settings.LEDGER_JOBS_INLINE = False
    settings.REDIS_URL = ""
    tree = make_tree()
    ensure_standard_tags()
    make_ledger(tree.admin, GRID_A, "A")
    worker = make_user(tree.admin, "worker", "grid_worker", tree[GRID_A])
    job = ledger_import_create(
        by=worker, kind="residents", area=GRID_A, file=xlsx("residents", [resident("线程", 1)])
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.state not in (ImportJob.State.QUEUED, ImportJob.State.RUNNING):
            break
        time.sleep(0.05)
    assert job.state == ImportJob.State.DONE, job.message
    assert Resident.objects.filter(name="线程").exists()


def test_command_imports_and_prints_a_summary(iw, tmp_path, capsys):
    path = tmp_path / "居民.xlsx"
    path.write_bytes(
        xlsx("residents", [resident("命令行", 1), resident("坏", 2, relation="邻居")]).getvalue()
    )
    with pytest.raises(SystemExit) as exit_:
        call_command("import_ledger", str(path), "--kind", "residents", "--area", GRID_A, "--user", "worker")
    assert exit_.value.code == 1
    out = capsys.readouterr().out
    assert "有错误，未导入" in out and "第 3 行 [与户主关系] '邻居'" in out
    assert not Resident.objects.filter(name="命令行").exists()
    call_command("import_ledger", str(path), "--kind", "residents", "--area", GRID_A, "--valid-rows")
    out = capsys.readouterr().out
    assert "已完成" in out and "新增 1" in out and "退回 1" in out
    assert Resident.objects.filter(name="命令行").exists()
    with pytest.raises(SystemExit) as exit_:
        call_command("import_ledger", str(path), "--kind", "residents", "--area", GRID_B, "--user", "worker")
    assert exit_.value.code == 2
    with pytest.raises(SystemExit) as exit_:
        bad = tmp_path / "bad.xlsx"
        bad.write_text("a,b\n1,2\n")
        call_command("import_ledger", str(bad), "--kind", "residents", "--area", GRID_A)
    assert exit_.value.code == 2 and "不是 Excel" in capsys.readouterr().err


def test_the_jobs_loop_recovers_stale_imports(iw, settings):
    from gridgov.core.jobs import run_recoveries

    job = queued(iw, settings, [resident("循环", 1)])
    ImportJob.objects.filter(pk=job.pk).update(
        state=ImportJob.State.RUNNING, heartbeat_at=timezone.now() - timedelta(hours=1)
    )
    settings.LEDGER_JOBS_INLINE = True
    assert run_recoveries()["ledger_imports"] == [job.pk]
    job.refresh_from_db()
    assert job.state == ImportJob.State.DONE and Resident.objects.filter(name="循环").exists()
