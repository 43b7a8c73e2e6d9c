from django.contrib import admin

from minzheng.foundation.audit.admin import AuditedAdmin

from .models import Region


@admin.register(Region)
class RegionAdmin(AuditedAdmin):
    list_display = ("code", "name", "level", "gb_code", "parent")
    list_filter = ("level",)
    search_fields = ("code", "name")
    raw_id_fields = ("parent",)
