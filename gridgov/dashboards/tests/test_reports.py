"""Generated reports end to end on the docs/kpi.md world (13 cases reported in March 2026 under district
610302, the figures refreshed at 1 April 08:00): the stored figures against direct counts of the database,
the web page, the workbook, and the PDF read back with poppler (pdftotext for the text, pdftoppm for the
pixels); scope; generation on demand with its versions and inbox notice; refused input; the schedule."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from datetime import datetime

import pytest
import time_machine
from django.test import Client
from openpyxl import load_workbook
from PIL import Image

from gridgov.areas.models import Area
from gridgov.cases.models import OPEN_STATES, Case, Sla
from gridgov.dashboards import actions
from gridgov.dashboards.models import Report
from gridgov.notify.models import Kind, Notification
from gridgov.testing.factories import PASSWORD

from .conftest import DISTRICT, NOW, STREET1, STREET2, at

pytestmark = pytest.mark.django_db


@pytest.fixture
def poppler_tools():
    """The PDF checks need pdftotext and pdftoppm: without them the test fails (never skips)."""
    missing = [tool for tool in ("pdftotext", "pdftoppm") if not shutil.which(tool)]
    assert not missing, f"install poppler-utils (scripts/bootstrap.sh --browser): {missing} not found"


poppler = pytest.mark.usefixtures("poppler_tools")


def signed_in(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


def generate(user, kind: str, period: str | None = None, area: str = DISTRICT) -> Report:
    with time_machine.travel(NOW, tick=False):
        return actions.report_generate(by=user, area=area, kind=kind, period=period, now=NOW)


def reported_between(start: datetime, end: datetime, code: str = DISTRICT) -> int:
    return Case.objects.filter(
        area_code__startswith=code, reported_at__gte=start, reported_at__lt=end
    ).count()


def overdue_now(code: str = DISTRICT) -> dict[str, str]:
    cases = Case.objects.filter(area_code__startswith=code, state__in=OPEN_STATES, sla=Sla.OVERDUE)
    return {c.ref: c.lead_unit.name for c in cases.select_related("lead_unit")}


def pdf_text(content: bytes, tmp_path, name: str = "r") -> str:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(content)
    done = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True)
    return done.stdout.decode()


def page_pixels(content: bytes, tmp_path, page: int) -> tuple[int, int]:
    """The non-white pixels of ``page`` rendered at 50 dpi, and of those the coloured ones (a chart's lines
    and bars; text is black or grey)."""
    path = tmp_path / "p.pdf"
    path.write_bytes(content)
    subprocess.run(
        ["pdftoppm", "-r", "50", "-png", "-f", str(page), "-l", str(page), str(path), str(tmp_path / "pg")],
        check=True,
    )
    image = Image.open(next(tmp_path.glob("pg*.png"))).convert("RGB")
    raw = image.tobytes()
    pixels = list(zip(raw[0::3], raw[1::3], raw[2::3], strict=True))
    for old in tmp_path.glob("pg*.png"):
        old.unlink()
    ink = sum(1 for r, g, b in pixels if min(r, g, b) < 230)
    coloured = sum(1 for r, g, b in pixels if max(r, g, b) - min(r, g, b) > 60)
    return ink, coloured


def pages_of(content: bytes, tmp_path) -> list[str]:
    """The text of each page (pdftotext separates pages with a form feed)."""
    return pdf_text(content, tmp_path, "pages").split("\f")


# ---------------------------------------------------------------- the monthly analysis, end to end


def test_monthly_report_figures_are_the_databases(refreshed, staff):
    report = generate(staff["district"], "monthly", "2026-03")
    data = report.data
    assert (report.kind, report.period_key, report.version, report.area_code) == (
        "monthly",
        "2026-03",
        1,
        DISTRICT,
    )
    march = reported_between(at(3, 1, 0), at(4, 1, 0))
    assert march == 13 and data["totals"]["reported"] == march
    assert data["previous"]["reported"] == reported_between(at(2, 1, 0), at(3, 1, 0))
    assert sum(day["reported"] for day in data["trend"]) == march and len(data["trend"]) == 31
    by_category = {c["name"]: c["reported"] for c in data["categories"]}
    for name, count in by_category.items():
        assert count == Case.objects.filter(
            area_code__startswith=DISTRICT, category__name=name, reported_at__gte=at(3, 1, 0),
            reported_at__lt=at(4, 1, 0),
        ).count()  # fmt: skip
    assert sum(by_category.values()) == march
    overdue = overdue_now()
    assert len(overdue) == 2 and data["overdue"]["count"] == 2
    assert {r["ref"]: r["unit"] for r in data["overdue"]["rows"]} == overdue
    assert [c["code"] for c in data["children"]] == [STREET1, STREET2]
    for child in data["children"]:
        assert child["reported"] == reported_between(at(3, 1, 0), at(4, 1, 0), child["code"])
    # no personal data of reporters is kept with a report
    assert "13800138000" not in str(data) and "reporter" not in str(data)


def test_monthly_report_as_page_workbook_and_pdf(refreshed, staff, tmp_path):
    report = generate(staff["district"], "monthly", "2026-03")
    overdue = overdue_now()
    dist = signed_in("dist")

    page = dist.get(f"/command/reports/{report.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "渭滨区月研判报告（2026年3月）" in html
    for unit in set(overdue.values()):  # the monthly analysis names the units, the weekly brief the cases
        assert re.search(
            rf"<td>{unit}</td><td class=\"num\">\d+</td><td class=\"num\">\d+</td><td class=\"num\">2</td>",
            html,
        )
    assert re.search(r"<td>新上报</td><td class=\"num\">13</td><td class=\"num\">1</td>", html)
    assert (
        '<svg class="chart chart-line"' in html and "<polyline" in html and '<rect class="chart-bar"' in html
    )
    printed = dist.get(f"/command/reports/{report.pk}/?print=1")
    assert printed.status_code == 200 and "topbar" not in printed.content.decode()

    xlsx = dist.get(f"/command/reports/{report.pk}/report.xlsx")
    assert xlsx.status_code == 200 and xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content)))
    assert book.sheetnames[:3] == ["报告信息", "趋势", "考核指标"]
    trend = [list(r) for r in book["趋势"].iter_rows(values_only=True)]
    assert ["新上报", 13, 1, 12] in trend
    owners = set(overdue.values())
    units = {r[0]: r[3] for r in book["责任单位履职情况"].iter_rows(values_only=True) if r and r[0] in owners}
    assert units == {unit: list(overdue.values()).count(unit) for unit in owners}
    kpis = {r[0]: r[1:4] for r in book["考核指标"].iter_rows(values_only=True) if r and r[0]}
    assert kpis["按时响应率"] == tuple(
        report.data["kpis"]["response_rate"][k] for k in ("numerator", "denominator", "rate")
    )

    if not (shutil.which("pdftotext") and shutil.which("pdftoppm")):
        pytest.skip("poppler-utils is not installed (scripts/bootstrap.sh --browser)")
    response = dist.get(f"/command/reports/{report.pk}/report.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert (
        response["Content-Disposition"] == f'attachment; filename="report-{DISTRICT}-monthly-2026-03-v1.pdf"'
    )
    content = response.content
    assert content.startswith(b"%PDF") and b"/FontFile2" in content  # the TrueType font is embedded
    assert b"STSong" not in content
    text = pdf_text(content, tmp_path)
    assert "渭滨区月研判报告（2026年3月）" in text
    assert re.search(r"新上报\s+13\s+1\s+12", text)
    assert "本月新上报 13 件，比上月增加 12 件" in text
    for unit in overdue.values():
        assert unit in text
    assert re.search(r"第\s*1\s*页", text) and "生成时间 2026-04-01 08:00" in text
    ink, _coloured = page_pixels(content, tmp_path, 1)
    assert ink > 2000  # not blank
    pages = pages_of(content, tmp_path)
    chart_page = next(i for i, p in enumerate(pages, 1) if "每日新上报与结案" in p)
    _ink, coloured = page_pixels(content, tmp_path, chart_page)
    assert coloured > 100  # the trend's lines (and the bars) are drawn in colour


@poppler
def test_weekly_and_daily_reports(refreshed, staff, tmp_path):
    weekly = generate(staff["district"], "weekly", "2026-W11")  # 9–15 March, against 2–8 March
    this_week, last_week = (
        reported_between(at(3, 9, 0), at(3, 16, 0)),
        reported_between(at(3, 2, 0), at(3, 9, 0)),
    )
    assert (weekly.data["totals"]["reported"], weekly.data["previous"]["reported"]) == (this_week, last_week)
    assert (this_week, last_week) == (5, 6)
    assert {r["ref"]: r["unit"] for r in weekly.data["overdue"]["rows"]} == overdue_now()
    dist = signed_in("dist")
    html = dist.get(f"/command/reports/{weekly.pk}/").content.decode()
    for section in (
        "本周主要问题",
        "超时未办结事件及责任单位",
        "责任单位履职情况",
        "与上周相比",
        "下级区域",
        "高发问题",
    ):
        assert f"<h2>{section}</h2>" in html
    assert "本周新上报 5 件，比上周减少 1 件" in html
    text = pdf_text(dist.get(f"/command/reports/{weekly.pk}/report.pdf").content, tmp_path, "w")
    assert "周例会简报（2026年第11周）" in text and "本周新上报 5 件，比上周减少 1 件" in text
    for ref, unit in overdue_now().items():
        assert ref in text and unit in text

    daily = generate(staff["district"], "daily")  # the day before NOW: 31 March
    assert daily.period_key == "2026-03-31"
    assert daily.data["totals"]["reported"] == reported_between(at(3, 31, 0), at(4, 1, 0)) == 1
    html = dist.get(f"/command/reports/{daily.pk}/").content.decode()
    assert "渭滨区日反馈（2026年3月31日）" in html and "当日新上报 1 件，比前一日增加 1 件" in html
    book = load_workbook(
        io.BytesIO(b"".join(dist.get(f"/command/reports/{daily.pk}/report.xlsx").streaming_content))
    )
    assert ["新上报", 1, 0, 1] in [list(r) for r in book["当日数据"].iter_rows(values_only=True)]
    text = pdf_text(dist.get(f"/command/reports/{daily.pk}/report.pdf").content, tmp_path, "d")
    assert "渭滨区日反馈（2026年3月31日）" in text and "超时未办结事件共 2 件" in text


# ---------------------------------------------------------------- who sees a report


def test_scope_of_reports(refreshed, staff):
    street1 = generate(staff["district"], "monthly", "2026-03", area=STREET1)
    district = generate(staff["district"], "daily")
    st2 = signed_in("st2")
    for pk in (street1.pk, district.pk):
        for suffix in ("", "report.xlsx", "report.pdf"):
            assert st2.get(f"/command/reports/{pk}/{suffix}").status_code == 404
    assert st2.get(f"/command/{STREET1}/reports/").status_code == 404
    assert st2.get(f"/command/{STREET2}/reports/").status_code == 200
    st1 = signed_in("st1")
    assert st1.get(f"/command/reports/{street1.pk}/").status_code == 200
    assert st1.get(f"/command/reports/{district.pk}/").status_code == 404
    for username in ("resident", "h1"):
        client = signed_in(username)
        assert client.get(f"/command/reports/{street1.pk}/").status_code == 403
        assert client.get(f"/command/{STREET1}/reports/").status_code == 403
        assert client.post(f"/command/{STREET1}/reports/", {"kind": "daily"}).status_code == 403
    anonymous = Client().get(f"/command/reports/{street1.pk}/")
    assert anonymous.status_code == 302 and "/login" in anonymous["Location"]


# ---------------------------------------------------------------- generating on demand


def test_generate_on_demand_keeps_every_version_and_tells_the_areas_staff(refreshed, staff):
    dist = signed_in("dist")
    url = f"/command/{DISTRICT}/reports/"
    with time_machine.travel(NOW, tick=False):
        first = dist.post(url, {"kind": "monthly", "period": "2026-03"})
        second = dist.post(url, {"kind": "monthly", "period": "2026-03"})
    reports = list(Report.objects.filter(area_code=DISTRICT, kind="monthly").order_by("version"))
    assert [(r.period_key, r.version) for r in reports] == [("2026-03", 1), ("2026-03", 2)]
    assert first.status_code == 302 and first["Location"] == f"/command/reports/{reports[0].pk}/"
    assert second["Location"] == f"/command/reports/{reports[1].pk}/"
    assert reports[1].generated_by == staff["district"] and reports[1].data["totals"]["reported"] == 13
    listed = dist.get(url).content.decode()
    for r in reports:
        assert f'data-report="{r.pk}"' in listed
        for suffix in ("", "report.xlsx", "report.pdf"):
            assert f'href="/command/reports/{r.pk}/{suffix}"' in listed
    assert 'data-report="' in dist.get(url + "?kind=monthly").content.decode()
    assert 'data-report="' not in dist.get(url + "?kind=weekly").content.decode()
    inbox = Notification.objects.filter(user=staff["district"], kind=Kind.REPORT)
    assert sorted(inbox.values_list("url", flat=True)) == sorted(r.get_absolute_url() for r in reports)
    assert not Notification.objects.filter(user__username="st1", kind=Kind.REPORT).exists()
    # without a period: the last complete one of the kind
    with time_machine.travel(NOW, tick=False):
        weekly = dist.post(url, {"kind": "weekly", "period": ""})
    assert weekly.status_code == 302
    assert Report.objects.get(kind="weekly", area_code=DISTRICT).period_key == "2026-W13"


@pytest.mark.parametrize(
    ("kind", "period", "field"),
    [
        ("yearly", "2026", "kind"),
        ("monthly", "2026-W10", "period"),
        ("weekly", "2026-03", "period"),
        ("monthly", "2026-05", "period"),
        ("daily", "2026-04-02", "period"),
        ("monthly", "March", "period"),
    ],
)
def test_bad_input_is_refused_on_its_field_and_nothing_is_written(refreshed, staff, kind, period, field):
    dist = signed_in("dist")
    before = (Report.objects.count(), Notification.objects.filter(kind=Kind.REPORT).count())
    with time_machine.travel(NOW, tick=False):
        response = dist.post(f"/command/{DISTRICT}/reports/", {"kind": kind, "period": period})
    assert response.status_code == 400
    html = response.content.decode()
    assert re.search(rf'<p class="field-error" id="err-{field}">[^<]+</p>', html)
    assert f'value="{period}"' in html  # what was typed is kept
    assert (Report.objects.count(), Notification.objects.filter(kind=Kind.REPORT).count()) == before


# ---------------------------------------------------------------- the schedule


def test_reports_due_generates_the_previous_periods_once(refreshed, staff, settings):
    settings.REPORT_LEVELS = ("district", "street")
    areas = list(
        Area.objects.filter(level__in=("district", "street"), is_active=True).values_list("code", flat=True)
    )
    with time_machine.travel(NOW, tick=False):
        made = actions.reports_due(now=NOW)
        again = actions.reports_due(now=NOW)
    assert made == 3 * len(areas) and again == 0
    kept = set(Report.objects.values_list("kind", "area_code", "period_key"))
    expected = {
        (kind, code, key)
        for code in areas
        for kind, key in (("daily", "2026-03-31"), ("weekly", "2026-W13"), ("monthly", "2026-03"))
    }
    assert kept == expected
    assert all(r.generated_by is None and r.version == 1 for r in Report.objects.all())
    monthly = Report.objects.get(kind="monthly", area_code=DISTRICT)
    assert monthly.data["totals"]["reported"] == 13
    assert Notification.objects.filter(user=staff["district"], kind=Kind.REPORT).count() == 3
