from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from gridgov.core import audit
from gridgov.core.calendar import (
    calendar_clear_day,
    calendar_configure_year,
    calendar_set_day,
    calendar_unconfigure_year,
)
from gridgov.core.crypto import mask_id_number, mask_phone
from gridgov.core.errors import DomainError
from gridgov.core.models import AuditEntry, CalendarDay, CalendarYear

SENSITIVE = {"phone": mask_phone, "id_number": mask_id_number}
SECRET = {"password", "password1", "password2"}
WEEKDAYS = [_("周一"), _("周二"), _("周三"), _("周四"), _("周五"), _("周六"), _("周日")]


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


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows that only the actions (pages, API, imports) change — and audit: the admin shows every field
    and changes nothing."""

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.get_fields() if f.concrete or f.many_to_many]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return request.method in ("GET", "HEAD") and super().has_view_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor_name", "verb", "object_type", "object_id", "object_repr", "reason"]
    list_filter = ["verb", "object_type"]
    search_fields = ["actor_name", "object_id", "object_repr", "reason"]
    date_hierarchy = "at"


# --- Working-day calendar (工作日历): every save and delete goes through the calendar actions. -----------


class CalendarAdminBase(admin.ModelAdmin):
    """Only system administrators maintain the calendar (the actions refuse everyone else)."""

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and getattr(request.user, "is_admin", False)

    def has_add_permission(self, request):
        return self.has_view_permission(request)

    def has_change_permission(self, request, obj=None):
        return self.has_view_permission(request)

    def has_delete_permission(self, request, obj=None):
        return self.has_view_permission(request)

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def _run(self, request, action, **kwargs):
        try:
            return action(by=request.user, **kwargs)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return None


@admin.register(CalendarDay)
class CalendarDayAdmin(CalendarAdminBase):
    list_display = ["date", "weekday", "is_workday", "name", "created_by", "created_at"]
    list_filter = ["is_workday"]
    search_fields = ["name"]
    date_hierarchy = "date"
    fields = ["date", "is_workday", "name", "created_by", "created_at"]
    readonly_fields = ["created_by", "created_at"]

    @admin.display(description=_("星期"))
    def weekday(self, obj: CalendarDay) -> str:
        return WEEKDAYS[obj.date.weekday()]

    def get_readonly_fields(self, request, obj=None):
        # A row stands for its date: to move an override, delete it and add the other date.
        return [*self.readonly_fields, "date"] if obj is not None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        row = self._run(
            request,
            calendar_set_day,
            day=obj.date,
            is_workday=bool(form.cleaned_data.get("is_workday")),
            name=form.cleaned_data.get("name", ""),
        )
        if row is not None:
            # The action replaces the row; the admin's redirect and messages use the new one.
            obj.pk, obj.created_by, obj.created_at = row.pk, row.created_by, row.created_at

    def delete_model(self, request, obj):
        self._run(request, calendar_clear_day, day=obj.date)

    def delete_queryset(self, request, queryset):
        for obj in list(queryset):
            self.delete_model(request, obj)


@admin.register(CalendarYear)
class CalendarYearAdmin(CalendarAdminBase):
    """Marking a year here says its holidays are complete (entered under 日历调整 or imported with
    ``gridgov import_calendar``); its deadlines then stop being provisional."""

    list_display = ["year", "source", "configured_by", "configured_at", "note"]
    list_filter = ["source"]
    fields = ["year", "note", "source", "configured_by", "configured_at"]
    readonly_fields = ["source", "configured_by", "configured_at"]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "year"] if obj is not None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        row = self._run(
            request,
            calendar_configure_year,
            year=obj.year,
            note=form.cleaned_data.get("note", ""),
            source=obj.source if change else CalendarYear.Source.MANUAL,
        )
        if row is not None:
            obj.pk, obj.configured_by, obj.configured_at = row.pk, row.configured_by, row.configured_at

    def delete_model(self, request, obj):
        self._run(request, calendar_unconfigure_year, year=obj.year)

    def delete_queryset(self, request, queryset):
        for obj in list(queryset):
            self.delete_model(request, obj)
