"""Every model registered in the admin has a list page that opens; rows that only the actions change
(workflow objects, evaluations, scores, audit) cannot be added or edited there, and master data edited
there is audited."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from gridgov.accounts.models import Role, User
from gridgov.core.admin import AuditedAdmin, ReadOnlyAdmin
from gridgov.projects.models import CoBuildingRule, Need, Project, ProjectEvaluation, UnitYearScore
from gridgov.wishes.models import Wish

pytestmark = pytest.mark.django_db


@pytest.fixture
def root_client():
    User.objects.create_superuser(username="root", password="pw-root-123456", role=Role.ADMIN)
    client = Client()
    client.login(username="root", password="pw-root-123456")
    return client


def test_every_admin_list_opens(root_client):
    failed = []
    for model in admin.site._registry:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        status = root_client.get(url).status_code
        if status != 200:
            failed.append((url, status))
    assert failed == []


@pytest.mark.parametrize("model", [Need, Project, ProjectEvaluation, UnitYearScore, Wish])
def test_workflow_rows_are_read_only_in_the_admin(root_client, model):
    assert isinstance(admin.site._registry[model], ReadOnlyAdmin)
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")
    assert root_client.get(url).status_code == 403


def test_master_data_edits_in_the_admin_are_audited():
    assert isinstance(admin.site._registry[CoBuildingRule], AuditedAdmin)
