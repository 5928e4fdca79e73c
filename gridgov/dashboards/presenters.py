"""What a generated report says, in the reader's language: the one list of sections the web page, the workbook
and the PDF are drawn from (docs/dashboards.md "Reports").

A report keeps plain figures (``reports.compile_report``); the headings, the lead sentences and the labels
of states and levels are written here when the report is read, never stored. Numbers are shown exactly as
stored: a rate is the stored percentage (one decimal), a count the stored count. A cell is a number, a text
or ``None`` (no value: "—" on the page and in the PDF, an empty cell in the workbook).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import datetime

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from gridgov.areas.models import Level
from gridgov.cases.models import State as CaseState
from gridgov.core.errors import DomainError
from gridgov.core.periods import Period
from gridgov.dashboards.models import FLOWS, Hotspot, Report
from gridgov.ledger.excel import safe_cell

Cell = int | float | str | None

FLOW_LABELS = {
    "reported": gettext_lazy("新上报"),
    "accepted": gettext_lazy("受理"),
    "dispatched": gettext_lazy("派遣"),
    "closed": gettext_lazy("结案"),
    "closed_on_time": gettext_lazy("按期结案"),
    "overdue": gettext_lazy("超期"),
    "warned": gettext_lazy("预警"),
    "escalated": gettext_lazy("升级处置"),
    "reopened": gettext_lazy("重办"),
    "whistled": gettext_lazy("吹哨"),
    "rated": gettext_lazy("评价"),
    "satisfied": gettext_lazy("满意"),
}
STOCK_LABELS = {
    "open": gettext_lazy("在办"),
    "overdue": gettext_lazy("超时未办结"),
    "warning": gettext_lazy("临期预警"),
    "whistle_waiting": gettext_lazy("吹哨待报到"),
}
RATE_LABELS = {
    "response_rate": gettext_lazy("按时响应率"),
    "resolution_rate": gettext_lazy("解决率"),
    "satisfaction_rate": gettext_lazy("满意率"),
    "on_time_closure_rate": gettext_lazy("按期办结率"),
    "closure_rate": gettext_lazy("结案率"),
}
SERVICE_LABELS = {
    "orders_placed": gettext_lazy("服务点单"),
    "orders_delivered": gettext_lazy("服务单完成"),
    "orders_delivered_on_time": gettext_lazy("服务单按时完成"),
    "wishes_posted": gettext_lazy("微心愿发布"),
    "wishes_fulfilled": gettext_lazy("微心愿实现"),
    "projects_completed": gettext_lazy("民生项目完成"),
    "points_volunteer_hours": gettext_lazy("志愿服务时长（小时）"),
}
TREND_LABELS = {"up": gettext_lazy("上升"), "down": gettext_lazy("下降"), "flat": gettext_lazy("持平")}
# The word for the report's own period and the one before it, as a sentence uses them.
THIS = {
    Report.Kind.DAILY: gettext_lazy("当日"),
    Report.Kind.WEEKLY: gettext_lazy("本周"),
    Report.Kind.MONTHLY: gettext_lazy("本月"),
}
BEFORE = {
    Report.Kind.DAILY: gettext_lazy("前一日"),
    Report.Kind.WEEKLY: gettext_lazy("上周"),
    Report.Kind.MONTHLY: gettext_lazy("上月"),
}


@dataclass
class Table:
    headers: list[str]
    rows: list[list[Cell]]
    numeric: list[bool]  # which columns hold numbers (aligned right)
    caption: str = ""
    empty: str = ""  # said instead of an empty table

    def heads(self) -> list[dict]:
        return [{"text": h, "numeric": n} for h, n in zip(self.headers, self.numeric, strict=True)]

    def lines(self) -> list[list[dict]]:
        """The rows with each cell's alignment, for a template."""
        return [
            [{"value": c, "numeric": n} for c, n in zip(row, self.numeric, strict=True)] for row in self.rows
        ]


@dataclass
class Series:
    name: str
    values: list[float]


@dataclass
class Chart:
    """A chart spec: ``line`` (one point per label and series: the daily trend) or ``bars`` (one bar per
    label, the first series: the categories). The page draws it as SVG from ``svg()``, the PDF with
    reportlab.graphics."""

    kind: str
    title: str
    labels: list[str]
    series: list[Series]

    WIDTH = 600
    HEIGHT = 220
    PAD = 30

    def top(self) -> float:
        return max([v for s in self.series for v in s.values] + [1])

    def svg(self) -> dict:
        """Coordinates in a ``WIDTH`` × ``HEIGHT`` view box: polylines for a line chart, rectangles for bars."""
        top, pad = self.top(), self.PAD
        if self.kind == "line":
            inner_w, inner_h = self.WIDTH - 2 * pad, self.HEIGHT - 2 * pad
            step = inner_w / max(len(self.labels) - 1, 1)
            lines = []
            for index, series in enumerate(self.series):
                points = " ".join(
                    f"{pad + i * step:.1f},{pad + inner_h - inner_h * v / top:.1f}"
                    for i, v in enumerate(series.values)
                )
                lines.append({"name": series.name, "points": points, "index": index + 1})
            ticks = [
                {"x": round(pad + i * step, 1), "label": label}
                for i, label in enumerate(self.labels)
                if i % max(len(self.labels) // 6, 1) == 0
            ]
            return {
                "lines": lines,
                "ticks": ticks,
                "top": _plain(top),
                "axis_y": self.HEIGHT - pad,
                "label_y": self.HEIGHT - pad + 16,
                "right": self.WIDTH - pad,
            }
        bar_h = 18
        label_w = 150
        inner_w = self.WIDTH - label_w - pad
        values = self.series[0].values if self.series else []
        bars = [
            {
                "label": label,
                "value": _plain(value),
                "y": pad // 2 + i * (bar_h + 6),
                "text_y": pad // 2 + i * (bar_h + 6) + 13,
                "x": label_w,
                "width": round(inner_w * value / top, 1),
                "value_x": round(label_w + inner_w * value / top + 4, 1),
            }
            for i, (label, value) in enumerate(zip(self.labels, values, strict=True))
        ]
        return {"bars": bars, "height": pad + len(bars) * (bar_h + 6), "label_x": label_w - 6}


@dataclass
class Section:
    key: str
    title: str
    lead: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)


def _plain(value: Cell) -> Cell:
    """A stored whole float (the element sources count in floats) as the integer it is."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _label(choices, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


# ---------------------------------------------------------------- heading


def period_label(key: str) -> str:
    try:
        return Period.parse(key).label
    except DomainError:
        return key


def kind_label(kind: str) -> str:
    return _label(Report.Kind, kind)


def report_title(report: Report) -> str:
    return _("%(area)s%(kind)s（%(period)s）") % {
        "area": report.data.get("area", {}).get("name", report.area_code),
        "kind": kind_label(report.kind),
        "period": period_label(report.period_key),
    }


def report_header(report: Report) -> list[tuple[str, str]]:
    """What a report is: area, kind, period, when it was generated, and its version."""
    data = report.data
    area = data.get("area", {})
    period = data.get("period", {})
    return [
        (
            _("区域"),
            _("%(name)s（%(level)s，%(code)s）")
            % {
                "name": area.get("name", ""),
                "level": _label(Level, area.get("level", "")),
                "code": report.area_code,
            },
        ),
        (_("类型"), kind_label(report.kind)),
        (
            _("统计周期"),
            _("%(label)s：%(start)s 至 %(end)s")
            % {
                "label": period_label(report.period_key),
                "start": period.get("start"),
                "end": period.get("end"),
            },
        ),
        (_("生成时间"), when(data.get("generated_at"))),
        (_("版本"), str(report.version)),
    ]


def when(value: str | None) -> str:
    if not value:
        return ""
    try:
        return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return value


# ---------------------------------------------------------------- sentences


def _change(kind: str, flow: str, now: int, before: int) -> str:
    words = {"this": THIS[kind], "previous": BEFORE[kind], "flow": FLOW_LABELS[flow], "n": now}
    if now > before:
        return _("%(this)s%(flow)s %(n)s 件，比%(previous)s增加 %(d)s 件") % {**words, "d": now - before}
    if now < before:
        return _("%(this)s%(flow)s %(n)s 件，比%(previous)s减少 %(d)s 件") % {**words, "d": before - now}
    return _("%(this)s%(flow)s %(n)s 件，与%(previous)s持平") % words


def _leads(data: dict, kind: str, flows=("reported", "closed")) -> list[str]:
    totals, previous = data.get("totals", {}), data.get("previous", {})
    return [_change(kind, f, totals.get(f, 0), previous.get(f, 0)) for f in flows]


# ---------------------------------------------------------------- sections


def _flows(data: dict, kind: str) -> Table:
    totals, previous = data.get("totals", {}), data.get("previous", {})
    rows = []
    for name in FLOWS:
        now, before = totals.get(name, 0), previous.get(name, 0)
        rows.append([str(FLOW_LABELS[name]), now, before, now - before])
    return Table([_("项目"), str(THIS[kind]), str(BEFORE[kind]), _("增减")], rows, [False, True, True, True])


def _figures(data: dict, kind: str, title: str) -> Section:
    return Section("figures", title, _leads(data, kind), [_flows(data, kind)])


def _stock(data: dict) -> Section:
    stock = data.get("stock")
    if stock is None:  # no count was kept for that day
        return Section(
            "stock", _("在办事件"), [_("%(day)s 没有在办事件的统计") % {"day": data.get("stock_day")}]
        )
    return Section(
        "stock",
        _("在办事件"),
        [_("截至 %(day)s 最后一次统计") % {"day": data.get("stock_day") or ""}],
        [
            Table(
                [_("项目"), _("件数")],
                [[str(label), stock.get(name, 0)] for name, label in STOCK_LABELS.items()],
                [False, True],
            )
        ],
    )


def _overdue(data: dict) -> Section:
    overdue = data.get("overdue", {"count": 0, "rows": []})
    rows = [
        [
            r["ref"],
            r["category"],
            r["area"],
            r["unit"] or None,
            _label(CaseState, r["state"]),
            when(r["due"]),
            r["days_over"],
        ]
        for r in overdue.get("rows", [])
    ]
    lead = [
        _("截至 %(when)s 超时未办结事件共 %(n)s 件")
        % {"when": when(data.get("generated_at")), "n": overdue.get("count", 0)}
    ]
    if overdue.get("count", 0) > len(rows):
        lead.append(_("列出超时最久的 %(n)s 件") % {"n": len(rows)})
    return Section(
        "overdue",
        _("超时未办结事件及责任单位"),
        lead,
        [
            Table(
                [
                    _("事件编号"),
                    _("分类"),
                    _("所在网格"),
                    _("牵头单位"),
                    _("状态"),
                    _("办结时限"),
                    _("超时天数"),
                ],
                rows,
                [False, False, False, False, False, False, True],
                empty=_("没有超时未办结的事件"),
            )
        ],
    )


def _children(data: dict, kind: str) -> Section:
    flows = ("reported", "accepted", "closed", "closed_on_time", "reopened")
    rows = [
        [row["name"], *(row.get(name, 0) for name in flows), row.get("open", 0), row.get("overdue_now", 0)]
        for row in data.get("children", [])
    ]
    return Section(
        "children",
        _("下级区域"),
        [],
        [
            Table(
                [_("区域"), *(str(FLOW_LABELS[n]) for n in flows), _("在办"), _("超时未办结")],
                rows,
                [False] + [True] * (len(flows) + 2),
                caption=_("%(this)s的流量；在办与超时未办结为统计日的数字") % {"this": THIS[kind]},
                empty=_("没有下级区域"),
            )
        ],
    )


def _categories(data: dict, kind: str, key: str, title: str, lead: bool) -> Section:
    cats = data.get("categories", [])
    rows = [
        [c["name"], c["reported"], c.get("previous", 0), c["reported"] - c.get("previous", 0)] for c in cats
    ]
    charts = []
    if cats:
        charts.append(
            Chart(
                "bars",
                _("问题分类（%(this)s新上报）") % {"this": THIS[kind]},
                [c["name"] for c in cats],
                [Series(str(FLOW_LABELS["reported"]), [c["reported"] for c in cats])],
            )
        )
    return Section(
        key,
        title,
        _leads(data, kind, ("reported",)) if lead else [],
        [
            Table(
                [_("分类"), str(THIS[kind]), str(BEFORE[kind]), _("增减")],
                rows,
                [False, True, True, True],
                empty=_("本期没有上报事件"),
            )
        ],
        charts,
    )


def _units(data: dict) -> Section:
    rows = [
        [
            u["name"],
            u["dispatched"],
            u["closed"],
            u["overdue_now"],
            u["response_rate"],
            u["on_time_closure_rate"],
            u["satisfaction_rate"],
        ]
        for u in data.get("units", [])
    ]
    return Section(
        "units",
        _("责任单位履职情况"),
        [],
        [
            Table(
                [
                    _("牵头单位"),
                    _("派遣"),
                    _("结案"),
                    _("当前超时"),
                    _("按时响应率（%）"),
                    _("按期办结率（%）"),
                    _("满意率（%）"),
                ],
                rows,
                [False] + [True] * 6,
                caption=_("本期上报、派遣给各单位牵头办理的事件"),
                empty=_("本期没有派遣给单位的事件"),
            )
        ],
    )


def _changes(data: dict, kind: str) -> Section:
    return Section("changes", _("与上周相比"), _leads(data, kind), [_flows(data, kind)])


def _hotspots(data: dict, title: str) -> Section:
    rows = [
        [
            h["category"],
            h["area"],
            h["count"],
            h["previous_count"],
            str(TREND_LABELS.get(h["trend"], h["trend"])),
            h["span_days"],
            when(h["last_at"]),
            _label(Hotspot.State, h["state"]),
        ]
        for h in data.get("hotspots", [])
    ]
    return Section(
        "hotspots",
        title,
        [],
        [
            Table(
                [
                    _("分类"),
                    _("所在网格"),
                    _("事件数"),
                    _("上一时间窗"),
                    _("趋势"),
                    _("跨度（天）"),
                    _("最近上报"),
                    _("状态"),
                ],
                rows,
                [False, False, True, True, False, True, False, False],
                empty=_("没有高发问题"),
            )
        ],
    )


def _trends(data: dict, kind: str) -> Section:
    trend = data.get("trend", [])
    chart = Chart(
        "line",
        _("每日新上报与结案"),
        [row["day"][5:] for row in trend],
        [Series(str(FLOW_LABELS[f]), [row.get(f, 0) for row in trend]) for f in ("reported", "closed")],
    )
    return Section("trends", _("趋势"), _leads(data, kind), [_flows(data, kind)], [chart] if trend else [])


def _kpis(data: dict) -> Section:
    rows = [
        [
            str(label),
            data["kpis"][key]["numerator"],
            data["kpis"][key]["denominator"],
            data["kpis"][key]["rate"],
        ]
        for key, label in RATE_LABELS.items()
        if key in data.get("kpis", {})
    ]
    return Section(
        "kpis",
        _("考核指标"),
        [],
        [
            Table(
                [_("指标"), _("分子"), _("分母"), _("比率（%）")],
                rows,
                [False, True, True, True],
                caption=_("本期上报事件的比率（定义见事件考核指标说明）"),
            )
        ],
    )


def _rankings(data: dict) -> Section:
    tables = []
    for ranking in data.get("rankings", []):
        rows = [[r["rank"], r["name"], r["total"]] for r in ranking.get("top", [])]
        rows += [[r["rank"], r["name"], r["total"]] for r in ranking.get("bottom", [])]
        tables.append(
            Table(
                [_("名次"), _("名称"), _("总分")],
                rows,
                [True, False, True],
                caption=_("%(scheme)s（%(period)s）：前列与末位")
                % {"scheme": ranking["scheme"], "period": ranking["period"]},
            )
        )
    lead = [] if tables else [_("本期没有已发布的考核排名")]
    return Section("rankings", _("考核排名"), lead, tables)


def _visits(data: dict) -> Section:
    v = data.get("visits", {})
    rows = [
        [_("户数"), v.get("households")],
        [_("已走访户数"), v.get("households_visited")],
        [_("走访覆盖率（%）"), v.get("coverage")],
        [_("必访户数"), v.get("must_visit")],
        [_("按时走访的必访户数"), v.get("must_visit_on_time")],
        [_("必访按时率（%）"), v.get("must_visit_rate")],
    ]
    return Section("visits", _("走访覆盖"), [], [Table([_("项目"), _("数值")], rows, [False, True])])


def _services(data: dict) -> Section:
    s = data.get("services", {})
    rows = [[str(label), _plain(s.get(key, 0))] for key, label in SERVICE_LABELS.items()]
    return Section("services", _("为民服务"), [], [Table([_("项目"), _("数值")], rows, [False, True])])


def report_sections(report: Report) -> list[Section]:
    """The sections of ``report`` in the reader's language: which ones depends on the kind (日反馈: the day;
    周例会: problems, owners, units, changes; 月研判: trends, rates, hot spots, rankings, visits, services)."""
    data, kind = report.data, report.kind
    if kind == Report.Kind.DAILY:
        return [
            _figures(data, kind, _("当日数据")),
            _stock(data),
            _overdue(data),
            _children(data, kind),
        ]
    if kind == Report.Kind.WEEKLY:
        return [
            _categories(data, kind, "problems", _("本周主要问题"), lead=True),
            _overdue(data),
            _units(data),
            _changes(data, kind),
            _children(data, kind),
            _hotspots(data, _("高发问题")),
        ]
    return [
        _trends(data, kind),
        _kpis(data),
        _hotspots(data, _("高发问题与反复发生的问题")),
        _categories(data, kind, "categories", _("问题分类"), lead=False),
        _children(data, kind),
        _units(data),
        _rankings(data),
        _visits(data),
        _services(data),
    ]


# ---------------------------------------------------------------- the workbook


SHEET_NAME = re.compile(r"[\[\]:*?/\\]")


def _sheet_name(title: str, taken: set[str]) -> str:
    base = SHEET_NAME.sub(" ", title)[:28].strip() or "sheet"
    name, n = base, 2
    while name in taken:
        name, n = f"{base[:26]} {n}", n + 1
    taken.add(name)
    return name


def report_workbook(report: Report) -> bytes:
    """The report as a workbook: a sheet saying what it is, then one sheet per section (its lead sentences,
    then each table with its header). Numbers are written as numbers, text never as a formula."""
    wb = Workbook(write_only=True)
    bold = Font(bold=True)
    taken: set[str] = set()
    about = wb.create_sheet(_sheet_name(_("报告信息"), taken))
    about.append([safe_cell(report_title(report))])
    for label, value in report_header(report):
        about.append([label, safe_cell(value)])
    for section in report_sections(report):
        sheet = wb.create_sheet(_sheet_name(section.title, taken))
        sheet.append([safe_cell(section.title)])
        for sentence in section.lead:
            sheet.append([safe_cell(sentence)])
        for table in section.tables:
            sheet.append([])
            if table.caption:
                sheet.append([safe_cell(table.caption)])
            sheet.append([_bold(sheet, safe_cell(h), bold) for h in table.headers])
            for row in table.rows:
                sheet.append([safe_cell(cell) for cell in row])
            if not table.rows and table.empty:
                sheet.append([safe_cell(table.empty)])
        for chart in section.charts:  # the figures behind each chart, for a chart drawn in Excel
            sheet.append([])
            sheet.append([safe_cell(chart.title)])
            sheet.append(
                [_bold(sheet, "", bold), *(_bold(sheet, safe_cell(s.name), bold) for s in chart.series)]
            )
            for i, label in enumerate(chart.labels):
                sheet.append([safe_cell(label), *(_plain(s.values[i]) for s in chart.series)])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _bold(sheet, value, font: Font) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    cell.font = font
    return cell
