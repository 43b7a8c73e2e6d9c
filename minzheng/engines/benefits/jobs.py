"""Background job kinds of the benefits engine (registered on import, from ``BenefitsConfig.ready``)."""

from celery import shared_task
from django.core.exceptions import PermissionDenied, ValidationError

from minzheng.foundation.jobs.services import job_kind
from minzheng.foundation.money import yuan


@job_kind("benefits.payroll_generate")
def payroll_generate_job(job, progress):
    """Calculate a payment cycle (idempotent, so a retry simply recalculates)."""
    from .payroll import cycle_summary, payroll_generate

    params = job.params
    progress.log(f"计算 {params['program']} {params['month']} {params.get('region_code') or '（默认区划）'}")
    try:
        cycle = payroll_generate(
            user=job.created_by, program=params["program"], month=params["month"],
            region_code=params.get("region_code") or None,
        )  # fmt: skip
    except (ValidationError, PermissionDenied) as exc:
        # shown on the job page instead of the exception's repr
        exc.user_message = "；".join(getattr(exc, "messages", None) or [str(exc)])
        raise
    progress.advance(cycle.lines, f"完成：{cycle.lines} 笔，{yuan(cycle.total)} 元")
    return cycle_summary(cycle)


PHASE_OUT_EXPIRE = "benefits.phase_out_expire"


@job_kind(PHASE_OUT_EXPIRE)
def phase_out_expire_job(job, progress):
    """渐退期满后停发: record the exit of every enrollment whose 渐退期 has ended (idempotent; the
    payroll already pays no month after the period, see ``payroll.GENERATE_SQL``)."""
    from .payroll import month_parse
    from .services import phase_out_expire

    month = month_parse(job.params["month"]) if job.params.get("month") else None
    n = phase_out_expire(month=month)
    progress.log(f"渐退期满退出 {n} 户")
    return {"exited": n}


@shared_task(name="minzheng.benefits.phase_out_expire")
def phase_out_expire_task() -> int:
    """Celery beat (``CELERY_BEAT_SCHEDULE``, daily): queue the 渐退期满 exits as a job, visible and
    re-runnable in the jobs list."""
    from minzheng.foundation.jobs.services import job_enqueue

    return job_enqueue(kind=PHASE_OUT_EXPIRE, title="渐退期满停发", params={}).pk
