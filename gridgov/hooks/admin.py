from __future__ import annotations

from django.contrib import admin

from gridgov.core.admin import ReadOnlyAdmin
from gridgov.hooks.models import Subscription

SECRETS = ("secret", "previous_secret")


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdmin):
    """外部推送订阅: read-only here (changes go through the webhooks pages and API, which audit them); the
    secrets are never shown."""

    list_display = [
        "name",
        "url",
        "area_code",
        "unit",
        "is_active",
        "failures",
        "last_success_at",
        "created_at",
    ]
    list_filter = ["is_active", "disabled_reason"]
    search_fields = ["name", "url", "area_code"]
    exclude = SECRETS

    def get_readonly_fields(self, request, obj=None):
        return [f for f in super().get_readonly_fields(request, obj) if f not in SECRETS]
