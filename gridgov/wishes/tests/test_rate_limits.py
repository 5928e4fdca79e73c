"""The public wish wall is rate limited per client address, over the API and the page alike."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

A, B = "198.51.100.7", "203.0.113.9"


def test_the_wall_api_and_page_share_one_limit_per_address(world, settings):  # noqa: ARG001
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "wall": 2}
    client = Client()
    assert client.get("/api/v1/wishes/wall", REMOTE_ADDR=A).status_code == 200
    assert client.get("/wishes/", REMOTE_ADDR=A).status_code == 200
    api = client.get("/api/v1/wishes/wall?page=2", REMOTE_ADDR=A)
    assert api.status_code == 429 and api["Retry-After"] == "60"
    assert api.json()["code"] == "rate_limited" and api.json()["field"] is None
    page = client.get("/wishes/", REMOTE_ADDR=A)
    assert page.status_code == 429 and page["Retry-After"] == "60"
    assert "请求过于频繁，请 60 秒后再试" in page.content.decode()
    assert client.get("/wishes/", REMOTE_ADDR=B).status_code == 200
