from __future__ import annotations

import pytest
from django.test import Client

from gridgov.cases.models import Case
from gridgov.core.models import AuditEntry
from gridgov.testing.factories import PASSWORD

from .conftest import report

pytestmark = pytest.mark.django_db


def admin_client(world) -> Client:
    client = Client()
    assert client.login(username=world.tree.admin.username, password=PASSWORD)
    return client


def test_case_admin_is_read_only_and_masks_phone(world):
    case = report(world, by=world.resident).case
    client = admin_client(world)
    page = client.get(f"/admin/cases/case/{case.pk}/change/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "139****5678" in text and "13912345678" not in text
    assert client.post(f"/admin/cases/case/{case.pk}/change/", {"state": "closed"}).status_code == 403
    assert Case.objects.get(pk=case.pk).state == "reported"


def test_category_edit_in_admin_is_audited(world):
    client = admin_client(world)
    assert client.get("/admin/cases/category/").status_code == 200
    cat = world.category
    response = client.post(
        f"/admin/cases/category/{cat.pk}/change/",
        {
            "code": cat.code,
            "name": "垃圾乱堆",
            "response_limit": "3",
            "response_unit": "working_hours",
            "resolution_limit": "2",
            "resolution_unit": "working_days",
            "warning_ratio": "0.80",
            "reopen_window_days": "7",
            "sort": "0",
            "is_active": "on",
            "rules-TOTAL_FORMS": "0",
            "rules-INITIAL_FORMS": "0",
            "attributes-TOTAL_FORMS": "0",
            "attributes-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    cat.refresh_from_db()
    assert cat.name == "垃圾乱堆" and cat.response_unit == "working_hours"
    entry = AuditEntry.objects.get(verb="admin.change", object_type="cases.category")
    assert entry.after["name"] == "垃圾乱堆"
