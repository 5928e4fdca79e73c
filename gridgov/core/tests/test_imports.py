"""Every module of the package imports on its own, first thing after ``django.setup()``. An import cycle between
apps shows up only in the order that closes it (for instance a router imported before the API that registers it),
so the order the suite happens to import things in proves nothing: each module is imported in a process of its
own that holds exactly what ``django.setup()`` left — one fresh interpreter completes ``django.setup()`` and then
forks a child per module (side by side, one per core), which is what a fresh interpreter per module would see,
without paying Python's and Django's start-up three hundred times.

``django.setup()`` itself imports about half of the modules (models, admin, what the apps' ``ready()``
registers); for those, ``import`` after it would do nothing, so the parent's list of them stands for theirs."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path

import gridgov

PACKAGE = Path(gridgov.__file__).resolve().parent
# The parent: a fresh interpreter that completes django.setup(), then runs ``serve`` (stdin: the modules).
SCRIPT = (
    "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'gridgov.settings'); django.setup(); "
    "from gridgov.core.tests.test_imports import serve; serve()"
)


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


def fork_each(modules: list[str], workers: int) -> dict[str, str | None]:
    """In the set-up interpreter: import each module in a forked child, ``workers`` at a time. Returns each
    module's error (the traceback's last lines) or ``None``."""
    results: dict[str, str | None] = {}
    running: dict[int, tuple[str, str]] = {}
    queue = list(modules)
    while queue or running:
        while queue and len(running) < workers:
            module = queue.pop(0)
            fd, path = tempfile.mkstemp(prefix="gridgov-import-")
            pid = os.fork()
            if pid == 0:  # the child: import, write the error if any, leave without running any clean-up
                code = 0
                try:
                    importlib.import_module(module)
                except BaseException:
                    os.write(fd, "\n".join(traceback.format_exc().strip().splitlines()[-3:]).encode())
                    code = 1
                os._exit(code)
            os.close(fd)
            running[pid] = (module, path)
        pid, status = os.wait()
        module, path = running.pop(pid)
        error = Path(path).read_text(encoding="utf-8", errors="replace")
        os.unlink(path)
        results[module] = None if status == 0 else (error or f"the child ended with status {status}")
    return results


def serve() -> None:
    """The parent's main: prints the modules ``django.setup()`` loaded and the result of importing each module
    of stdin's list that it did not, as JSON."""
    loaded = sorted(m for m in sys.modules if m.startswith("gridgov") and ".tests" not in m)
    wanted = [m for m in json.loads(sys.stdin.read()) if m not in sys.modules]
    results = fork_each(wanted, os.cpu_count() or 2)
    print(json.dumps({"loaded": loaded, "results": results}))


def import_after_setup(modules: list[str]) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        input=json.dumps(modules),
        capture_output=True,
        text=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "gridgov.settings"},
        cwd=PACKAGE.parent,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


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
    results = import_after_setup(["gridgov.no_such_module", "gridgov.cases.api"])["results"]
    assert "ModuleNotFoundError" in results["gridgov.no_such_module"]
    assert results["gridgov.cases.api"] is None


def test_every_module_imports_first_after_django_setup():
    out = import_after_setup(package_modules())
    assert "gridgov.cases.models" in out["loaded"]  # (setup imports the models)
    assert "gridgov.cases.api" in out["results"]  # (and not the API)
    assert set(out["loaded"]) | set(out["results"]) >= set(package_modules())
    failures = [f"{module}:\n{error}" for module, error in out["results"].items() if error]
    assert not failures, "modules that do not import first after django.setup():\n\n" + "\n\n".join(failures)
