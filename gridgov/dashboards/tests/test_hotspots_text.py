"""Recurring problems by words (M14): a problem's common words, and reports of other categories around it
that say the same thing join it, with why — never with personal data."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

import pytest
import time_machine
from django.test import override_settings

from gridgov.cases import actions as case_actions
from gridgov.cases.models import Case
from gridgov.dashboards import actions, selectors
from gridgov.dashboards.hotspots import Said, common_words, joined_by_words
from gridgov.dashboards.models import Hotspot

from .test_hotspots import LAT, LNG, T0, M, place  # noqa: F401 (the fixture)


def said(i: int, north: float, text: str) -> Said:
    from gridgov.cases.selectors import case_text_profile

    return Said(i, LAT + north * M, LNG, T0, case_text_profile(text))


def test_common_words_are_used_by_a_third_of_the_reports_and_two_at_least():
    profiles = [
        Counter({"井盖": 1, "松动": 1}),
        Counter({"井盖": 2, "响声": 1}),
        Counter({"井盖": 1, "松动": 1}),
    ]
    assert common_words(profiles) == [("井盖", 3), ("松动", 2)]
    assert common_words([Counter({"井盖": 1})]) == []


def test_reports_of_other_categories_alike_in_words_join_the_problem():
    members = [
        said(1, 0, "井盖松动，车辆经过有响声"),
        said(2, 40, "井盖松了，车一压就响"),
        said(3, 80, "路中间井盖松动，晚上响声很大"),
    ]
    others = [
        said(10, 120, "这里井盖松动，一直有响声"),  # alike, 40 m from a member
        said(11, 60, "路灯不亮，夜间行人不便"),  # near, but another problem
        said(12, 900, "井盖松动，车辆经过有响声"),  # alike, too far
    ]
    found = joined_by_words(members, others, 100, 0.25)
    assert [j.id for j in found] == [10]
    assert {"井盖", "松动"} <= set(found[0].words) and found[0].distance_m == pytest.approx(40, abs=0.5)
    # with the text, the shared bigrams read as phrases
    text = Said(10, LAT + 120 * M, LNG, T0, others[0].words, "这里井盖松动，一直有响声")
    assert "井盖松动" in joined_by_words(members, [text], 100, 0.25)[0].words
    assert joined_by_words(members, others, 100, 0.99) == []


def report(admin, category: str, north: float, when: datetime, text: str, **kw) -> Case:
    with time_machine.travel(when, tick=False):
        return case_actions.case_report(
            by=admin,
            category_code=category,
            description=text,
            lng=LNG,
            lat=LAT + north * M,
            reporter_phone="13800138000",
            **kw,
        ).case


@pytest.mark.django_db
def test_problem_page_shows_its_words_and_the_alike_reports_of_other_categories(place, client):  # noqa: F811
    tree, users = place
    admin = tree.admin
    pii = "联系人张建国，电话13912345678，身份证610302199001011234"
    for i, (north, text) in enumerate(
        [
            (0, "垃圾堆满了没人清运，味道很大"),
            (40, "垃圾桶满了好几天没人清运"),
            (80, "垃圾没人清运，臭气熏天"),
        ]
    ):
        report(admin, "garbage", north, T0 + timedelta(days=i), f"{text}。{pii}", reporter_name="赵丽华")
    alike = report(admin, "road", 120, T0 + timedelta(days=1), f"路边垃圾没人清运，堆了好几天。{pii}")
    report(admin, "road", 30, T0 + timedelta(days=1), "路面破损，坑坑洼洼")
    far_ago = report(admin, "road", 10, T0 - timedelta(days=90), "垃圾没人清运，味道很大")
    assert actions.hotspots_detect(now=T0 + timedelta(days=3))["found"] == 1
    spot = Hotspot.objects.get()
    said_ = selectors.hotspot_words(users["community"], spot)
    assert said_["reports"] == 3
    words = [w["word"] for w in said_["words"]]
    assert "垃圾" in words and "没人清运" in words and "清运" not in words  # phrases, not their pieces
    assert all(w["count"] == 3 for w in said_["words"][:2])
    assert [j["case"] for j in said_["joined"]] == [alike] and far_ago not in [
        j["case"] for j in said_["joined"]
    ]
    reason = said_["joined"][0]["reason"]
    assert reason.startswith("文字相似 ") and "距本问题的事件 40 米" in reason
    shown = "".join(words) + reason
    for secret in ("张建", "建国", "1391", "5678", "6103", "1234", "赵丽", "丽华"):
        assert secret not in shown
    # out of scope: another street's staff see none of these reports
    assert selectors.hotspot_words(users["street2"], spot) == {"reports": 0, "words": [], "joined": []}
    # the threshold is a setting
    with override_settings(HOTSPOT_TEXT_MIN_SIMILARITY=0.99):
        assert selectors.hotspot_words(users["community"], spot)["joined"] == []
    # the page
    client.force_login(users["community"])
    body = client.get(f"/command/hotspots/{spot.pk}/").content.decode()
    assert 'id="hotspot-words"' in body and f'data-ref="{alike.ref}"' in body
    assert "距本问题的事件 40 米" in body and "13912345678" not in body.split('id="hotspot-words"')[1][:3000]
