"""The case pages through Django's test client: report, public tracking, worklist, detail with its action
forms, attachments, inbox."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from gridgov.accounts.models import Unit, User
from gridgov.cases import actions
from gridgov.cases.actions.shared import hash_token
from gridgov.cases.models import Case, CaseEvent, Category, RoutingRule, State
from gridgov.core import uploads
from gridgov.notify.models import Notification
from gridgov.testing import images
from gridgov.testing.factories import Tree, make_tree, make_user

GRID = "610302001001001"  # 网格1-1-1 in 社区1-1: lng 107.00–107.05, lat 34.00–34.05
INSIDE = (107.02, 34.02)
PHONE = "13812345678"
PNG = images.PNG  # a real image: every upload is decoded


@dataclass
class World:
    tree: Tree
    category: Category
    strict: Category
    unit: Unit
    other_unit: Unit
    dispatcher: User  # community staff of 社区1-1
    street: User  # street staff of 街道1 (may blow the whistle)
    gridder: User  # grid worker of 网格1-1-1
    handler: User  # handler of the lead unit
    other_handler: User
    stranger: User  # community staff of another street
    resident: User


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def world(db) -> World:
    """This module's own world (it replaces the package conftest's): real time, two categories, one rule."""
    tree = make_tree()
    admin = tree.admin
    life = Category.objects.create(code="life", name="社区生活", sort=1)
    category = Category.objects.create(
        code="road_repair",
        name="道路维修",
        parent=life,
        response_limit=Decimal("2"),
        response_unit="urgent_hours",
        resolution_limit=Decimal("24"),
        resolution_unit="urgent_hours",
        anonymous_allowed=True,
        sort=2,
    )
    strict = Category.objects.create(
        code="neighbour_dispute",
        name="邻里纠纷",
        parent=life,
        response_limit=Decimal("2"),
        response_unit="urgent_hours",
        resolution_limit=Decimal("24"),
        resolution_unit="urgent_hours",
        anonymous_allowed=False,
        sort=3,
    )
    unit = Unit.objects.create(name="渭滨区住房和城乡建设局", kind="department", area=tree["610302"])
    other_unit = Unit.objects.create(name="渭滨区城市管理执法局", kind="department", area=tree["610302"])
    rule = RoutingRule.objects.create(category=category, area=tree["610302"], lead_unit=unit)
    rule.assist_units.set([other_unit])
    return World(
        tree=tree,
        category=category,
        strict=strict,
        unit=unit,
        other_unit=other_unit,
        dispatcher=make_user(admin, "shequ", "community", tree["610302001001"]),
        street=make_user(admin, "jiedao", "street", tree["610302001"]),
        gridder=make_user(admin, "wangge", "grid_worker", tree[GRID]),
        handler=make_user(admin, "zhujian", "unit", unit=unit),
        other_handler=make_user(admin, "chengguan", "unit", unit=other_unit),
        stranger=make_user(admin, "waidi", "community", tree["610302002001"]),
        resident=make_user(admin, "jumin", "resident", phone="13900001111"),
    )


def report(world: World, **kw) -> actions.Intake:
    args = {
        "by": None,
        "category_code": world.category.code,
        "description": "人行道地砖破损，雨天积水",
        "lng": INSIDE[0],
        "lat": INSIDE[1],
        "reporter_name": "张三",
        "reporter_phone": PHONE,
    }
    args.update(kw)
    return actions.case_report(**args)


def as_user(client, user: User):
    client.force_login(user)
    return client


def text(response) -> str:
    return response.content.decode()


def form_post(world: World, **overrides) -> dict:
    data = {
        "category": world.category.code,
        "description": "小区门口路灯不亮已经一周",
        "lng": str(INSIDE[0]),
        "lat": str(INSIDE[1]),
        "address": "经二路 12 号门口",
        "reporter_name": "李四",
        "reporter_phone": PHONE,
        "idempotency_key": "f3b1c0de7e1a4d6f9a1b2c3d4e5f6a7b",
    }
    data.update(overrides)
    return data


def to_closed(world: World) -> Case:
    intake = report(world)
    ref = intake.case.ref
    actions.case_accept(ref=ref, by=world.dispatcher)
    actions.case_dispatch(ref=ref, by=world.dispatcher)
    actions.case_claim(ref=ref, by=world.handler)
    actions.case_start(ref=ref, by=world.handler)
    actions.case_resolve(ref=ref, by=world.handler, result="已更换破损地砖")
    actions.case_verify(ref=ref, by=world.gridder)
    case = actions.case_close(ref=ref, by=world.dispatcher)
    case.rate_token = intake.rate_token
    return case


# ---------------------------------------------------------------- report form


def test_report_form_renders_for_anyone(client, world):
    response = client.get("/report/")
    assert response.status_code == 200
    body = text(response)
    assert '<optgroup label="社区生活">' in body
    assert 'value="road_repair" data-anonymous="1"' in body
    assert 'value="neighbour_dispute" data-anonymous="0"' in body
    assert "道路维修（可匿名）" in body
    assert "邻里纠纷（可匿名）" not in body
    assert 'value="life"' not in body  # a category with sub-categories is a group, not a choice
    assert re.search(r'name="idempotency_key" value="[0-9a-f]{32}"', body)
    assert 'accept="image/*"' in body and "multiple" in body
    assert 'data-url="/report/map.json"' in body
    assert "/static/vendor/leaflet/leaflet.js" in body
    assert 'href="/report/"' in body  # nav link for residents without an account


def test_report_form_prefills_signed_in_resident(client, world):
    world.resident.display_name = "王五"
    world.resident.save()
    body = text(as_user(client, world.resident).get("/report/"))
    assert 'name="reporter_name" type="text" maxlength="50" autocomplete="name" value="王五"' in body
    assert 'value="13900001111"' in body


def test_report_map_is_public_and_carries_codes_and_names_only(client, world):
    response = client.get("/report/map.json")
    assert response.status_code == 200
    features = response.json()["features"]
    levels = {f["properties"]["level"] for f in features}
    assert levels == {"district", "grid"}
    assert len([f for f in features if f["properties"]["level"] == "grid"]) == 8
    assert {key for f in features for key in f["properties"]} == {"code", "name", "level"}


def test_report_creates_case_and_shows_reference_and_rating_code(client, world):
    response = client.post(
        "/report/", form_post(world, photos=[SimpleUploadedFile("a.png", PNG, "image/png")])
    )
    assert response.status_code == 200
    case = Case.objects.get()
    assert case.area_code == GRID
    assert case.reporter_name == "李四"
    assert uploads.of(case).count() == 1
    body = text(response)
    assert f'<p class="ref-number" id="case-ref">{case.ref}</p>' in body
    assert f'href="/track/{case.ref}"' in body
    token = re.search(r'<p class="code" id="rate-token">([^<]+)</p>', body).group(1)
    assert hash_token(token) == case.rate_token_hash
    assert response["Cache-Control"] == "no-store"


def test_report_double_submit_makes_one_case(client, world):
    first = client.post("/report/", form_post(world))
    second = client.post("/report/", form_post(world))
    assert Case.objects.count() == 1
    ref = Case.objects.get().ref
    assert ref in text(first) and ref in text(second)
    assert "已收到您的上报" in text(second)
    # The first answer may never have reached the resident: the same browser sees the code again.
    token = re.search(r'id="rate-token">([^<]+)<', text(first)).group(1)
    assert f'id="rate-token">{token}<' in text(second)
    # A fresh form (new key) is a new report.
    client.post("/report/", form_post(world, idempotency_key="another-key-0001"))
    assert Case.objects.count() == 2


def test_report_error_is_shown_at_its_field_and_keeps_input(client, world):
    response = client.post("/report/", form_post(world, description="坏了"))
    assert response.status_code == 400
    body = text(response)
    assert '<p class="field-error" id="err-description">请描述问题（至少 5 个字）</p>' in body
    assert 'value="经二路 12 号门口"' in body
    assert 'value="李四"' in body
    assert 'name="idempotency_key" value="f3b1c0de7e1a4d6f9a1b2c3d4e5f6a7b"' in body
    assert '<option value="road_repair" data-anonymous="1" selected>' in body
    assert Case.objects.count() == 0
    assert CaseEvent.objects.count() == 0


def test_report_anonymous_only_where_the_category_allows(client, world):
    response = client.post("/report/", form_post(world, category="neighbour_dispute", anonymous="1"))
    assert response.status_code == 400
    assert '<p class="field-error" id="err-anonymous">「邻里纠纷」类事项不能匿名上报</p>' in text(response)
    assert Case.objects.count() == 0
    response = client.post("/report/", form_post(world, anonymous="1", reporter_phone=""))
    assert response.status_code == 200
    case = Case.objects.get()
    assert case.anonymous and case.reporter_name == "" and case.reporter_phone == ""


def test_report_outside_the_district_and_bad_photo(client, world):
    response = client.post("/report/", form_post(world, lng="110.0", lat="30.0"))
    assert response.status_code == 400
    assert 'id="err-location">该位置不在本区任何网格内，请重新选择位置<' in text(response)
    response = client.post("/report/", form_post(world, lng="abc"))
    assert 'id="err-location">位置坐标无效，请在地图上重新标注<' in text(response)
    bad = SimpleUploadedFile("x.png", b"<script>alert(1)</script>", "image/png")
    response = client.post("/report/", form_post(world, photos=[bad]))
    assert response.status_code == 400
    assert 'id="err-photos">文件「x.png」不是 JPEG、PNG 或 WebP 图片<' in text(response)
    assert "请重新选择" in text(response)
    assert Case.objects.count() == 0


def test_report_with_address_only_goes_to_the_district(client, world):
    response = client.post("/report/", form_post(world, lng="", lat=""))
    assert response.status_code == 200
    assert Case.objects.get().area_code == "610302"


# ---------------------------------------------------------------- public tracking


def test_track_lookup_redirects_to_the_case(client, world):
    ref = report(world).case.ref
    assert client.get("/track/").status_code == 200
    response = client.get("/track/", {"ref": f" {ref} "})
    assert response.status_code == 302
    assert response.url == f"/track/{ref}"
    assert client.get("/track/610302-20000101-999999").status_code == 404


def test_track_page_shows_progress_without_personal_data(client, world):
    world.dispatcher.display_name = "赵社区"
    world.dispatcher.save()
    ref = report(world).case.ref
    actions.case_accept(ref=ref, by=world.dispatcher, note="联系人张三，电话 13812345678")
    actions.case_dispatch(ref=ref, by=world.dispatcher)
    response = client.get(f"/track/{ref}")
    assert response.status_code == 200
    body = text(response)
    assert ref in body
    assert "已派遣" in body
    assert "道路维修" in body
    assert "网格1-1-1" in body and "社区1-1" in body
    assert "上报" in body and "受理" in body and "派遣" in body
    for private in ("张三", PHONE, "138****5678", "赵社区", "shequ", "人行道地砖破损"):
        assert private not in body, private
    assert client.get(f"/track/{ref}/").status_code == 200


def test_merged_case_links_to_its_target(client, world):
    first = report(world).case
    second = report(world, description="同一处地砖破损，有人摔倒").case
    actions.case_merge(ref=second.ref, by=world.dispatcher, into=first.ref, reason="同一问题")
    body = text(client.get(f"/track/{second.ref}"))
    assert f'href="/track/{first.ref}"' in body
    assert "已合并" in body


def test_rating_with_the_code(client, world):
    case = to_closed(world)
    body = text(client.get(f"/track/{case.ref}"))
    assert f'action="/track/{case.ref}/rate/"' in body
    assert 'name="token"' in body

    response = client.post(f"/track/{case.ref}/rate/", {"rating": "satisfied", "token": "wrong-code"})
    assert response.status_code == 400
    assert f'id="err-rate-token">事件 {case.ref} 不存在或评价码无效<' in text(response)
    case.refresh_from_db()
    assert not case.rated_at

    response = client.post(f"/track/{case.ref}/rate/", {"rating": "great", "token": case.rate_token})
    assert response.status_code == 400
    assert 'id="err-rating">评价只能是' in text(response)

    response = client.post(
        f"/track/{case.ref}/rate/",
        {"rating": "basic", "comment": "还行", "token": case.rate_token},
        follow=True,
    )
    assert response.status_code == 200
    body = text(response)
    assert "评价已提交" in body
    assert '<dd id="case-rating">基本满意</dd>' in body
    assert "/rate/" not in body
    case.refresh_from_db()
    assert case.rating == "basic" and case.rating_comment == "还行"


def test_signed_in_reporter_rates_without_code_and_reopens(client, world):
    ref = report(world, by=world.resident).case.ref
    for step in ("accept", "dispatch"):
        getattr(actions, f"case_{step}")(ref=ref, by=world.dispatcher)
    actions.case_claim(ref=ref, by=world.handler)
    actions.case_start(ref=ref, by=world.handler)
    actions.case_resolve(ref=ref, by=world.handler, result="已处理")
    actions.case_verify(ref=ref, by=world.gridder)
    actions.case_close(ref=ref, by=world.dispatcher)
    client = as_user(client, world.resident)
    assert 'name="token"' not in text(client.get(f"/track/{ref}"))
    response = client.post(f"/track/{ref}/rate/", {"rating": "unsatisfied", "comment": "还是积水"})
    assert response.status_code == 302

    body = text(client.get(f"/track/{ref}"))
    assert f'action="/track/{ref}/reopen/"' in body
    response = client.post(f"/track/{ref}/reopen/", {"reason": "  "})
    assert response.status_code == 400
    assert 'id="err-reopen-reason">重办必须填写原因<' in text(response)
    assert Case.objects.get(ref=ref).state == State.CLOSED

    response = client.post(f"/track/{ref}/reopen/", {"reason": "雨后仍然积水"})
    assert response.status_code == 302
    case = Case.objects.get(ref=ref)
    assert case.state == State.ACCEPTED and case.reopen_count == 1


# ---------------------------------------------------------------- worklist


def test_pages_need_sign_in(client, world):
    ref = report(world).case.ref
    for url in ("/cases/", f"/cases/{ref}/", "/inbox/", "/files/1/", "/files/1/thumb/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith("/login/?next="), url


def test_worklist_in_scope_with_deadline_marks(client, world):
    warn = report(world).case
    late = report(world, description="路面塌陷一个大坑，很危险").case
    fresh = report(world, description="井盖松动，走上去会响").case
    for case in (warn, late):
        actions.case_accept(ref=case.ref, by=world.dispatcher)
        actions.case_dispatch(ref=case.ref, by=world.dispatcher)
    Case.objects.filter(pk=warn.pk).update(sla="warning", deadline_provisional=True)
    Case.objects.filter(pk=late.pk).update(sla="overdue")

    body = text(as_user(client, world.dispatcher).get("/cases/"))
    for case in (warn, late, fresh):
        assert f'href="/cases/{case.ref}/"' in body
    assert re.search(f'class="case-row sla-warning" data-ref="{warn.ref}"', body)
    assert '<span class="sla sla-warning">预警</span>' in body
    assert '<span class="sla sla-overdue">超时</span>' in body
    assert "（临时）" in body
    assert "共 3 件" in body
    assert 'href="/inbox/"' in body and 'href="/cases/"' in body

    overdue = text(client.get("/cases/", {"overdue": "1"}, HTTP_HX_REQUEST="true"))
    assert "<html" not in overdue
    restored = client.get("/cases/", HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true")
    assert "<html" in text(restored)  # htmx restoring history after a cache miss wants the whole page
    assert late.ref in overdue and warn.ref not in overdue and fresh.ref not in overdue
    reported = text(client.get("/cases/", {"state": "reported"}))
    assert fresh.ref in reported and warn.ref not in reported
    assert 'value="reported" selected' in reported

    client.force_login(world.stranger)
    body = text(client.get("/cases/"))
    assert "共 0 件" in body and warn.ref not in body


def test_unit_worklist_puts_pending_claims_first(client, world):
    claimed = report(world).case
    pending = report(world, description="另一处路面破损需要维修").case
    for case in (claimed, pending):
        actions.case_accept(ref=case.ref, by=world.dispatcher)
        actions.case_dispatch(ref=case.ref, by=world.dispatcher)
    actions.case_claim(ref=claimed.ref, by=world.handler)
    # Make the claimed case's deadline the earlier one: the pending claim still comes first.
    Case.objects.filter(pk=pending.pk).update(response_due=claimed.resolution_due)
    body = text(as_user(client, world.handler).get("/cases/"))
    assert body.index(pending.ref) < body.index(claimed.ref)
    assert body.count('<span class="tag tag-claim">待签收</span>') == 1


# ---------------------------------------------------------------- detail and actions


def buttons(body: str) -> set[str]:
    return set(re.findall(r'data-action="(\w+)"', body))


def test_detail_shows_only_allowed_buttons(client, world):
    ref = report(world).case.ref
    body = text(as_user(client, world.dispatcher).get(f"/cases/{ref}/"))
    assert buttons(body) == {"accept", "reject", "merge", "recategorise", "escalate"}
    assert "138****5678" in body and PHONE not in body
    assert "张三" in body

    actions.case_accept(ref=ref, by=world.dispatcher)
    body = text(client.get(f"/cases/{ref}/"))
    assert "dispatch" in buttons(body) and "claim" not in buttons(body)

    actions.case_dispatch(ref=ref, by=world.dispatcher)
    body = text(as_user(client, world.handler).get(f"/cases/{ref}/"))
    assert buttons(body) == {"claim", "return"}
    assert ">签收</button>" in body and ">退回</a>" in body and "派遣</a>" not in body

    # An assist unit sees the case but may not claim it.
    body = text(as_user(client, world.other_handler).get(f"/cases/{ref}/"))
    assert buttons(body) == set()


def test_detail_out_of_scope_is_not_found(client, world):
    ref = report(world).case.ref
    response = as_user(client, world.stranger).get(f"/cases/{ref}/")
    assert response.status_code == 404
    assert "页面不存在" in text(response)
    # A unit sees nothing before it is dispatched to.
    assert as_user(client, world.handler).get(f"/cases/{ref}/").status_code == 404
    assert as_user(client, world.stranger).post(f"/cases/{ref}/act/accept/").status_code == 404
    assert Case.objects.get(ref=ref).state == State.REPORTED


def test_resident_is_sent_to_the_tracking_page(client, world):
    ref = report(world, by=world.resident).case.ref
    response = as_user(client, world.resident).get(f"/cases/{ref}/")
    assert response.status_code == 302 and response.url == f"/track/{ref}"
    body = text(client.get("/cases/"))
    assert "我的上报" in body and f'href="/track/{ref}"' in body


def test_action_form_opens_with_htmx_and_dispatch_is_prefilled(client, world):
    ref = report(world).case.ref
    actions.case_accept(ref=ref, by=world.dispatcher)
    client = as_user(client, world.dispatcher)
    response = client.get(f"/cases/{ref}/", {"act": "dispatch"}, HTTP_HX_REQUEST="true")
    body = text(response)
    assert "<html" not in body
    assert f'action="/cases/{ref}/act/dispatch/"' in body
    assert f'<option value="{world.unit.pk}" selected>渭滨区住房和城乡建设局</option>' in body
    assert f'name="assist_unit_ids" value="{world.other_unit.pk}" checked' in body
    assert 'name="candidate_unit_ids"' in body
    # Without htmx the same link opens the form inside the page.
    body = text(client.get(f"/cases/{ref}/", {"act": "escalate"}))
    assert "<html" in body and f'action="/cases/{ref}/act/escalate/"' in body
    assert 'name="reason"' in body and "（必填）" in body
    # A form for an action not allowed now is not offered.
    body = text(client.get(f"/cases/{ref}/", {"act": "claim"}, HTTP_HX_REQUEST="true"))
    assert "现在不能执行此操作" in body
    body = text(client.get(f"/cases/{ref}/", {"act": "accept"}))
    assert "<html" in body and "/act/accept/" not in body


def test_action_error_shows_at_its_field_and_writes_nothing(client, world):
    ref = report(world).case.ref
    events = CaseEvent.objects.count()
    response = as_user(client, world.dispatcher).post(f"/cases/{ref}/act/reject/", {"reason": " "})
    assert response.status_code == 400
    body = text(response)
    assert '<p class="field-error" id="err-reason">不予受理必须填写原因</p>' in body
    assert f'action="/cases/{ref}/act/reject/"' in body
    assert Case.objects.get(ref=ref).state == State.REPORTED
    assert CaseEvent.objects.count() == events


def test_wrong_state_action_returns_the_page_with_the_message(client, world):
    ref = report(world).case.ref
    client = as_user(client, world.dispatcher)
    assert client.post(f"/cases/{ref}/act/accept/").status_code == 302
    response = client.post(f"/cases/{ref}/act/accept/")
    assert response.status_code == 409
    assert "事件当前状态为「已受理」，不能受理" in text(response)
    assert client.post(f"/cases/{ref}/act/nonsense/").status_code == 404


def test_whole_loop_through_the_pages(client, world):
    ref = report(world).case.ref
    dispatcher = as_user(client, world.dispatcher)
    assert dispatcher.post(f"/cases/{ref}/act/accept/", {"note": ""}).status_code == 302
    response = dispatcher.post(
        f"/cases/{ref}/act/dispatch/",
        {"lead_unit_id": str(world.unit.pk), "assist_unit_ids": [str(world.other_unit.pk)]},
        follow=True,
    )
    assert "已派遣" in text(response)
    case = Case.objects.get(ref=ref)
    assert case.state == State.DISPATCHED and case.lead_unit == world.unit

    handler = as_user(client, world.handler)
    assert handler.post(f"/cases/{ref}/act/claim/").status_code == 302
    assert handler.post(f"/cases/{ref}/act/start/").status_code == 302
    response = handler.post(f"/cases/{ref}/act/resolve/", {"result": ""})
    assert response.status_code == 400
    assert 'id="err-result">请填写处置结果<' in text(response)
    response = handler.post(
        f"/cases/{ref}/act/resolve/",
        {"result": "已更换地砖", "evidence": [SimpleUploadedFile("done.png", PNG, "image/png")]},
    )
    assert response.status_code == 302
    evidence = uploads.of(Case.objects.get(ref=ref), "evidence").get()

    gridder = as_user(client, world.gridder)
    body = text(gridder.get(f"/cases/{ref}/"))
    assert buttons(body) == {"verify", "rework"}
    assert f'href="/files/{evidence.pk}/"' in body and f'src="/files/{evidence.pk}/thumb/"' in body
    assert gridder.post(f"/cases/{ref}/act/verify/").status_code == 302
    assert as_user(client, world.dispatcher).post(f"/cases/{ref}/act/close/").status_code == 302
    case = Case.objects.get(ref=ref)
    assert case.state == State.CLOSED and case.result == "已更换地砖"
    body = text(client.get(f"/cases/{ref}/"))
    for label in ("受理", "派遣", "签收", "开始处置", "处置反馈", "核实通过", "结案"):
        assert f"<strong>{label}</strong>" in body


def test_whistle_and_report_in(client, world):
    ref = report(world).case.ref
    actions.case_accept(ref=ref, by=world.dispatcher)
    street = as_user(client, world.street)
    assert "whistle" in buttons(text(street.get(f"/cases/{ref}/")))
    response = street.post(
        f"/cases/{ref}/act/whistle/", {"unit_ids": [str(world.unit.pk)], "lead_unit_id": str(world.unit.pk)}
    )
    assert response.status_code == 400
    assert "吹哨至少召集两个单位" in text(response)
    response = street.post(
        f"/cases/{ref}/act/whistle/",
        {
            "unit_ids": [str(world.unit.pk), str(world.other_unit.pk)],
            "lead_unit_id": str(world.unit.pk),
            "report_hours": "2",
            "note": "现场会商",
        },
    )
    assert response.status_code == 302
    assistant = as_user(client, world.other_handler)
    assert "report" in buttons(text(assistant.get(f"/cases/{ref}/")))
    assert assistant.post(f"/cases/{ref}/act/report/", {"note": "已到场"}).status_code == 302
    body = text(assistant.get(f"/cases/{ref}/"))
    assert '<span class="mark mark-ok">已报到' in body
    assert '<span class="mark">待报到</span>' in body


def test_extend_needs_amount_and_reason(client, world):
    ref = report(world).case.ref
    actions.case_accept(ref=ref, by=world.dispatcher)
    actions.case_dispatch(ref=ref, by=world.dispatcher)
    client = as_user(client, world.dispatcher)
    body = text(client.get(f"/cases/{ref}/", {"act": "extend"}, HTTP_HX_REQUEST="true"))
    assert "延期时长（紧急工作时）" in body
    response = client.post(f"/cases/{ref}/act/extend/", {"amount": "abc", "reason": "材料未到"})
    assert 'id="err-amount">请输入数字<' in text(response)
    response = client.post(f"/cases/{ref}/act/extend/", {"amount": "4", "reason": ""})
    assert 'id="err-reason">延期必须填写原因<' in text(response)
    assert client.post(f"/cases/{ref}/act/extend/", {"amount": "4", "reason": "材料未到"}).status_code == 302
    assert Case.objects.get(ref=ref).extension_count == 1


def test_merging_a_suggested_duplicate_asks_for_confirmation_and_a_reason(client, world):
    first = report(world).case
    second = report(world, description="同一处地砖破损，有人摔倒").case
    client = as_user(client, world.dispatcher)
    body = text(client.get(f"/cases/{second.ref}/"))
    assert 'id="duplicates"' in body
    # no one-click merge: the suggestion opens the confirmation
    assert 'name="into"' not in body
    confirm = f"/cases/{second.ref}/?act=merge&amp;into={first.ref}#form-merge"
    assert confirm in body
    page = text(client.get(f"/cases/{second.ref}/?act=merge&into={first.ref}"))
    # both cases side by side, and a required reason
    assert 'class="merge-compare"' in page
    assert first.description in page and second.description in page
    assert 'name="reason"' in page and f'value="{first.ref}"' in page
    # without a reason nothing is merged; the error is on the reason
    response = client.post(f"/cases/{second.ref}/act/merge/", {"into": first.ref})
    assert response.status_code == 400
    assert 'id="err-reason"' in text(response)
    second.refresh_from_db()
    assert second.state != State.MERGED
    response = client.post(f"/cases/{second.ref}/act/merge/", {"into": first.ref, "reason": "同一块地砖"})
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.state == State.MERGED and second.merged_into == first
    # the reason is on both timelines
    assert second.events.get(action="merge").note == "同一块地砖"
    assert first.events.get(action="merge").note == "同一块地砖"
    # Staff of another street see neither the case nor a suggestion to merge with it.
    assert as_user(client, world.stranger).get(f"/cases/{first.ref}/").status_code == 404


# ---------------------------------------------------------------- attachments


def test_attachments_are_served_in_scope_only(client, world):
    case = report(world, photos=[SimpleUploadedFile("p.png", PNG, "image/png")]).case
    photo = uploads.of(case).get()
    url = f"/files/{photo.pk}/"
    response = as_user(client, world.dispatcher).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert images.pixels(b"".join(response.streaming_content)) == images.pixels(PNG)
    body = text(client.get(f"/cases/{case.ref}/"))
    assert f'href="{url}"' in body and f'src="{url}thumb/"' in body
    assert "/static/" not in photo.path and "/media/" not in body
    assert client.get(f"/files/{photo.pk + 999}/").status_code == 404
    assert as_user(client, world.stranger).get(url).status_code == 404
    assert as_user(client, world.handler).get(url).status_code == 404


def test_case_files_go_to_whoever_sees_the_case(client, world):
    """The file view applies the case's own rule: the reporter, staff in scope, a unit once dispatched."""
    case = report(world, by=world.resident, photos=[SimpleUploadedFile("p.png", PNG, "image/png")]).case
    photo = uploads.of(case).get()
    assert photo.step_id == CaseEvent.objects.get(case=case, action="report").pk
    for user, status in (
        (world.resident, 200),
        (world.gridder, 200),
        (world.handler, 404),
        (world.stranger, 404),
    ):
        for url in (photo.get_absolute_url(), photo.thumb_url):
            assert as_user(client, user).get(url).status_code == status, (user.username, url)
    actions.case_accept(ref=case.ref, by=world.dispatcher)
    actions.case_dispatch(ref=case.ref, by=world.dispatcher)
    assert as_user(client, world.handler).get(photo.get_absolute_url()).status_code == 200


# ---------------------------------------------------------------- inbox and layout


def test_inbox_lists_unread_first_and_marks_read(client, world):
    ref = report(world).case.ref
    actions.case_accept(ref=ref, by=world.dispatcher)
    actions.case_dispatch(ref=ref, by=world.dispatcher)
    note = Notification.objects.get(user=world.handler)
    client = as_user(client, world.handler)
    body = text(client.get("/inbox/"))
    assert '<li class="note note-unread"' in body
    assert f'href="/cases/{ref}/"' in body
    assert '<span class="badge"' in body
    response = client.post(f"/inbox/{note.pk}/read/", {"next": "/inbox/"})
    assert response.status_code == 302 and response.url == "/inbox/"
    note.refresh_from_db()
    assert note.read_at is not None
    body = text(client.get("/inbox/"))
    assert "note-unread" not in body and '<span class="badge"' not in body
    # Somebody else's message does not exist for this account.
    mine = Notification.objects.create(
        user=world.dispatcher, kind="dispatch", title="x", created_at=note.created_at
    )
    assert client.post(f"/inbox/{mine.pk}/read/").status_code == 404
    mine.refresh_from_db()
    assert mine.read_at is None


def test_calendar_warnings_in_the_layout(client, world, monkeypatch):
    monkeypatch.setattr("gridgov.core.calendar.years_needing_configuration", lambda today=None: [2099])
    body = text(as_user(client, world.tree.admin).get("/cases/"))
    assert '<div class="calendar-warning" role="alert"><p>2099 年的节假日安排尚未配置' in body
    assert "calendar-warning" not in text(as_user(client, world.dispatcher).get("/cases/"))


def test_home_links_to_the_worklist(client, world):
    # the community lands on its own home (what needs its action now), which leads to the worklist
    response = as_user(client, world.dispatcher).get("/")
    assert response.status_code == 200 and 'href="/cases/"' in text(response)


@pytest.mark.django_db
def test_hotline_entry_on_behalf_of_a_resident(client):
    from gridgov.cases.models import Case, Category
    from gridgov.testing.factories import make_tree, make_user

    tree = make_tree()
    Category.objects.create(
        code="noise", name="噪音", response_unit="urgent_hours", resolution_unit="urgent_hours"
    )
    make_user(tree.admin, "gw", "grid_worker", area=tree["610302001001001"])
    assert client.login(username="gw", password="correct-horse-battery")
    form = {
        "category": "noise",
        "description": "夜间施工噪音扰民",
        "lng": "107.01",
        "lat": "34.01",
        "reporter_name": "周女士",
        "reporter_phone": "13700001234",
        "idempotency_key": "k1",
        "channel": "hotline",
        "reported_at": "2026-11-20T21:40",
    }
    page = client.get("/report/")
    assert "代居民录入" in page.content.decode()
    response = client.post("/report/", form)
    assert response.status_code == 200, response.content.decode()[:500]
    case = Case.objects.get()
    assert case.channel == "hotline" and case.entered_by.username == "gw" and case.reporter is None
    assert case.reporter_phone == "13700001234"
    assert timezone_local(case.reported_at) == "2026-11-20 21:40"
    bad = client.post("/report/", {**form, "idempotency_key": "k2", "reported_at": "2099-01-01T10:00"})
    assert bad.status_code == 400 and "上报时间不能晚于现在" in bad.content.decode()
    assert Case.objects.count() == 1


def timezone_local(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
