"""Admin: focus tags are master data (editable, audited). The ledger itself is read-only here — people and
places change through the pages, the API and imports, which validate, scope and audit every write."""

from __future__ import annotations

from django.contrib import admin

from gridgov.core.admin import AuditedAdmin, ReadOnlyAdmin
from gridgov.ledger.models import Building, FocusTag, Household, ImportJob, Organisation, Resident


@admin.register(FocusTag)
class FocusTagAdmin(AuditedAdmin):
    list_display = ["name", "name_en", "code", "applies_to", "is_active", "sort"]
    list_filter = ["applies_to", "is_active"]
    search_fields = ["name", "code"]


@admin.register(Building)
class BuildingAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "area", "kind", "units", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name", "address"]


@admin.register(Household)
class HouseholdAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "area_code", "occupancy", "is_active"]
    search_fields = ["building__code", "building__name", "room"]
    list_select_related = ["building"]


@admin.register(Resident)
class ResidentAdmin(ReadOnlyAdmin):
    # Only the masks: the admin never shows a full ID number or phone.
    list_display = ["name", "id_number_masked", "phone_masked", "area_code", "residence_type", "is_active"]
    list_filter = ["residence_type", "is_active"]
    search_fields = ["name", "id_number_masked"]
    fields = [
        "name",
        "id_number_masked",
        "phone_masked",
        "gender",
        "birth_date",
        "household",
        "relation",
        "area_code",
    ]
    readonly_fields = fields


@admin.register(Organisation)
class OrganisationAdmin(ReadOnlyAdmin):
    list_display = [
        "name",
        "kind",
        "credit_code",
        "area_code",
        "contact_name",
        "contact_phone_masked",
        "is_active",
    ]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "credit_code"]
    exclude = ["contact_phone"]


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "kind",
        "filename",
        "area",
        "state",
        "rows_total",
        "rows_created",
        "rows_updated",
        "error_count",
    ]
    list_filter = ["kind", "state"]
