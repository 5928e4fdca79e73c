"""The holiday-schedule import page (/calendar/import/) and the shared file reader behind it and the command."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from gridgov.core import calendar
from gridgov.core.calendar import is_workday
from gridgov.core.calendar_file import CalendarFileError, calendar_import_file, calendar_read_file
from gridgov.core.errors import DomainError
from gridgov.core.models import AuditEntry, CalendarDay, CalendarYear
from gridgov.testing.factories import PASSWORD, make_admin, make_tree, make_user

pytestmark = pytest.mark.django_db

NEXT = timezone.localdate().year + 1  # beyond the package's data: unknown until imported
WARNING = f"{NEXT} 年的节假日安排尚未配置"


@pytest.fixture(autouse=True)
def _fresh_calendar():
    calendar.invalidate()
    yield
    calendar.invalidate()


@pytest.fixture
def admin():
    return make_admin()


def client_for(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def good_file(year: int = NEXT) -> bytes:
    text = (
        "{\n"
        f'  "year": {year},\n'
        '  "holidays": [\n'
        f'    ["{year}-01-01", "元旦"],\n'
        f'    "{year}-10-01"\n'
        "  ],\n"
        f'  "workdays": [["{year}-09-26", "国庆节调休"]],\n'
        '  "note": "测试安排"\n'
        "}\n"
    )
    return text.encode()


def bad_file(year: int = NEXT) -> bytes:
    text = (
        "{\n"
        f'  "year": {year},\n'
        '  "holidays": [\n'
        f'    ["{year}-01-01", "元旦"],\n'
        f'    "{year}-02-30",\n'
        f'    "{year - 1}-12-31"\n'
        "  ],\n"
        f'  "workdays": ["{year}-01-01"]\n'
        "}\n"
    )
    return text.encode()


def upload(client: Client, content: bytes):
    return client.post(
        "/calendar/import/",
        {"step": "preview", "file": SimpleUploadedFile("cal.json", content, "application/json")},
    )


def nothing_written() -> bool:
    return (
        not CalendarDay.objects.exists()
        and not CalendarYear.objects.exists()
        and not AuditEntry.objects.filter(verb__startswith="calendar.").exists()
    )


def test_the_banner_links_admins_to_the_import_page(admin):
    page = client_for(admin).get("/calendar/import/").content.decode()
    assert WARNING in page and 'href="/calendar/import/"' in page


def test_district_staff_are_warned_but_get_no_link_and_no_page(admin):
    tree = make_tree(admin)
    district = make_user(admin, "district1", "district", area=tree["610302"])
    client = client_for(district)
    home = client.get("/", follow=True).content.decode()
    assert WARNING in home and 'href="/calendar/import/"' not in home
    assert client.get("/calendar/import/").status_code == 404
    assert upload(client, good_file()).status_code == 404
    assert (
        client.post("/calendar/import/", {"step": "import", "content": good_file().decode()}).status_code
        == 404
    )
    assert nothing_written()


def test_anonymous_visitors_are_sent_to_sign_in():
    r = Client().get("/calendar/import/")
    assert r.status_code == 302 and "/login" in r.url


def test_a_valid_file_is_previewed_then_imported_and_the_warning_goes(admin):
    client = client_for(admin)
    preview = upload(client, good_file())
    assert preview.status_code == 200
    html = preview.content.decode()
    assert f"{NEXT} 年导入预览" in html and 'id="calendar-changes"' in html
    assert "元旦" in html and "国庆节调休" in html and "节假日 2 天，调休上班 1 天" in html
    assert nothing_written()  # the preview writes nothing

    done = client.post("/calendar/import/", {"step": "import", "content": good_file().decode()}, follow=True)
    page = done.content.decode()
    assert done.status_code == 200 and f"已导入 {NEXT} 年的节假日安排" in page
    assert WARNING not in page and 'href="/calendar/import/"' not in page
    assert CalendarYear.objects.get(year=NEXT).source == "import"
    assert set(CalendarDay.objects.values_list("date", "is_workday", "name")) == {
        (calendar_date(NEXT, 1, 1), False, "元旦"),
        (calendar_date(NEXT, 10, 1), False, ""),
        (calendar_date(NEXT, 9, 26), True, "国庆节调休"),
    }
    assert is_workday(calendar_date(NEXT, 9, 26)) == (True, False)
    entry = AuditEntry.objects.get(verb="calendar.import_year")
    assert entry.actor_id == admin.pk


def calendar_date(y, m, d):
    from datetime import date

    return date(y, m, d)


def test_an_invalid_file_lists_every_problem_and_writes_nothing(admin):
    r = upload(client_for(admin), bad_file())
    assert r.status_code == 400
    html = r.content.decode()
    assert 'id="calendar-problems"' in html and "节假日安排文件有 3 处错误，未导入" in html
    # line, field, entry, reason
    assert "<td>5</td><td>holidays</td><td>2</td>" in html and "不是有效日期" in html
    assert "<td>6</td><td>holidays</td><td>3</td>" in html and f"不在 {NEXT} 年内" in html
    assert "<td>8</td><td>workdays</td><td>1</td>" in html and "不能既是节假日又是调休上班日" in html
    assert 'id="calendar-preview"' not in html
    assert nothing_written()


def test_a_tampered_confirmation_is_checked_again_and_writes_nothing(admin):
    r = client_for(admin).post("/calendar/import/", {"step": "import", "content": bad_file().decode()})
    assert r.status_code == 400 and 'id="calendar-problems"' in r.content.decode()
    assert nothing_written()


@pytest.mark.parametrize(
    ("content", "where"),
    [
        (b"not json", "file"),
        (b"[2027]", "file"),
        (b'{"year": 2027, "holidays": [], "workdays": [], "holiday": []}', "holiday"),
        (b'{"holidays": []}', "year"),
        (b"\xff\xfe", "file"),
    ],
)
def test_the_reader_names_the_field_of_a_broken_file(content, where):
    with pytest.raises(CalendarFileError) as info:
        calendar_read_file(content)
    assert where in [p.field for p in info.value.problems]


def test_the_shared_action_refuses_non_admins(admin):
    resident = make_user(admin, "resident1", "resident")
    with pytest.raises(DomainError) as info:
        calendar_import_file(by=resident, content=good_file())
    assert info.value.status == 403
    assert nothing_written()


def test_the_reader_reports_lines(admin):
    with pytest.raises(CalendarFileError) as info:
        calendar_read_file(json.dumps({"year": NEXT, "holidays": ["x"], "workdays": []}))
    [problem] = info.value.problems
    assert (problem.field, problem.row, problem.line) == ("holidays", 1, 1)
