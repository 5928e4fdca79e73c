"""The assessment pages on the KPI worked example (docs/assessment.md, second example): who reaches each page
(out of scope is 404), the scheme editor's and the indicator catalogue's forms with their refusals next to
the field, the evaluator's sheet saved all or nothing, the round's buttons, the ranking as Excel with the
ranking's own figures, and the drill-down's late cases. Every page also passes the suite's
Content-Security-Policy check (root conftest.py)."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from django.test import Client
from openpyxl import load_workbook

from gridgov.accounts.models import User
from gridgov.assessment import actions, selectors
from gridgov.assessment.models import Exemption, Group, Indicator, Item, Mark, Round, RoundState
from gridgov.testing.factories import PASSWORD

from .conftest import C11, C12, C21, C22, give_marks

pytestmark = pytest.mark.django_db

LIVE = {C21: (1, "98.50"), C22: (2, "88.00"), C11: (3, "74.42"), C12: (4, "62.01")}


def signed_in(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


def text(response) -> str:
    return response.content.decode()


def paths(aw) -> dict[str, str]:
    rnd = aw.round.pk
    return {
        "round": f"/assessment/rounds/{rnd}/",
        "member": f"/assessment/rounds/{rnd}/members/{C11}/",
        "drill": f"/assessment/rounds/{rnd}/members/{C11}/items/{aw.on_time.pk}/?part=missing",
        "export": f"/assessment/rounds/{rnd}/ranking.xlsx",
        "marks": f"/assessment/rounds/{rnd}/marks/",
        "scheme": f"/assessment/schemes/{aw.scheme.pk}/",
    }


def field_error(html: str, error_id: str) -> str:
    found = re.search(rf'<p class="field-error" id="{error_id}">([^<]*)</p>', html)
    assert found, f"no {error_id} on the page"
    return found.group(1)


def test_every_page_renders_for_the_schemes_keeper(aw):
    give_marks(aw)
    dist = signed_in("dist")
    for name, path in paths(aw).items():
        if name == "marks":
            continue
        assert dist.get(path).status_code == 200, name
    for path in ("/assessment/", "/assessment/indicators/", "/assessment/exemptions/"):
        assert dist.get(path).status_code == 200, path
    home = text(dist.get("/assessment/"))
    assert "2026年社区月度考核" in home and 'id="scheme-form"' in home
    # The keeper does not score: the sheet is the evaluators'.
    assert dist.get(paths(aw)["marks"]).status_code == 404


def test_the_evaluator_reads_the_scheme_and_scores(aw):
    ev1 = signed_in("ev1")
    for name, path in paths(aw).items():
        assert ev1.get(path).status_code == 200, name
    scheme = text(ev1.get(paths(aw)["scheme"]))
    assert "支部建设" in scheme
    assert 'name="do" value="group_add"' not in scheme and 'id="round-form"' not in scheme
    assert "assessment:marks" not in scheme
    refused = ev1.post(paths(aw)["scheme"], {"do": "group_add", "name": "x", "weight": "10"})
    assert refused.status_code == 403 and not Group.objects.filter(name="x").exists()
    assert ev1.get("/assessment/indicators/").status_code == 200
    assert ev1.get("/assessment/exemptions/").status_code == 404  # not staff


@pytest.mark.parametrize("username", ["co11", "st1", "gw111", "resident", "h1"])
def test_rounds_are_404_before_publication_to_everyone_but_keepers_and_evaluators(aw, username):
    client = signed_in(username)
    for name, path in paths(aw).items():
        assert client.get(path).status_code == 404, (username, name)
    home = client.get("/assessment/")
    assert home.status_code == 404 or aw.scheme.name not in text(home)


def test_who_reaches_the_lists(aw):
    resident, unit, community = signed_in("resident"), signed_in("h1"), signed_in("co11")
    for path in ("/assessment/", "/assessment/indicators/", "/assessment/exemptions/"):
        assert resident.get(path).status_code == 404, path
    assert unit.get("/assessment/").status_code == 200  # ranked in unit schemes once published
    assert unit.get("/assessment/indicators/").status_code == 404
    assert unit.get("/assessment/exemptions/").status_code == 404
    page = text(community.get("/assessment/"))
    assert aw.scheme.name not in page and 'id="scheme-form"' not in page  # a community keeps no scheme
    exemptions = text(community.get("/assessment/exemptions/"))
    assert 'id="exemption-form"' not in exemptions  # reads, does not decide
    catalogue = text(community.get("/assessment/indicators/"))
    assert "response_rate" in catalogue and 'id="indicator-form"' not in catalogue
    assert Client().get("/assessment/").status_code == 302  # sign in first


def test_the_navigation_offers_the_ranking_to_staff_and_evaluators(aw):
    for username in ("dist", "co11", "gw111", "ev1"):
        assert 'href="/assessment/"' in text(signed_in(username).get("/", follow=True)), username
    for username in ("resident", "h1"):
        assert 'href="/assessment/"' not in text(signed_in(username).get("/", follow=True)), username


def test_the_ranking_page_shows_every_figure_with_its_links(aw):
    give_marks(aw)
    html = text(signed_in("dist").get(paths(aw)["round"]))
    rows = re.findall(r'<tr data-key="(\d+)">', html)
    assert rows == [C21, C22, C11, C12]
    for key, (_rank, total) in LIVE.items():
        assert f'href="/assessment/rounds/{aw.round.pk}/members/{key}/" class="total">{total}</a>' in html
    # The response rate of 社区1-1 (4 ÷ 5 = 80 %) links to its numerator's cases.
    drill = f"/assessment/rounds/{aw.round.pk}/members/{C11}/items/{aw.response.pk}/?part=numerator"
    assert f'<a href="{drill}">80</a>' in html
    assert 'id="missing-marks">1<' in html  # ev2 did not score 社区2-2
    assert "导出 Excel" in html


def test_freeze_and_publish_buttons_appear_only_for_keepers(aw):
    give_marks(aw)
    dist, ev1 = signed_in("dist"), signed_in("ev1")
    path = paths(aw)["round"]
    assert 'value="freeze"' in text(dist.get(path))
    assert 'value="freeze"' not in text(ev1.get(path))
    assert ev1.post(path, {"do": "freeze"}, follow=True).status_code == 200
    assert Round.objects.get(pk=aw.round.pk).state == RoundState.OPEN  # refused: the message says why
    answer = dist.post(path, {"do": "freeze"}, follow=True)
    assert "排名已冻结" in text(answer)
    html = text(dist.get(path))
    assert 'value="publish"' in html and 'value="reopen"' in html and 'value="freeze"' not in html
    assert f'id="kept-version">第 {aw.scheme.version} 版' in html and 'id="counted-at">' in html
    assert 'value="publish"' not in text(ev1.get(path))
    # Reopening needs a reason: refused without one, the round stays frozen.
    assert "重新开放评分必须填写原因" in text(dist.post(path, {"do": "reopen", "reason": ""}, follow=True))
    assert Round.objects.get(pk=aw.round.pk).state == RoundState.FROZEN
    assert "排名已发布" in text(dist.post(path, {"do": "publish"}, follow=True))
    html = text(dist.get(path))
    assert 'id="round-actions"' not in html
    timeline = html.split('id="timeline"', 1)[1]
    for label in ("开始考核期", "冻结排名", "发布排名"):
        assert label in timeline


def test_after_publication_a_community_sees_its_own_row_only(aw):
    give_marks(aw)
    ev1 = User.objects.get(username="ev1")
    actions.marks_save(
        by=ev1,
        round=aw.round.pk,
        marks=[{"item": aw.branch.pk, "key": C11, "score": "90", "comment": "台账规范"}],
    )
    actions.round_freeze(by=aw.district, round=aw.round.pk)
    actions.round_publish(by=aw.district, round=aw.round.pk)
    co11 = signed_in("co11")
    html = text(co11.get(paths(aw)["round"]))
    assert re.findall(r'<tr data-key="(\d+)">', html) == [C11]
    assert 'value="freeze"' not in html and 'value="publish"' not in html
    card = text(co11.get(paths(aw)["member"]))
    assert "台账规范" in card  # the comments on its own row …
    assert ">ev1<" not in card and ">ev2<" not in card  # … but not who gave which score
    assert ">ev1<" in text(signed_in("dist").get(paths(aw)["member"]))
    assert co11.get(f"/assessment/rounds/{aw.round.pk}/members/{C21}/").status_code == 404
    assert co11.get(paths(aw)["marks"]).status_code == 404
    assert co11.get(paths(aw)["scheme"]).status_code == 404
    export = co11.get(paths(aw)["export"])
    sheet = load_workbook(io.BytesIO(b"".join(export.streaming_content)))["排名"]
    keys = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert keys == [C11]
    for username in ("resident", "h1"):
        assert signed_in(username).get(paths(aw)["round"]).status_code == 404


def test_the_excel_export_holds_the_rankings_own_figures(aw):
    give_marks(aw)
    dist = signed_in("dist")
    response = dist.get(paths(aw)["export"])
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert book.sheetnames == ["排名", "方案"]
    sheet = book["排名"]
    rows = list(sheet.iter_rows(values_only=True))
    head, body = rows[0], rows[1:]
    ranking = selectors.ranking(aw.district, Round.objects.get(pk=aw.round.pk))
    definition = ranking["definition"]
    assert [r[1] for r in body] == [r["key"] for r in ranking["rows"]] == [C21, C22, C11, C12]

    def same(cell, figure) -> bool:
        return (cell is None and figure is None) or Decimal(str(cell)) == Decimal(figure)

    for cells, row in zip(body, ranking["rows"], strict=True):
        assert cells[0] == row["rank"] and cells[2] == row["name"]
        assert same(cells[3], row["total"])
        at = 4
        for group in definition["groups"]:
            assert same(cells[at], row["groups"][str(group["id"])]), head[at]
            at += 1
        for item in definition["items"]:
            figures = row["items"][str(item["id"])]
            parts = (
                ("value", "score")
                if item["kind"] == "qualitative"
                else ("numerator", "denominator", "value", "score")
            )
            for part in parts:
                assert same(cells[at], figures[part]), (row["key"], head[at])
                at += 1
    c11 = next(cells for cells in body if cells[1] == C11)
    assert (c11[0], str(c11[3])) == (3, "74.42")
    assert "响应率 分子" in head and "部门考核得分" in head
    scheme = [r for r in book["方案"].iter_rows(values_only=True) if any(r)]
    flat = [str(v) for r in scheme for v in r if v is not None]
    assert "cases.responded_on_time" in " ".join(flat) and "支部建设" in flat
    assert str(aw.scheme.version) in flat


def test_the_editor_forms_work_and_refuse_next_to_the_field(aw):
    dist = signed_in("dist")
    path = paths(aw)["scheme"]
    # A weight of -1 is refused beside the weight, keeping the name typed.
    refused = dist.post(path, {"do": "group_add", "name": "群众满意度", "weight": "-1"})
    assert refused.status_code == 400
    html = text(refused)
    assert field_error(html, "err-group-weight")
    assert 'value="群众满意度"' in html and not Group.objects.filter(name="群众满意度").exists()
    assert dist.post(path, {"do": "group_add", "name": "群众满意度", "weight": "20"}).status_code == 302
    group = Group.objects.get(name="群众满意度")
    # A group's weight changed on its row; a bad one is refused on that row.
    departments = aw.response.group
    refused = dist.post(
        path, {"do": "group_update", "group": departments.pk, "name": "部门考核", "weight": "-1"}
    )
    assert refused.status_code == 400
    assert re.search(rf'id="err-g{departments.pk}">[^<]+<', text(refused))
    assert (
        dist.post(
            path, {"do": "group_update", "group": departments.pk, "name": "部门考核", "weight": "60"}
        ).status_code
        == 302
    )
    departments.refresh_from_db()
    assert departments.weight == 60
    # Items: a target-scored indicator needs its target; a qualitative item needs its name.
    refused = dist.post(path, {
        "do": "item_add_quantitative", "group": group.pk, "indicator": "satisfaction_rate", "weight": "100",
        "normalisation": "target", "target": "",
    })  # fmt: skip
    assert refused.status_code == 400 and field_error(text(refused), "err-q-target")
    assert dist.post(path, {
        "do": "item_add_quantitative", "group": group.pk, "indicator": "satisfaction_rate", "weight": "100",
        "normalisation": "minmax",
    }).status_code == 302  # fmt: skip
    refused = dist.post(path, {"do": "item_add_qualitative", "group": group.pk, "name": "", "weight": "50"})
    assert refused.status_code == 400 and field_error(text(refused), "err-l-name")
    assert (
        dist.post(
            path, {"do": "item_add_qualitative", "group": group.pk, "name": "走访满意", "weight": "50"}
        ).status_code
        == 302
    )
    item = Item.objects.get(name="走访满意", is_active=True)
    assert dist.post(path, {"do": "item_update", "item": item.pk, "weight": "-1"}).status_code == 400
    assert dist.post(path, {"do": "item_update", "item": item.pk, "weight": "30"}).status_code == 302
    item.refresh_from_db()
    assert item.weight == 30
    # A group with items is not removed (the message says why); an item is.
    assert "请先移除该分组下的考核项" in text(
        dist.post(path, {"do": "group_remove", "group": group.pk}, follow=True)
    )
    assert "考核项已移除" in text(dist.post(path, {"do": "item_remove", "item": item.pk}, follow=True))
    # Evaluators by username; an unknown one is refused beside the field.
    refused = dist.post(path, {"do": "evaluator_add", "username": "nobody"})
    assert refused.status_code == 400 and "nobody" in field_error(text(refused), "err-username")
    assert "已取消考核员" in text(dist.post(path, {"do": "evaluator_remove", "username": "ev2"}, follow=True))
    # The scheme itself: a new name and the whole table shown.
    version = aw.scheme.version
    answer = dist.post(path, {
        "do": "scheme", "name": "社区月度考核（大排名）", "description": "", "period_kind": "month",
        "visibility": "all", "freeze_after_days": "", "is_active": "1",
    })  # fmt: skip
    assert answer.status_code == 302
    aw.scheme.refresh_from_db()
    assert (aw.scheme.name, aw.scheme.visibility) == ("社区月度考核（大排名）", "all")
    assert aw.scheme.version > version
    refused = dist.post(path, {"do": "scheme", "name": "", "period_kind": "month", "visibility": "all"})
    assert refused.status_code == 400 and field_error(text(refused), "err-s-name")
    # Rounds: a period of the wrong kind is refused beside the period; the next month opens.
    refused = dist.post(path, {"do": "round_open", "period": "2026-Q2"})
    assert refused.status_code == 400 and field_error(text(refused), "err-period")
    answer = dist.post(path, {"do": "round_open", "period": "2026-04"})
    april = Round.objects.get(scheme=aw.scheme, period="2026-04")
    assert answer.status_code == 302 and answer["Location"] == f"/assessment/rounds/{april.pk}/"
    assert dist.post(path, {"do": "nothing"}).status_code == 404


def test_a_keeper_sets_up_a_scheme_from_the_home_page(aw):
    dist = signed_in("dist")
    refused = dist.post(
        "/assessment/", {"name": "", "area": "610302", "pool": "grids", "period_kind": "quarter"}
    )
    assert refused.status_code == 400 and field_error(text(refused), "err-name")
    answer = dist.post("/assessment/", {
        "name": "网格季度考核", "area": "610302", "pool": "grids", "period_kind": "quarter", "visibility": "own",
    })  # fmt: skip
    assert answer.status_code == 302
    assert answer["Location"].startswith("/assessment/schemes/")
    st1 = signed_in("st1")
    refused = st1.post(
        "/assessment/", {"name": "x", "area": "610302001", "pool": "streets", "period_kind": "month"}
    )
    assert refused.status_code == 400 and field_error(text(refused), "err-pool")


def test_the_indicator_form_shows_a_formula_refusal_next_to_the_field(aw):
    dist = signed_in("dist")
    values = {
        "code": "closure_share", "name": "结案占比", "numerator": "cases.closed + cases.nothing",
        "denominator": "cases.accepted", "factor": "100", "unit": "%", "direction": "higher",
    }  # fmt: skip
    refused = dist.post("/assessment/indicators/", values)
    assert refused.status_code == 400
    html = text(refused)
    assert "未知的数据项「cases.nothing」" in field_error(html, "err-numerator")
    assert 'value="cases.closed + cases.nothing"' in html and 'value="结案占比"' in html
    assert not Indicator.objects.filter(code="closure_share").exists()
    refused = dist.post(
        "/assessment/indicators/", values | {"numerator": "cases.closed", "denominator": "(cases.accepted"}
    )
    assert "右括号" in field_error(text(refused), "err-denominator")
    # Elements listed with their definitions.
    catalogue = text(dist.get("/assessment/indicators/"))
    assert 'id="element-cases.closed_on_time"' in catalogue and "response_rate" in catalogue
    # Only district staff add indicators: the form is not offered to an evaluator, and a post is refused.
    ev1 = signed_in("ev1")
    assert 'id="indicator-form"' not in text(ev1.get("/assessment/indicators/"))
    assert (
        ev1.post("/assessment/indicators/", values | {"code": "x1", "numerator": "cases.closed"}).status_code
        == 403
    )


def test_a_district_staff_member_adds_an_indicator(aw):
    dist = signed_in("dist")
    values = {
        "code": "closure_share", "name": "结案占比", "numerator": "cases.closed", "denominator": "cases.accepted",
        "factor": "100", "unit": "%", "direction": "higher",
    }  # fmt: skip
    answer = dist.post("/assessment/indicators/", values)
    assert (
        answer.status_code == 302 and answer["Location"] == "/assessment/indicators/#indicator-closure_share"
    )
    assert 'id="indicator-closure_share"' in text(dist.get("/assessment/indicators/"))


def test_the_evaluators_sheet_saves_every_row_or_none_and_names_the_row_at_fault(aw):
    ev1 = signed_in("ev1")
    path = paths(aw)["marks"]
    html = text(ev1.get(path))
    item = aw.branch.pk
    for key in (C11, C12, C21, C22):
        assert f'name="score-{item}-{key}"' in html
    typed = {
        f"score-{item}-{C11}": "90", f"comment-{item}-{C11}": "组织生活规范",
        f"score-{item}-{C12}": "55", f"comment-{item}-{C12}": "",
        f"score-{item}-{C21}": "95",
    }  # fmt: skip
    refused = ev1.post(path, typed)
    assert refused.status_code == 400
    html = text(refused)
    assert not Mark.objects.exists()  # nothing of the sheet was written
    message = re.search(r'id="marks-error">([^<]*)<', html).group(1)
    assert "第 2 行" in message and "社区1-2" in message and "评语" in message
    assert 'id="mark-2" class="is-error"' in html
    assert 'value="90"' in html and 'value="55"' in html and "组织生活规范" in html  # what was typed is kept
    refused = ev1.post(path, typed | {f"score-{item}-{C12}": "101", f"comment-{item}-{C12}": "x"})
    assert refused.status_code == 400 and 'id="mark-2" class="is-error"' in text(refused)
    saved = ev1.post(path, typed | {f"comment-{item}-{C12}": "三会一课缺两次"}, follow=True)
    assert "评分已保存" in text(saved)
    assert {m.key: str(m.score) for m in Mark.objects.all()} == {C11: "90.00", C12: "55.00", C21: "95.00"}
    assert 'value="90"' in text(ev1.get(path))
    # A blank score takes the evaluator's own score back.
    ev1.post(path, typed | {f"score-{item}-{C21}": "", f"comment-{item}-{C12}": "三会一课缺两次"})
    assert set(Mark.objects.values_list("key", flat=True)) == {C11, C12}
    # Frozen: the sheet is read-only and a post is refused.
    actions.round_freeze(by=aw.district, round=aw.round.pk)
    assert "disabled" in text(ev1.get(path))
    assert ev1.post(path, typed).status_code == 409


def test_the_scorecard_and_the_drill_down_list_the_cases_counted_as_late(aw):
    give_marks(aw)
    refs = aw.kpi.refs
    dist = signed_in("dist")
    card = text(dist.get(paths(aw)["member"]))
    assert 'id="member-rank">第 3 名' in card
    drill = f"/assessment/rounds/{aw.round.pk}/members/{C11}/items/{aw.on_time.pk}/"
    assert f'href="{drill}?part=missing" class="drill-missing">2</a>' in card  # 4 due, 2 closed on time
    assert "组织生活不规范" not in card  # ev2's comment was on 社区1-2
    assert "ev1" in card  # the keeper sees who gave which score

    def listed(query: str) -> set[str]:
        html = text(dist.get(drill + query))
        rows = (
            html.split('id="drill-rows"', 1)[1].split("</table>", 1)[0] if 'id="drill-rows"' in html else ""
        )
        found = set(re.findall(r'<td class="mono"><a href="[^"]+">([^<]+)</a>', rows))
        return {name for name, ref in refs.items() if ref in found}

    assert listed("?part=missing") == {"c2", "c5"}
    assert listed("?part=denominator") == {"c1", "c2", "c5", "c6"}
    assert listed("?element=cases.closed_on_time") == {"c1", "c6"}
    assert dist.get(drill + "?part=everything").status_code == 400
    assert (
        dist.get(f"/assessment/rounds/{aw.round.pk}/members/{C11}/items/{aw.branch.pk}/").status_code == 404
    )
    # Exempted cases are listed apart with their reason; a frozen figure stands beside the rows.
    actions.exemption_create(by=aw.kpi.admin, case=refs["c2"], reason="暴雨不可抗力，延误非单位原因")
    actions.round_freeze(by=aw.district, round=aw.round.pk)
    html = text(dist.get(drill + "?part=missing"))
    assert 'id="drill-figure">1<' in html and 'id="drill-count">1<' in html
    assert "暴雨不可抗力" in html and refs["c2"] in html
    assert listed("?part=missing") == {"c5"}


def test_exemptions_are_decided_and_revoked_on_the_page(aw):
    c2 = aw.kpi.refs["c2"]
    st1 = signed_in("st1")
    refused = st1.post("/assessment/exemptions/", {"do": "create", "case": c2, "reason": ""})
    assert refused.status_code == 400 and field_error(text(refused), "err-reason")
    assert f'value="{c2}"' in text(refused)
    refused = st1.post("/assessment/exemptions/", {"do": "create", "case": "SJ-19990101-0001", "reason": "x"})
    assert refused.status_code == 400 and field_error(text(refused), "err-case")
    answer = st1.post(
        "/assessment/exemptions/", {"do": "create", "case": c2, "reason": "群众诉求不合理"}, follow=True
    )
    assert "已免责" in text(answer)
    exemption = Exemption.objects.get()
    assert signed_in("co11").get("/assessment/exemptions/").status_code == 200
    assert c2 in text(signed_in("co11").get("/assessment/exemptions/"))
    refused = signed_in("co11").post(
        "/assessment/exemptions/", {"do": "revoke", "exemption": exemption.pk, "reason": "x"}, follow=True
    )
    assert "只有街道、区级工作人员可以决定免责" in text(refused)
    answer = st1.post(
        "/assessment/exemptions/",
        {"do": "revoke", "exemption": exemption.pk, "reason": "复核后由单位负责"},
        follow=True,
    )
    assert "免责已撤销" in text(answer)
    exemption.refresh_from_db()
    assert exemption.revoked_at is not None


def test_a_unit_outside_a_unit_schemes_pool_does_not_see_its_ranking(aw):
    from gridgov.accounts.models import Unit

    Unit.objects.create(name="共建单位甲", kind="partner", area=aw.scheme.area)
    scheme = actions.scheme_create(
        by=aw.district,
        name="共建单位考核",
        area="610302",
        pool="units",
        unit_kinds=["partner"],
        visibility="all",
    )
    group = actions.group_add(by=aw.district, scheme=scheme.pk, name="响应", weight=100)
    actions.item_add(
        by=aw.district, scheme=scheme.pk, kind="quantitative", group=group.pk, indicator="response_rate",
        weight=100, target=95,
    )  # fmt: skip
    rnd = actions.round_open(by=aw.district, scheme=scheme.pk, period="2026-03")
    actions.round_freeze(by=aw.district, round=rnd.pk)
    actions.round_publish(by=aw.district, round=rnd.pk)
    # h1 handles cases for 市政养护中心, a department: not ranked by a partners-only scheme.
    assert signed_in("h1").get(f"/assessment/rounds/{rnd.pk}/").status_code == 404
