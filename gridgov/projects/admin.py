"""Admin for the three lists. Needs, projects, evaluations and scores change only through the actions
(pages and API), which keep the timeline and the audit log: the admin shows them. Resources and the
co-building rules are master data, edited here with an audit entry for each change."""

from django.contrib import admin

from gridgov.core.admin import AuditedAdmin, ReadOnlyAdmin
from gridgov.projects.models import (
    CoBuildingRule,
    Milestone,
    Need,
    Project,
    ProjectEvaluation,
    Resource,
    UnitYearScore,
)


@admin.register(Need)
class NeedAdmin(ReadOnlyAdmin):
    list_display = ("title", "category", "area_code", "urgency", "source", "state", "created_at")
    list_filter = ("state", "urgency", "source", "category")
    search_fields = ("title", "area_code")
    readonly_fields = ("state", "source", "source_id", "created_by", "created_at", "close_reason")
    raw_id_fields = ("area",)


@admin.register(Resource)
class ResourceAdmin(AuditedAdmin):
    list_display = ("title", "category", "kind", "area_code", "available_until", "is_active")
    list_filter = ("kind", "is_active", "category")
    search_fields = ("title", "area_code")
    raw_id_fields = ("area", "owner_unit", "owner_user", "owner_org")
    readonly_fields = ("created_by", "created_at")


class MilestoneInline(admin.TabularInline):
    model = Milestone
    extra = 0
    fields = ("title", "due", "note", "done_at", "done_by")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):  # noqa: ARG002
        return False

    def has_change_permission(self, request, obj=None):  # noqa: ARG002
        return False


@admin.register(Project)
class ProjectAdmin(ReadOnlyAdmin):
    list_display = ("title", "area_code", "state", "owner_unit", "owner_user", "progress", "year", "sla")
    list_filter = ("state", "is_secretary_project", "year", "sla")
    search_fields = ("title", "area_code")
    raw_id_fields = ("area", "needs", "resources")
    readonly_fields = (
        "state",
        "owner_unit",
        "owner_user",
        "is_secretary_project",
        "claimed",
        "progress",
        "created_by",
        "created_at",
        "started_at",
        "completed_at",
        "closed_at",
    )
    inlines = [MilestoneInline]


@admin.register(ProjectEvaluation)
class ProjectEvaluationAdmin(ReadOnlyAdmin):
    list_display = ("project", "user", "score", "rating", "created_at")
    readonly_fields = ("project", "user", "score", "rating", "comment", "created_at")


@admin.register(CoBuildingRule)
class CoBuildingRuleAdmin(AuditedAdmin):
    list_display = ("area", "required_projects")
    raw_id_fields = ("area",)


@admin.register(UnitYearScore)
class UnitYearScoreAdmin(ReadOnlyAdmin):
    list_display = ("unit", "area_code", "year", "score", "scored_by", "scored_at")
    list_filter = ("year",)
    readonly_fields = ("unit", "area", "area_code", "year", "score", "comment", "scored_by", "scored_at")
