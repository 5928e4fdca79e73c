"""A round's ranking as a workbook (排名): the rows the reader may see, each with every input (numerator,
denominator, value and score of each item) beside its group scores and total, and the scheme it was
computed with (方案: groups, items, weights, formulas, version, counting moment). Figures are written as
numbers, text as text, never as a formula."""

from __future__ import annotations

import io
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from gridgov.assessment import presenters
from gridgov.assessment.models import Direction, Normalisation, Round, RoundState
from gridgov.assessment.selectors import period_of
from gridgov.ledger.excel import safe_cell


def _when(value: datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def ranking_workbook(rnd: Round, ranking: dict, *, now: datetime | None = None) -> bytes:
    definition = ranking["definition"]
    laid = presenters.table(ranking["rows"], definition)
    wb = Workbook(write_only=True)
    sheet = wb.create_sheet(_("排名"))
    head = [_("名次"), _("编码"), _("名称"), _("总分")]
    head += [_("%(group)s得分") % {"group": g["name"]} for g in laid["groups"]]
    for column in laid["items"]:
        if column["qualitative"]:
            head += [
                _("%(item)s 评分均值") % {"item": column["name"]},
                _("%(item)s 得分") % {"item": column["name"]},
            ]
        else:
            head += [
                _("%(item)s 分子") % {"item": column["name"]},
                _("%(item)s 分母") % {"item": column["name"]},
                _("%(item)s 指标值") % {"item": column["name"]},
                _("%(item)s 得分") % {"item": column["name"]},
            ]
    head += [_("上期名次"), _("上期总分")]
    sheet.append([safe_cell(str(h)) for h in head])
    for row, source in zip(laid["rows"], ranking["rows"], strict=True):
        cells = [row["rank"], safe_cell(row["key"]), safe_cell(row["name"]), presenters.number(row["total"])]
        cells += [presenters.number(score) for score in row["groups"]]
        for column in laid["items"]:
            figures = source.get("items", {}).get(column["id"], {})
            if not column["qualitative"]:
                cells += [
                    presenters.number(figures.get("numerator")),
                    presenters.number(figures.get("denominator")),
                ]
            cells += [presenters.number(figures.get("value")), presenters.number(figures.get("score"))]
        cells += [row["previous_rank"], presenters.number(row["previous_total"])]
        sheet.append(cells)

    scheme = wb.create_sheet(_("方案"))
    frozen = rnd.state != RoundState.OPEN
    for label, value in (
        (_("考核方案"), rnd.scheme.name),
        (_("考核周期"), period_of(rnd).label),
        (_("状态"), str(rnd.get_state_display())),
        (_("方案版本"), definition.get("version")),
        (
            _("统计时点"),
            _when(rnd.counted_at)
            if frozen
            else _("%(now)s（评分中，实时计算）") % {"now": _when(now or timezone.now())},
        ),
        (_("免责事件数"), ranking["exempted"]),
    ):
        scheme.append([str(label), safe_cell(value) if isinstance(value, str) else value])
    scheme.append([])
    scheme.append([_("分组"), _("权重")])
    for group in laid["groups"]:
        scheme.append([safe_cell(group["name"]), presenters.number(group["weight"])])
    scheme.append([])
    scheme.append(
        [
            _("考核项"),
            _("分组"),
            _("类型"),
            _("权重"),
            _("计分方法"),
            _("目标值"),
            _("指标"),
            _("分子公式"),
            _("分母公式"),
            _("系数"),
            _("方向"),
            _("评分标准"),
        ]
    )
    for column in laid["items"]:
        indicator = column["indicator"] or {}
        scheme.append(
            [
                safe_cell(column["name"]),
                safe_cell(column["group"]),
                _("定性") if column["qualitative"] else _("定量"),
                presenters.number(column["weight"]),
                "" if column["qualitative"] else str(Normalisation(column["normalisation"]).label),
                presenters.number(column["target"]),
                safe_cell(indicator.get("name", "")),
                safe_cell(indicator.get("numerator", "")),
                safe_cell(indicator.get("denominator", "")),
                presenters.number(indicator.get("factor")),
                str(Direction(indicator["direction"]).label) if indicator.get("direction") else "",
                safe_cell(column["guidance"]),
            ]
        )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
