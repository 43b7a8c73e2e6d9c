from django.contrib import admin

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
            job_retry(job=job)

    def has_add_permission(self, request):
        return False
