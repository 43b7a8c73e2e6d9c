"""Jobs recover after a crash (lease, heartbeat, reaper, retry), their files with personal data go
when they end, and the job lists are scoped by region (issue 14, items 4 and 5)."""

import datetime as dt
import os
import threading
import time
from contextlib import ExitStack
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from minzheng.foundation.accounts.models import User
from minzheng.foundation.audit.models import AuditEvent
from minzheng.foundation.jobs import services as job_services
from minzheng.foundation.jobs.models import JobRun, JobState
from minzheng.foundation.jobs.selectors import jobs_for_user
from minzheng.foundation.jobs.services import (
    KINDS,
    job_enqueue,
    job_kind,
    job_run,
    job_workdir,
    jobs_reap,
    jobs_recover,
    submitter_region,
)
from tests.conftest import ANYANG, RUIAN, TANGXIA
from tests.foundation.registry.test_import import row, workbook

RUNS = []
LONG = 3600  # seconds


@pytest.fixture
def temp_kind():
    """``@temp_kind(name)`` registers a job kind for this test only (the registry refuses a second one)."""
    with ExitStack() as stack:

        def register(name):
            def wrap(fn):
                stack.enter_context(KINDS.temporarily(name, fn))
                return fn

            return wrap

        yield register


@job_kind("test.recover")
def recover_job(job, progress):
    RUNS.append(job.pk)
    if job.params.get("scratch"):
        (progress.workdir / "people.csv").write_text("110108199003071238,张三\n")
    if job.params.get("sleep"):
        time.sleep(job.params["sleep"])  # a long step without progress: only the heartbeat renews
    if job.params.get("fail"):
        raise RuntimeError("失败")
    return {"ok": True}


@pytest.fixture
def run_jobs_here(monkeypatch):
    """After-commit dispatch runs the job in this thread (a worker thread would not see the test's
    uncommitted rows)."""
    monkeypatch.setattr(job_services, "dispatch", job_services.job_run)


@pytest.fixture
def admins(make_user):
    return {
        "anyang": make_user("anyang_admin", ("admin", ANYANG)),
        "tangxia": make_user("tangxia_admin", ("admin", TANGXIA)),
        "county": make_user("ruian_admin", ("admin", RUIAN)),
    }


def _dead(job: JobRun, *, attempts: int = 1, expired_ago: int = 60) -> JobRun:
    """What a worker killed mid-run leaves behind: ``running``, its lease lapsed."""
    now = timezone.now()
    JobRun.objects.filter(pk=job.pk).update(
        state=JobState.RUNNING,
        started_at=now - dt.timedelta(seconds=expired_ago + 300),
        heartbeat_at=now - dt.timedelta(seconds=expired_ago + 300),
        lease_expires_at=now - dt.timedelta(seconds=expired_ago),
        lease_owner="web-1:4242:deadbeef",
        attempts=attempts,
    )
    job.refresh_from_db()
    return job


def _upload(media: Path, name: str = "u.csv") -> str:
    relative = f"imports/{name}"
    (media / "imports").mkdir(parents=True, exist_ok=True)
    (media / relative).write_text("id_number,name\n110108199003071238,张三\n")
    return relative


# -- item 4: lease, heartbeat, reaper --------------------------------------------------------


@pytest.mark.django_db
def test_claim_takes_a_lease_and_finishing_releases_it(settings, temp_kind):
    settings.MINZHENG_JOBS_LEASE_SECONDS = LONG
    seen = {}

    @temp_kind("test.lease_seen")
    def lease_seen(job, progress):
        row = JobRun.objects.get(pk=job.pk)
        seen.update(owner=row.lease_owner, expires=row.lease_expires_at, beat=row.heartbeat_at)

    job = job_enqueue(kind="test.lease_seen", title="租约", params={}, run=False)
    before = timezone.now()
    job = job_run(job.pk)
    assert seen["owner"] and seen["beat"] >= before
    assert seen["expires"] >= before + dt.timedelta(seconds=LONG - 5)
    assert job.state == "succeeded" and job.lease_owner == "" and job.lease_expires_at is None


@pytest.mark.django_db
def test_dead_worker_is_reaped_by_jobs_work_and_rerun(settings, capsys):
    """A job left ``running`` by a killed worker: ``jobs work`` re-queues it (attempts left) and
    runs it; one out of attempts is marked failed with the reason. Both audited."""
    settings.MINZHENG_JOBS_MAX_ATTEMPTS = 3
    again = _dead(job_enqueue(kind="test.recover", title="可重跑", params={}, run=False), attempts=1)
    spent = _dead(job_enqueue(kind="test.recover", title="已用尽", params={}, run=False), attempts=3)
    alive = job_enqueue(kind="test.recover", title="仍在运行", params={}, run=False)
    JobRun.objects.filter(pk=alive.pk).update(
        state=JobState.RUNNING, lease_expires_at=timezone.now() + dt.timedelta(seconds=LONG), attempts=1
    )
    call_command("jobs", "work")
    out = capsys.readouterr().out
    assert f"[{again.pk}]" in out and f"[{spent.pk}]" in out
    again.refresh_from_db(), spent.refresh_from_db(), alive.refresh_from_db()
    assert again.state == "succeeded" and again.attempts == 2 and "自动重新排队" in again.log
    assert spent.state == "failed" and "任务中断" in spent.error and "web-1:4242:deadbeef" in spent.error
    assert spent.finished_at is not None and spent.lease_expires_at is None
    assert alive.state == "running"  # a live lease is left alone
    reaps = AuditEvent.objects.filter(action="reap", object_type="jobs.jobrun")
    assert set(reaps.values_list("object_id", flat=True)) == {str(again.pk), str(spent.pk)}


@pytest.mark.django_db
def test_a_worker_reaped_while_alive_does_not_overwrite_the_verdict(settings, temp_kind):
    """Its lease lapsed (a stall longer than the lease) and it was reaped; finishing later
    records nothing: no job ends up both failed and succeeded."""
    settings.MINZHENG_JOBS_MAX_ATTEMPTS = 1

    @temp_kind("test.stalled")
    def stalled(job, progress):
        JobRun.objects.filter(pk=job.pk).update(lease_expires_at=timezone.now() - dt.timedelta(seconds=1))
        assert jobs_reap()["failed"] == [job.pk]
        progress.advance(5, "late progress")  # changes nothing either
        return {"late": True}

    job = job_run(job_enqueue(kind="test.stalled", title="停顿", params={}, run=False).pk)
    assert job.state == "failed" and job.result == {} and job.progress == 0 and "任务中断" in job.error


@pytest.mark.django_db
def test_rows_from_before_leases_are_reaped_after_a_lease(settings):
    settings.MINZHENG_JOBS_LEASE_SECONDS = 300
    job = job_enqueue(kind="test.recover", title="旧任务", params={}, run=False)
    JobRun.objects.filter(pk=job.pk).update(
        state=JobState.RUNNING, attempts=3, started_at=timezone.now() - dt.timedelta(hours=2)
    )
    recent = job_enqueue(kind="test.recover", title="刚开始", params={}, run=False)
    JobRun.objects.filter(pk=recent.pk).update(state=JobState.RUNNING, attempts=1, started_at=timezone.now())
    assert jobs_reap() == {"requeued": [], "failed": [job.pk]}


@pytest.mark.django_db
def test_startup_recovery_reaps_and_runs_the_queued(run_jobs_here):
    """The embedded backend's start-up pass (``jobs_embedded_start`` → ``jobs_recover``)."""
    dead = _dead(job_enqueue(kind="test.recover", title="中断", params={}, run=False))
    waiting = job_enqueue(kind="test.recover", title="排队", params={}, run=False)
    result = jobs_recover()
    assert result["requeued"] == [dead.pk] and result["dispatched"] == 2
    assert set(JobRun.objects.values_list("state", flat=True)) == {"succeeded"}
    assert waiting.pk in RUNS and dead.pk in RUNS


@pytest.mark.django_db(transaction=True)
def test_heartbeat_keeps_a_long_step_alive(settings, regions):
    """A step longer than the lease, without progress: the heartbeat renews the lease, so a reaper
    running meanwhile leaves the job alone."""
    settings.MINZHENG_JOBS_LEASE_SECONDS = 0.4
    job = job_enqueue(kind="test.recover", title="长步骤", params={"sleep": 1.5}, run=False)
    worker = threading.Thread(target=job_services._run_in_thread, args=(job.pk,))
    worker.start()
    time.sleep(1.0)  # the lease taken at the claim has lapsed twice over by now
    assert JobRun.objects.get(pk=job.pk).state == "running"
    assert jobs_reap() == {"requeued": [], "failed": []}
    worker.join(10)
    job.refresh_from_db()
    assert job.state == "succeeded" and job.attempts == 1


# -- item 4: files with personal data -------------------------------------------------------


@pytest.mark.django_db
def test_uploaded_and_scratch_files_go_on_success_failure_and_crash(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VAR_DIR = tmp_path
    ok = job_enqueue(kind="test.recover", title="成功", params={"scratch": True}, temp_files=[_upload(settings.MEDIA_ROOT, "a.csv")], run=False)  # fmt: skip
    bad = job_enqueue(kind="test.recover", title="失败", params={"scratch": True, "fail": True}, temp_files=[_upload(settings.MEDIA_ROOT, "b.csv")], run=False)  # fmt: skip
    crashed = job_enqueue(kind="test.recover", title="崩溃", params={}, temp_files=[_upload(settings.MEDIA_ROOT, "c.csv")], run=False)  # fmt: skip
    assert job_run(ok.pk).state == "succeeded" and job_run(bad.pk).state == "failed"
    # the crashed one had written into its scratch directory when its worker died
    (job_workdir(crashed.pk) / "people.csv").write_text("110108199003071238,张三\n")
    _dead(crashed, attempts=1)
    assert jobs_reap() == {"requeued": [], "failed": [crashed.pk]}  # its input is gone: not re-run
    crashed.refresh_from_db()
    assert "上传的文件已删除" in crashed.error
    assert not list((settings.MEDIA_ROOT / "imports").iterdir())
    assert not list((tmp_path / "tmp").iterdir())


@pytest.mark.django_db
def test_reaper_sweeps_orphaned_uploads_once_older_than_a_lease(settings, tmp_path):
    """An upload no queued or running job owns (a crash before its job recorded it), a command's
    scratch directory left a day ago."""
    settings.MEDIA_ROOT = tmp_path / "media"
    orphan = settings.MEDIA_ROOT / _upload(settings.MEDIA_ROOT, "orphan.csv")
    fresh = settings.MEDIA_ROOT / _upload(settings.MEDIA_ROOT, "fresh.csv")
    owned = _upload(settings.MEDIA_ROOT, "owned.csv")
    job_enqueue(kind="test.recover", title="排队", params={}, temp_files=[owned], run=False)
    old = time.time() - 2 * 300
    for path in (orphan, settings.MEDIA_ROOT / owned):
        os.utime(path, (old, old))
    settings.VAR_DIR = tmp_path
    cli_old, cli_new = tmp_path / "tmp" / "verification-abc", tmp_path / "tmp" / "simulation-def"
    for path in (cli_old, cli_new):
        path.mkdir(parents=True)
    two_days = time.time() - 2 * 86400
    os.utime(cli_old, (two_days, two_days))
    jobs_reap()
    assert not orphan.exists() and fresh.exists() and (settings.MEDIA_ROOT / owned).exists()
    assert not cli_old.exists() and cli_new.exists()  # a command's run may still be going


@pytest.mark.django_db
def test_workbench_import_file_is_deleted_after_a_crash(settings, tmp_path, anyang_user, ids, monkeypatch):
    """The real path: an upload from the import page whose worker died before it finished."""
    settings.MEDIA_ROOT = tmp_path / "media"
    monkeypatch.setattr(job_services, "dispatch", lambda job_id: None)  # the worker never gets to it
    c = Client()
    c.force_login(anyang_user)
    r = c.post("/import/", {"file": SimpleUploadedFile("h.xlsx", workbook([row(1, "户主", "钱多多", ids())]))})
    job = JobRun.objects.get(pk=int(r["Location"].rstrip("/").split("/")[-1]))
    assert job.temp_files and (settings.MEDIA_ROOT / job.temp_files[0]).exists()
    _dead(job)
    call_command("jobs", "work")
    job.refresh_from_db()
    assert job.state == "failed" and not (settings.MEDIA_ROOT / job.temp_files[0]).exists()
    assert not list((settings.MEDIA_ROOT / "imports").iterdir())
    body = c.get(f"/jobs/{job.pk}/").content.decode()
    assert "任务中断" in body and "请重新上传" in body and "/retry/" not in body


# -- item 4: retry from the workbench -------------------------------------------------------


@pytest.mark.django_db
def test_administrator_retries_a_failed_job_from_the_workbench(
    admins, anyang_user, run_jobs_here, django_capture_on_commit_callbacks
):
    job = job_enqueue(kind="test.recover", title="安阳任务", params={"fail": True}, user=anyang_user, run=False)
    assert job_run(job.pk).state == "failed"
    JobRun.objects.filter(pk=job.pk).update(params={})  # the cause is mended
    admin = Client()
    admin.force_login(admins["anyang"])
    page = admin.get(f"/jobs/{job.pk}/").content.decode()
    assert f"/jobs/{job.pk}/retry/" in page and "重试" in page
    with django_capture_on_commit_callbacks(execute=True):
        r = admin.post(f"/jobs/{job.pk}/retry/", follow=True)
    assert "任务已重新排队" in r.content.decode()
    job.refresh_from_db()
    assert job.state == "succeeded" and job.attempts == 2 and "anyang_admin" in job.log
    event = AuditEvent.objects.get(action="retry", object_type="jobs.jobrun")
    assert (event.object_id, event.actor_name) == (str(job.pk), "anyang_admin")


@pytest.mark.django_db
def test_retry_needs_jobs_manage_over_the_job(admins, anyang_user):
    job = job_enqueue(kind="test.recover", title="安阳任务", params={"fail": True}, user=anyang_user, run=False)
    job_run(job.pk)
    own = Client()
    own.force_login(anyang_user)  # 受理员: sees the job, may not retry it
    assert "/retry/" not in own.get(f"/jobs/{job.pk}/").content.decode()
    assert own.post(f"/jobs/{job.pk}/retry/").status_code == 403
    other = Client()
    other.force_login(admins["tangxia"])
    assert other.post(f"/jobs/{job.pk}/retry/").status_code == 404
    assert own.get(f"/jobs/{job.pk}/retry/").status_code == 405
    assert JobRun.objects.get(pk=job.pk).state == "failed"
    assert not AuditEvent.objects.filter(action="retry").exists()


# -- item 5: the job list scoped by region --------------------------------------------------


@pytest.mark.django_db
def test_job_region_is_the_target_or_the_submitters_scope(make_user, tangxia_user):
    assert submitter_region(tangxia_user) == TANGXIA
    both = make_user("two_towns", ("acceptor", ANYANG), ("acceptor", TANGXIA))
    assert submitter_region(both) == RUIAN  # the nearest region above both
    root = User.objects.create_superuser("root", "root@example.org", "x")
    assert submitter_region(root) == ""
    assert job_enqueue(kind="test.recover", title="x", params={}, user=tangxia_user, run=False).region_code == TANGXIA
    targeted = job_enqueue(kind="test.recover", title="x", params={}, user=both, region_code="330381001", run=False)
    assert targeted.region_code == ANYANG


@pytest.mark.django_db
def test_township_administrator_sees_only_jobs_of_their_regions(admins, anyang_user, tangxia_user):
    anyang_job = job_enqueue(kind="test.recover", title="安阳的任务", params={}, user=anyang_user, run=False)
    tangxia_job = job_enqueue(kind="test.recover", title="塘下的任务", params={}, user=tangxia_user, run=False)
    system_job = job_enqueue(kind="test.recover", title="全市的系统任务", params={}, run=False)
    anyang_admin, county_admin = Client(), Client()
    anyang_admin.force_login(admins["anyang"])
    county_admin.force_login(admins["county"])

    listed = anyang_admin.get("/jobs/").content.decode()
    assert "安阳的任务" in listed and "塘下的任务" not in listed and "全市的系统任务" not in listed
    assert anyang_admin.get(f"/jobs/{anyang_job.pk}/").status_code == 200
    assert anyang_admin.get(f"/jobs/{tangxia_job.pk}/").status_code == 404
    assert anyang_admin.get(f"/jobs/{tangxia_job.pk}/", headers={"HX-Request": "true"}).status_code == 404
    assert anyang_admin.get(f"/jobs/{system_job.pk}/").status_code == 404

    listed = county_admin.get("/jobs/").content.decode()
    assert "安阳的任务" in listed and "塘下的任务" in listed
    assert county_admin.get(f"/jobs/{tangxia_job.pk}/").status_code == 200
    assert county_admin.get(f"/jobs/{anyang_job.pk}/").status_code == 200
    # a caseworker sees their own jobs only
    assert set(jobs_for_user(tangxia_user)) == {tangxia_job}


@pytest.mark.django_db
def test_the_pages_of_each_kind_are_scoped_too(admins, tangxia_user):
    """Partner-data loads, batch verification, payroll and 提标测算 have their own job pages."""
    anyang_admin, county_admin = Client(), Client()
    anyang_admin.force_login(admins["anyang"])
    county_admin.force_login(admins["county"])
    pages = {
        "sources.load": "/sources/jobs/{}/",
        "verification.batch": "/verification/batch/{}/",
        "benefits.payroll_generate": "/benefits/payroll/jobs/{}/",
    }
    for kind, url in pages.items():
        job = JobRun.objects.create(kind=kind, title="塘下", params={"program": "dibao"}, created_by=tangxia_user,
                                    region_code=TANGXIA)  # fmt: skip
        assert anyang_admin.get(url.format(job.pk)).status_code == 404, kind
        assert county_admin.get(url.format(job.pk)).status_code == 200, kind


@pytest.mark.django_db
def test_a_celery_worker_starting_reaps_the_dead_workers_jobs(settings):
    """The Celery side of start-up: the ``worker_ready`` signal a starting worker sends reaps at once."""
    from celery.signals import worker_ready

    import minzheng.foundation.jobs.tasks  # noqa: F401  (connects the handler, as the worker's autodiscovery does)

    settings.MINZHENG_JOBS_MAX_ATTEMPTS = 1
    dead = _dead(job_enqueue(kind="test.recover", title="已用尽", params={}, run=False), attempts=1)
    worker_ready.send(sender=None)
    dead.refresh_from_db()
    assert dead.state == "failed" and "任务中断" in dead.error
