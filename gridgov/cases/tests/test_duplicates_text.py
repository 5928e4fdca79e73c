"""Text-aware duplicate suggestions (M14): the same problem in other words, a little further away and a few
days apart, whatever category the other reporter chose; with the reason, never with personal data."""

from __future__ import annotations

import math
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import override_settings

from gridgov.cases import selectors
from gridgov.cases.actions import case_report
from gridgov.cases.models import Case, Category
from gridgov.testing.factories import make_user

from .conftest import IN_GRID_111, T0, report


def _east(metres: float, point=IN_GRID_111) -> tuple[float, float]:
    return point[0] + metres / (111_000 * math.cos(math.radians(point[1]))), point[1]


@pytest.fixture
def roads(world):
    return Category.objects.create(
        code="roads",
        name="道路设施",
        response_limit=Decimal("2"),
        response_unit="urgent_hours",
        resolution_limit=Decimal("24"),
        resolution_unit="urgent_hours",
        anonymous_allowed=False,
    )


def _report(world, category, description, *, metres=0.0, days=0.0, by=None, **kwargs):
    lng, lat = _east(metres)
    kwargs.setdefault("reporter_phone", "13800001111")
    case = case_report(
        by=by or world.worker,
        category_code=category.code,
        description=description,
        lng=lng,
        lat=lat,
        **kwargs,
    ).case
    if days:  # reported earlier (only the hotline may say so at intake)
        Case.objects.filter(pk=case.pk).update(reported_at=T0 - timedelta(days=days))
        case.refresh_from_db()
    return case


def test_same_problem_in_other_words_150_m_and_3_days_apart_is_suggested_with_reason(world):
    first = _report(world, world.category, "小区门口井盖松动，车辆经过有响声", days=3)
    second = _report(world, world.category, "幸福路口的井盖松动了，车一过就响声很大", metres=150)
    found = selectors.duplicate_suggestions(second, world.street)
    assert [d.case for d in found] == [first]
    d = found[0]
    assert d.similarity >= 0.25 and "井盖松动" in d.words
    assert 140 <= d.distance_m <= 160 and 2.9 < d.days < 3.1
    assert d.reason.startswith("同一分类，文字相似 ")
    assert "井盖" in d.reason and "相距 150 米" in d.reason and "相隔 3 天" in d.reason
    # the old callers keep their list of cases, which now carry the reason
    cases = selectors.duplicate_candidates(second, world.street)
    assert cases == [first] and cases[0].duplicate_reason == d.reason


def test_other_category_same_words_is_suggested(world, roads):
    first = _report(world, roads, "井盖松动，车辆经过有响声", days=2)
    second = _report(world, world.category, "井盖松动了，车压过去响声很吵", metres=140)
    found = selectors.duplicate_suggestions(second, world.street)
    assert [d.case for d in found] == [first]
    assert found[0].reason.startswith("文字相似 ") and not found[0].same_category
    assert "相距 140 米，相隔 2 天" in found[0].reason
    # and the intake answer lists it
    third = case_report(
        by=world.worker,
        category_code=world.category.code,
        description="这里的井盖松动，一直有响声",
        lng=_east(100)[0],
        lat=IN_GRID_111[1],
        reporter_phone="13800001111",
    )
    assert first.ref in third.duplicates


def test_same_place_different_problem_is_not_suggested(world, roads):
    _report(world, roads, "路灯不亮，夜间行人不便", days=1)
    _report(world, roads, "小区门口的共享单车乱停放，堵塞通道", metres=20)
    second = _report(world, world.category, "小区门口井盖松动，车辆经过有响声", metres=10)
    assert selectors.duplicate_suggestions(second, world.street) == []


def test_same_category_close_by_is_still_suggested_without_words(world):
    """The rule before words: the same category within 100 m and 7 days, shown after the alike ones."""
    near = _report(world, world.category, "路灯不亮，夜间行人不便", metres=50, days=1)
    alike = _report(world, world.category, "井盖松动，车辆经过有响声", metres=180, days=4)
    case = _report(world, world.category, "井盖松动了，车一压就响")
    found = selectors.duplicate_suggestions(case, world.street)
    assert [d.case for d in found] == [alike, near]
    assert found[1].words == [] and found[1].reason == "同一分类，相距 50 米，相隔 1 天"


def test_too_far_or_too_long_ago_is_not_suggested(world, roads):
    _report(world, roads, "井盖松动，车辆经过有响声", metres=260)
    _report(world, roads, "井盖松动，车辆经过有响声", days=12)
    case = _report(world, world.category, "井盖松动，车辆经过有响声", metres=0)
    assert selectors.duplicate_suggestions(case, world.street) == []


def test_thresholds_come_from_settings(world, roads):
    first = _report(world, roads, "井盖松动，车辆经过有响声", metres=260, days=12)
    case = _report(world, world.category, "井盖松动了，车压过去响声很吵")
    assert selectors.duplicate_suggestions(case, world.street) == []
    with override_settings(DUPLICATE_TEXT_RADIUS_M=300, DUPLICATE_TEXT_DAYS=14):
        assert [d.case for d in selectors.duplicate_suggestions(case, world.street)] == [first]
        with override_settings(DUPLICATE_TEXT_MIN_SIMILARITY=0.95):
            assert selectors.duplicate_suggestions(case, world.street) == []
        with override_settings(DUPLICATE_TEXT_MAX_CANDIDATES=0):
            assert selectors.duplicate_suggestions(case, world.street) == []


def test_case_out_of_scope_never_appears(world, roads):
    """Cases of another street are not suggested to a street's staff, nor to a resident who did not report
    them; anonymous users get nothing."""
    from .conftest import IN_GRID_221

    other_street = case_report(
        by=world.other_street,
        category_code=roads.code,
        description="井盖松动，车辆经过有响声",
        lng=IN_GRID_221[0],
        lat=IN_GRID_221[1],
        reporter_phone="13800001111",
    ).case
    mine = _report(world, roads, "井盖松动，车辆经过有响声", metres=20)
    case = _report(world, world.category, "井盖松动了，车压过去响声很吵")
    assert [d.case for d in selectors.duplicate_suggestions(case, world.street)] == [mine]
    # the other street's staff see their own case only, and not this one from the point of view of theirs
    moved = _report(world, world.category, "井盖松动了，车压过去响声很吵")
    moved.lng, moved.lat = IN_GRID_221[0] + 0.0005, IN_GRID_221[1]
    assert [d.case for d in selectors.duplicate_suggestions(moved, world.other_street)] == [other_street]
    assert selectors.duplicate_suggestions(moved, world.street) == []
    resident = make_user(world.tree.admin, "res2", "resident", phone="13900000000")
    assert selectors.duplicate_suggestions(case, resident) == []
    assert selectors.duplicate_suggestions(case, None) == []


def test_reasons_never_show_phone_id_or_name(world, roads):
    pii = "联系人张建国，电话13912345678，身份证号610302199001011234，王阿姨家门口"
    first = _report(world, roads, f"井盖松动，车辆经过有响声。{pii}", days=1, reporter_name="赵丽华")
    second = _report(
        world,
        world.category,
        f"井盖松动了，车压过去响声很吵，赵丽华说的。{pii}",
        metres=30,
        reporter_name="李红梅",
    )
    found = selectors.duplicate_suggestions(second, world.street)
    assert [d.case for d in found] == [first]
    shown = found[0].reason + "".join(found[0].words)
    for secret in ("张建国", "建国", "1391", "5678", "6103", "1234", "赵丽", "丽华", "王阿", "李红", "红梅"):
        assert secret not in shown
    assert "井盖" in shown


def test_case_page_shows_the_reason(client, world, roads):
    from gridgov.cases.tests.test_pages import as_user, text

    first = _report(world, roads, "井盖松动，车辆经过有响声", days=2)
    second = _report(world, world.category, "井盖松动了，车压过去响声很吵", metres=140)
    body = text(as_user(client, world.street).get(f"/cases/{second.ref}/"))
    assert 'id="duplicates"' in body and first.ref in body
    assert "文字相似" in body and "相距 140 米，相隔 2 天" in body


def test_anonymous_report_is_untouched(world):
    assert report(world, by=None).duplicates == []


def test_phrases_join_overlapping_bigrams_and_never_cross_masked_data():
    text = "下水道堵了，联系人张建国13912345678，王阿姨家下水道堵"
    assert selectors.phrases(text, {"下水", "水道", "道堵"}) == ["下水道堵"]
    # a run holds only characters of the given bigrams: the masked name and phone are never part of one
    found = selectors.phrases(text, {"建国", "国1", "13", "39", "阿姨", "姨家"}, names=["张建国"])
    assert found == ["阿姨家"]
