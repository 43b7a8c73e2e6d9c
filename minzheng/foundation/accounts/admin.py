from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from minzheng.foundation.audit.admin import AuditedAdmin

from .models import Grant, Role, User


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


@admin.register(Role)
class RoleAdmin(AuditedAdmin):
    list_display = ("code", "name", "permissions")
