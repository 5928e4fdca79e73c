"""The ranking, a scorecard and a scheme's definition laid out for the pages and the Excel export: the
columns of a definition (groups, then items) and each row's figures in that order, with the drill-down
each figure opens. Pure functions over what the selectors return; nothing here reads the database."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone

from gridgov.assessment.formula import parse
from gridgov.assessment.models import ItemKind
from gridgov.core import elements


def plain(value) -> str:
    """A decimal string as a person reads it: ``4.0000`` → ``4``, ``66.6667`` stays, ``None`` → ``—``."""
    if value is None or value == "":
        return "—"
    number = Decimal(str(value))
    text = format(number.normalize(), "f")
    return "0" if text in ("-0", "") else text


def moment(value: datetime | date | None) -> str:
    """A drill-down row's time in local time (a date stays a date)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def drill_row(name: str, row) -> dict:
    """A row behind a figure as its element describes it (ref, url, title, state), with its time shown."""
    described = elements.describe(name, row)
    return {**described, "when": moment(described.get("at"))}


def number(value) -> Decimal | None:
    """A decimal string as a number for a spreadsheet cell (``None`` stays empty)."""
    return None if value is None or value == "" else Decimal(str(value))


def _names(formula: str) -> tuple[str, ...]:
    return parse(formula, known=lambda _n: True).names if formula else ()


def _single(formula: str) -> str | None:
    return parse(formula, known=lambda _n: True).single if formula else None


def _label(name: str):
    found = elements.element(name)
    return found.label if found else name


def item_columns(definition: Mapping) -> list[dict]:
    """Each item of a definition with what a page needs: its group, weight, indicator and formulas, and
    which drill-downs its figures open (``numerator``/``denominator``/``missing`` when the formula is one
    element, and every element of the formulas)."""
    groups = {g["id"]: g["name"] for g in definition["groups"]}
    out = []
    for item in definition["items"]:
        column = {
            "id": str(item["id"]),
            "name": item["name"],
            "kind": item["kind"],
            "qualitative": item["kind"] == ItemKind.QUALITATIVE,
            "group": groups.get(item["group"], ""),
            "weight": item["weight"],
            "normalisation": item.get("normalisation"),
            "target": item.get("target"),
            "guidance": item.get("guidance", ""),
            "indicator": item.get("indicator"),
            "factor": None,
            "parts": [],
            "elements": [],
        }
        indicator = item.get("indicator")
        if indicator:
            numerator, denominator = _single(indicator["numerator"]), _single(indicator["denominator"])
            parts = []
            if numerator:
                parts.append("numerator")
            if denominator:
                parts.append("denominator")
            same = (
                numerator
                and denominator
                and elements.element(numerator) is not None
                and elements.element(denominator) is not None
                and elements.element(numerator).model == elements.element(denominator).model
            )
            if same:
                parts.append("missing")
            column["parts"] = parts
            factor = Decimal(str(indicator.get("factor") or 1))
            column["factor"] = None if factor == 1 else plain(factor)
            names = dict.fromkeys([*_names(indicator["numerator"]), *_names(indicator["denominator"])])
            column["elements"] = [(n, _label(n)) for n in names]
        out.append(column)
    return out


def _trend(row: Mapping) -> str:
    change = row.get("change")
    if change is None:
        return ""
    sign = Decimal(change)
    return "up" if sign > 0 else "down" if sign < 0 else "same"


def table(rows: Iterable[Mapping], definition: Mapping) -> dict:
    """The ranking as the page shows it: the group and item columns, and per row its figures in column
    order (``groups``: scores; ``items``: value and score, with the drill-down the value opens)."""
    groups = [{"id": str(g["id"]), "name": g["name"], "weight": g["weight"]} for g in definition["groups"]]
    items = item_columns(definition)
    shown = []
    for row in rows:
        figures = row.get("items", {})
        shown.append(
            {
                "key": row["key"],
                "name": row["name"],
                "rank": row["rank"],
                "total": row["total"],
                "previous_rank": row.get("previous_rank"),
                "previous_total": row.get("previous_total"),
                "change": row.get("change"),
                "trend": _trend(row),
                "groups": [row.get("groups", {}).get(g["id"]) for g in groups],
                "items": [
                    {
                        "column": column,
                        "value": figures.get(column["id"], {}).get("value"),
                        "score": figures.get(column["id"], {}).get("score"),
                        "drill": column["parts"][0] if column["parts"] else None,
                    }
                    for column in items
                ],
            }
        )
    return {"groups": groups, "items": items, "rows": shown}


def scorecard_groups(row: Mapping, definition: Mapping) -> list[dict]:
    """Each group of a member's scorecard with its weight and the member's score."""
    scores = row.get("groups", {})
    return [
        {"name": g["name"], "weight": g["weight"], "score": scores.get(str(g["id"]))}
        for g in definition["groups"]
    ]


def scorecard_items(row: Mapping, definition: Mapping, marks: Iterable) -> list[dict]:
    """Every item of a member's scorecard: the column, its four figures, and the marks it was given."""
    given: dict[str, list] = {}
    for mark in marks:
        given.setdefault(str(mark.item_id), []).append(mark)
    out = []
    for column in item_columns(definition):
        figures = row.get("items", {}).get(column["id"], {})
        missing = None
        if figures.get("numerator") is not None and figures.get("denominator") is not None:
            missing = str(Decimal(figures["denominator"]) - Decimal(figures["numerator"]))
        out.append(
            {
                "column": column,
                "numerator": figures.get("numerator"),
                "denominator": figures.get("denominator"),
                "missing": missing,
                "value": figures.get("value"),
                "score": figures.get("score"),
                "marks": given.get(column["id"], []),
            }
        )
    return out
