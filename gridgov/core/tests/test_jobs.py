"""The registry of job recoveries run by the jobs loop of ``gridgov serve``."""

from __future__ import annotations

import pytest

from gridgov.core import jobs


@pytest.fixture
def registry(monkeypatch):
    monkeypatch.setattr(jobs, "RECOVERIES", {})
    return jobs


def test_every_recovery_runs_even_after_one_fails(registry, caplog):
    ran = []

    def broken():
        raise RuntimeError("disk full")

    registry.register_recovery("broken", broken)
    registry.register_recovery("imports", lambda: ran.append("imports") or [7])
    assert registry.run_recoveries() == {"broken": {"error": "disk full"}, "imports": [7]}
    assert ran == ["imports"]
    assert "broken recovery failed" in caplog.text


def test_registering_a_name_again_replaces_it(registry):
    registry.register_recovery("imports", lambda: "old")
    registry.register_recovery("imports", lambda: "new")
    assert registry.run_recoveries() == {"imports": "new"}
