from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.actions import _check_binding, sign_in
from gridgov.accounts.models import HouseholdBinding, Unit, User
from gridgov.core.admin import AuditedAdmin, ReadOnlyAdmin
from gridgov.core.crypto import blind_index
from gridgov.core.errors import DomainError
from gridgov.core.validators import normalise_phone


class SignInAdminForm(AdminAuthenticationForm):
    """The admin's sign-in form, through the same ``sign_in`` action (and throttle) as the API and pages."""

    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is not None and password:
            try:
                self.user_cache = sign_in(username=username, password=password, request=self.request)
            except DomainError as exc:
                if exc.status == 401:
                    raise self.get_invalid_login_error() from exc
                raise ValidationError(exc.message, code=exc.code) from exc
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


admin.site.login_form = SignInAdminForm


@admin.register(Unit)
class UnitAdmin(AuditedAdmin):
    list_display = ["name", "kind", "area", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name"]
    autocomplete_fields = ["area"]


class UserAdminForm(forms.ModelForm):
    # Shown and typed as a plain number only when changing it; the list shows it masked.
    phone = forms.CharField(label=_("手机号"), required=False)

    class Meta:
        model = User
        fields = [
            "username",
            "display_name",
            "role",
            "area",
            "unit",
            "phone",
            "backup",
            "is_away",
            "is_active",
            "is_staff",
            "is_superuser",
        ]

    def clean(self):
        data = super().clean()
        try:
            data["phone"] = normalise_phone(data.get("phone", ""))
            _check_binding(data.get("role"), data.get("area"), data.get("unit"))
        except DomainError as exc:
            self.add_error(exc.field if exc.field in self.fields else None, exc.message)
        return data


@admin.register(User)
class UserAdmin(BaseUserAdmin, AuditedAdmin):
    form = UserAdminForm
    list_display = ["username", "display_name", "role", "area", "unit", "masked_phone", "is_active"]
    list_filter = ["role", "is_active"]
    search_fields = ["username", "display_name", "area__code", "area__name"]
    autocomplete_fields = ["area", "unit", "backup"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        (_("身份与管辖"), {"fields": ["display_name", "role", "area", "unit", "phone", "backup", "is_away"]}),
        (_("状态"), {"fields": ["is_active", "is_staff", "is_superuser", "last_login", "date_joined"]}),
    ]
    readonly_fields = ["last_login", "date_joined"]

    @admin.display(description=_("手机号"))
    def masked_phone(self, obj: User) -> str:
        return obj.masked_phone

    def save_model(self, request, obj, form, change):
        obj.phone_hash = blind_index(obj.phone) if obj.phone else ""
        super().save_model(request, obj, form, change)


@admin.register(HouseholdBinding)
class HouseholdBindingAdmin(ReadOnlyAdmin):
    """Read-only: a binding is confirmed or refused by the community on its page (户籍绑定审核), never here."""

    list_display = ("user", "area_code", "state", "created_at", "decided_at", "decided_by")
    list_filter = ("state",)
    search_fields = ("user__username", "area_code")
    exclude = ("resident",)  # the ledger person's name is read on the community's page, masked
