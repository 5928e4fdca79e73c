from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from gridgov.cases.models import Case, Category, CategoryAttribute, RoutingRule
from gridgov.core.admin import AuditedAdmin


class RoutingRuleInline(admin.TabularInline):
    model = RoutingRule
    extra = 0
    autocomplete_fields = ["area", "lead_unit"]
    filter_horizontal = ["assist_units"]


class CategoryAttributeInline(admin.StackedInline):
    """What a report of the category must or may also say (Open311's service definition)."""

    model = CategoryAttribute
    extra = 0
    fields = [("code", "label", "datatype"), ("required", "order"), "description", "values"]


@admin.register(Category)
class CategoryAdmin(AuditedAdmin):
    list_display = [
        "name",
        "code",
        "parent",
        "response_limit",
        "response_unit",
        "resolution_limit",
        "resolution_unit",
        "warning_ratio",
        "anonymous_allowed",
        "is_active",
    ]
    list_filter = ["parent", "response_unit", "resolution_unit", "anonymous_allowed", "is_active"]
    search_fields = ["name", "name_en", "code"]
    inlines = [CategoryAttributeInline, RoutingRuleInline]


@admin.register(RoutingRule)
class RoutingRuleAdmin(AuditedAdmin):
    list_display = ["category", "area", "lead_unit", "is_active"]
    list_filter = ["category", "is_active"]
    autocomplete_fields = ["area", "lead_unit"]
    filter_horizontal = ["assist_units"]


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    """Read-only: cases change only through the workflow actions (pages and API), which keep the timeline."""

    list_display = ["ref", "category", "state", "level", "area", "lead_unit", "reported_at", "sla"]
    list_filter = ["state", "level", "sla", "channel", "category"]
    search_fields = ["ref", "description", "address"]
    date_hierarchy = "reported_at"
    exclude = ["reporter_phone", "rate_token_hash", "idempotency_key"]

    @admin.display(description=_("联系电话"))
    def phone(self, obj: Case) -> str:
        return obj.masked_phone

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Case._meta.concrete_fields if f.name not in self.exclude] + ["phone"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return request.method in ("GET", "HEAD") and super().has_view_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False
