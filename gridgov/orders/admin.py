from __future__ import annotations

from django.contrib import admin

from gridgov.core.admin import AuditedAdmin
from gridgov.orders.models import Order, ServiceItem, ServiceSchedule, ServiceSlot


class ScheduleInline(admin.TabularInline):
    model = ServiceSchedule
    extra = 1


@admin.register(ServiceItem)
class ServiceItemAdmin(AuditedAdmin):
    """服务清单: services, their providers, fee, limits and weekly sessions."""

    list_display = ["name", "category", "area", "fee", "price", "is_active"]
    list_filter = ["category", "fee", "is_active"]
    search_fields = ["name", "area_code"]
    autocomplete_fields = ["area"]
    filter_horizontal = ["providers"]
    inlines = [ScheduleInline]

    def get_queryset(self, request):
        from gridgov.core.scope import filter_in_scope

        qs = super().get_queryset(request).select_related("category", "area")
        return filter_in_scope(qs, request.user, "area_code")


class ReadOnly(admin.ModelAdmin):
    """Read-only: slots and orders change only through the order actions (audited there)."""

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.get_fields() if f.concrete or f.many_to_many]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return request.method in ("GET", "HEAD") and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ServiceSlot)
class ServiceSlotAdmin(ReadOnly):
    list_display = ["item", "date", "start", "end", "capacity", "taken"]
    list_filter = ["date"]
    search_fields = ["item__name"]


@admin.register(Order)
class OrderAdmin(ReadOnly):
    list_display = ["ref", "item", "state", "sla", "area_code", "provider_unit", "created_at"]
    list_filter = ["state", "sla", "item__category"]
    search_fields = ["ref", "area_code", "item__name"]
    date_hierarchy = "created_at"
    exclude = ["contact_phone", "contact_phone_hash", "idempotency_key"]

    def get_readonly_fields(self, request, obj=None):
        hidden = set(self.exclude)
        return [f for f in super().get_readonly_fields(request, obj) if f not in hidden]
