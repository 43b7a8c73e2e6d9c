"""Enqueue and run background jobs.

A job kind is a function registered with :func:`job_kind`; it receives the JobRun and a
``Progress`` helper. ``job_enqueue`` creates the JobRun and, after the transaction commits, hands
its id to the backend: ``thread`` (embedded default — a worker thread in the server process, so
no external service is needed) or ``celery`` (production — a Celery worker via Redis/RabbitMQ).
``minzheng jobs work`` also picks up queued jobs (e.g. left over after a restart). Jobs are
idempotent: a retry reruns the whole function, which must tolerate earlier partial attempts.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone

from minzheng.foundation.audit.context import Actor, acting_as

from .models import JobRun, JobState

logger = logging.getLogger("minzheng.jobs")
KINDS: dict[str, Callable] = {}
_executor: ThreadPoolExecutor | None = None
_lock = threading.Lock()


def job_kind(name: str):
    def register(fn):
        KINDS[name] = fn
        return fn

    return register


class Progress:
    def __init__(self, job: JobRun):
        self.job = job

    def total(self, n: int) -> None:
        self.job.total = n
        JobRun.objects.filter(pk=self.job.pk).update(total=n)

    def advance(self, done: int, message: str = "") -> None:
        self.job.progress = done
        updates = {"progress": done}
        if message:
            self.job.log += message + "\n"
            updates["log"] = self.job.log
        JobRun.objects.filter(pk=self.job.pk).update(**updates)

    def log(self, message: str) -> None:
        self.advance(self.job.progress, message)


def job_enqueue(*, kind: str, title: str, params: dict, user=None, region_code: str = "", run: bool = True) -> JobRun:
    if kind not in KINDS:
        raise ValueError(f"未知任务类型 {kind}")
    job = JobRun.objects.create(kind=kind, title=title, params=params, created_by=user, region_code=region_code)
    if run:
        transaction.on_commit(lambda: dispatch(job.pk))
    return job


def dispatch(job_id: int) -> None:
    if settings.MINZHENG_JOBS == "celery":
        from .tasks import run_job_task

        run_job_task.delay(job_id)
        return
    global _executor
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="minzheng-job")
    _executor.submit(_run_in_thread, job_id)


def _run_in_thread(job_id: int) -> None:
    try:
        job_run(job_id)
    finally:
        connections.close_all()  # this thread's connections; the pool thread may idle for long


def job_run(job_id: int) -> JobRun:
    """Run one job now, in this process. Claims it atomically so two workers never run it twice."""
    claimed = JobRun.objects.filter(pk=job_id, state=JobState.QUEUED).update(
        state=JobState.RUNNING, started_at=timezone.now(), error=""
    )
    job = JobRun.objects.select_related("created_by").get(pk=job_id)
    if not claimed:
        return job
    JobRun.objects.filter(pk=job_id).update(attempts=job.attempts + 1)
    user = job.created_by
    actor = Actor(user.pk if user else None, user.username if user else "system", "", "job")
    try:
        with acting_as(actor):
            result = KINDS[job.kind](job, Progress(job))
    except Exception as exc:  # the failure is recorded for an administrator to see and retry
        logger.exception("job %s failed", job_id)
        msg = getattr(exc, "user_message", None) or f"{type(exc).__name__}: {exc}"
        JobRun.objects.filter(pk=job_id).update(
            state=JobState.FAILED,
            error=msg,
            log=job.log + traceback.format_exc(limit=5),
            finished_at=timezone.now(),
        )
    else:
        JobRun.objects.filter(pk=job_id).update(
            state=JobState.SUCCEEDED, result=result or {}, finished_at=timezone.now()
        )
    job.refresh_from_db()
    return job


def job_retry(*, job: JobRun) -> JobRun:
    if job.state != JobState.FAILED:
        raise ValueError("只有失败的任务可以重试")
    JobRun.objects.filter(pk=job.pk, state=JobState.FAILED).update(state=JobState.QUEUED, progress=0)
    transaction.on_commit(lambda: dispatch(job.pk))
    job.refresh_from_db()
    return job


def jobs_work_once() -> int:
    """Run every queued job now (``minzheng jobs work``); returns how many ran."""
    n = 0
    for job_id in JobRun.objects.filter(state=JobState.QUEUED).order_by("created_at").values_list("pk", flat=True):
        job_run(job_id)
        n += 1
    return n
