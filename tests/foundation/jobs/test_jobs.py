import os
import socket
import time

import pytest

from minzheng.foundation.jobs.models import JobRun
from minzheng.foundation.jobs.services import job_enqueue, job_kind, job_retry, job_run, jobs_work_once

CALLS = []


@job_kind("test.count")
def count_job(job, progress):
    progress.total(3)
    for i in range(3):
        progress.advance(i + 1, f"step {i + 1}")
    CALLS.append(job.params["n"])
    if job.params.get("fail") and job.attempts == 0:
        raise RuntimeError("暂时失败")
    return {"n": job.params["n"]}


@pytest.mark.django_db
def test_job_runs_records_progress_and_result():
    job = job_enqueue(kind="test.count", title="计数", params={"n": 1}, run=False)
    job = job_run(job.pk)
    assert (job.state, job.progress, job.total, job.result, job.percent) == ("succeeded", 3, 3, {"n": 1}, 100)
    assert "step 3" in job.log
    assert job_run(job.pk).state == "succeeded"  # a second claim does nothing
    assert CALLS.count(1) == 1


@pytest.mark.django_db
def test_failure_is_recorded_and_retry_reruns():
    job = job_enqueue(kind="test.count", title="会失败", params={"n": 2, "fail": True}, run=False)
    job = job_run(job.pk)
    assert job.state == "failed" and "暂时失败" in job.error
    job_retry(job=job)
    assert JobRun.objects.get(pk=job.pk).state == "queued"
    assert jobs_work_once() == 1
    job.refresh_from_db()
    assert job.state == "succeeded" and job.attempts == 2


def test_unknown_kind_refused():
    with pytest.raises(ValueError, match="未知任务类型"):
        job_enqueue(kind="nope", title="x", params={})


def _redis_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
        return True
    except OSError:
        return False


@pytest.mark.django_db(transaction=True)
def test_celery_worker_runs_job_through_redis(settings):
    """Production path: the job goes to Redis and a real Celery worker runs it."""
    if not _redis_up():
        if os.environ.get("MINZHENG_REQUIRE_SERVICES"):
            pytest.fail("Redis 未运行（CI 要求真实的 Redis）")
        pytest.skip("Redis not running on 127.0.0.1:6379")
    from celery.contrib.testing.worker import start_worker

    from minzheng.celery import app

    settings.MINZHENG_JOBS = "celery"
    app.conf.broker_url = "redis://127.0.0.1:6379/15"
    app.conf.task_default_queue = f"minzheng-test-{os.getpid()}"
    with start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING", shutdown_timeout=10):
        # outside a transaction on_commit fires at once: the task goes to Redis now
        job = job_enqueue(kind="test.count", title="经 Celery", params={"n": 3})
        for _ in range(100):
            job.refresh_from_db()
            if job.state == "succeeded":
                break
            time.sleep(0.1)
    assert job.state == "succeeded" and job.result == {"n": 3}
