from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from minzheng.foundation.audit.admin import AuditedAdmin

from .models import Grant, Role, User
from .roles import PERMISSIONS


class GrantInline(admin.TabularInline):
    model = Grant
    extra = 0
    autocomplete_fields = ("region",)
    readonly_fields = ("prefix",)


@admin.register(User)
class StaffAdmin(AuditedAdmin, UserAdmin):
    list_display = ("username", "display_name", "is_active", "last_login")
    fieldsets = (*UserAdmin.fieldsets, ("民政", {"fields": ("display_name",)}))
    inlines = (GrantInline,)

    def save_formset(self, request, form, formset, change):
        for obj in formset.save(commit=False):
            obj.prefix = obj.region.prefix
            obj.save()
        for obj in formset.deleted_objects:
            obj.delete()
        formset.save_m2m()


class RoleForm(forms.ModelForm):
    class Meta:
        model = Role
        fields = ["code", "name", "permissions", "sort"]

    def clean_permissions(self):
        """Only permissions some app declared: a typo here would silently grant nothing."""
        value = self.cleaned_data.get("permissions") or []
        if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
            raise forms.ValidationError('权限应为权限代码的列表，例如 ["registry.view"]')
        unknown = [p for p in value if p not in PERMISSIONS]
        if unknown:
            raise forms.ValidationError(f"未声明的权限：{'、'.join(unknown)}")
        return list(dict.fromkeys(value))


@admin.register(Role)
class RoleAdmin(AuditedAdmin):
    form = RoleForm
    list_display = ("code", "name", "permissions")
