from __future__ import annotations

from django.contrib import admin

from gridgov.core.admin import AuditedAdmin, ReadOnlyAdmin
from gridgov.points.models import PointsEntry, PointsPolicy, Redemption, Reward, VolunteerTask


@admin.register(Reward)
class RewardAdmin(AuditedAdmin):
    """兑换物品: name, cost and stock per community station (stock is taken by redemptions)."""

    list_display = ["name", "area", "cost", "stock", "is_active", "sort"]
    list_filter = ["is_active", "area"]
    list_editable = ["stock", "is_active"]
    search_fields = ["name"]
    autocomplete_fields = ["area"]


@admin.register(PointsPolicy)
class PointsPolicyAdmin(AuditedAdmin):
    """积分有效期 per community (empty: points never expire)."""

    list_display = ["area", "expiry_months"]
    autocomplete_fields = ["area"]


@admin.register(VolunteerTask)
class VolunteerTaskAdmin(ReadOnlyAdmin):
    list_display = ["title", "area", "starts_at", "state", "taken", "slots", "points"]
    list_filter = ["state"]
    search_fields = ["title", "area_code"]
    date_hierarchy = "starts_at"


@admin.register(PointsEntry)
class PointsEntryAdmin(ReadOnlyAdmin):
    list_display = ["at", "kind", "debit", "credit", "amount", "memo", "area_code"]
    list_filter = ["kind"]
    search_fields = ["memo", "area_code"]
    date_hierarchy = "at"


@admin.register(Redemption)
class RedemptionAdmin(ReadOnlyAdmin):
    list_display = ["at", "volunteer", "reward", "quantity", "points", "by"]
    date_hierarchy = "at"
