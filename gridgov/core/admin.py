from __future__ import annotations

from django.contrib import admin

from gridgov.core import audit
from gridgov.core.crypto import mask_id_number, mask_phone
from gridgov.core.models import AuditEntry

SENSITIVE = {"phone": mask_phone, "id_number": mask_id_number}
SECRET = {"password", "password1", "password2"}


def _shown(field: str, value) -> str:
    if field in SECRET:
        return "******"
    if field in SENSITIVE:
        return SENSITIVE[field](str(value or ""))
    return str(value)


class AuditedAdmin(admin.ModelAdmin):
    """Admin edits of master data go into the audit log like every other change (personal data masked,
    secrets never written)."""

    def save_model(self, request, obj, form, change):
        before = {f: _shown(f, form.initial.get(f)) for f in form.changed_data} if change else None
        super().save_model(request, obj, form, change)
        after = {f: _shown(f, form.cleaned_data.get(f)) for f in form.changed_data}
        audit.record(
            actor=request.user,
            verb=f"admin.{'change' if change else 'add'}",
            obj=obj,
            before=before,
            after=after,
        )

    def delete_model(self, request, obj):
        audit.record(actor=request.user, verb="admin.delete", obj=obj)
        super().delete_model(request, obj)


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["at", "actor_name", "verb", "object_type", "object_id", "object_repr", "reason"]
    list_filter = ["verb", "object_type"]
    search_fields = ["actor_name", "object_id", "object_repr", "reason"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
