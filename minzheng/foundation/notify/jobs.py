"""Background job kinds of notify."""

from minzheng.foundation.jobs.services import job_kind

from .services import DELIVER_JOB, notify_deliver_queued


@job_kind(DELIVER_JOB)
def deliver_job(job, progress):
    counts = notify_deliver_queued()
    progress.log(f"已发送 {counts['sent']} 条，失败 {counts['failed']} 条")
    return counts
