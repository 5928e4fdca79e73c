from django.contrib import admin

from gridgov.core.admin import ReadOnlyAdmin
from gridgov.deliberation.models import AgendaItem, Decision, Meeting, Objection, Topic

# Every change goes through the actions (rules, quorum, the computed result, timeline, audit): the admin reads.


@admin.register(Topic)
class TopicAdmin(ReadOnlyAdmin):
    list_display = ("ref", "title", "area_code", "source", "state", "supporters", "threshold")
    list_filter = ("state", "source")


@admin.register(Meeting)
class MeetingAdmin(ReadOnlyAdmin):
    list_display = ("ref", "title", "kind", "area_code", "starts_at", "state")
    list_filter = ("kind", "state")


@admin.register(AgendaItem)
class AgendaItemAdmin(ReadOnlyAdmin):
    list_display = (
        "meeting",
        "topic",
        "rule",
        "base",
        "yes",
        "no",
        "abstain",
        "present",
        "entitled",
        "result",
    )


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdmin):
    list_display = ("topic", "state", "published_at", "notice_until", "project")


@admin.register(Objection)
class ObjectionAdmin(ReadOnlyAdmin):
    list_display = ("decision", "at", "answered_at")
