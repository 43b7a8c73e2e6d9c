from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError

from .models import JobRun, JobState
from .services import job_retry


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "title",
        "kind",
        "state",
        "progress",
        "total",
        "attempts",
        "region_code",
        "created_by",
        "created_at",
        "finished_at",
    )
    list_filter = ("state", "kind")
    readonly_fields = [f.name for f in JobRun._meta.fields]
    actions = ["retry"]

    @admin.action(description="重试所选失败任务")
    def retry(self, request, queryset):
        for job in queryset.filter(state=JobState.FAILED):
            try:
                job_retry(job=job, user=request.user)
            except (ValidationError, PermissionDenied) as exc:
                self.message_user(request, f"{job}：{'；'.join(getattr(exc, 'messages', None) or [str(exc)])}", "error")

    def has_add_permission(self, request):
        return False
