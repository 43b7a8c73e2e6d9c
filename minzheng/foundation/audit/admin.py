"""Admin: the audit log is read-only; every change made through the admin is audited."""

from django.contrib import admin
from django.forms.models import model_to_dict

from .models import AuditEvent
from .services import audit_record

SECRET_FIELDS = {"password", "key_hash"}


def _plain(obj) -> dict:
    return {k: (str(v) if v is not None else None) for k, v in model_to_dict(obj).items() if k not in SECRET_FIELDS}


class AuditedAdmin(admin.ModelAdmin):
    """Records create/update/delete done in the admin with before/after values."""

    def save_model(self, request, obj, form, change):
        before = _plain(type(obj).objects.get(pk=obj.pk)) if change else {}
        super().save_model(request, obj, form, change)
        after = _plain(obj)
        changes = {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}
        if "password" in getattr(form, "changed_data", ()):
            changes["password"] = ["***", "***"]
        audit_record(
            action="update" if change else "create",
            object_type=obj._meta.label_lower,
            object_id=obj.pk,
            region_code=getattr(obj, "region_code", "") or "",
            summary=f"后台{'修改' if change else '新增'} {obj}",
            changes=changes,
        )

    def delete_model(self, request, obj):
        before = _plain(obj)
        label, pk, text = obj._meta.label_lower, obj.pk, str(obj)
        super().delete_model(request, obj)
        audit_record(
            action="delete",
            object_type=label,
            object_id=pk,
            summary=f"后台删除 {text}",
            changes={k: [v, None] for k, v in before.items()},
        )

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("seq", "at", "actor_name", "ip", "channel", "action", "object_type", "object_id", "summary")
    list_filter = ("action", "channel", "object_type")
    search_fields = ("actor_name", "object_id", "summary")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
