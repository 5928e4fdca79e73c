"""Residents sign up and sign in with their mobile number and a one-time code (docs/residents.md): codes
expire, work once, die after five wrong tries; sending is limited per number and per address; staff numbers
are refused; the number appears in no URL and no log line; earlier reports made with it become the
account's."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client

from gridgov.accounts.models import SignInCode, User
from gridgov.accounts.tests.sender import last_code
from gridgov.cases.actions import case_report
from gridgov.cases.models import Case, CaseEvent
from gridgov.cases.residents import ATTACHED
from gridgov.core.models import AuditEntry
from gridgov.testing.api import ApiClient
from gridgov.testing.factories import make_admin, make_tree, make_user, urgent_category

pytestmark = pytest.mark.django_db

PHONE = "13700001111"
T0 = datetime(2026, 11, 23, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))


def send(phone: str = PHONE, address: str = "198.51.100.7"):
    return ApiClient().post("/residents/codes", {"phone": phone}, REMOTE_ADDR=address)


def verify(code: str, phone: str = PHONE, **extra):
    return ApiClient().post("/residents/session", {"phone": phone, "code": code, **extra})


def test_a_new_number_signs_up_a_resident(sent):
    answer = send()
    assert answer.status_code == 201, answer.content
    assert answer.json()["phone"] == "137****1111"
    code = last_code(PHONE)
    assert len(code) == 6 and code.isdigit()
    row = SignInCode.objects.get()
    assert PHONE not in row.phone_hash and code not in row.code_hash

    answer = verify(code, display_name="赵大妈")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["created"] is True
    user = User.objects.get(username=body["username"])
    assert user.role == "resident" and user.display_name == "赵大妈"
    assert not user.has_usable_password()
    assert user.phone == PHONE and user.phone_hash
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM accounts_user WHERE id = %s", [user.pk])
        assert PHONE not in cursor.fetchone()[0]  # encrypted at rest
    assert AuditEntry.objects.filter(verb="resident.sign_up", object_id=str(user.pk)).exists()
    me = ApiClient().get("/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200 and me.json()["phone"] == "137****1111"


def test_an_existing_resident_signs_in_to_their_account(sent):
    admin = make_admin()
    resident = make_user(admin, "li", "resident", phone=PHONE)
    send()
    answer = verify(last_code(PHONE))
    assert answer.status_code == 200
    assert answer.json()["created"] is False and answer.json()["username"] == "li"
    assert User.objects.filter(phone_hash=resident.phone_hash).count() == 1


def test_an_expired_code_is_refused(sent):
    with time_machine.travel(T0, tick=False):
        send()
    with time_machine.travel(T0 + timedelta(minutes=5, seconds=1), tick=False):
        answer = verify(last_code(PHONE))
    assert answer.status_code == 400
    assert answer.json()["code"] == "code_expired" and answer.json()["field"] == "code"
    assert not User.objects.filter(role="resident").exists()


def test_a_code_works_once(sent):
    send()
    code = last_code(PHONE)
    assert verify(code).status_code == 200
    again = verify(code)
    assert again.status_code == 400 and again.json()["code"] == "code_used"


def test_a_new_code_kills_the_earlier_one(sent, settings):
    settings.CODE_PHONE_INTERVAL_SECONDS = 0
    send()
    first = last_code(PHONE)
    send()
    second = last_code(PHONE)
    if first != second:
        assert verify(first).json()["code"] == "wrong_code"
    assert verify(second).status_code == 200


def test_five_wrong_codes_kill_it(sent):
    send()
    code = last_code(PHONE)
    wrong = "000000" if code != "000000" else "111111"
    answers = [verify(wrong) for _ in range(5)]
    assert [a.json()["code"] for a in answers] == ["wrong_code"] * 4 + ["code_dead"]
    assert "还可尝试 1 次" in answers[3].json()["message"]
    right = verify(code)
    assert right.status_code == 400 and right.json()["code"] == "code_dead"
    assert SignInCode.objects.get().attempts == 5


def test_bad_input_names_the_field(sent):
    assert send("12345").json()["field"] == "phone"
    assert send("0917-3211234").json()["code"] == "invalid_phone"  # a landline gets no SMS
    send()
    answer = verify("12ab56")
    assert answer.status_code == 400 and answer.json()["field"] == "code"
    long_name = verify(last_code(PHONE), display_name="名" * 51)
    assert long_name.json()["code"] == "too_long" and long_name.json()["field"] == "display_name"
    assert not SignInCode.objects.filter(used_at__isnull=False).exists()  # refused before the code is used


def test_one_number_is_sent_a_code_a_minute_and_five_an_hour(sent):
    with time_machine.travel(T0, tick=False):
        assert send().status_code == 201
        again = send()
    assert again.status_code == 429
    assert again["Retry-After"] == "60"
    assert again.json()["code"] == "code_rate_limited" and again.json()["field"] == "phone"
    for minute in range(1, 5):
        with time_machine.travel(T0 + timedelta(minutes=minute, seconds=1), tick=False):
            assert send().status_code == 201
    with time_machine.travel(T0 + timedelta(minutes=10), tick=False):
        sixth = send()
    assert sixth.status_code == 429
    assert int(sixth["Retry-After"]) == 50 * 60  # the first of the hour's five leaves the window at 10:30
    assert len(sent) == 5


def test_one_address_is_limited_whatever_the_numbers(sent, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "code": 2}
    assert send("13700000001").status_code == 201
    assert send("13700000002").status_code == 201
    third = send("13700000003")
    assert third.status_code == 429 and int(third["Retry-After"]) >= 1
    assert "秒后再试" in third.json()["message"]
    assert send("13700000003", address="203.0.113.9").status_code == 201


def test_verifying_is_limited_per_address(sent, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "signin": 2}
    send()
    verify("000001")
    verify("000002")
    third = verify(last_code(PHONE))
    assert third.status_code == 429 and third.has_header("Retry-After")


@pytest.mark.parametrize("role", ["community", "admin", "unit"])
def test_a_staff_number_cannot_sign_in_by_code(sent, role):
    tree = make_tree()
    if role == "admin":
        staff = make_user(tree.admin, "boss2", "admin", phone=PHONE)
    elif role == "unit":
        from gridgov.accounts.models import Unit

        unit = Unit.objects.create(name="城管", kind="department", area=tree["610302"])
        staff = make_user(tree.admin, "u1", "unit", unit=unit, phone=PHONE)
    else:
        staff = make_user(tree.admin, "comm", "community", area=tree["610302001001"], phone=PHONE)
    send()
    answer = verify(last_code(PHONE))
    assert answer.status_code == 403
    body = answer.json()
    assert body["code"] == "password_account" and body["field"] == "phone"
    assert staff.username not in body["message"] and "社区" not in body["message"]
    assert not User.objects.filter(role="resident").exists()


def test_the_page_signs_in_and_the_number_is_in_no_url_and_no_log(sent, settings, caplog):
    settings.CODE_SENDER = "gridgov.accounts.codes.LogSender"
    client = Client()
    caplog.set_level(logging.DEBUG)
    page = client.get("/resident/signin/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="phone"' in html and 'maxlength="' in html
    answer = client.post("/resident/signin/", {"action": "send", "phone": PHONE, "display_name": "钱阿姨"})
    assert answer.status_code == 200
    html = answer.content.decode()
    assert 'autocomplete="one-time-code"' in html and 'inputmode="numeric"' in html
    assert "137****1111" in html
    logged = [r.getMessage() for r in caplog.records if "sign-in code for" in r.getMessage()]
    assert len(logged) == 1 and logged[0].startswith("sign-in code for 137****1111: ")
    code = logged[0].rsplit(" ", 1)[1]
    done = client.post(
        "/resident/signin/",
        {"action": "verify", "phone": PHONE, "code": code, "display_name": "钱阿姨", "next": "/wishes/"},
    )
    assert done.status_code == 302 and done.url == "/wishes/"
    assert PHONE not in done.url
    home = client.get("/", follow=True)
    assert home.status_code == 200
    user = User.objects.get(role="resident")
    assert client.session["_auth_user_id"] == str(user.pk)
    for record in caplog.records:
        assert PHONE not in record.getMessage()
        assert PHONE not in str(getattr(record, "args", ""))


def test_the_page_shows_a_wrong_code_next_to_its_field(sent):
    client = Client()
    client.post("/resident/signin/", {"action": "send", "phone": PHONE})
    code = last_code(PHONE)
    wrong = "000000" if code != "000000" else "111111"
    answer = client.post("/resident/signin/", {"action": "verify", "phone": PHONE, "code": wrong})
    assert answer.status_code == 400
    assert "验证码不正确" in answer.content.decode() and 'id="err-code"' in answer.content.decode()
    again = client.post("/resident/signin/", {"action": "send", "phone": PHONE})
    assert again.status_code == 429 and again.has_header("Retry-After")
    assert 'id="err-phone"' in again.content.decode()


def test_earlier_reports_with_the_number_become_the_accounts(sent):
    tree = make_tree()
    urgent_category("garbage", "垃圾堆放", 1)
    worker = make_user(tree.admin, "gw", "grid_worker", area=tree["610302001001001"])
    mine = [
        case_report(
            by=None,
            category_code="garbage",
            description="楼下垃圾堆了三天",
            lng=107.01,
            lat=34.01,
            reporter_phone=PHONE,  # the public form, not signed in
        ).case,
        case_report(  # typed in by a grid worker from the resident's call
            by=worker,
            category_code="garbage",
            description="楼道堆放杂物",
            lng=107.01,
            lat=34.01,
            reporter_phone="137 0000 1111",
        ).case,
    ]
    other = case_report(
        by=None,
        category_code="garbage",
        description="别人上报的井盖问题",
        lng=107.01,
        lat=34.01,
        reporter_phone="13700002222",
    ).case
    send()
    body = verify(last_code(PHONE)).json()
    user = User.objects.get(username=body["username"])
    for case in mine:
        case.refresh_from_db()
        assert case.reporter_id == user.pk
        assert case.reporters.get(source=case).user_id == user.pk
        assert CaseEvent.objects.filter(case=case, action=ATTACHED, actor=user).count() == 1
    other.refresh_from_db()
    assert other.reporter_id is None
    # signing in again attaches nothing twice
    with time_machine.travel(datetime.now(ZoneInfo("UTC")) + timedelta(minutes=2)):
        send()
        verify(last_code(PHONE))
    assert CaseEvent.objects.filter(action=ATTACHED).count() == 2
    assert set(Case.objects.filter(reporter=user).values_list("pk", flat=True)) == {c.pk for c in mine}
