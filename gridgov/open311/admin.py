"""Client applications in the Django admin: register one (its key is shown once), issue a new key, revoke.
The key itself is never stored; only its prefix and keyed hash are (``actions``)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.core.admin import AuditedAdmin
from gridgov.open311 import actions
from gridgov.open311.models import ClientApp


def issued_keys(request, keys: list[tuple[ClientApp, str]]) -> TemplateResponse:
    """The page that shows newly issued keys, once; nothing keeps them and the page is not cached."""
    response = TemplateResponse(
        request,
        "open311/admin/key_issued.html",
        {
            **admin.site.each_context(request),
            "title": _("Open311 密钥已签发"),
            "keys": keys,
            "opts": ClientApp._meta,
        },
    )
    response["Cache-Control"] = "no-store"
    return response


@admin.register(ClientApp)
class ClientAppAdmin(AuditedAdmin):
    list_display = ["name", "key_prefix", "is_active", "rate_limit", "key_issued_at", "last_used_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "contact", "key_prefix"]
    fields = [
        "name",
        "contact",
        "rate_limit",
        "key_prefix",
        "key_issued_at",
        "is_active",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    readonly_fields = ["key_prefix", "key_issued_at", "is_active", "created_at", "last_used_at", "revoked_at"]
    actions = ["rotate_keys", "revoke_keys"]

    # Only administrators manage client applications (the actions refuse anyone else).
    def has_view_permission(self, request, obj=None):
        return getattr(request.user, "is_admin", False) and super().has_view_permission(request, obj)

    def has_add_permission(self, request):
        return getattr(request.user, "is_admin", False) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return getattr(request.user, "is_admin", False) and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        app, key = actions.client_app_create(
            by=request.user,
            name=form.cleaned_data["name"],
            contact=form.cleaned_data.get("contact", ""),
            rate_limit=form.cleaned_data.get("rate_limit"),
        )
        obj.pk, obj.key_prefix, obj.key_issued_at = app.pk, app.key_prefix, app.key_issued_at
        obj._state.adding, obj._state.db = False, app._state.db
        request._open311_issued = [(app, key)]

    def response_add(self, request, obj, post_url_continue=None):
        return issued_keys(request, getattr(request, "_open311_issued", []))

    def has_delete_permission(self, request, obj=None):
        return False  # the cases it reported name it: revoke instead

    @admin.action(description=gettext_lazy("签发新密钥（旧密钥立即失效）"))
    def rotate_keys(self, request, queryset):
        keys = [(app, actions.client_app_rotate_key(by=request.user, app=app)) for app in queryset]
        return issued_keys(request, keys)

    @admin.action(description=gettext_lazy("吊销密钥"))
    def revoke_keys(self, request, queryset):
        for app in queryset:
            actions.client_app_revoke(by=request.user, app=app)
        self.message_user(
            request, _("已吊销 %(count)s 个应用的密钥") % {"count": queryset.count()}, messages.SUCCESS
        )
