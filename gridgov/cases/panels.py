"""Panels other apps add to the staff case page (cases cannot import them: they sit above it).

An app registers a function from its ``AppConfig.ready``; the case page calls each with the request and
the case and draws the panels returned — a dict with the ``template`` to include and what it reads — in
the order registered. A function returns ``None`` when it has nothing to show this user for this case.
"""

from __future__ import annotations

from collections.abc import Callable

PanelFn = Callable[[object, object], dict | None]
PANELS: dict[str, PanelFn] = {}


def register(name: str, fn: PanelFn) -> None:
    """Add (or, under a name already registered, replace) a panel."""
    PANELS[name] = fn


def panels_for(request, case) -> list[dict]:
    out = []
    for fn in PANELS.values():
        panel = fn(request, case)
        if panel is not None:
            out.append(panel)
    return out
