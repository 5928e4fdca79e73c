"""Needs ↔ resources by words (M14): alike titles and descriptions add points and a reason naming the
words, a resource of another category alike in words is kept, and no personal data is shown."""

from __future__ import annotations

from django.test import override_settings

from gridgov.projects.matching import match_resources

from .conftest import GRID_111, STREET_1, TODAY, need, resource


def test_alike_words_add_points_and_a_reason(world):
    n = need(world, title="独居老人助餐", category="meals", description="腿脚不便，每天中午需要送餐上门")
    alike = resource(world, "老人助餐送餐上门", "meals", STREET_1)
    plain = resource(world, "街道食堂", "meals", STREET_1)
    found = match_resources(n, today=TODAY)
    assert [m.resource for m in found] == [alike, plain]
    best = found[0]
    assert best.similarity >= 0.3 and best.words == ["老人助餐", "送餐上门"]
    assert best.score == round(60 + best.similarity * 30, 2)
    assert best.reasons[0] == "同类别：助餐" and best.reasons[1].startswith("文字相似 ")
    assert "送餐" in best.reasons[1]
    assert found[1].words == [] and found[1].score == 60
    assert not any(r.startswith("文字相似") for r in found[1].reasons)


def test_other_category_alike_in_words_is_kept(world):
    n = need(world, title="楼道灯坏了需要维修", category="repair")
    fitting = resource(world, "维修队", "repair", GRID_111)
    alike = resource(world, "楼道灯维修志愿队", "elderly", GRID_111)
    unrelated = resource(world, "法律咨询", "legal", GRID_111)
    found = match_resources(n, today=TODAY)
    assert alike in [m.resource for m in found] and unrelated not in [m.resource for m in found]
    m = next(m for m in found if m.resource == alike)
    assert m.category_fit == "other" and m.reasons[0] == "其他类别：养老"
    assert m.reasons[1].startswith("文字相似 ") and "楼道" in m.reasons[1]
    assert fitting in [m.resource for m in found]


def test_thresholds_and_points_come_from_settings(world):
    n = need(world, title="独居老人助餐", category="meals")
    res = resource(world, "老人助餐点", "meals", GRID_111)
    with override_settings(MATCH_TEXT_MIN_SIMILARITY=0.99):
        (m,) = match_resources(n, today=TODAY)
        assert m.words == [] and m.score == 70
    with override_settings(MATCH_TEXT_POINTS=100):
        (m,) = match_resources(n, today=TODAY)
        assert m.resource == res and m.score == round(70 + m.similarity * 100, 2)


def test_reasons_never_show_phone_id_or_name(world):
    pii = "联系人张建国，电话13912345678，身份证610302199001011234，王阿姨"
    n = need(world, title="独居老人助餐", category="meals", description=f"每天送餐上门。{pii}")
    resource(world, "老人助餐送餐上门", "meals", GRID_111, description=f"中午送餐。{pii}")
    (m,) = match_resources(n, today=TODAY)
    shown = "".join(m.reasons) + "".join(m.words)
    assert "送餐" in shown
    for secret in ("张建", "建国", "1391", "5678", "6103", "1234", "王阿"):
        assert secret not in shown
