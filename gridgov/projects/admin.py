"""Admin for the three lists' master data. Workflow state changes go through the actions (pages and API),
so states, owners and progress are read-only here."""

from django.contrib import admin

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
class NeedAdmin(admin.ModelAdmin):
    list_display = ("title", "category", "area_code", "urgency", "source", "state", "created_at")
    list_filter = ("state", "urgency", "source", "category")
    search_fields = ("title", "area_code")
    readonly_fields = ("state", "source", "source_id", "created_by", "created_at", "close_reason")
    raw_id_fields = ("area",)


@admin.register(Resource)
class ResourceAdmin(admin.ModelAdmin):
    list_display = ("title", "category", "kind", "area_code", "available_until", "is_active")
    list_filter = ("kind", "is_active", "category")
    search_fields = ("title", "area_code")
    raw_id_fields = ("area", "owner_unit", "owner_user", "owner_org")
    readonly_fields = ("created_by", "created_at")


class MilestoneInline(admin.TabularInline):
    model = Milestone
    extra = 0
    readonly_fields = ("done_at", "done_by")


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
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
class ProjectEvaluationAdmin(admin.ModelAdmin):
    list_display = ("project", "user", "score", "rating", "created_at")
    readonly_fields = ("project", "user", "score", "rating", "comment", "created_at")


@admin.register(CoBuildingRule)
class CoBuildingRuleAdmin(admin.ModelAdmin):
    list_display = ("area", "required_projects")
    raw_id_fields = ("area",)


@admin.register(UnitYearScore)
class UnitYearScoreAdmin(admin.ModelAdmin):
    list_display = ("unit", "area_code", "year", "score", "scored_by", "scored_at")
    list_filter = ("year",)
    readonly_fields = ("unit", "area", "area_code", "year", "score", "comment", "scored_by", "scored_at")
