"""Every module of the package imports on its own, first thing after ``django.setup()``, each in a fresh
interpreter. An import cycle between apps shows up only in the order that closes it (for instance a router
imported before the API that registers it), so the order the suite happens to import things in proves
nothing: each module gets an interpreter of its own, and the interpreters run side by side.

``django.setup()`` itself imports about half of the modules (models, admin, what the apps' ``ready()``
registers); for those, ``import`` after it would do nothing, so one fresh interpreter that completes
``django.setup()`` and lists them stands for theirs."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import gridgov

PACKAGE = Path(gridgov.__file__).resolve().parent
SETUP = (
    "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'gridgov.settings'); django.setup()"
)
SCRIPT = SETUP + "; import {module}"
LOADED_BY_SETUP = SETUP + "; import sys; print(*sorted(m for m in sys.modules if m.startswith('gridgov')))"


def package_modules() -> list[str]:
    """Every module of the package but tests and migrations (management commands, views, API, admin, demo
    loaders included). ``__main__`` runs the command line when imported, and an empty ``__init__`` has
    nothing of its own to import (its package is imported with every module below it)."""
    modules = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if "tests" in parts or "migrations" in parts or parts[-1] == "__main__":
            continue
        if parts[-1] == "__init__":
            if not path.read_text(encoding="utf-8").strip():
                continue
            parts = parts[:-1]
        modules.append(".".join(parts))
    return modules


def run_fresh(script: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "gridgov.settings"},
        cwd=PACKAGE.parent,
        timeout=300,
    )


def import_alone(module: str) -> tuple[str, str | None]:
    """Import ``module`` in a new interpreter; returns the error's last lines, or ``None``."""
    done = run_fresh(SCRIPT.format(module=module))
    if done.returncode == 0:
        return module, None
    return module, "\n".join(done.stderr.strip().splitlines()[-3:])


def test_the_walk_finds_every_kind_of_module():
    modules = set(package_modules())
    assert {
        "gridgov.api",
        "gridgov.urls",
        "gridgov.cases.api",
        "gridgov.cases.views",
        "gridgov.visits.views",
        "gridgov.orders.admin",
        "gridgov.ledger.demo",
        "gridgov.web.management.commands.load_demo",
        "gridgov.core.management.commands.serve",
    } <= modules
    assert not any(".tests" in m or ".migrations" in m for m in modules)


def test_a_module_that_cannot_be_imported_is_reported():
    module, error = import_alone("gridgov.no_such_module")
    assert module == "gridgov.no_such_module" and "ModuleNotFoundError" in error


def test_every_module_imports_first_in_a_fresh_interpreter():
    setup = run_fresh(LOADED_BY_SETUP)
    assert setup.returncode == 0, setup.stderr
    loaded = set(setup.stdout.split())
    assert "gridgov.cases.models" in loaded  # (setup imports the models)
    modules = [m for m in package_modules() if m not in loaded]
    assert "gridgov.cases.api" in modules
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        failures = [f"{module}:\n{error}" for module, error in pool.map(import_alone, modules) if error]
    assert not failures, "modules that do not import first after django.setup():\n\n" + "\n\n".join(failures)
