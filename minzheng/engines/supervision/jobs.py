"""Background job kind ``supervision.hazards_overdue`` and its daily Celery beat task."""

from __future__ import annotations

import datetime as dt

from celery import shared_task

from minzheng.foundation.jobs.services import job_enqueue, job_kind

HAZARDS_OVERDUE = "supervision.hazards_overdue"


@job_kind(HAZARDS_OVERDUE)
def hazards_overdue_job(job, progress):
    """Mark the overdue hazards, alert the county and escalate (:func:`.services.hazards_overdue_mark`;
    idempotent for a day, so a retry does no harm). Param ``on``: the day, default today."""
    from .services import hazards_overdue_mark

    on = dt.date.fromisoformat(job.params["on"]) if (job.params or {}).get("on") else None
    result = hazards_overdue_mark(on=on)
    progress.log(f"新逾期 {result['overdue']} 项，升级 {result['escalated']} 项")
    return result


def hazards_overdue_enqueue(*, on: dt.date | None = None, run: bool = True):
    return job_enqueue(
        kind=HAZARDS_OVERDUE, title="隐患逾期标记与升级", params={"on": on.isoformat() if on else ""}, run=run
    )


@shared_task(name="minzheng.supervision.hazards_overdue")
def hazards_overdue_task() -> int:
    """Celery beat (``CELERY_BEAT_SCHEDULE``, daily): queue the overdue marking as a job, visible
    and re-runnable in the jobs list."""
    return hazards_overdue_enqueue().pk
