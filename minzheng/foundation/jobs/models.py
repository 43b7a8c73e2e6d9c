from django.conf import settings
from django.db import models


class JobState(models.TextChoices):
    QUEUED = "queued", "排队中"
    RUNNING = "running", "运行中"
    SUCCEEDED = "succeeded", "已完成"
    FAILED = "failed", "失败"


class JobRun(models.Model):
    kind = models.CharField("任务类型", max_length=60)
    title = models.CharField("名称", max_length=200)
    params = models.JSONField("参数", default=dict)
    state = models.CharField("状态", max_length=10, choices=JobState.choices, default=JobState.QUEUED, db_index=True)
    progress = models.PositiveIntegerField("进度", default=0)
    total = models.PositiveIntegerField("总量", default=0)
    log = models.TextField("日志", blank=True, default="")
    error = models.TextField("错误", blank=True, default="")
    result = models.JSONField("结果", default=dict, blank=True)
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)
    region_code = models.CharField("区划代码", max_length=12, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name="发起人"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)
    # the lease of the worker running it: renewed by its heartbeat; once expired while ``running``
    # the worker is taken for dead and the job is reaped (``services.jobs_reap``)
    heartbeat_at = models.DateTimeField("最近心跳", null=True, blank=True)
    lease_expires_at = models.DateTimeField("租约到期", null=True, blank=True)
    lease_owner = models.CharField("执行进程", max_length=120, blank=True, default="")
    # uploaded input files (paths under MEDIA_ROOT) holding personal data: deleted when the job
    # ends, whatever the outcome, and by the reaper after a crash
    temp_files = models.JSONField("临时文件", default=list, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "后台任务"
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.title}（{self.get_state_display()}）"

    @property
    def inputs_deleted(self) -> bool:
        """A job that read an uploaded file cannot run again once it ended: the file is gone."""
        return bool(self.temp_files) and self.state in (JobState.SUCCEEDED, JobState.FAILED)

    @property
    def percent(self) -> int:
        if self.state == JobState.SUCCEEDED:
            return 100
        return min(100, int(self.progress * 100 / self.total)) if self.total else 0
