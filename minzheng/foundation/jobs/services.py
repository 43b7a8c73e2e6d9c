"""Enqueue and run background jobs.

A job kind is a function registered with :func:`job_kind`; it receives the JobRun and a
``Progress`` helper. ``job_enqueue`` creates the JobRun and, after the transaction commits, hands
its id to the backend: ``thread`` (embedded default — a worker thread in the server process, so
no external service is needed) or ``celery`` (production — a Celery worker via Redis/RabbitMQ).
``minzheng jobs work`` also picks up queued jobs (e.g. left over after a restart). Jobs are
idempotent: a retry reruns the whole function, which must tolerate earlier partial attempts.

Crash recovery (ADR 0003): the worker that claims a job holds a lease
(``MINZHENG_JOBS_LEASE_SECONDS``) and renews it from a heartbeat thread and on every progress
update. A job still ``running`` after its lease expired lost its worker (process killed, machine
restarted): :func:`jobs_reap` re-queues it while it has attempts left
(``MINZHENG_JOBS_MAX_ATTEMPTS``) and needs no uploaded file, otherwise marks it failed with the
reason; an administrator may retry a failed job (:func:`job_retry`). Uploaded input files
(``temp_files``) and the job's scratch directory (:func:`job_workdir`) hold personal data: they are
deleted when the job ends, whatever the outcome, and by the reaper after a crash.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import socket
import threading
import time
import traceback
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connections, transaction
from django.db.models import F, Q
from django.utils import timezone

from minzheng.foundation.accounts.scoping import ALL, has_permission, user_prefixes
from minzheng.foundation.audit.context import Actor, acting_as
from minzheng.foundation.audit.services import audit_record
from minzheng.foundation.plugins import Registry
from minzheng.foundation.regions.prefixes import LEVEL_LENGTHS

from .models import JobRun, JobState

logger = logging.getLogger("minzheng.jobs")
KINDS: Registry = Registry("后台任务类型")  # name → function; a second, different one is refused
_executor: ThreadPoolExecutor | None = None
_lock = threading.Lock()
_embedded: threading.Thread | None = None
# scratch directories (under var/tmp) of runs outside a job; one untouched for a day was left by a crash
CLI_SCRATCH = ("verification-", "simulation-", "monitor-")


def job_kind(name: str):
    def register(fn):
        KINDS[name] = fn
        return fn

    return register


def lease_seconds() -> float:
    return float(getattr(settings, "MINZHENG_JOBS_LEASE_SECONDS", 300))


def max_attempts() -> int:
    return int(getattr(settings, "MINZHENG_JOBS_MAX_ATTEMPTS", 3))


def _lease_from(now: dt.datetime) -> dt.datetime:
    return now + dt.timedelta(seconds=lease_seconds())


class Progress:
    def __init__(self, job: JobRun, owner: str = ""):
        self.job = job
        self.owner = owner

    def _update(self, **updates) -> None:
        now = timezone.now()  # every update is also a heartbeat
        row = JobRun.objects.filter(pk=self.job.pk)
        if self.owner:  # a reaped job's late progress changes nothing
            row = row.filter(lease_owner=self.owner)
        row.update(**updates, heartbeat_at=now, lease_expires_at=_lease_from(now))

    def total(self, n: int) -> None:
        self.job.total = n
        self._update(total=n)

    def advance(self, done: int, message: str = "") -> None:
        self.job.progress = done
        updates = {"progress": done}
        if message:
            self.job.log += message + "\n"
            updates["log"] = self.job.log
        self._update(**updates)

    def log(self, message: str) -> None:
        self.advance(self.job.progress, message)

    @property
    def workdir(self) -> Path:
        """The job's scratch directory (0700), removed when the job ends or is reaped."""
        return job_workdir(self.job.pk)


def job_workdir(job_id: int) -> Path:
    path = _workdir_path(job_id)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _workdir_path(job_id: int) -> Path:
    return Path(settings.VAR_DIR) / "tmp" / f"job-{job_id}"


def job_upload_save(upload, *, prefix: str = "", suffix: str = "") -> str:
    """Save an uploaded file for a job under ``MEDIA_ROOT/imports/`` (owner-only); returns the path
    relative to ``MEDIA_ROOT`` to pass to :func:`job_enqueue` as ``temp_files``."""
    relative = f"imports/{prefix}{uuid.uuid4().hex}{suffix}"
    path = Path(settings.MEDIA_ROOT) / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        for chunk in upload.chunks():
            fh.write(chunk)
    return relative


def submitter_region(user) -> str:
    """The region a user's job is filed under when it names none: the user's one region, or the
    nearest region above all of them ("" for a superuser, or grants in different provinces)."""
    prefixes = user_prefixes(user) if user is not None else []
    if prefixes is ALL or not prefixes:
        return ""
    common = os.path.commonprefix(list(prefixes))  # noqa: RUF071  (codes, not paths: character-wise)
    level = max((n for n in LEVEL_LENGTHS if n <= len(common)), default=0)
    return common[:level].ljust(12, "0") if level else ""


def job_enqueue(
    *,
    kind: str,
    title: str,
    params: dict,
    user=None,
    region_code: str = "",
    temp_files: list[str] | None = None,
    run: bool = True,
) -> JobRun:
    """Record a job and dispatch it after commit. ``region_code`` (a code or code prefix) is the
    region it works on; without one a user's job is filed under the user's region, so that the
    region's administrators see it. ``temp_files``: uploaded inputs (under ``MEDIA_ROOT``) deleted
    when the job ends."""
    if kind not in KINDS:
        raise ValueError(f"未知任务类型 {kind}")
    region_code = region_code.ljust(12, "0") if region_code else submitter_region(user)
    job = JobRun.objects.create(
        kind=kind,
        title=title,
        params=params,
        created_by=user,
        region_code=region_code,
        temp_files=list(temp_files or []),
    )
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


class _Heartbeat(threading.Thread):
    """Renews the lease while the job function runs (also through long steps without progress);
    it dies with the process, which is the point."""

    def __init__(self, job_id: int, owner: str):
        super().__init__(name=f"minzheng-job-heartbeat-{job_id}", daemon=True)
        self.job_id, self.owner = job_id, owner
        self.stopped = threading.Event()

    def run(self) -> None:
        interval = max(lease_seconds() / 4, 0.05)
        try:
            while not self.stopped.wait(interval):
                now = timezone.now()
                try:
                    JobRun.objects.filter(pk=self.job_id, state=JobState.RUNNING, lease_owner=self.owner).update(
                        heartbeat_at=now, lease_expires_at=_lease_from(now)
                    )
                except Exception:  # e.g. SQLite busy while the job writes; the next beat tries again
                    logger.warning("job %s: heartbeat failed", self.job_id, exc_info=True)
        finally:
            connections.close_all()

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=5)


def _owner() -> str:
    return f"{socket.gethostname()[:80]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def job_run(job_id: int) -> JobRun:
    """Run one job now, in this process. Claims it atomically so two workers never run it twice."""
    owner, now = _owner(), timezone.now()
    claimed = JobRun.objects.filter(pk=job_id, state=JobState.QUEUED).update(
        state=JobState.RUNNING,
        started_at=now,
        finished_at=None,
        error="",
        attempts=F("attempts") + 1,
        lease_owner=owner,
        heartbeat_at=now,
        lease_expires_at=_lease_from(now),
    )
    job = JobRun.objects.select_related("created_by").get(pk=job_id)
    if not claimed:
        return job
    job.attempts -= 1  # as the job function sees it: the attempts before this one
    user = job.created_by
    actor = Actor(user.pk if user else None, user.username if user else "system", "", "job")
    heartbeat = _Heartbeat(job_id, owner)
    heartbeat.start()
    ours = JobRun.objects.filter(pk=job_id, state=JobState.RUNNING, lease_owner=owner)
    try:
        with acting_as(actor):
            result = KINDS[job.kind](job, Progress(job, owner))
    except Exception as exc:  # the failure is recorded for an administrator to see and retry
        logger.exception("job %s failed", job_id)
        msg = getattr(exc, "user_message", None) or f"{type(exc).__name__}: {exc}"
        outcome = {"state": JobState.FAILED, "error": msg, "log": job.log + traceback.format_exc(limit=5)}
    else:
        outcome = {"state": JobState.SUCCEEDED, "result": result or {}}
    finally:
        heartbeat.stop()  # a worker killed here leaves the job to the reaper, files and all
    finished = ours.update(**outcome, finished_at=timezone.now(), lease_owner="", lease_expires_at=None)
    if finished:
        _job_cleanup(job)  # whatever the outcome
    else:  # reaped while it ran (its lease had lapsed): the reaper's verdict stands, it cleaned up
        logger.warning("job %s finished after it was reaped; its outcome was not recorded", job_id)
    job.refresh_from_db()
    return job


def _job_cleanup(job: JobRun) -> None:
    """Delete the job's uploaded inputs and scratch directory (personal data)."""
    media = Path(settings.MEDIA_ROOT).resolve()
    for relative in job.temp_files or []:
        path = (media / relative).resolve()
        if path.is_relative_to(media) and path != media:
            try:
                path.unlink(missing_ok=True)
            except OSError:
                logger.warning("job %s: could not delete %s", job.pk, relative, exc_info=True)
    shutil.rmtree(_workdir_path(job.pk), ignore_errors=True)


# ------------------------------------------------------------------------------------ retry


def job_can_retry(*, user, job: JobRun) -> bool:
    return (
        job.state == JobState.FAILED
        and not job.inputs_deleted
        and (user is None or has_permission(user, "jobs.manage", job.region_code))
    )


def job_retry(*, job: JobRun, user=None) -> JobRun:
    """Queue a failed job again (administrators: ``jobs.manage`` over the job's region); audited.
    The same JobRun runs once more, its ``attempts`` counting on. A job that read an uploaded file
    cannot be retried: the file was deleted when it ended."""
    if user is not None and not has_permission(user, "jobs.manage", job.region_code):
        raise PermissionDenied("您没有重试该任务的权限")
    if job.inputs_deleted:
        raise ValidationError("任务所用的上传文件已在任务结束时删除，请重新上传")
    who = user.get_username() if user is not None else "系统"
    with transaction.atomic():
        updated = JobRun.objects.filter(pk=job.pk, state=JobState.FAILED).update(
            state=JobState.QUEUED,
            progress=0,
            finished_at=None,
            log=job.log + f"—— {who} 于 {_local(timezone.now())} 重试 ——\n",
        )
        if not updated:
            raise ValidationError("只有失败的任务可以重试")
        audit_record(
            action="retry",
            object_type="jobs.jobrun",
            object_id=job.pk,
            region_code=job.region_code,
            summary=f"重试后台任务「{job.title}」（已尝试 {job.attempts} 次）"[:300],
        )
        transaction.on_commit(lambda: dispatch(job.pk))
    job.refresh_from_db()
    return job


# ------------------------------------------------------------------------------------- reap


def _local(moment) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M:%S}" if moment else "—"


def _stale(now: dt.datetime) -> Q:
    """Running with an expired lease; rows from before leases existed: started a lease ago."""
    before = now - dt.timedelta(seconds=lease_seconds())
    return Q(state=JobState.RUNNING) & (
        Q(lease_expires_at__lt=now) | Q(lease_expires_at__isnull=True) & (Q(started_at__lt=before) | Q(started_at=None))
    )


def jobs_reap(*, now: dt.datetime | None = None, dispatch_requeued: bool = True) -> dict:
    """Recover the jobs whose worker died: each ``running`` job with an expired lease is re-queued
    when it may simply run again (a registered kind, attempts left, no uploaded input — those were
    deleted), else marked failed with the reason. Their files are deleted either way. Audited as
    the system. Returns ``{"requeued": [ids], "failed": [ids]}``."""
    now = now or timezone.now()
    out = {"requeued": [], "failed": []}
    for job in JobRun.objects.filter(_stale(now)).order_by("pk"):
        worker = f"执行进程（{job.lease_owner or '未知'}）"
        if job.lease_expires_at:
            reason = (
                f"任务中断：{worker}自 {_local(job.heartbeat_at or job.started_at)} 起没有心跳，"
                f"租约于 {_local(job.lease_expires_at)} 过期，进程可能已崩溃或被终止。"
            )
        else:  # started before leases existed
            reason = (
                f"任务中断：{worker}自 {_local(job.started_at)} 开始运行后既未结束也没有心跳，进程可能已崩溃或被终止。"
            )
        requeue = job.kind in KINDS and not job.temp_files and job.attempts < max_attempts()
        with transaction.atomic():
            row = JobRun.objects.filter(_stale(now), pk=job.pk)
            common = {"lease_owner": "", "lease_expires_at": None}
            if requeue:
                note = f"{reason}自动重新排队（已尝试 {job.attempts} 次，最多 {max_attempts()} 次）。"
                n = row.update(state=JobState.QUEUED, progress=0, log=job.log + note + "\n", **common)
            else:
                if job.temp_files:
                    note = reason + "上传的文件已删除，请重新上传。"
                elif job.kind not in KINDS:
                    note = reason + f"未知任务类型 {job.kind}。"
                else:
                    note = reason + f"已尝试 {job.attempts} 次，不再自动重试，可由管理员重试。"
                n = row.update(state=JobState.FAILED, error=note, log=job.log + note + "\n", finished_at=now, **common)
            if not n:
                continue  # it renewed its lease or finished meanwhile
            audit_record(
                action="reap",
                object_type="jobs.jobrun",
                object_id=job.pk,
                region_code=job.region_code,
                summary=f"回收中断的后台任务「{job.title}」：{'重新排队' if requeue else '标记失败'}"[:300],
            )
            if requeue and dispatch_requeued:
                transaction.on_commit(lambda pk=job.pk: dispatch(pk))
        _job_cleanup(job)
        out["requeued" if requeue else "failed"].append(job.pk)
        logger.warning("job %s reaped: %s", job.pk, "re-queued" if requeue else "failed")
    _sweep_orphans(now)
    return out


def _sweep_orphans(now: dt.datetime) -> None:
    """Uploaded inputs and scratch directories no queued or running job owns (left by a crash
    before this code recorded them, or by an upload whose job was never created), once older than
    a lease; the scratch directories of command-line runs once untouched for a day."""
    cutoff = (now - dt.timedelta(seconds=lease_seconds())).timestamp()
    active = JobRun.objects.filter(state__in=(JobState.QUEUED, JobState.RUNNING))
    owned = {p for files in active.values_list("temp_files", flat=True) for p in files or []}
    active_ids = set(active.values_list("pk", flat=True))
    imports = Path(settings.MEDIA_ROOT) / "imports"
    if imports.is_dir():
        for path in imports.iterdir():
            try:
                if path.is_file() and f"imports/{path.name}" not in owned and path.stat().st_mtime < cutoff:
                    path.unlink(missing_ok=True)
            except OSError:
                logger.warning("could not sweep %s", path, exc_info=True)
    tmp = Path(settings.VAR_DIR) / "tmp"
    if tmp.is_dir():
        a_day_ago = (now - dt.timedelta(days=1)).timestamp()
        for path in tmp.iterdir():
            name = path.name
            try:
                if name.startswith("job-"):
                    job_id = name.removeprefix("job-")
                    stale = job_id.isdigit() and int(job_id) not in active_ids and path.stat().st_mtime < cutoff
                else:  # a command's run outside a job (``verify batch``, ``simulate``, ``monitor run``)
                    stale = name.startswith(CLI_SCRATCH) and path.stat().st_mtime < a_day_ago
                if stale:
                    shutil.rmtree(path, ignore_errors=True)
            except OSError:
                logger.warning("could not sweep %s", path, exc_info=True)


def jobs_work_once(*, reap: bool = True) -> int:
    """Reap jobs of dead workers, then run every queued job now (``minzheng jobs work``); returns
    how many ran."""
    if reap:
        jobs_reap(dispatch_requeued=False)  # the re-queued run right here
    n = 0
    for job_id in JobRun.objects.filter(state=JobState.QUEUED).order_by("created_at").values_list("pk", flat=True):
        job_run(job_id)
        n += 1
    return n


def jobs_dispatch_queued(*, older_than: float = 0) -> int:
    """Hand the queued jobs to the backend (after a restart); ``older_than`` seconds leaves alone
    the jobs just recorded, which their own commit dispatches (or a command runs in-process)."""
    before = timezone.now() - dt.timedelta(seconds=older_than)
    ids = list(
        JobRun.objects.filter(state=JobState.QUEUED, created_at__lt=before)
        .order_by("created_at")
        .values_list("pk", flat=True)
    )
    for job_id in ids:
        dispatch(job_id)
    return len(ids)


def jobs_embedded_start() -> None:
    """The embedded backend's start-up (``MINZHENG_JOBS=thread``, from ``minzheng.wsgi``): a daemon
    thread reaps the jobs of dead workers and dispatches the queued ones now, then every lease."""
    global _embedded
    with _lock:
        if _embedded is not None or settings.MINZHENG_JOBS != "thread":
            return
        _embedded = threading.Thread(target=_embedded_loop, name="minzheng-jobs-reaper", daemon=True)
        _embedded.start()


def jobs_recover(*, older_than: float = 0) -> dict:
    """One pass of the embedded backend's watch: reap, then dispatch what is queued."""
    reaped = jobs_reap(dispatch_requeued=False)  # the re-queued are among the queued (created earlier)
    return {**reaped, "dispatched": jobs_dispatch_queued(older_than=older_than)}


def _embedded_loop() -> None:
    first = True
    while True:
        try:
            jobs_recover(older_than=0 if first else 60)
        except Exception:
            logger.exception("jobs: recovery failed")
        finally:
            connections.close_all()
        first = False
        time.sleep(max(lease_seconds(), 1))
