"""Read-only in the admin: entities change through the services, which keep the history and audit."""

from django.contrib import admin

from .models import Entity, EntityEvent


class EntityEventInline(admin.TabularInline):
    model = EntityEvent
    extra = 0
    fields = ("at", "kind", "status_from", "status_to", "effective_on", "reason", "changes", "actor")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Entity)
class EntityAdmin(admin.ModelAdmin):
    list_display = ("uscc", "name", "kind", "region_code", "representative_name", "status", "status_since")
    list_filter = ("kind", "status")
    search_fields = ("=uscc", "name")
    readonly_fields = [f.name for f in Entity._meta.fields if f.name != "representative_phone"]
    exclude = ("representative_phone",)
    inlines = (EntityEventInline,)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
