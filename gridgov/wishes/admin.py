from __future__ import annotations

from django.contrib import admin

from gridgov.core.admin import ReadOnlyAdmin
from gridgov.wishes.models import Wish, WishClaim


class ClaimInline(admin.TabularInline):
    model = WishClaim
    extra = 0
    fields = ["claimant", "unit", "state", "claimed_at", "fulfil_due", "fulfilled_at", "released_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Wish)
class WishAdmin(ReadOnlyAdmin):
    """微心愿 (the wisher's phone is shown masked only)."""

    list_display = [
        "ref",
        "title",
        "state",
        "source",
        "area_code",
        "claimants_count",
        "max_claimants",
        "flagged",
    ]
    list_filter = ["state", "source", "flagged"]
    search_fields = ["ref", "title", "area_code"]
    date_hierarchy = "created_at"
    exclude = ["wisher_phone", "wisher_phone_hash"]
    inlines = [ClaimInline]

    def get_readonly_fields(self, request, obj=None):
        return [f for f in super().get_readonly_fields(request, obj) if f not in self.exclude]


@admin.register(WishClaim)
class WishClaimAdmin(ReadOnlyAdmin):
    list_display = ["wish", "claimant", "unit", "state", "claimed_at", "fulfil_due"]
    list_filter = ["state"]
    search_fields = ["wish__ref", "wish__title"]
