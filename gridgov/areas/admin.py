from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from gridgov.areas.actions import area_update
from gridgov.areas.models import Area, AreaChange
from gridgov.core.errors import DomainError


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    """Areas are reshaped only through the actions (create, split, merge, redraw: API and load
    commands), which validate geometry; the admin can browse them and rename."""

    list_display = ["code", "name", "level", "kind", "grid_type", "is_active"]
    list_filter = ["level", "kind", "grid_type", "is_active"]
    search_fields = ["code", "name"]
    readonly_fields = [
        "code",
        "level",
        "parent",
        "kind",
        "grid_type",
        "boundary",
        "is_active",
        "retired_at",
        "created_at",
        "updated_at",
    ]
    fields = [
        "code",
        "name",
        "level",
        "parent",
        "kind",
        "grid_type",
        "is_active",
        "retired_at",
        "boundary",
        "created_at",
        "updated_at",
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        try:
            area_update(by=request.user, code=obj.code, name=form.cleaned_data["name"], reason=_("后台更名"))
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)


@admin.register(AreaChange)
class AreaChangeAdmin(admin.ModelAdmin):
    list_display = ["at", "kind", "changed", "by", "reason"]
    list_filter = ["kind"]
    filter_horizontal = []

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
