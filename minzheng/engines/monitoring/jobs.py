"""Background job kind ``monitoring.run`` and the Celery beat task of scheduled runs."""

from __future__ import annotations

import datetime as dt

from celery import shared_task

from minzheng.foundation.jobs.services import job_enqueue, job_kind

RUN = "monitoring.run"


@job_kind(RUN)
def run_job(job, progress):
    """A monitoring run (:func:`.services.monitoring_run`) as a job: params ``region``, ``rules``
    (codes; empty = all enabled), ``due`` (only the rules whose cadence has elapsed), ``on``."""
    from .services import monitoring_run, rules_due

    p = job.params or {}
    rules = p.get("rules") or None
    if p.get("due"):
        rules = rules_due()
        if not rules:
            progress.log("没有到期需要运行的规则")
            return {"alerts_new": 0, "alerts_open": None, "by_rule": {}}
    progress.total(20)
    return monitoring_run(
        user=job.created_by,
        region_prefix=p.get("region", ""),
        rules=rules,
        on=dt.date.fromisoformat(p["on"]) if p.get("on") else None,
        progress=lambda done, message: progress.advance(min(done, 20), message),
        scratch=progress.workdir,
    )


def run_enqueue(*, user=None, region: str = "", rules=None, due: bool = False, run: bool = True):
    """Queue a monitoring run (the workbench's 立即运行, the schedule); ``run=False`` only records
    it (for :func:`~minzheng.foundation.jobs.services.job_run` to run in this process)."""
    title = "动态监测" + ("（到期规则）" if due else "") + (f" {region}" if region else "")
    return job_enqueue(
        kind=RUN, title=title, params={"region": region, "rules": list(rules or []), "due": due}, user=user,
        region_code=region, run=run,
    )  # fmt: skip


@shared_task(name="minzheng.monitoring.run_due")
def run_due_task() -> int:
    """Celery beat (``CELERY_BEAT_SCHEDULE``): queue a run of the rules whose cadence has elapsed;
    the run is a job, visible and re-runnable in the jobs list."""
    return run_enqueue(due=True).pk
