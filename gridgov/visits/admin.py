from __future__ import annotations

from django.contrib import admin

from gridgov.core.admin import AuditedAdmin
from gridgov.visits.models import Visit, VisitPlan, VisitRule


@admin.register(VisitRule)
class VisitRuleAdmin(AuditedAdmin):
    """必访规则 per district: tag → interval (no tag: every household)."""

    list_display = ["district", "tag", "interval_days", "is_active"]
    list_filter = ["district", "is_active"]
    list_editable = ["interval_days", "is_active"]
    autocomplete_fields = ["district"]


@admin.register(VisitPlan)
class VisitPlanAdmin(AuditedAdmin):
    """走访计划: a target shown to each worker as their own progress."""

    list_display = ["area", "households", "period_days"]
    autocomplete_fields = ["area"]


@admin.register(Visit)
class VisitAdmin(admin.ModelAdmin):
    """Read-only: visits are recorded and corrected on the pages and the API (audited there)."""

    list_display = ["household", "visited_at", "kind", "recorded_by", "area_code"]
    list_filter = ["kind"]
    search_fields = ["area_code", "household__building__name", "household__room", "problems"]
    date_hierarchy = "visited_at"

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Visit._meta.get_fields() if f.concrete or f.many_to_many]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return request.method in ("GET", "HEAD") and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False
