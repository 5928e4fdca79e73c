"""The catalogue in both languages: service categories by their English name, dates and prices in the
reader's language (Chinese output unchanged)."""

from __future__ import annotations

import re

from django.conf import settings
from django.test import Client

from gridgov.services.models import ServiceCategory
from gridgov.testing.factories import PASSWORD
from gridgov.web.tests.test_i18n import _compiled_catalogue  # noqa: F401


def login(username: str, language: str | None = None) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    if language:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def test_the_catalogue_follows_the_language(world):
    ServiceCategory.objects.filter(code="legal").update(name_en="Legal services")
    zh = login("resident").get("/orders/services/").content.decode()
    assert "法律服务" in zh and "Legal services" not in zh
    assert "低偿 20 元" in zh
    assert re.search(r"最近可约：\d{2}月\d{2}日 ", zh)

    en = login("resident", "en").get("/orders/services/").content.decode()
    assert "Legal services" in en and "法律服务" not in en
    # a category without an English name keeps its Chinese name
    assert "家电维修" in en
    assert "20 yuan" in en and "20 元" not in en
    assert re.search(r"Next available: [A-Z][a-z]{2} \d{1,2} ", en), en


def test_the_category_api_gives_the_label_in_the_reader_language(world):
    ServiceCategory.objects.filter(code="legal").update(name_en="Legal services")
    client = login("resident", "en")
    rows = client.get("/api/v1/services/categories", HTTP_ACCEPT_LANGUAGE="en").json()
    legal = next(r for r in rows if r["code"] == "legal")
    assert legal["name"] == "法律服务" and legal["name_en"] == "Legal services"
