"""The apps are layered: an app imports only apps below it, so no app imports a module of an app that
depends on it, and there is no import cycle between apps. The order is the table "Layers" of
docs/architecture.md (the same table as ``LAYERS`` here: a test keeps them equal).

The check reads every module of the package but tests and migrations (``import``, ``from … import``,
relative imports, and imports inside functions alike) and names each import that breaks the order."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import gridgov

PACKAGE = Path(gridgov.__file__).resolve().parent
DOCS = PACKAGE.parent / "docs" / "architecture.md"

# Lowest first: each app may import the apps before it, never one after it.
LAYERS = (
    "core",
    "areas",
    "accounts",
    "notify",
    "services",
    "ledger",
    "projects",
    "cases",
    "visits",
    "orders",
    "wishes",
    "points",
    "party",
    "deliberation",
    "assessment",
    "dashboards",
    "hooks",
    "open311",
    "assist",
    "web",
)
# Of the package's own top-level modules an app may import only the Celery app (its tasks register with
# it). The others — api and urls (which assemble the apps), settings, wsgi, asgi, cli — and the test
# helpers in gridgov.testing sit above every app.
SHARED_TOP_LEVEL = {"celery"}


def imported_modules(source: str, module: str, is_package: bool = False) -> list[tuple[int, str]]:
    """``(line, module)`` for every import in ``source`` (the text of ``module``), relative ones resolved."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                package = module.split(".") if is_package else module.split(".")[:-1]
                base = ".".join(
                    package[: len(package) - node.level + 1] + ([node.module] if node.module else [])
                )
            else:
                base = node.module or ""
            found.append((node.lineno, base))
            if base == "gridgov":  # from gridgov import celery
                found += [(node.lineno, f"gridgov.{alias.name}") for alias in node.names]
    return found


def layer_violations(app: str, where: str, imports: list[tuple[int, str]]) -> list[str]:
    """The imports of ``app`` (in the file ``where``) that break the layers, described."""
    out = []
    rank = LAYERS.index(app)
    for line, target in imports:
        parts = target.split(".")
        if parts[0] != "gridgov" or len(parts) < 2 or parts[1] == app:
            continue
        other = parts[1]
        if other in LAYERS:
            if LAYERS.index(other) > rank:
                out.append(
                    f"{where}:{line} imports {target}: {app} (layer {rank + 1}) may not import "
                    f"{other} (layer {LAYERS.index(other) + 1}), which sits above it"
                )
        elif other not in SHARED_TOP_LEVEL:
            out.append(f"{where}:{line} imports {target}: an app may not import gridgov.{other}")
    return out


def app_modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if len(parts) < 3 or parts[1] == "testing" or "tests" in parts or "migrations" in parts:
            continue  # the top-level modules, the test helpers, tests and migrations
        is_package = parts[-1] == "__init__"
        module = ".".join(parts[:-1] if is_package else parts)
        yield parts[1], path, module, is_package


def test_every_app_imports_only_apps_below_it():
    violations = []
    for app, path, module, is_package in app_modules():
        imports = imported_modules(path.read_text(encoding="utf-8"), module, is_package)
        violations += layer_violations(app, str(path.relative_to(PACKAGE.parent)), imports)
    assert not violations, "imports against the layers (docs/architecture.md, Layers):\n" + "\n".join(
        violations
    )


def test_every_app_has_a_layer():
    apps = {path.parent.name for path in PACKAGE.glob("*/apps.py")}
    assert apps == set(LAYERS)


def test_the_layers_are_the_table_in_the_architecture_document():
    text = DOCS.read_text(encoding="utf-8")
    section = text.split("\n## Layers\n", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\|\s*(\d+)\s*\|\s*`(\w+)`\s*\|", section, re.M)
    assert [int(n) for n, _app in rows] == list(range(1, len(LAYERS) + 1))
    assert tuple(app for _n, app in rows) == LAYERS


def test_the_check_finds_imports_against_the_layers():
    source = """
from gridgov.core.errors import DomainError
from gridgov.cases.api import router
import gridgov.visits.selectors
from gridgov import celery, urls
from ..orders import models
from . import selectors

def later():
    from gridgov.wishes.models import Wish
"""
    imports = imported_modules(source, "gridgov.projects.actions")
    assert (6, "gridgov.orders") in imports and (7, "gridgov.projects") in imports  # relative, resolved
    found = layer_violations("projects", "gridgov/projects/actions.py", imports)
    assert [v.split(" imports ")[1].split(":")[0] for v in found] == [
        "gridgov.cases.api",
        "gridgov.visits.selectors",
        "gridgov.urls",
        "gridgov.orders",
        "gridgov.wishes.models",
    ]
    assert found[0] == (
        "gridgov/projects/actions.py:3 imports gridgov.cases.api: projects (layer 7) may not import cases "
        "(layer 8), which sits above it"
    )
    assert layer_violations("web", "gridgov/web/views.py", imports) == [
        "gridgov/web/views.py:5 imports gridgov.urls: an app may not import gridgov.urls"
    ]
