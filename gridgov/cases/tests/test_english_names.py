"""Case categories by their English name when English is active (the report form's category select)."""

from __future__ import annotations

from django.conf import settings

from gridgov.cases.demo import load_categories
from gridgov.cases.models import Category
from gridgov.web.tests.test_i18n import _compiled_catalogue  # noqa: F401


def test_report_form_lists_categories_by_english_name_in_english(client, world):
    load_categories()  # the demo's categories, with their English names
    Category.objects.filter(code="neighbour_dispute").update(name_en="")
    response = client.get("/report/")
    zh = response.content.decode()
    assert response.status_code == 200, zh[:3000]
    assert "道路维修（可匿名）" in zh and "Road repairs" not in zh

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    en = client.get("/report/").content.decode()
    assert 'value="road_repair"' in en and ">Road repairs" in en and "道路维修" not in en
    assert ">邻里纠纷<" in en and ">垃圾堆放<" in en  # no English name: the Chinese one


def test_the_demo_categories_have_english_names():
    from gridgov.cases.demo import CATEGORIES, NAMES_EN
    from gridgov.ledger.tags import NAMES_EN as TAGS_EN
    from gridgov.ledger.tags import STANDARD_TAGS
    from gridgov.services.demo import CATEGORIES as SERVICE_CATEGORIES
    from gridgov.services.demo import NAMES_EN as SERVICES_EN

    assert {row[0] for row in CATEGORIES} == set(NAMES_EN)
    assert {row[0] for row in STANDARD_TAGS} == set(TAGS_EN)
    assert {row[0] for row in SERVICE_CATEGORIES} == set(SERVICES_EN)
    assert all(len(name) <= 30 for name in TAGS_EN.values())  # FocusTag.name_en max_length
