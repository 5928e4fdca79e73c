"""A generated report as a PDF (reportlab), drawn from the same sections as the web page and the workbook
(``presenters.report_sections``).

Chinese text renders in any viewer because the font is embedded: a TrueType CJK font (subset by reportlab)
from the setting ``PDF_FONT`` (``GRIDGOV_PDF_FONT``) or, by default, the first installed of the Debian
packages fonts-wqy-microhei and fonts-wqy-zenhei (``scripts/bootstrap.sh`` installs the first). The
non-embedded CID fonts (STSong-Light) are not used: a viewer without the Adobe Asian font pack shows
nothing for them. Charts are reportlab.graphics drawings (the daily trend as lines, the categories as
horizontal bars); tables repeat their header row on every page; each page names the area, the kind, the
period and when the report was generated, and carries its number.
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from xml.sax.saxutils import escape

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _
from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from gridgov.dashboards import presenters
from gridgov.dashboards.models import Report

FONT_NAME = "GridgovCJK"
# Debian's paths of the fonts tried when no font is configured, in order.
DEFAULT_FONTS = (
    ("fonts-wqy-microhei", "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    ("fonts-wqy-zenhei", "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
)
SERIES_COLOURS = (colors.HexColor("#1f6fb2"), colors.HexColor("#c0392b"), colors.HexColor("#2e8b57"))
HEAD_FILL = colors.HexColor("#ddebf7")
GRID_LINE = colors.HexColor("#9aa5b1")
MARGIN = 18 * mm

_registered: str | None = None


def font_path() -> Path:
    """The CJK font file to embed: the configured one (which must exist), else the first default installed."""
    configured = getattr(settings, "PDF_FONT", "")
    if configured:
        path = Path(configured)
        if not path.is_file():
            raise ImproperlyConfigured(f"GRIDGOV_PDF_FONT={configured}: no such font file")
        return path
    for _package, candidate in DEFAULT_FONTS:
        if Path(candidate).is_file():
            return Path(candidate)
    raise ImproperlyConfigured(
        "No Chinese TrueType font for the PDF reports: install the Debian package fonts-wqy-microhei "
        "(scripts/bootstrap.sh does) or set GRIDGOV_PDF_FONT to a .ttf/.ttc file"
    )


def register_font() -> str:
    """Register the CJK font once per process (reportlab embeds the glyphs a document uses)."""
    global _registered
    path = str(font_path())
    if _registered != path:
        kwargs = {"subfontIndex": 0} if path.lower().endswith(".ttc") else {}
        pdfmetrics.registerFont(TTFont(FONT_NAME, path, **kwargs))
        _registered = path
    return FONT_NAME


def _styles(font: str) -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=font, fontSize=9, leading=13, wordWrap="CJK")
    return {
        "title": ParagraphStyle("title", parent=base, fontSize=16, leading=22, spaceAfter=6),
        "about": ParagraphStyle("about", parent=base, fontSize=9, leading=13),
        "h2": ParagraphStyle("h2", parent=base, fontSize=12, leading=18, spaceBefore=10, spaceAfter=4),
        "lead": ParagraphStyle("lead", parent=base, fontSize=10, leading=15),
        "caption": ParagraphStyle("caption", parent=base, fontSize=8, leading=11, textColor=colors.grey),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8, leading=10.5),
        "num": ParagraphStyle("num", parent=base, fontSize=8, leading=10.5, alignment=TA_RIGHT),
        "head": ParagraphStyle("head", parent=base, fontSize=8, leading=10.5),
    }


def _text(value) -> str:
    return "—" if value is None or value == "" else escape(str(value))


def _widths(table: presenters.Table, font: str, width: float) -> list[float]:
    """Each column as wide as its longest cell (a header may wrap), at most 40 % of the line, then all
    scaled to fill the line."""

    def measure(value) -> float:
        return pdfmetrics.stringWidth(_text(value), font, 8) + 8

    natural = []
    for i, head in enumerate(table.headers):
        longest = max([measure(row[i]) for row in table.rows] + [min(measure(head), 60), 30])
        natural.append(min(longest, width * 0.4))
    return [w * width / sum(natural) for w in natural]


def _scale(axis, top: float) -> None:
    """Whole-number steps for counts (0, 1, 2 … rather than 0, 0.5, 1 …)."""
    step = max(1, math.ceil(top / 5))
    axis.valueMin, axis.valueStep, axis.valueMax = 0, step, step * max(math.ceil(top / step), 1)


def _table(table: presenters.Table, styles: dict, width: float) -> Table:
    head = [Paragraph(escape(h), styles["head"]) for h in table.headers]
    body = [
        [
            Paragraph(_text(cell), styles["num"] if table.numeric[i] else styles["cell"])
            for i, cell in enumerate(row)
        ]
        for row in table.rows
    ]
    widths = _widths(table, styles["cell"].fontName, width)
    out = Table([head, *body], colWidths=widths, repeatRows=1)
    out.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), HEAD_FILL),
                ("GRID", (0, 0), (-1, -1), 0.4, GRID_LINE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return out


def _line_chart(chart: presenters.Chart, font: str, width: float) -> Drawing:
    height = 200
    drawing = Drawing(width, height)
    lc = HorizontalLineChart()
    lc.x, lc.y, lc.width, lc.height = 36, 40, width - 56, height - 70
    lc.data = [tuple(s.values) for s in chart.series]
    lc.categoryAxis.categoryNames = [
        label if i % max(len(chart.labels) // 8, 1) == 0 else "" for i, label in enumerate(chart.labels)
    ]
    lc.categoryAxis.labels.fontName = font
    lc.categoryAxis.labels.fontSize = 7
    lc.categoryAxis.labels.boxAnchor = "n"
    _scale(lc.valueAxis, chart.top())
    lc.valueAxis.labels.fontName = font
    lc.valueAxis.labels.fontSize = 7
    lc.valueAxis.visibleGrid = True
    lc.valueAxis.gridStrokeColor = colors.HexColor("#e1e5ea")
    for i, _series in enumerate(chart.series):
        lc.lines[i].strokeColor = SERIES_COLOURS[i % len(SERIES_COLOURS)]
        lc.lines[i].strokeWidth = 1.6
    drawing.add(lc)
    legend = Legend()
    legend.x, legend.y = 40, height - 12
    legend.fontName, legend.fontSize = font, 8
    legend.alignment = "right"
    legend.columnMaximum = 1
    legend.deltax = 70
    legend.colorNamePairs = [
        (SERIES_COLOURS[i % len(SERIES_COLOURS)], s.name) for i, s in enumerate(chart.series)
    ]
    drawing.add(legend)
    return drawing


def _bar_chart(chart: presenters.Chart, font: str, width: float) -> Drawing:
    rows = len(chart.labels)
    height = 30 + rows * 20
    drawing = Drawing(width, height)
    bc = HorizontalBarChart()
    bc.x, bc.y, bc.width, bc.height = 110, 20, width - 150, rows * 20
    values = list(reversed(chart.series[0].values))  # the first category at the top
    bc.data = [tuple(values)]
    bc.categoryAxis.categoryNames = list(reversed(chart.labels))
    bc.categoryAxis.labels.fontName = font
    bc.categoryAxis.labels.fontSize = 8
    _scale(bc.valueAxis, chart.top())
    bc.valueAxis.labels.fontName = font
    bc.valueAxis.labels.fontSize = 7
    bc.bars[0].fillColor = SERIES_COLOURS[0]
    bc.bars[0].strokeColor = None
    bc.barLabelFormat = "%s"
    bc.barLabels.fontName = font
    bc.barLabels.fontSize = 7
    bc.barLabels.boxAnchor = "w"
    bc.barLabels.dx = 3
    drawing.add(bc)
    return drawing


def _chart(chart: presenters.Chart, styles: dict, font: str, width: float) -> KeepTogether:
    drawing = _line_chart(chart, font, width) if chart.kind == "line" else _bar_chart(chart, font, width)
    return KeepTogether([Paragraph(escape(chart.title), styles["lead"]), drawing, Spacer(1, 6)])


def _page_decorator(report: Report, font: str):
    """The header (area, kind, period, generation time) and the footer (page number) of every page."""
    data = report.data
    left = "%s · %s · %s" % (  # noqa: UP031 - a layout of translated parts, not a sentence
        data.get("area", {}).get("name", report.area_code),
        presenters.kind_label(report.kind),
        presenters.period_label(report.period_key),
    )
    right = _("生成时间 %(when)s") % {"when": presenters.when(data.get("generated_at"))}

    def decorate(canvas: Canvas, doc) -> None:
        width, height = A4
        canvas.saveState()
        canvas.setFont(font, 8)
        canvas.setFillColor(colors.HexColor("#4a5561"))
        canvas.drawString(MARGIN, height - 12 * mm, left)
        canvas.drawRightString(width - MARGIN, height - 12 * mm, right)
        canvas.setStrokeColor(GRID_LINE)
        canvas.setLineWidth(0.4)
        canvas.line(MARGIN, height - 13.5 * mm, width - MARGIN, height - 13.5 * mm)
        canvas.drawCentredString(width / 2, 10 * mm, _("第 %(page)s 页") % {"page": doc.page})
        canvas.restoreState()

    return decorate


def report_pdf(report: Report) -> bytes:
    font = register_font()
    styles = _styles(font)
    out = io.BytesIO()
    title = presenters.report_title(report)
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=20 * mm,
        bottomMargin=18 * mm,
        title=title,
        author="gridgov",
        subject=presenters.kind_label(report.kind),
    )
    width = doc.width
    story: list = [Paragraph(escape(title), styles["title"])]
    for label, value in presenters.report_header(report):
        story.append(
            Paragraph(escape(_("%(label)s：%(value)s") % {"label": label, "value": value}), styles["about"])
        )
    for section in presenters.report_sections(report):
        story.append(Paragraph(escape(section.title), styles["h2"]))
        for sentence in section.lead:
            story.append(Paragraph(escape(sentence), styles["lead"]))
        for chart in section.charts:
            story.append(Spacer(1, 4))
            story.append(_chart(chart, styles, font, width))
        for table in section.tables:
            story.append(Spacer(1, 4))
            if table.caption:
                story.append(Paragraph(escape(table.caption), styles["caption"]))
            if table.rows:
                story.append(_table(table, styles, width))
            elif table.empty:
                story.append(Paragraph(escape(table.empty), styles["caption"]))
    decorate = _page_decorator(report, font)
    doc.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return out.getvalue()
