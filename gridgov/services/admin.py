from __future__ import annotations

from django.contrib import admin

from gridgov.core.admin import AuditedAdmin
from gridgov.services.models import ServiceCategory


@admin.register(ServiceCategory)
class ServiceCategoryAdmin(AuditedAdmin):
    """服务类别: one taxonomy for the catalogue, wishes, needs and resources."""

    list_display = ["code", "name", "name_en", "parent", "is_active", "sort"]
    list_editable = ["is_active", "sort"]
    search_fields = ["code", "name", "name_en"]
