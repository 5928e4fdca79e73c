"""How an intake is written: the four rows together (one statement on PostgreSQL), all or none, and its
statements prepared on the server while reports and lists are never."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.db import IntegrityError, connection, transaction

from gridgov.cases.events import event_rows as _event_rows
from gridgov.cases.models import Case, CaseEvent, CaseReporter
from gridgov.core.crypto import blind_index
from gridgov.core.db import insert_together, prepared_statements
from gridgov.core.errors import DomainError
from gridgov.core.models import AuditEntry

from .conftest import T0, report

pytestmark = pytest.mark.django_db


def _new_case(world, ref: str) -> Case:
    area = world.tree["610302001001001"]
    return Case(
        ref=ref,
        category=world.category,
        description="楼道堆放杂物",
        area=area,
        area_code=area.code,
        level="grid",
        handling_area=area,
        channel="portal",
        reporter_phone="13800002222",
        reporter_phone_hash=blind_index("13800002222"),
        reported_at=T0,
    )


def test_intake_writes_case_reporter_event_and_audit_entry(world):
    case = report(world, reporter_name="王阿姨").case
    row = Case.objects.get(pk=case.pk)
    assert row.ref == case.ref and row.state == "reported" and row.area.code == "610302001001001"
    assert row.reporter_phone == "13800001111" and row.reporter_phone_hash == blind_index("13800001111")
    assert row.created_at is not None and row.reported_at == T0
    assert row.response_due is None and row.lead_unit_id is None and row.merged_into_id is None  # left NULL
    with connection.cursor() as cursor:
        cursor.execute("SELECT reporter_phone FROM cases_case WHERE id = %s", [case.pk])
        assert cursor.fetchone()[0].startswith("gAAAA")  # encrypted at rest on this path too
    (reporter,) = CaseReporter.objects.filter(case=row)
    assert reporter.source_id == row.pk and reporter.name == "王阿姨" and reporter.phone == "13800001111"
    (event,) = CaseEvent.objects.filter(case=row)
    assert (event.action, event.to_state, event.data, event.at) == (
        "report",
        "reported",
        {"channel": "portal"},
        T0,
    )
    (entry,) = AuditEntry.objects.filter(verb="case.report")
    assert entry.object_id == row.ref and entry.after == {"state": "reported", "channel": "portal"}
    # the objects handed back are the saved rows
    assert case._state.adding is False and reporter.pk and event.pk


def test_rows_go_in_together_or_not_at_all(world):
    case = _new_case(world, "610302-20261123-900001")
    first = CaseReporter(case=case, source=case, name="甲")
    second = CaseReporter(case=case, source=case, name="乙")  # (case, source) taken twice: refused
    with pytest.raises(IntegrityError):
        insert_together(case, (first, ("case", "source")), (second, ("case", "source")))
    assert not Case.objects.filter(ref="610302-20261123-900001").exists()
    assert not CaseReporter.objects.exists()


def test_a_refused_insert_leaves_the_callers_transaction_usable(world):
    taken = report(world).case
    with transaction.atomic():
        clash = _new_case(world, taken.ref)  # the reference number is unique
        with pytest.raises(IntegrityError):
            insert_together(clash, (CaseReporter(case=clash, source=clash), ("case", "source")))
        assert Case.objects.count() == 1  # the transaction still answers
        again = _new_case(world, "610302-20261123-900002")
        event, entry = _event_rows(again, None, "report", "")
        insert_together(again, (event, ("case",)), (entry, ()))
    assert Case.objects.filter(ref="610302-20261123-900002").exists()
    assert CaseEvent.objects.get(pk=event.pk).case_id == again.pk
    assert AuditEntry.objects.get(pk=entry.pk).object_id == "610302-20261123-900002"


def test_a_retry_is_recognised_when_it_fails_and_uses_up_a_number(world):
    first = report(world, idempotency_key="k-1").case
    assert first.ref.endswith("-000001")
    again = report(world, idempotency_key="k-1")
    assert again.created is False and again.case.pk == first.pk
    world.category.is_active = False  # what was valid the first time is refused now: still the first case
    world.category.save()
    assert report(world, idempotency_key="k-1").case.pk == first.pk
    with pytest.raises(DomainError):
        report(world, idempotency_key="k-2")  # a new report is refused
    world.category.is_active = True
    world.category.save()
    assert report(world).case.ref.endswith("-000003")  # the retry took 000002 and gave it up
    assert Case.objects.count() == 2


def test_only_new_rows_are_inserted(world):
    case = report(world).case
    with pytest.raises(ValueError, match="new rows only"):
        insert_together(case)


def _prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_intake_statements_are_prepared_and_reports_are_not(world):
    report(world)
    report(world)
    for _ in range(8):  # more than psycopg's default threshold: still planned with its values every time
        assert Case.objects.filter(area_code__startswith="610302001").count() == 2
    if connection.vendor != "postgresql":
        with prepared_statements():  # nothing to prepare on SQLite
            assert Case.objects.count() == 2
        return
    statements = _prepared_statements()
    assert any(s.startswith("WITH p AS (INSERT INTO") for s in statements)  # the four rows
    assert any("cases_refcounter" in s for s in statements)  # the reference number
    assert not any("LIKE" in s for s in statements)


def _options_with(prepare: str | None) -> subprocess.CompletedProcess:
    env = {**os.environ, "GRIDGOV_DATABASE_URL": "postgres://nobody@127.0.0.1:5432/x"}
    env.pop("GRIDGOV_DB_PREPARE", None)
    if prepare is not None:
        env["GRIDGOV_DB_PREPARE"] = prepare
    code = "from gridgov import settings; print(settings.DATABASES['default'].get('OPTIONS'))"
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False)


def test_database_prepare_setting():
    assert _options_with(None).stdout.strip() == "{'server_side_binding': True, 'prepare_threshold': None}"
    assert _options_with("off").stdout.strip() == "None"  # values inlined on the client, nothing prepared
    refused = _options_with("yes")
    assert refused.returncode != 0 and "GRIDGOV_DB_PREPARE must be 'on' or 'off'" in refused.stderr
