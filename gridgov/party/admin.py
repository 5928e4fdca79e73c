from django.contrib import admin

from gridgov.core.admin import ReadOnlyAdmin
from gridgov.party.models import (
    Activity,
    Agreement,
    Contact,
    DutyCard,
    Member,
    MemberReport,
    Org,
    OrgChange,
    PropertyRating,
    RedProperty,
)

# Every change goes through the actions (checks, history, derived political status, audit): the admin reads.


@admin.register(Org)
class OrgAdmin(ReadOnlyAdmin):
    list_display = ("name", "kind", "area_code", "parent", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "area_code")


@admin.register(OrgChange)
class OrgChangeAdmin(ReadOnlyAdmin):
    list_display = ("org", "kind", "at", "by")


@admin.register(Member)
class MemberAdmin(ReadOnlyAdmin):
    list_display = ("display_name", "org", "status", "office", "is_in_work", "is_active")
    list_filter = ("status", "office", "is_in_work", "is_floating", "is_active")


@admin.register(Contact)
class ContactAdmin(ReadOnlyAdmin):
    list_display = ("household", "member", "worker", "since")


@admin.register(MemberReport)
class MemberReportAdmin(ReadOnlyAdmin):
    list_display = ("member", "community", "unit", "state", "requested_at")
    list_filter = ("state",)


@admin.register(Agreement)
class AgreementAdmin(ReadOnlyAdmin):
    list_display = ("title", "unit", "area", "starts_on", "ends_on", "state")


@admin.register(RedProperty)
class RedPropertyAdmin(ReadOnlyAdmin):
    list_display = ("unit", "org", "area_code")


@admin.register(PropertyRating)
class PropertyRatingAdmin(ReadOnlyAdmin):
    list_display = ("property", "month", "score", "at")


@admin.register(DutyCard)
class DutyCardAdmin(ReadOnlyAdmin):
    list_display = ("grid", "issued_at", "revoked_count")


@admin.register(Activity)
class ActivityAdmin(ReadOnlyAdmin):
    list_display = ("topic", "org", "kind", "held_on")
    list_filter = ("kind",)
