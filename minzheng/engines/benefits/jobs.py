"""Background job kinds of the benefits engine (registered on import, from ``BenefitsConfig.ready``)."""

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
